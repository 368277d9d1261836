import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, errorSummary, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';

describe.each(backends)('sign-in and sessions (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('answers /health with the database up', async () => {
    const res = await t.app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('signs in with the right password and lands on the home page for the role', async () => {
    const agent = t.agent();
    const res = await agent.submit('/sign-in', { email: demoAccounts.admin.email.toUpperCase(), password: 'pioneer-demo-2026' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/councils');
    const cookie = (res.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find((c) => c.name === 'pioneer_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    const account = await agent.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(demoAccounts.admin.email);
  });

  it('gives the same message for a wrong password and an unknown e-mail', async () => {
    const wrong = await t.agent().submit('/sign-in', { email: demoAccounts.sro.email, password: 'not-the-password' });
    const unknown = await t.agent().submit('/sign-in', { email: 'nobody@example.gov.uk', password: 'not-the-password' });
    expect(wrong.statusCode).toBe(400);
    expect(unknown.statusCode).toBe(400);
    expect(errorSummary(wrong.body)).toContain('Enter a correct email address and password');
    expect(errorSummary(wrong.body)).toBe(errorSummary(unknown.body));
  });

  it('asks for both fields when they are empty', async () => {
    const res = await t.agent().submit('/sign-in', { email: '', password: '' });
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain('Enter your email address');
    expect(errorSummary(res.body)).toContain('Enter your password');
  });

  it('locks an account after repeated failures, even for the right password, until the lock passes', async () => {
    const email = demoAccounts.lead.email;
    for (let i = 0; i < t.config.signInMaxFailures; i++) await t.agent().submit('/sign-in', { email, password: 'wrong-password-x' });
    const locked = await t.agent().submit('/sign-in', { email, password: 'pioneer-demo-2026' });
    expect(locked.statusCode).toBe(400);
    t.clock.set(new Date(Date.parse('2026-11-26T10:00:00Z') + (t.config.signInLockMinutes + 1) * 60_000));
    const later = await t.agent().submit('/sign-in', { email, password: 'pioneer-demo-2026' });
    expect(later.statusCode).toBe(302);
    t.clock.set('2026-11-26T10:00:00Z');
  });

  it('refuses a form post without the CSRF token and changes nothing', async () => {
    const agent = await t.signIn('admin');
    const res = await agent.submit('/account/tokens', { _csrf: 'forged', name: 'Should not exist' });
    expect(res.statusCode).toBe(403);
    const account = await agent.get('/account');
    expect(account.body).not.toContain('Should not exist');
  });

  it('signs out: the old session cookie no longer works', async () => {
    const agent = await t.signIn('sro');
    const cookie = agent.cookies.get('pioneer_session')!;
    const out = await agent.submit('/sign-out', {});
    expect(out.statusCode).toBe(302);
    const reuse = await t.app.inject({ url: '/account', headers: { cookie: `pioneer_session=${cookie}` } });
    expect(reuse.statusCode).toBe(302);
    expect(reuse.headers.location).toContain('/sign-in');
  });

  it('sends people who are not signed in to sign in, and back afterwards', async () => {
    const res = await t.app.inject('/account');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/sign-in?next=%2Faccount');
    const agent = t.agent();
    const signIn = await agent.submit('/sign-in', { email: demoAccounts.admin.email, password: 'pioneer-demo-2026', next: '/account' });
    expect(signIn.headers.location).toBe('/account');
    const evil = await t.agent().submit('/sign-in', { email: demoAccounts.admin.email, password: 'pioneer-demo-2026', next: '//evil.example' });
    expect(evil.headers.location).toBe('/councils');
  });

  it('shows a GOV.UK 404 page for an unknown path', async () => {
    const res = await t.app.inject('/no-such-page');
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Page not found');
  });
});
