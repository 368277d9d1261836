import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';

/** What the multipart parser leaves in the body for the file field. */
export type FilePart = { buffer: Buffer; filename: string; truncated: boolean };

/**
 * Lets the routes of `scoped` (a plugin of its own, so no other route takes multipart) read a spreadsheet upload: one
 * file of at most `maxBytes` and a few fields. Fields are parsed before the hooks run (attachFieldsToBody), so the
 * session hook finds `_csrf` in the body as for any form; the file is held in memory, capped at the limit (a larger
 * one is marked `truncated`), until the handler reads it.
 */
export async function acceptSpreadsheetUploads(scoped: FastifyInstance, maxBytes: number) {
  await scoped.register(multipart, {
    attachFieldsToBody: 'keyValues',
    throwFileSizeLimit: false,
    limits: { fileSize: maxBytes, files: 1, fields: 4, parts: 5 },
    async onFile(part) {
      const buffer = await part.toBuffer();
      (part as unknown as { value: FilePart }).value = { buffer, filename: part.filename, truncated: part.file.truncated };
    },
  });
}
