import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Access } from '../auth/access.ts';
import type { Action } from '../auth/policy.ts';
import { AppError, ValidationError } from '../web/errors.ts';
import { fieldErrors } from '../web/forms.ts';
import type { ApiTag } from './tags.ts';
import { queryWholeNumber } from '../web/numbers.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One API operation: its schemas validate requests and generate the OpenAPI document. */
export type ApiOperation<Q extends z.ZodType, B extends z.ZodType> = {
  method: Method;
  url: string;
  operationId: string;
  summary: string;
  /** Plain English for the OpenAPI document: what it does and its notable errors (who may call it is added from the policy). */
  description: string;
  /** Errors particular to this operation (status → when), documented beside those every operation may answer. */
  problems?: Partial<Record<403 | 409, string>>;
  tag: ApiTag;
  access: Access;
  /**
   * When `access` admits more people than may call the operation (readers of a record, so that they are answered 403
   * rather than 404 by `authorise`), the policy action `authorise` demands: "Who may call it" is read from it.
   */
  callers?: Action;
  params?: z.ZodObject;
  query?: Q;
  body?: B;
  /**
   * A file sent as the whole request body instead of JSON (the spreadsheet uploads): its media types and what it
   * carries, for the OpenAPI document. The operation registers a content-type parser giving `request.body` as a Buffer.
   */
  rawBody?: { mediaTypes: readonly string[]; description: string };
  /**
   * A file sent as a `multipart/form-data` form with one `file` field (evidence files): what it carries, for the
   * OpenAPI document, and the hook reading the form (`acceptFileForms` in src/files/multipart.ts, registered on the
   * operation's own plugin). Another media type is refused with 415 once the record is known to be the caller's.
   */
  fileForm?: { description: string; read: (request: FastifyRequest) => Promise<void> };
  /**
   * Checks that the caller may see the record the path names, before the body is validated: a record outside
   * the caller's scope answers 404 whatever the body, so a 422 cannot hint that it exists.
   */
  authorise?: (params: Record<string, string>, request: FastifyRequest) => Promise<void>;
  /**
   * Status → response schema (the 2xx answers; errors are always problem details). A file answer (the subject access
   * ZIP) names its `mediaType` instead of a schema and is documented as binary.
   */
  responses: Record<number, { description: string; schema?: z.ZodType; mediaType?: string }>;
  handler: (
    input: { params: Record<string, string>; query: z.infer<Q>; body: z.infer<B> },
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<unknown>;
};

/** Operations in registration order, for the OpenAPI document. */
export const apiOperations: ApiOperation<z.ZodType, z.ZodType>[] = [];

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, as: 'query' | 'body' | 'params'): z.infer<S> {
  if (!schema) return undefined as z.infer<S>;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = fieldErrors(result.error);
  if (as === 'body') throw new ValidationError(fields);
  if (as === 'params') throw new AppError(404, 'Not found', 'No resource has that id.');
  throw new ValidationError(fields, 400);
}

/** The media type of a request body, without parameters (`application/json; charset=utf-8` → `application/json`). */
const mediaType = (request: FastifyRequest) => (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

const hasBody = (request: FastifyRequest) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * JSON operations read only `application/json`: a form-encoded or text body is refused (415) before it is parsed,
 * rather than read by the pages' parsers into something the schema half-accepts.
 */
async function requireJson(request: FastifyRequest) {
  if (hasBody(request) && mediaType(request) !== 'application/json') {
    throw new AppError(415, 'Unsupported Media Type', 'Send the body as JSON, with "Content-Type: application/json".');
  }
}

/** Registers an API operation under /api/v1 with validation from its zod schemas. */
export function apiRoute<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  app: FastifyInstance,
  op: ApiOperation<Q, B>,
) {
  const known = apiOperations.findIndex((o) => o.operationId === op.operationId);
  apiOperations.splice(known === -1 ? apiOperations.length : known, 1, op as unknown as ApiOperation<z.ZodType, z.ZodType>);
  app.route({
    method: op.method,
    url: `/api/v1${op.url.replace(/\{(\w+)\}/g, ':$1')}`,
    config: { access: op.access },
    ...(op.body ? { onRequest: requireJson } : {}),
    ...(op.fileForm ? { preValidation: op.fileForm.read } : {}),
    handler: async (request, reply) => {
      const params = (op.params ? parsePart(op.params, request.params, 'params') : request.params) as Record<string, string>;
      if (op.authorise) await op.authorise(params, request);
      if (op.fileForm && hasBody(request) && !request.isMultipart()) {
        throw new AppError(415, 'Unsupported Media Type', 'Send the file as a multipart/form-data form with one field, "file".');
      }
      const query = parsePart(op.query, request.query, 'query');
      if (op.body && request.body === undefined) throw new ValidationError({ _body: 'Send a JSON body' });
      const body = parsePart(op.body, request.body, 'body');
      const result = await op.handler({ params, query, body }, request, reply);
      return reply.sent ? reply : reply.send(result);
    },
  });
}

/** `?page=&pageSize=` for every list: page from 1, page size up to 500 (default 50), in decimal digits only. */
export const pageQuery = z.object({
  page: queryWholeNumber('page', { min: 1, max: 100_000, fallback: 1 }),
  pageSize: queryWholeNumber('pageSize', { min: 1, max: 500, fallback: 50 }),
});

/** The list envelope every collection answers with. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    meta: z.object({ total: z.number().int(), page: z.number().int(), pageSize: z.number().int() }),
  });
}
