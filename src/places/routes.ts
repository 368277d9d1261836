import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';

// Placeholder while this feature is built (issue 3); registered in src/routes.ts.
export async function placeRoutes(_app: FastifyInstance, _deps: RouteDeps) {}
