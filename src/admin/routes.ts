import type { FastifyInstance } from 'fastify';
import { adminPagesFor } from '../web/nav.ts';
import { paths } from '../web/paths.ts';

/**
 * The index behind the navigation's "Admin" item: the pages that run the service (uploads, audit log, settings),
 * each only for those whose roles open it (the pages' own routes check again).
 */
export async function adminRoutes(app: FastifyInstance) {
  app.get(paths.admin(), { config: { access: 'signed-in' } }, async (request, reply) =>
    reply.view('admin/views/index.njk', { title: 'Admin', pages: adminPagesFor(request.actor) }),
  );
}
