/**
 * One check, for every route, that input is text PostgreSQL and people can use: no NUL (PostgreSQL refuses it in
 * text, so it used to surface as a 500 with the query's parameters in the log), no U+FFFD (what invalid UTF-8
 * becomes once decoded) and no percent-encoding in the query string that is not UTF-8 (`%FF`, `%C3%28`; the
 * query parser leaves those undecoded). Query, path parameters and body are all walked (nested objects and arrays,
 * multipart fields and file names), before any handler or database sees them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler shows the refusal in its own form (read it with `unsafeInput`) instead of an error page. */
    showsUnsafeInput?: boolean;
  }
  interface FastifyRequest {
    unsafeInputField: string | null;
  }
}

/** A NUL, or the replacement character invalid UTF-8 decodes to. */
const notAllowed = (text: string) => text.includes('\u0000') || text.includes('\uFFFD');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What API clients are told, naming the field (a query parameter, path parameter or body field). */
export const unsafeInputMessage = (field: string) => `${field} contains characters that are not allowed`;
/** What people are told on the error page: field names mean nothing to them. */
export const unsafeInputPageMessage =
  'What you entered contains characters that are not allowed, such as invisible control characters. Go back, remove them and try again.';

/** Beside a form's field, when the form shows the refusal itself. */
export const unsafeInputFormMessage = 'Remove the characters that are not allowed, such as invisible control characters';

/** A query parameter's name as sent, decoded when that is safe to show. */
function parameterName(raw: string): string {
  try {
    const name = decodeURIComponent(raw.replaceAll('+', ' '));
    return notAllowed(name) ? 'query' : name;
  } catch {
    return 'query';
  }
}

/** The first query parameter whose percent-encoding is not UTF-8, or null. */
function badlyEncodedParameter(url: string): string | null {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const pair of query.split('&')) {
    // Each run of %XX bytes must decode as UTF-8 on its own: a character's bytes are never split by other text.
    for (const run of pair.match(/(?:%[0-9A-Fa-f]{2})+/g) ?? []) {
      try {
        utf8.decode(Buffer.from(run.replaceAll('%', ''), 'hex'));
      } catch {
        return parameterName(pair.split('=')[0]);
      }
    }
  }
  return null;
}

/**
 * The first string (or object key) in `value` that holds a character not allowed, as a field path like
 * `reasons.0.text`; null when all is well. Iterative, so a deeply nested JSON body cannot overflow the stack.
 * Buffers (an uploaded file's content, a raw spreadsheet body) are left to the parsers that read them.
 */
function unsafeField(value: unknown, root: string): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length) {
    const [item, at] = stack.pop()!;
    if (typeof item === 'string') {
      if (notAllowed(item)) return at;
    } else if (item && typeof item === 'object' && !Buffer.isBuffer(item)) {
      // Pushed last to first, so fields are checked in the order they were sent and the first bad one is named.
      for (const [key, inner] of Object.entries(item).reverse()) {
        if (notAllowed(key)) return at || 'body';
        stack.push([inner, at ? `${at}.${key}` : key]);
      }
    }
  }
  return null;
}

/** The field whose input is refused, when the route showed the refusal in its form (`config.showsUnsafeInput`). */
export const unsafeInput = (request: FastifyRequest) => request.unsafeInputField;

/**
 * Refuses a request with characters that are not allowed: 400 problem details naming the field on the API, the
 * GOV.UK error page on pages (both through the app's error handler, as a ValidationError). Registered after
 * sessions and access control, so an anonymous caller still gets 401 first and the page has its layout.
 */
export function registerInputGuard(app: FastifyInstance) {
  app.decorateRequest('unsafeInputField', null);
  app.addHook('preHandler', async (request) => {
    const field =
      badlyEncodedParameter(request.url) ??
      unsafeField(request.query, '') ??
      unsafeField(request.params, '') ??
      unsafeField(request.body, '');
    if (field === null) return;
    if (request.routeOptions.config?.showsUnsafeInput) {
      request.unsafeInputField = field;
      return;
    }
    const name = field || 'body';
    throw new ValidationError({ [name]: request.url.startsWith('/api/') ? unsafeInputMessage(name) : unsafeInputPageMessage }, 400);
  });
}
