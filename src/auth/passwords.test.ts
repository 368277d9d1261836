import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

describe('password policy (NCSC: length, not composition; no common passwords)', () => {
  it('accepts a long passphrase with no digits or symbols', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull();
    expect(passwordProblem('tomatoviolinharbour')).toBeNull();
  });

  it('refuses short passwords, however complex', () => {
    expect(passwordProblem('Xy7$kq!2')).toBe('Password must be 12 characters or more');
  });

  it('refuses very common passwords and repeated characters, in any case', () => {
    expect(passwordProblem('Password1234')).toBe('Password is too common. Try three random words');
    expect(passwordProblem('QWERTY123456')).toBe('Password is too common. Try three random words');
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toBe('Password is too common. Try three random words');
  });

  it('refuses a password built on the email address', () => {
    expect(passwordProblem('jane.smith-2026!', 'Jane.Smith@council.example.gov.uk')).toBe('Password must not contain your email address');
  });

  it('refuses absurdly long input rather than hashing it', () => {
    expect(passwordProblem('x'.repeat(257))).toBe('Password must be 256 characters or fewer');
  });

  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
  });
});
