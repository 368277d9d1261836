import type { FastifyInstance } from 'fastify';

/** Public information pages: where the data comes from and under which licences. */
export async function aboutRoutes(app: FastifyInstance) {
  app.get('/about/data', { config: { access: 'public' } }, async (_request, reply) =>
    reply.view('about/views/data.njk', { title: 'Data sources and licences' }),
  );
}
