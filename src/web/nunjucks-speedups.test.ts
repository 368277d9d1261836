import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { afterAll, describe, expect, it } from 'vitest';
import { Frame, originalEscape, originalFrameSet, speedUpNunjucks } from './nunjucks-speedups.ts';
import { escapeHtml } from './html-escape.ts';

type TestFrame = { variables: Record<string, unknown>; parent?: TestFrame; push(isolateWrites?: boolean): TestFrame; set(name: string, val: unknown, resolveUp?: boolean): void };
const FrameCtor = Frame as unknown as new (parent?: TestFrame, isolateWrites?: boolean) => TestFrame;

/** A frame three deep (root, a loop's frame, an isolated macro frame above it), some names already set. */
function frames() {
  const root = new FrameCtor();
  root.variables.title = 'Learners';
  root.variables.loop = { index: 1 };
  const loop = root.push();
  loop.variables.row = 'first';
  const macro = loop.push(true);
  return { root, loop, macro };
}

const snapshot = (f: ReturnType<typeof frames>) => JSON.stringify([f.root.variables, f.loop.variables, f.macro.variables]);

describe('Frame#set, sped up, does what nunjucks 3.2.4 does', () => {
  const cases: [string, keyof ReturnType<typeof frames>, string, boolean][] = [
    ['a plain name', 'loop', 'r', false],
    ['a dotted name, building the nested object', 'loop', 'loop.index', false],
    ['a deeper dotted name', 'macro', 'a.b.c', false],
    ['a name set where it was found further up', 'loop', 'title', true],
    ['a dotted name whose root is further up', 'loop', 'loop.first', true],
    ['a name not found: set here', 'loop', 'fresh', true],
    ['a name above an isolated frame: set here, not above', 'macro', 'title', true],
  ];
  it.each(cases)('%s', (_name, at, name, resolveUp) => {
    const sped = frames();
    sped[at].set(name, 42, resolveUp);
    const original = frames();
    originalFrameSet.call(original[at] as never, name, 42, resolveUp);
    expect(snapshot(sped)).toBe(snapshot(original));
    // The same name again (its parts now kept) still does the same.
    sped[at].set(name, 43, resolveUp);
    originalFrameSet.call(original[at] as never, name, 43, resolveUp);
    expect(snapshot(sped)).toBe(snapshot(original));
  });
});

describe('escaping, sped up, escapes what nunjucks 3.2.4 escapes', () => {
  const texts = ['', 'Plain text with nothing to escape', 'O\'Brien & Sons', '<script>alert("x")</script>', 'a\\b', '&amp; already',
    '>', 'trailing <', 'Ünïcödé — “quotes” £5', 'line\nbreak\ttab', 'x'.repeat(10_000) + '&'];
  it.each(texts)('%j', (text) => {
    const env = new nunjucks.Environment(null, { autoescape: true });
    speedUpNunjucks(env);
    expect((nunjucks as unknown as { lib: { escape: (t: string) => string } }).lib.escape(text)).toBe(originalEscape(text));
    expect(env.renderString('{{ v }}', { v: text })).toBe(originalEscape(text));
    expect(escapeHtml(text)).toBe(originalEscape(text));
  });
  it('leaves safe markup alone and escapes numbers and missing values as before', () => {
    const env = new nunjucks.Environment(null, { autoescape: true });
    speedUpNunjucks(env);
    expect(env.renderString('{{ a | safe }}|{{ n }}|{{ none }}|{{ b | escape }}', { a: '<b>', n: 5, b: '"' })).toBe('<b>|5||&quot;');
    expect(escapeHtml(null) + escapeHtml(undefined) + escapeHtml(7)).toBe('7');
  });
});

describe('templates render as before', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-njk-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  };
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), { autoescape: true });
  speedUpNunjucks(env);

  it('loops with their loop variables, and a set inside a loop reaching the outer name', () => {
    const html = env.renderString(
      '{% set total = 0 %}{% for r in rows %}{{ loop.index }}/{{ loop.length }}{{ "F" if loop.first }}{{ "L" if loop.last }}:{{ r }} {% set total = total + r %}{% endfor %}= {{ total }}',
      { rows: [3, 4, 5] },
    );
    expect(html).toBe('1/3F:3 2/3:4 3/3L:5 = 12');
  });

  it('a relative include resolves from the template that includes it, each time', () => {
    write('a/page.njk', '{% include "./part.njk" %}');
    write('a/part.njk', 'part of a');
    write('b/page.njk', '{% include "./part.njk" %}{% include "../a/part.njk" %}');
    write('b/part.njk', 'part of b;');
    for (let i = 0; i < 2; i++) {
      expect(env.render('a/page.njk')).toBe('part of a');
      expect(env.render('b/page.njk')).toBe('part of b;part of a');
    }
  });
});
