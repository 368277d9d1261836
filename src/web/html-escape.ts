/**
 * Escaping text for the markup drawn in TypeScript (fast components, the audit log's rows, discussion posts, the
 * charts' SVG, the privacy download's page): one function, escaping what Nunjucks' autoescape escapes.
 */
import nunjucks from 'nunjucks';

/** What Nunjucks' autoescape replaces (its `lib.escape`). */
const escapes: Record<string, string> = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '\\': '&#92;' };

/** HTML-escapes a value as Nunjucks' autoescape does. */
export function escapeHtml(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value).replace(/[&"'<>\\]/g, (c) => escapes[c]);
}

/** Markup Nunjucks writes as it is (not escaped again). */
export const safe = (html: string) => new nunjucks.runtime.SafeString(html);
