import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const secretBytes = 32;

/** A URL-safe random secret (256 bits) for cookies, links and API tokens. */
export function newSecret(): string {
  return randomBytes(secretBytes).toString('base64url');
}

/** `count` secrets like newSecret's, each from its own 32 random bytes, drawn in one call (an upload's invitations). */
export function newSecrets(count: number): string[] {
  const bytes = randomBytes(secretBytes * count);
  return Array.from({ length: count }, (_, i) => bytes.toString('base64url', i * secretBytes, (i + 1) * secretBytes));
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
