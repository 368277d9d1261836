import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.ts';
import { randomString } from '../auth/secrets.ts';

describe('security headers', () => {
  it('behind TLS: HSTS, and a policy that upgrades requests, allows scripts with the nonce and styles from the service only', () => {
    const { fixed, policy } = securityHeaders({ tls: true });
    expect(fixed['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(fixed['x-frame-options']).toBe('SAMEORIGIN');
    expect(fixed['x-content-type-options']).toBe('nosniff');
    expect(fixed['referrer-policy']).toBe('no-referrer');
    expect(fixed['content-security-policy']).toBeUndefined();
    expect(policy('abc123')).toBe(
      "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
        "img-src 'self' data:;object-src 'none';script-src 'self' 'nonce-abc123';script-src-attr 'none';style-src 'self';" +
        'upgrade-insecure-requests',
    );
  });

  it('on plain http: no HSTS and no upgrade to https (it would send the browser to https for the assets)', () => {
    const { fixed, policy } = securityHeaders({ tls: false });
    expect(fixed['strict-transport-security']).toBeUndefined();
    expect(policy('n')).not.toContain('upgrade-insecure-requests');
    expect(policy('n')).toContain("script-src 'self' 'nonce-n';");
  });
});

describe('randomString', () => {
  it('hands out bytes once: a thousand nonces across several refills of the pool are all different', () => {
    const nonces = Array.from({ length: 1000 }, () => randomString(16, 'hex'));
    for (const n of nonces) expect(n).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(nonces).size).toBe(nonces.length);
    const secrets = Array.from({ length: 300 }, () => randomString(32, 'base64url'));
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('refuses to draw more than its pool holds rather than give fewer bytes', () => {
    expect(() => randomString(4097, 'hex')).toThrow(RangeError);
    expect(randomString(4096, 'hex')).toHaveLength(8192);
  });
});
