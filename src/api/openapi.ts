import { z } from 'zod';
import { can, roleLabels, roles, type Actor } from '../auth/policy.ts';
import type { Access } from '../auth/access.ts';
import { paths } from '../web/paths.ts';
import { reasonPhrases } from './problem.ts';
import { apiOperations, type ApiOperation } from './registry.ts';
import { apiTags } from './tags.ts';

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'Always about:blank: the status says what kind of problem it is', examples: ['about:blank'] },
    title: { type: 'string', description: 'The HTTP reason phrase of the status', examples: ['Unprocessable Content'] },
    status: { type: 'integer', description: 'The HTTP status code', examples: [422] },
    detail: { type: 'string', description: 'What went wrong, in plain English', examples: ['Enter the cohort name'] },
    instance: { type: 'string', description: 'The path and query of the request' },
    requestId: { type: 'string', description: 'Quote it when asking for help: it finds the request in the service’s log' },
    errors: {
      type: 'array',
      description: 'Field problems (`field`), or for spreadsheet uploads row problems (`row` — the spreadsheet row, header = 1 — and `column`; both null for a problem with the whole file)',
      items: { type: 'object', properties: { field: { type: 'string' }, row: { type: ['integer', 'null'] }, column: { type: ['string', 'null'] }, message: { type: 'string' } } },
    },
  },
} as const;

/**
 * A zod schema as JSON Schema. A schema whose metadata names its `type` (a field that also takes a form's text, like
 * CPD hours or workshop dates) documents that type alone: the API's contract, not the page's.
 */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: out }) => {
      if (z.globalRegistry.get(zodSchema)?.type) delete out.anyOf;
    },
  }) as Record<string, unknown>;
  return rest;
};

const problemContent = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };

/** The error responses operations share, by status; an operation refers to those that apply to it. */
const problemResponses = {
  400: 'A query parameter is not valid, or the body is not well-formed JSON; `errors` names each bad parameter',
  401: 'The token is missing, malformed, unknown, expired or revoked',
  403: 'Your roles do not allow this operation',
  404: 'No such record, or it is outside what you may see',
  409: 'The change clashes with the record’s current state (a stale version, a duplicate, a move the rules do not allow) or with a change made at the same moment; nothing was written',
  413: 'The body is larger than the service accepts',
  415: 'The body is not one of the media types the operation accepts',
  422: 'The body is well-formed but not valid; `errors` names each field and its problem',
  429: 'Too many requests from this token (or, without a valid token, from this address); wait for the seconds in Retry-After',
  503: 'The database is unavailable; nothing was written, try again shortly',
} as const;
type ProblemStatus = keyof typeof problemResponses;

const seconds = { type: 'integer', minimum: 0 };
/** What a 429 carries: Retry-After, and the draft IETF RateLimit headers @fastify/rate-limit sends (`enableDraftSpec`). */
const rateLimitedHeaders = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: seconds },
  'RateLimit-Limit': { description: 'Requests allowed in the window (API_RATE_PER_MINUTE, or API_ANON_RATE_PER_MINUTE without a valid token)', schema: seconds },
  'RateLimit-Remaining': { description: 'Requests left in the window', schema: seconds },
  'RateLimit-Reset': { description: 'Seconds until the window starts again', schema: seconds },
};

const problemResponse = (status: ProblemStatus, description: string = problemResponses[status]) => ({
  description,
  ...(status === 401 ? { headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } } } : {}),
  ...(status === 429 ? { headers: rateLimitedHeaders } : {}),
  content: problemContent,
});

/** A shared error response's name in components.responses: its reason phrase, like TooManyRequests. */
const componentName = (status: ProblemStatus) => reasonPhrases[status].replace(/ /g, '');

/** The error statuses an operation can answer: from what it takes (query, body, path ids) and whom it admits (src/auth/access.ts). */
function problemStatuses(op: ApiOperation<z.ZodType, z.ZodType>): ProblemStatus[] {
  const takesBody = !!(op.body || op.rawBody || op.fileForm);
  const hasId = op.url.includes('{');
  const byPolicy = op.access !== 'public' && op.access !== 'signed-in';
  const statuses: (ProblemStatus | false)[] = [
    !!(op.query || op.body) && 400,
    op.access !== 'public' && 401,
    // A policy refusal is a 404 where the path names a record, so its existence is not revealed.
    ((byPolicy && !hasId) || !!op.problems?.[403]) && 403,
    hasId && 404,
    op.method !== 'GET' && 409,
    takesBody && 413,
    takesBody && 415,
    takesBody && 422,
    429,
    503,
  ];
  return statuses.filter((s): s is ProblemStatus => s !== false);
}

