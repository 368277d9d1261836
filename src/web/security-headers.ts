import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { randomString } from '../auth/secrets.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** This response's Content-Security-Policy script nonce: the layout puts it on its inline script. */
    cspNonce: string;
  }
}

/** Where the nonce goes in the policy helmet writes; split out once, so each response only joins three strings. */
const noncePlaceholder = 'pioneer-nonce-placeholder';

/**
 * Every response's security headers, as helmet writes them (its defaults and our Content-Security-Policy), worked
 * out once when the app starts. Only the policy's nonce changes from response to response.
 *
 * @fastify/helmet did the same through helmet on every request, building the policy anew and drawing two nonces
 * (one for styles that no page uses): about 80 µs of CPU a request, a fifth of a static page's
 * (docs/adr/0025-security-headers-once.md).
 */
export function securityHeaders(opts: { tls: boolean }) {
  const fixed: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number) => void (fixed[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete fixed[name.toLowerCase()],
  };
  helmet({
    contentSecurityPolicy: {
      directives: {
        // A per-response nonce lets GOV.UK Frontend's one inline script (it marks the body as JS-enabled) run under a
        // strict script-src; without it the components' JavaScript never starts.
        'script-src': ["'self'", `'nonce-${noncePlaceholder}'`],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        // Only behind TLS: on plain http (development, a LAN trial) it would send the browser to https for assets.
        'upgrade-insecure-requests': opts.tls ? [] : null,
      },
    },
    strictTransportSecurity: opts.tls,
  })({} as never, res as never, () => {});
  const policy = fixed['content-security-policy'];
  delete fixed['content-security-policy'];
  const parts = policy.split(noncePlaceholder);
  // A helmet that rewrote or dropped the placeholder would send every page a policy its script cannot match.
  if (parts.length !== 2) throw new Error(`helmet's policy does not hold the nonce's place once: ${policy}`);
  const [beforeNonce, afterNonce] = parts;
  return { fixed, policy: (nonce: string) => beforeNonce + nonce + afterNonce };
}

/**
 * Sends the security headers on every response: pages, API answers, files, errors and not-found alike. `tls`: the
 * service is reached over https (production), so browsers are told to keep to it (HSTS, upgrade-insecure-requests).
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }) {
  const { fixed, policy } = securityHeaders(opts);
  app.decorateReply('cspNonce', '');
  app.addHook('onRequest', (_request, reply, done) => {
    // 128 random bits, the size helmet used.
    reply.cspNonce = randomString(16, 'hex');
    reply.headers(fixed);
    reply.header('content-security-policy', policy(reply.cspNonce));
    done();
  });
}
