import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.ts';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A router path (`/councils/:id`, `/assets/*`) as a regular expression over the paths it answers. */
function pathPattern(url: string): RegExp {
  const parts = url.split('/').map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : escapeRegExp(part)));
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * Answers a method a known path does not take with 405 and an `Allow` header, where Fastify would answer 404.
 * It runs on the first hook, so sessions, CSRF checks and tokens never judge a request no route takes. Register it
 * before any route, so that it sees them all.
 */
export function registerMethodNotAllowed(app: FastifyInstance) {
  const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  app.addHook('onRoute', (route) => {
    const entry = routes.get(route.url) ?? { pattern: pathPattern(route.url), methods: new Set<string>() };
    for (const method of [route.method].flat()) entry.methods.add(method);
    routes.set(route.url, entry);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0];
    const allowed = new Set([...routes.values()].filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]));
    if (allowed.size === 0) return;
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    reply.header('allow', allow);
    throw new AppError(405, 'Method Not Allowed', `${path} does not take ${request.method} requests, only ${allow}.`);
  });
}
