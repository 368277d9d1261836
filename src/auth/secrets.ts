import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

const secretBytes = 32;

/**
 * Random bytes from the operating system's CSPRNG, drawn 4 KB at a time: a call to it cost 5 µs, as much as the rest
 * of the work for a nonce, and pages draw one or two a request (an upload's thousands of invitations, one each).
 * Each byte is handed out once (Node's own randomUUID keeps a pool the same way).
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

/** `bytes` random bytes (at most 4,096) written as hex or base64url. */
export function randomString(bytes: number, encoding: 'hex' | 'base64url'): string {
  if (bytes > pool.length) throw new RangeError(`randomString draws at most ${pool.length} bytes`);
  if (poolUsed + bytes > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const text = pool.toString(encoding, poolUsed, poolUsed + bytes);
  poolUsed += bytes;
  return text;
}

/** A URL-safe random secret (256 bits) for cookies, links and API tokens. */
export function newSecret(): string {
  return randomString(secretBytes, 'base64url');
}

/** What we store instead of a secret: its SHA-256. Secrets are high-entropy, so no salt or slow hash is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two strings in constant time. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
