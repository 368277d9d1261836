/**
 * A post's plain text as HTML: every character escaped, line breaks kept (the view shows them with `app-pre-line`),
 * and bare http(s) links turned into links that open nothing of ours (rel="nofollow noopener noreferrer"). Nothing
 * else becomes markup: the input is never parsed as HTML, so `<script>`, `javascript:` or an `<a href>` typed into a
 * post stays text.
 */
import { escapeHtml } from '../../web/html-escape.ts';

/** A link starts with http:// or https:// and runs to the next space or character that cannot end one. */
const linkPattern = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation after a link usually belongs to the sentence, not the link ("see https://x.org/a." or "(https://…)"). */
const trailing = /[.,;:!?)\]}]+$/;

export function postHtml(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  let html = '';
  let last = 0;
  for (const match of normalised.matchAll(linkPattern)) {
    const raw = match[0];
    const url = raw.replace(trailing, '');
    const start = match.index;
    let href: string | null = null;
    try {
      const parsed = new URL(url);
      if ((parsed.protocol === 'https:' || parsed.protocol === 'http:') && !parsed.username && !parsed.password) href = parsed.href;
    } catch {
      href = null;
    }
    if (!href || url.length <= 'https://'.length) continue;
    html += escapeHtml(normalised.slice(last, start));
    html += `<a class="govuk-link" href="${escapeHtml(href)}" rel="nofollow noopener noreferrer">${escapeHtml(url)}</a>`;
    last = start + url.length;
  }
  return html + escapeHtml(normalised.slice(last));
}
