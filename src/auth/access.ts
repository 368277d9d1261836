import type { FastifyInstance } from 'fastify';
import { can, type Action } from './policy.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../web/errors.ts';

/**
 * What a route requires, declared on every route as `config: { access }`:
 * - 'public': anyone (sign-in, health, assets);
 * - 'signed-in': any signed-in person (their own account);
 * - an Action from the policy module: a person whose roles grant it.
 * Record-level scope (which council, which person) is then applied by the repository call.
 */
export type Access = 'public' | 'signed-in' | Action;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** Routes that belong to plugins (static files) rather than features, and so declare no access. */
const pluginRoutes = (url: string) => url.startsWith('/assets/') || url.startsWith('/govuk/') || url.startsWith('/static/');

/** Every route the app has, with its access: what the authorisation matrix test walks. */
export const routeTable: { method: string; url: string; access: Access }[] = [];

/**
 * Enforces `config.access` on every route, in one place. A route without a declaration fails at start-up,
 * so a new route cannot be forgotten. Routes with a record id in their path answer 404 rather than 403,
 * so a forbidden record's existence is not revealed.
 */
export function registerAccessControl(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (pluginRoutes(route.url)) return;
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} declares no config.access`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || routeTable.some((r) => r.method === method && r.url === route.url)) continue;
      routeTable.push({ method, url: route.url, access });
    }
  });
  // Before the body is parsed (the actor comes from the cookie or token, src/auth/session.ts and src/api/bearer.ts),
  // so a request that may not call the route is refused without its body being read: an upload is never held in
  // memory for someone who may not make it.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const access = request.routeOptions.config?.access;
    if (!access || access === 'public') return payload;
    if (!request.actor) throw new UnauthenticatedError();
    if (access === 'signed-in' || can(request.actor, access)) return payload;
    if (/:[a-zA-Z]*[iI]d\b/.test(request.routeOptions.url ?? '')) throw new NotFoundError();
    throw new ForbiddenError();
  });
}
