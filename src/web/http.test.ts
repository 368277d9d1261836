import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { recordsChanged } from '../db/read-cache.ts';

const require = createRequire(import.meta.url);
const govukCss = fs.readFileSync(path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist/govuk/govuk-frontend.min.css'));

/** The CSP header's script nonce and the nonces on the page's script tags: a page's scripts run only when they match. */
function nonces(res: LightMyRequestResponse) {
  const header = /script-src[^;]*'nonce-([^']+)'/.exec(String(res.headers['content-security-policy']))?.[1];
  const onPage = [...res.body.matchAll(/<script[^>]*\snonce="([^"]+)"/g)].map((m) => m[1]);
  return { header, onPage };
}

describe.each(backends)('pages over HTTP (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('gives the 403 page (an expired form) the CSP nonce, so GOV.UK Frontend’s script runs there', async () => {
    const agent = await t.signIn('admin');
    const res = await agent.submit('/account/tokens', { name: 'x', _csrf: 'forged' });
    expect(res.statusCode).toBe(403);
    const { header, onPage } = nonces(res);
    expect(header).toBeTruthy();
    expect(onPage.length).toBeGreaterThan(0);
    for (const n of onPage) expect(n).toBe(header);
    // The signed-in layout is complete: navigation and the sign-out form.
    expect(res.body).toContain('action="/sign-out"');
  });

  it('gives the 429 page (too many sign-in attempts) the CSP nonce', async () => {
    const limited = await createTestApp({ backend, config: { signInRatePerMinute: 1 } });
    try {
      const attempt = () => limited.agent().submit('/sign-in', { email: 'nobody@example.gov.uk', password: 'wrong-password-here' });
      expect((await attempt()).statusCode).toBe(400);
      const res = await attempt();
      expect(res.statusCode).toBe(429);
      const { header, onPage } = nonces(res);
      expect(header).toBeTruthy();
      expect(onPage.length).toBeGreaterThan(0);
      for (const n of onPage) expect(n).toBe(header);
    } finally {
      await limited.close();
    }
  });

  it('sends the security headers on pages, API answers, not-found answers and static files, with a new nonce each response', async () => {
    const responses = await Promise.all(['/sign-in', '/sign-in', '/api/v1/councils', '/no-such-page', '/govuk/govuk-frontend.min.css'].map((url) => t.app.inject(url)));
    for (const res of responses) {
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(String(res.headers['content-security-policy'])).toMatch(/^default-src 'self';.*script-src 'self' 'nonce-[0-9a-f]{32}';.*style-src 'self'/);
    }
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 401, 404, 200]);
    const [first, second] = responses.map(nonces);
    expect(first.onPage).toEqual([first.header]);
    expect(second.onPage).toEqual([second.header]);
    expect(first.header).not.toBe(second.header);
  });

  it('sends Cache-Control: no-store on signed-in pages and API answers, and leaves static files cacheable', async () => {
    const agent = await t.signIn('admin');
    const home = await agent.get('/account');
    expect(home.statusCode).toBe(200);
    expect(home.headers['cache-control']).toBe('no-store');
    expect((await agent.get('/councils')).headers['cache-control']).toBe('no-store');
    expect((await t.app.inject('/api/v1/councils')).headers['cache-control']).toBe('no-store');
    expect((await t.app.inject('/sign-in')).headers['cache-control']).toBe('no-store');
    const css = await t.app.inject('/govuk/govuk-frontend.min.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['cache-control']).not.toContain('no-store');
  });

  it('serves GOV.UK Frontend’s CSS compressed once (brotli or gzip), and the same bytes as the original', async () => {
    const get = (encoding: string) => t.app.inject({ url: '/govuk/govuk-frontend.min.css', headers: { 'accept-encoding': encoding } });
    const br = await get('br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('accept-encoding');
    expect(zlib.brotliDecompressSync(br.rawPayload).equals(govukCss)).toBe(true);
    // A stored file, not compressed for this request: its length is known up front and is the same next time.
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length);
    const again = await get('br');
    expect(again.headers.etag).toBe(br.headers.etag);
    expect(again.rawPayload.equals(br.rawPayload)).toBe(true);
    const gz = await get('gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(gz.rawPayload.length);
    expect(zlib.gunzipSync(gz.rawPayload).equals(govukCss)).toBe(true);
    const plain = await get('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.equals(govukCss)).toBe(true);
    expect(br.rawPayload.length).toBeLessThan(govukCss.length / 5);
  });

  it('compresses pages when the browser accepts it', async () => {
    const res = await t.app.inject({ url: '/sign-in', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(res.rawPayload).toString()).toContain('<h1 class="govuk-heading-l">Sign in');
  });

  it('sends a page holding characters beyond Latin-1 whole: its length in bytes, plain, gzip and brotli', async () => {
    const name = 'Zofia Zając “Zed” 🙂';
    await t.db.execute(sql`update people set name = ${name} where email = ${demoAccounts.learner.email}`);
    recordsChanged();
    const agent = await t.signIn('admin');
    const url = `/people?q=${encodeURIComponent('Zając')}`;
    const plain = await agent.get(url);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(Number(plain.headers['content-length'])).toBe(plain.rawPayload.length);
    expect(plain.rawPayload.toString('utf8')).toContain(`>${name}</a>`);
    const gz = await agent.get(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.rawPayload).toString('utf8')).toContain(`>${name}</a>`);
    const br = await agent.get(url, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(zlib.brotliDecompressSync(br.rawPayload).toString('utf8')).toContain(`>${name}</a>`);
  });

  it('answers an unknown method on a known page with 405 and Allow, before any form check', async () => {
    const agent = await t.signIn('admin');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/councils',
      headers: { cookie: `pioneer_session=${agent.cookies.get('pioneer_session')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=x',
    });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('Method Not Allowed');
    expect((await t.app.inject({ method: 'DELETE', url: '/sign-in' })).headers.allow).toBe('GET, HEAD, POST');
  });

  it('shows the first page of a list for a page number that is not decimal digits, never an error', async () => {
    const agent = await t.signIn('admin');
    for (const page of ['0x10', '1e3', '%205', '5.0', '-1']) {
      const res = await agent.get(`/councils?page=${page}`);
      expect(res.statusCode, page).toBe(200);
      expect(res.body, page).toContain('Showing 1 to');
    }
    // Digits past the end, however many, are the last page.
    expect((await agent.get('/councils?page=99999999999999999999')).headers.location).toMatch(/^\/councils\?sort=name&order=asc&page=\d+$/);
  });
});
