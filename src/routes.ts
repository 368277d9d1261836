import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './app.ts';
import { authRoutes } from './auth/routes.ts';
import { apiDocsRoutes } from './api/routes.ts';

/** Every feature's routes, registered in one place so the authorisation matrix test can list them all. */
export async function featureRoutes(app: FastifyInstance, deps: RouteDeps) {
  await authRoutes(app, deps);
  await apiDocsRoutes(app, deps);
}
