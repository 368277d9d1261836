import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../audit/record.ts';
import type { Actor } from './policy.ts';
import { deleteSession, findSessionActor, insertSession } from './repository.ts';
import { hashSecret, newSecret, safeEqual } from './secrets.ts';
import { ForbiddenError, UnauthenticatedError } from '../web/errors.ts';

export const sessionCookie = 'pioneer_session';
/** Double-submit cookie protecting forms shown before sign-in (sign-in, set password, reset). */
export const anonCsrfCookie = 'pioneer_csrf';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The URL's own secret authorises the request, so a POST needs no CSRF token (see the preHandler). */
    tokenInUrl?: boolean;
  }
  interface FastifyRequest {
    actor: Actor | null;
    sessionId: string | null;
    csrfToken: string;
    /** The context a service needs to audit what this request does. */
    ctx(): RequestContext;
  }
}

type Deps = { db: Db; config: Config; clock: Clock };

function cookieOptions(config: Config, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies, maxAge: maxAgeSeconds };
}

/** Loads the signed-in person from the session cookie and checks CSRF on every form post. */
export function registerSessions(app: FastifyInstance, { db, config, clock }: Deps) {
  app.decorateRequest('actor', null);
  app.decorateRequest('sessionId', null);
  app.decorateRequest('csrfToken', '');
  app.decorateRequest('ctx', function (this: FastifyRequest): RequestContext {
    return { actor: this.actor, requestId: this.id, ip: this.ip, clock };
  });

  const notPages = (url: string) => url.startsWith('/api/') || url.startsWith('/assets/') || url.startsWith('/govuk/');
  // Who is asking is known from the cookie alone, so it is settled before the body is read: the access check
  // (src/auth/access.ts) can then refuse a stranger's upload without reading it into memory.
  app.addHook('onRequest', async (request, reply) => {
    if (notPages(request.url)) return;
    const raw = request.cookies[sessionCookie];
    if (raw) {
      const id = hashSecret(raw);
      const session = await findSessionActor(db, id, clock.now());
      if (session) {
        request.actor = session.actor;
        request.sessionId = id;
        request.csrfToken = session.csrfToken;
      } else {
        reply.clearCookie(sessionCookie, { path: '/' });
      }
    }
    if (!request.actor) {
      let anon = request.cookies[anonCsrfCookie];
      if (!anon || anon.length < 32) {
        anon = newSecret();
        reply.setCookie(anonCsrfCookie, anon, { ...cookieOptions(config), sameSite: 'strict' });
      }
      request.csrfToken = anon;
    }
  });
  // The CSRF token travels in the form, so it is checked once the body has been read.
  app.addHook('preHandler', async (request) => {
    if (notPages(request.url)) return;
    // A route whose URL carries its own secret (a one-click unsubscribe link, which mail programs POST to with no
    // form and no cookie, RFC 8058) says so with `config.tokenInUrl`; the token is the proof a CSRF token would be.
    if (request.routeOptions.config?.tokenInUrl) return;
    if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH' || request.method === 'DELETE') {
      const body = request.body as Record<string, unknown> | undefined;
      const sent = typeof body?._csrf === 'string' ? body._csrf : '';
      if (!sent || !safeEqual(sent, request.csrfToken)) {
        throw new ForbiddenError('This form has expired or was not sent from this service. Go back, refresh the page and try again.');
      }
    }
  });
}

/** Starts a session for a person and sets its cookie. */
export async function startSession(reply: FastifyReply, { db, config, clock }: Deps, personId: string) {
  const raw = newSecret();
  await insertSession(db, {
    id: hashSecret(raw),
    personId,
    csrfToken: newSecret(),
    expiresAt: new Date(clock.now().getTime() + config.sessionTtlHours * 3_600_000),
  }, clock.now());
  reply.setCookie(sessionCookie, raw, cookieOptions(config, config.sessionTtlHours * 3600));
}

export async function endSession(request: FastifyRequest, reply: FastifyReply, db: Db) {
  if (request.sessionId) await deleteSession(db, request.sessionId);
  reply.clearCookie(sessionCookie, { path: '/' });
}

/** The signed-in actor, or a redirect to sign in (pages). */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}
