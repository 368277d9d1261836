import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { AppError } from '../web/errors.ts';
import { formValues } from '../web/forms.ts';
import type { UploadedFile } from './upload.ts';

/** A multipart form's fields (repeated ones as a list) and its file. */
export type FileFormBody = Record<string, string | string[] | undefined | UploadedFile>;

/**
 * Lets the routes of `scoped` (a plugin of its own, so no other route takes multipart) read a form with one file, and
 * gives the `preValidation` hook that reads it. The form is read before the hooks that need the body (the session hook
 * finds `_csrf` in it); the file is held in memory up to `maxBytes`, and a larger one is cut there and marked
 * `truncated` (refused by `checkFile`). A body that stops half way is a 400, and nothing is stored before the whole
 * request has arrived and been checked.
 */
export async function acceptFileForms(scoped: FastifyInstance, limits: { maxBytes: number; fields: number }) {
  await scoped.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: limits.maxBytes, files: 1, fields: limits.fields, parts: limits.fields + 2, fieldSize: 10_000 },
  });
  return async function readFileForm(request: FastifyRequest) {
    if (!request.isMultipart()) return;
    const body: FileFormBody = {};
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          body[part.fieldname] = { buffer: await part.toBuffer(), filename: part.filename, truncated: part.file.truncated };
        } else if (typeof part.value === 'string') {
          const earlier = body[part.fieldname];
          body[part.fieldname] = earlier === undefined ? part.value : [...formValues(earlier), part.value];
        }
      }
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode) throw err;
      // busboy's "Unexpected end of form" and the like: the browser or network cut the upload off.
      throw new AppError(400, 'Bad request', 'The form did not arrive in full, so nothing was saved. Try again.');
    }
    request.body = body;
  };
}

/** The form's file, if it sent one. */
export const fileOf = (body: FileFormBody, field = 'file'): UploadedFile | null => {
  const v = body[field];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
};
