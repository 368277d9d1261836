import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { apiOperations } from './registry.ts';
import { openApiDocument } from './openapi.ts';

/** The OpenAPI document and the human page that introduces the API. Both are public: they hold no data. */
export async function apiDocsRoutes(app: FastifyInstance, { config }: RouteDeps) {
  app.get('/api/v1/openapi.json', { config: { access: 'public' } }, async () => openApiDocument(config.baseUrl));
  app.get('/api/docs', { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('api/views/docs.njk', {
      title: 'API',
      operations: [...apiOperations].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method)),
    }),
  );
}
