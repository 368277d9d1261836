import { z } from 'zod';
import { apiOperations } from './registry.ts';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'Field problems (`field`), or for spreadsheet uploads row problems (`row` — the spreadsheet row, header = 1 — and `column`; both null for a problem with the whole file)',
      items: { type: 'object', properties: { field: { type: 'string' }, row: { type: ['integer', 'null'] }, column: { type: ['string', 'null'] }, message: { type: 'string' } } },
    },
  },
} as const;

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const errorResponses = {
  '400': { description: 'Malformed request', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
  '401': { description: 'Missing, malformed or revoked token', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
  '403': { description: 'Not allowed for your roles', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
  '404': { description: 'No such resource, or not visible to you', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
};

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
    const responses: Record<string, unknown> = { ...errorResponses };
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } } : { description: r.description };
    }
    if (op.body) {
      responses['409'] = { description: 'Conflicts with the current state', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      responses['422'] = { description: 'Invalid body', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    if (op.rawBody) {
      responses['413'] = { description: 'The file is over the upload limit', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      responses['415'] = { description: 'Not one of the accepted media types', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
      responses['422'] = { description: 'The file or some rows are invalid; nothing was written', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    const binary = { type: 'string', format: 'binary' };
    const requestBody = op.rawBody
      ? { required: true, description: op.rawBody.description, content: Object.fromEntries(op.rawBody.mediaTypes.map((t) => [t, { schema: binary }])) }
      : op.body
        ? { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } }
        : undefined;
    pathsDoc[op.url] ??= {};
    pathsDoc[op.url][op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pioneer API',
      version: '1.0.0',
      description: 'The Contract Management Pioneer Programme service. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: `${baseUrl}/api/v1` }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A personal access token (pio_…)' } },
      schemas: { Problem: problemSchema },
    },
    paths: pathsDoc,
  };
}
