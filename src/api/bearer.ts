import type { FastifyInstance, FastifyRequest } from 'fastify';
import { normalizeIP } from '@fastify/rate-limit';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { findApiTokenActor, touchApiToken } from '../auth/repository.ts';
import { hashSecret } from '../auth/secrets.ts';
import { AppError, UnauthenticatedError } from '../web/errors.ts';

/** API tokens are prefixed so they are recognisable in a leaked-secret scan. */
export const tokenPrefix = 'pio_';

declare module 'fastify' {
  interface FastifyRequest {
    /** The id (never the secret) of the API token that authenticated this request, for rate limiting. */
    apiTokenId: string | null;
  }
}

/**
 * Authenticates every /api/v1 request (except the OpenAPI document) with a bearer token, and limits how often
 * each token — or, for a missing or bad token, each client address — may call. Cookies are never accepted here,
 * so the API needs no CSRF protection.
 */
export function registerBearerAuth(app: FastifyInstance, { db, clock, config }: { db: Db; clock: Clock; config: Config }) {
  app.decorateRequest('apiTokenId', null);
  const limit = app.rateLimit({
    timeWindow: 60_000,
    keyGenerator: (request) => (request.apiTokenId ? `token:${request.apiTokenId}` : `address:${normalizeIP(request.ip)}`),
    max: (request) => (request.apiTokenId ? config.apiRatePerMinute : config.apiAnonRatePerMinute),
    errorResponseBuilder: (request, { max, after }) =>
      new AppError(
        429,
        'Too Many Requests',
        `At most ${max} requests a minute are allowed ${request.apiTokenId ? 'for each token' : 'from one address without a valid token'}. Try again in ${after}.`,
      ),
  });

  // Settled before the body is read, so a request without a valid token is refused without reading what it sends.
  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (!request.url.startsWith('/api/v1/') || request.url.startsWith('/api/v1/openapi.json')) return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match?.[1];
    const found = token?.startsWith(tokenPrefix) ? await findApiTokenActor(db, hashSecret(token)) : null;
    const actor = found?.actor;
    request.apiTokenId = found && actor ? found.id : null;
    // Counted before a bad token is refused, so guessing tokens is limited by address.
    await limit.call(app, request, reply);
    if (!match) throw new UnauthenticatedError('Send a personal access token as "Authorization: Bearer <token>".');
    if (!found || !actor) throw new UnauthenticatedError('The token is not valid: it may be mistyped, revoked, or its owner deactivated.');
    request.actor = actor;
    await touchApiToken(db, found, clock.now());
  });
}
