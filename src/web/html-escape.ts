/**
 * Escaping text for the markup drawn in TypeScript (fast components, the audit log's rows, discussion posts, the
 * charts' SVG, the privacy download's page): one function, escaping what Nunjucks' autoescape escapes.
 */
import nunjucks from 'nunjucks';

/** Nunjucks' own escape, as loaded (before web/nunjucks-speedups.ts installs `escapeText` in its place). */
const nunjucksEscape = (nunjucks as unknown as { lib: { escape: (text: string) => string } }).lib.escape;
/** The characters it replaces. */
const special = /[&"'<>\\]/;

/**
 * Text escaped as Nunjucks escapes it. Most text on a page (names, dates, statuses) holds none of those characters:
 * a test first and the text itself back is about twice as fast as Nunjucks' replace that finds nothing (a list page
 * escapes a thousand or more strings). Nunjucks' autoescape uses this too (web/nunjucks-speedups.ts).
 */
export const escapeText = (text: string) => (special.test(text) ? nunjucksEscape(text) : text);

/** HTML-escapes a value as Nunjucks' autoescape does. */
export function escapeHtml(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : escapeText(String(value));
}

/** Markup Nunjucks writes as it is (not escaped again). */
export const safe = (html: string) => new nunjucks.runtime.SafeString(html);
