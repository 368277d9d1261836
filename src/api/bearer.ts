import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import { findApiToken, loadActor, touchApiToken } from '../auth/repository.ts';
import { hashSecret } from '../auth/secrets.ts';
import { UnauthenticatedError } from '../web/errors.ts';

/** API tokens are prefixed so they are recognisable in a leaked-secret scan. */
export const tokenPrefix = 'pio_';

/**
 * Authenticates every /api/v1 request (except the OpenAPI document) with a bearer token. Cookies are
 * never accepted here, so the API needs no CSRF protection.
 */
export function registerBearerAuth(app: FastifyInstance, { db, clock }: { db: Db; clock: Clock }) {
  app.addHook('preHandler', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/v1/') || request.url.startsWith('/api/v1/openapi.json')) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('Send a personal access token as "Authorization: Bearer <token>".');
    const token = match[1];
    const found = token.startsWith(tokenPrefix) ? await findApiToken(db, hashSecret(token)) : null;
    const actor = found ? await loadActor(db, found.personId) : null;
    if (!found || !actor) throw new UnauthenticatedError('The token is not valid: it may be mistyped, revoked, or its owner deactivated.');
    request.actor = actor;
    await touchApiToken(db, found.id, clock.now());
  });
}
