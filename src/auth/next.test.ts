import { describe, expect, it } from 'vitest';
import { maxNextLength, safeNext } from './next.ts';

describe('safeNext: where sign-in may send a person afterwards', () => {
  it.each([
    ['/account'],
    ['/councils?q=north&page=2'],
    ['/councils/8d5c3a1e-0000-4000-8000-000000000000#tokens'],
    ['/people?q=%C3%A9lise'], // non-ASCII, percent-encoded
    ['/'],
  ])('keeps the same-site path %j', (next) => {
    expect(safeNext(next)).toBe(next);
  });

  it.each([
    ['protocol-relative', '//evil.example'],
    ['backslash host', '/\\evil.example'],
    ['backslash later', '/account\\..\\evil'],
    ['tab the browser strips', '/\t/evil.example'],
    ['newline the browser strips', '/\n/evil.example'],
    ['CRLF header injection (?next=/%0d%0aSet-Cookie:x once decoded)', '/\r\nSet-Cookie:x'],
    ['raw CRLF', '/account\r\nSet-Cookie: x=1'],
    ['space', '/account page'],
    ['NUL', '/account\u0000'],
    ['DEL', '/account\u007f'],
    ['absolute URL', 'https://evil.example/'],
    ['javascript: URL', 'javascript:alert(1)'],
    ['relative path', 'account'],
    ['empty', ''],
    ['raw non-ASCII', '/é'],
    ['Unicode look-alike slash', '/\u2215evil.example'],
    ['very long', `/${'a'.repeat(maxNextLength)}`],
    ['not a string', ['/account']],
    ['missing', undefined],
  ])('refuses %s', (_label, next) => {
    expect(safeNext(next)).toBeNull();
  });

  it('keeps a CRLF still percent-encoded after decoding: it stays in the path, never in a header', () => {
    expect(safeNext('/%0d%0aSet-Cookie:x')).toBe('/%0d%0aSet-Cookie:x');
  });
});
