import { hash, verify } from '@node-rs/argon2';
import { commonPasswords } from './common-passwords.ts';

/** Length, not composition rules, and no very common passwords (NCSC password guidance). */
export const passwordMinLength = 12;
export const passwordMaxLength = 256;

/** Returns why a password is unacceptable, or null when it is fine. */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < passwordMinLength) return `Password must be ${passwordMinLength} characters or more`;
  if (password.length > passwordMaxLength) return `Password must be ${passwordMaxLength} characters or fewer`;
  const lower = password.toLowerCase();
  if (commonPasswords.has(lower) || /^(.)\1+$/.test(password)) return 'Password is too common. Try three random words';
  if (email && lower.includes(email.toLowerCase().split('@')[0]) && email.split('@')[0].length >= 4)
    return 'Password must not contain your email address';
  return null;
}

/** argon2id with the library's defaults (OWASP parameters). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A hash of a random string, verified against when an email is unknown, so timing does not reveal which emails exist.
const decoyHash = hash(`decoy-${Math.random()}`);
export async function verifyDecoy(password: string): Promise<void> {
  await verifyPassword(await decoyHash, password);
}
