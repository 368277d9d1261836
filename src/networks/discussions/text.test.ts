import { describe, expect, it } from 'vitest';
import { postHtml } from './text.ts';

describe('postHtml: plain text with safe links', () => {
  it('escapes every character that could make markup', () => {
    expect(postHtml(`<script>alert("x")</script> & 'quotes'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    // Typed markup stays text; only the bare address inside it becomes a (safe) link.
    expect(postHtml('<a href="https://evil.example">click</a>')).toBe(
      '&lt;a href=&quot;<a class="govuk-link" href="https://evil.example/" rel="nofollow noopener noreferrer">https://evil.example</a>&quot;&gt;click&lt;/a&gt;',
    );
  });

  it('keeps line breaks as they were typed (CRLF and CR become LF)', () => {
    expect(postHtml('one\r\ntwo\rthree\n\nfour')).toBe('one\ntwo\nthree\n\nfour');
  });

  it('turns bare https and http links into links with rel="nofollow noopener noreferrer"', () => {
    expect(postHtml('See https://www.gov.uk/guidance/procurement-act for more')).toBe(
      'See <a class="govuk-link" href="https://www.gov.uk/guidance/procurement-act" rel="nofollow noopener noreferrer">https://www.gov.uk/guidance/procurement-act</a> for more',
    );
    expect(postHtml('http://example.org/a?b=1&c=2')).toBe(
      '<a class="govuk-link" href="http://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">http://example.org/a?b=1&amp;c=2</a>',
    );
  });

  it('leaves sentence punctuation after a link outside it', () => {
    expect(postHtml('(see https://example.org/x).')).toBe('(see <a class="govuk-link" href="https://example.org/x" rel="nofollow noopener noreferrer">https://example.org/x</a>).');
  });

  it('leaves other schemes, and links with a user name or password, as text', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://example.org/file', 'mailto:a@example.org', 'https://user:pw@example.org/']) {
      expect(postHtml(text)).not.toContain('<a ');
    }
    expect(postHtml('https://')).toBe('https://');
  });

  it('cannot be tricked into an attribute: quotes and angle brackets end a link', () => {
    const html = postHtml('https://example.org/"onmouseover="alert(1)');
    expect(html).toBe('<a class="govuk-link" href="https://example.org/" rel="nofollow noopener noreferrer">https://example.org/</a>&quot;onmouseover=&quot;alert(1)');
  });
});
