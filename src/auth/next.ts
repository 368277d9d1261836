/** The longest destination kept after sign-in; anything longer is not a link a person followed. */
export const maxNextLength = 2048;

/**
 * A same-site path: one leading `/` not followed by `/` or `\` (which browsers read as another host), then only
 * printable ASCII other than `\` (non-ASCII arrives percent-encoded). Control characters and whitespace are refused
 * anywhere: browsers strip tab, CR and LF, so `/\t/evil.example` would become `//evil.example`, and a raw CR or LF
 * cannot go in a Location header at all.
 */
const sameSitePath = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/;

/** The post-sign-in destination if it is a same-site path, otherwise null (the caller falls back to the home page). */
export function safeNext(next: unknown): string | null {
  return typeof next === 'string' && next.length <= maxNextLength && sameSitePath.test(next) ? next : null;
}
