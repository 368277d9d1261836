/**
 * Evidence files over the API (ADR 0017): list a record's files, download one, upload one (a multipart form, the pages'
 * rules), remove one. One set of operations for improvements and for engagements' actions: the owning feature gives its
 * path, its checks (who may see the record, who may change its evidence) and its service calls.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { apiRoute } from '../api/registry.ts';
import type { ApiTag } from '../api/tags.ts';
import type { Access } from '../auth/access.ts';
import { sizeText } from '../imports/limits.ts';
import { allowedTypesText } from './detect.ts';
import { evidenceFilesOf, type EvidenceOwner } from './evidence.ts';
import { acceptFileForms, fileOf, type FileFormBody } from './multipart.ts';
import { sendStoredFile } from './send.ts';
import type { UploadedFile } from './upload.ts';
import type { Readable } from 'node:stream';
import type { Db } from '../db/client.ts';

/** At most this many of one record's evidence files in one answer. */
const maxItems = 1000;

export const apiEvidenceFileSchema = z.object({
  id: z.uuid(),
  fileName: z.string(),
  contentType: z.string().describe('Detected from the file’s bytes when it was added'),
  sizeBytes: z.number().int(),
  addedByName: z.string().nullable(),
  addedAt: z.string().describe('ISO 8601'),
  downloadUrl: z.string().describe('Where to download the file (GET)'),
});

type Check = (params: Record<string, string>, request: FastifyRequest) => Promise<void>;

export type EvidenceFileApiOptions = {
  db: Db;
  maxBytes: number;
  tag: ApiTag;
  access: Access;
  /** The record's path, e.g. `/improvements/{id}`; the files are under `<path>/evidence-files`. */
  path: string;
  /** The record's path parameters. */
  params: z.ZodObject;
  /** Words for the document: the operation ids' noun (`ImprovementEvidenceFile`), the record ("an improvement"). */
  operationNoun: string;
  record: string;
  /** The caller sees the record (404 otherwise). */
  mayRead: Check;
  /** The caller may change the record's evidence (403 for those who see it), after `mayRead`. */
  mayChange: Check;
  /** Why a change is refused with 403, and when an upload (if ever) and a removal are refused with 409, for the document. */
  refusal: string;
  addConflict?: string;
  removeConflict: string;
  ownerOf: (params: Record<string, string>) => EvidenceOwner;
  /** The feature's service calls (they check the record again, in scope, with its rules). */
  add: (request: FastifyRequest, params: Record<string, string>, file: UploadedFile | null) => Promise<string>;
  remove: (request: FastifyRequest, params: Record<string, string>, fileId: string) => Promise<void>;
  open: (request: FastifyRequest, params: Record<string, string>, fileId: string) => Promise<{ file: { contentType: string; fileName: string; sizeBytes: number }; content: Readable }>;
};

export function evidenceFileApi(app: FastifyInstance, o: EvidenceFileApiOptions) {
  const base = `${o.path}/evidence-files`;
  const fileParams = o.params.extend({ fileId: z.uuid() });
  const urlOf = (params: Record<string, string>) => `/api/v1${base.replace(/\{(\w+)\}/g, (_, name: string) => params[name])}`;
  const list = async (params: Record<string, string>) =>
    (await evidenceFilesOf(o.db, o.ownerOf(params))).map((f) => ({
      id: f.id,
      fileName: f.fileName,
      contentType: f.contentType,
      sizeBytes: f.sizeBytes,
      addedByName: f.addedByName,
      addedAt: f.addedAt.toISOString(),
      downloadUrl: `${urlOf(params)}/${f.id}/download`,
    }));
  const change: Check = async (params, request) => {
    await o.mayRead(params, request);
    await o.mayChange(params, request);
  };

  apiRoute(app, {
    method: 'GET',
    url: base,
    operationId: `list${o.operationNoun}s`,
    summary: `List the files added as evidence to ${o.record}`,
    description: `The files added as evidence to ${o.record}, oldest first, with who added them and where to download each; 404 for a record you may not see.`,
    tag: o.tag,
    access: o.access,
    params: o.params,
    authorise: o.mayRead,
    responses: { 200: { description: 'The files', schema: z.object({ data: z.array(apiEvidenceFileSchema).max(maxItems) }) } },
    handler: async ({ params }) => ({ data: (await list(params)).slice(0, maxItems) }),
  });

  apiRoute(app, {
    method: 'GET',
    url: `${base}/{fileId}/download`,
    operationId: `download${o.operationNoun}`,
    summary: `Download a file added as evidence to ${o.record}`,
    description: `The file as an attachment (\`Content-Disposition: attachment\`, \`X-Content-Type-Options: nosniff\`), in the content type detected from its bytes when it was added, as the pages send it. 404 for a file of another record, or a record you may not see.`,
    tag: o.tag,
    access: o.access,
    params: fileParams,
    authorise: o.mayRead,
    responses: { 200: { description: `The file (${allowedTypesText})`, mediaType: 'application/octet-stream' } },
    handler: async ({ params }, request, reply) => {
      const { file, content } = await o.open(request, params, params.fileId);
      return sendStoredFile(reply, file, content, 'evidence');
    },
  });

  // The upload reads a multipart form, in a plugin of its own so no other operation takes one. Not awaited: the plugin
  // loads with the app, after the app's error handler is set, so it answers problem details like every operation.
  void app.register(async (scoped) => {
    const read = await acceptFileForms(scoped, { maxBytes: o.maxBytes, fields: 2 });
    apiRoute(scoped, {
      method: 'POST',
      url: base,
      operationId: `add${o.operationNoun}`,
      summary: `Add a file as evidence to ${o.record}`,
      description: `Adds a file as evidence, with the pages’ rules: its type is decided from its bytes and must agree with its name, and it must be smaller than ${sizeText(o.maxBytes)}; a file refused, or none sent, is a 422 saying why, and nothing is written.${o.addConflict ? ` ${o.addConflict}: 409.` : ''}`,
      tag: o.tag,
      access: o.access,
      params: o.params,
      fileForm: { description: `A multipart/form-data form whose field \`file\` is a ${allowedTypesText} file, smaller than ${sizeText(o.maxBytes)}.`, read },
      problems: { 403: o.refusal, ...(o.addConflict ? { 409: o.addConflict } : {}) },
      authorise: change,
      responses: { 201: { description: 'The file, added', schema: apiEvidenceFileSchema } },
      handler: async ({ params }, request, reply) => {
        const id = await o.add(request, params, fileOf((request.body ?? {}) as FileFormBody));
        const added = (await list(params)).find((f) => f.id === id)!;
        return reply.code(201).header('location', added.downloadUrl).send(added);
      },
    });
  });

  apiRoute(app, {
    method: 'DELETE',
    url: `${base}/{fileId}`,
    operationId: `remove${o.operationNoun}`,
    summary: `Remove a file added as evidence to ${o.record}`,
    description: `Removes the file and its stored bytes, audited. ${o.removeConflict}: 409. 404 for a file of another record.`,
    tag: o.tag,
    access: o.access,
    params: fileParams,
    problems: { 403: o.refusal, 409: o.removeConflict },
    authorise: change,
    responses: { 204: { description: 'The file was removed' } },
    handler: async ({ params }, request, reply) => {
      await o.remove(request, params, params.fileId);
      return reply.code(204).send();
    },
  });
}
