/**
 * Two of Nunjucks' internals made cheaper without changing what they do (ADR 0024). Profiled under load, the learners
 * list's render spent 15 % of its time in `Frame#set` and 8 % resolving template names:
 *
 * - `Frame#set` splits every name on "." (dotted names build nested objects), and a `for` loop sets eight names an
 *   iteration (`loop.index`, `loop.first`, …), each split anew. The names are the templates' own identifiers, a
 *   few hundred in all, so their splits are kept.
 * - `Environment#resolveTemplate` turns a relative name into a path with `path.resolve` on every use, and every GOV.UK
 *   macro call includes "./template.njk", which imports "../../macros/attributes.njk": two `path.resolve`s a call.
 *   The answer depends only on the loader, the including template and the name, so it is kept per loader.
 *
 * - `lib.escape`, which autoescape calls for every value a template writes, runs a replace even on text with nothing
 *   to escape; `escapeText` (web/html-escape.ts) tests first.
 *
 * All three replace functions of nunjucks 3.2.4 (pinned in package.json): nunjucks-speedups.test.ts checks them
 * against the originals, so an upgrade that changes any fails there rather than in a page.
 */
import nunjucks from 'nunjucks';
import { escapeText } from './html-escape.ts';

type FrameLike = { variables: Record<string, unknown>; resolve(name: string, forWrite: boolean): FrameLike | undefined; set(name: string, val: unknown, resolveUp?: boolean): void };
type FrameClass = { prototype: FrameLike };
type LoaderLike = object;
type ResolveTemplate = (loader: LoaderLike, parentName: string | null | undefined, filename: string) => string;

/** Nunjucks' scope frame class (runtime.js exports it; @types/nunjucks does not declare it). */
export const Frame = (nunjucks.runtime as unknown as { Frame: FrameClass }).Frame;

/** The original `Frame#set`, kept for the tests' comparison. */
export const originalFrameSet = Frame.prototype.set;

/** More names than any set of templates has: past it, names are split without being kept (memory stays bounded). */
const maxKeptNames = 10_000;
const splits = new Map<string, string[]>();

function partsOf(name: string): string[] {
  let parts = splits.get(name);
  if (parts === undefined) {
    parts = name.split('.');
    if (splits.size < maxKeptNames) splits.set(name, parts);
  }
  return parts;
}

/** `Frame#set` of nunjucks 3.2.4, line for line, with the name's parts kept rather than split on every call. */
function set(this: FrameLike, name: string, val: unknown, resolveUp?: boolean) {
  const parts = partsOf(name);
  let obj = this.variables;
  if (resolveUp) {
    const frame = this.resolve(parts[0], true);
    if (frame) {
      frame.set(name, val);
      return;
    }
  }
  for (let i = 0; i < parts.length - 1; i++) {
    const id = parts[i];
    if (!obj[id]) obj[id] = {};
    obj = obj[id] as Record<string, unknown>;
  }
  obj[parts[parts.length - 1]] = val;
}

/** Nunjucks' helpers module (runtime.js calls `lib.escape` through it; @types/nunjucks does not declare it). */
const lib = (nunjucks as unknown as { lib: { escape: (text: string) => string } }).lib;

/** The original `lib.escape`, kept for the tests' comparison. */
export const originalEscape = lib.escape;

/**
 * Installs all three for this environment (the frame's and the escape for every environment: they are nunjucks' own
 * class and module).
 */
export function speedUpNunjucks(env: nunjucks.Environment) {
  Frame.prototype.set = set;
  lib.escape = escapeText;
  const target = env as unknown as { resolveTemplate: ResolveTemplate };
  const resolve = target.resolveTemplate.bind(env);
  const kept = new WeakMap<LoaderLike, Map<string, string>>();
  target.resolveTemplate = (loader, parentName, filename) => {
    if (!parentName) return resolve(loader, parentName, filename);
    let names = kept.get(loader);
    if (!names) kept.set(loader, (names = new Map()));
    const key = `${parentName}\0${filename}`;
    let resolved = names.get(key);
    if (resolved === undefined) {
      resolved = resolve(loader, parentName, filename);
      if (names.size < maxKeptNames) names.set(key, resolved);
    }
    return resolved;
  };
}
