/**
 * Escaping text for the markup drawn in TypeScript (fast components, the audit log's rows, discussion posts, the
 * charts' SVG, the privacy download's page): one function, escaping what Nunjucks' autoescape escapes.
 */
import nunjucks from 'nunjucks';

/** What Nunjucks' autoescape replaces (its `lib.escape`). */
const escapes: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '\\': '&#92;' };
const special = /[&"'<>\\]/;
const specials = /[&"'<>\\]/g;

/**
 * A string with those characters replaced. Most text on a page (names, dates, statuses) holds none of them: a test
 * first and the string itself back is about twice as fast as a replace that finds nothing (a list page escapes a
 * thousand or more strings). Nunjucks' own escaping is this too (web/nunjucks-speedups.ts).
 */
export const escapeText = (text: string) => (special.test(text) ? text.replace(specials, (c) => escapes[c]) : text);

/** HTML-escapes a value as Nunjucks' autoescape does. */
export function escapeHtml(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : escapeText(String(value));
}

/** Markup Nunjucks writes as it is (not escaped again). */
export const safe = (html: string) => new nunjucks.runtime.SafeString(html);