/** "Who may call it", read from the policy's grants so it cannot disagree with them. */
function whoMayCall(access: Access): string {
  if (access === 'public') return 'Anyone.';
  if (access === 'signed-in') return 'Anyone with a valid token; which records they reach is said above.';
  const holder = (role: (typeof roles)[number]): Actor => ({ personId: '', name: '', email: '', organisationId: '', organisationKind: 'partner', roles: [role] });
  const labels = roles.filter((role) => can(holder(role), access)).map((role) => roleLabels[role]);
  return `${labels.join(', ')} (the policy action \`${access}\`).`;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function openApiDocument(baseUrl: string) {
  const pathsDoc: Record<string, Record<string, unknown>> = {};
  for (const op of apiOperations) {
    const parameters: unknown[] = [];
    for (const name of op.url.match(/\{(\w+)\}/g) ?? []) {
      parameters.push({ name: name.slice(1, -1), in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    }
    if (op.query) {
      const schema = jsonSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = r.mediaType
        ? { description: r.description, content: { [r.mediaType]: { schema: { type: 'string', format: 'binary' } } } }
        : r.schema
          ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } }
          : { description: r.description };
    }
    for (const status of problemStatuses(op)) {
      const particular = status === 403 || status === 409 ? op.problems?.[status] : undefined;
      responses[status] = particular ? problemResponse(status, particular) : { $ref: `#/components/responses/${componentName(status)}` };
    }
    if (op.rawBody) responses['422'] = problemResponse(422, 'The file or some of its rows are not valid; `errors` lists each row’s problems. Nothing was written');
    if (op.fileForm) responses['422'] = problemResponse(422, 'No file was sent, or the file was refused (`errors` gives the reason for the field `file`: too big, a type not allowed, or contents that do not match its name). Nothing was written');
    const binary = { type: 'string', format: 'binary' };
    const fileFormSchema = { type: 'object', required: ['file'], properties: { file: { ...binary, description: 'The file, with its name' } } };
    const requestBody = op.rawBody
      ? { required: true, description: op.rawBody.description, content: Object.fromEntries(op.rawBody.mediaTypes.map((t) => [t, { schema: binary }])) }
      : op.fileForm
        ? { required: true, description: op.fileForm.description, content: { 'multipart/form-data': { schema: fileFormSchema } } }
      : op.body
        ? { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } }
        : undefined;
    pathsDoc[op.url] ??= {};
    pathsDoc[op.url][op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      description: `${op.description}\n\nWho may call it: ${whoMayCall(op.callers ?? op.access)}`,
      tags: [op.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  const used = new Set(apiOperations.map((op) => op.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pioneer API',
      version: '1.0.0',
      description:
        'The Contract Management Pioneer Programme service: councils, people, funded places, cohorts, enrolments, learners, the audit log and the programme’s figures, ' +
        'with the same permissions as the pages. Authenticate with a personal access token (`Authorization: Bearer pio_…`). ' +
        'Lists are paged (`page`, `pageSize`). Errors are RFC 9457 problem details whose `title` is the HTTP reason phrase ' +
        'and whose `detail` says what went wrong.',
      contact: { name: 'The Pioneer programme team', url: `${baseUrl}${paths.apiDocs()}` },
      license: { name: 'Council register data: CC BY 4.0 (mySociety); see Data sources and licences', url: `${baseUrl}/about/data` },
    },
    servers: [{ url: `${baseUrl}/api/v1`, description: 'This Pioneer service' }],
    security: [{ bearerAuth: [] }],
    tags: Object.entries(apiTags)
      .filter(([name]) => used.has(name as keyof typeof apiTags))
      .map(([name, description]) => ({ name, description })),
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal access token (pio_…)' } },
      schemas: { Problem: problemSchema },
      responses: Object.fromEntries(
        (Object.keys(problemResponses).map(Number) as ProblemStatus[]).map((status) => [componentName(status), problemResponse(status)]),
      ),
    },
    paths: pathsDoc,
  };
}
