import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { programmeFigures } from './service.ts';

/** The aggregate dashboard for funders, partner staff and admins. */
export async function dashboardRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get('/dashboard', { config: { access: 'dashboard:aggregate' } }, async (request, reply) =>
    reply.view('dashboard/views/dashboard.njk', { title: 'Programme dashboard', ...(await programmeFigures(db, requireActor(request), clock)) }),
  );
}
