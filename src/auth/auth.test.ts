import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { sql } from 'drizzle-orm';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';

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
    // A learner lands on their own learning: journey, next step and CPD.
    const learner = await t.agent().submit('/sign-in', { email: demoAccounts.learner.email, password: 'pioneer-demo-2026' });
    expect(learner.headers.location).toBe('/my-journey');
    const cookie = (res.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find((c) => c.name === 'pioneer_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    const account = await agent.get('/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(demoAccounts.admin.email);
  });

  it('gives the same message for a wrong password and an unknown email', async () => {
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
    expect(out.headers.location).toBe('/signed-out');
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

  it.each([
    ['another host', '//evil.example'],
    ['a backslash host', '/\\evil.example'],
    ['a tab the browser strips', '/\t/evil.example'],
    ['raw CRLF', '/\r\nSet-Cookie: x=1'],
    ['an absolute URL', 'https://evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['raw non-ASCII', '/é'],
    ['a very long path', `/${'a'.repeat(5000)}`],
  ])('sends a next with %s to the home page, never there and never with a 500', async (_label, next) => {
    const form = await t.app.inject({ url: `/sign-in?next=${encodeURIComponent(next)}` });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="next" value=""');
    const res = await t.agent().submit('/sign-in', { email: demoAccounts.admin.email, password: 'pioneer-demo-2026', next });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/councils');
  });

  it('shows a GOV.UK 404 page for an unknown path', async () => {
    const res = await t.app.inject('/no-such-page');
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Page not found');
  });
});

describe('sign-in limits and cookies', () => {
  it('rate-limits sign-in attempts per address with a GOV.UK page, not a stack trace', async () => {
    const t = await createTestApp({ config: { signInRatePerMinute: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await t.agent().submit('/sign-in', { email: 'x@example.gov.uk', password: 'whatever-wrong' })).statusCode);
      expect(statuses).toEqual([400, 400, 400, 429]);
      const limited = await t.agent().submit('/sign-in', { email: 'x@example.gov.uk', password: 'whatever-wrong' });
      expect(limited.body).toContain('You have made too many attempts');
      expect(limited.body).not.toMatch(/at .*\.ts:\d+/);
    } finally {
      await t.close();
    }
  });

  it('ends a session when it expires', async () => {
    const t = await createTestApp();
    try {
      const agent = await t.signIn('admin');
      expect((await agent.get('/account')).statusCode).toBe(200);
      t.clock.set(new Date(Date.parse('2026-11-26T10:00:00Z') + (t.config.sessionTtlHours * 60 + 1) * 60_000));
      const res = await agent.get('/account');
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toContain('/sign-in');
      // Signing in again clears the expired session rather than keeping it for ever.
      await t.signIn('admin');
      const [row] = await queryRows<{ expired: number; live: number }>(
        t.db,
        sql`select count(*) filter (where s.expires_at < ${t.clock.now().toISOString()}::timestamptz)::int as expired, count(*)::int as live
            from sessions s join people p on p.id = s.person_id where p.email = ${demoAccounts.admin.email}`,
      );
      expect(row).toEqual({ expired: 0, live: 1 });
    } finally {
      await t.close();
    }
  });

  it('marks cookies Secure in production', async () => {
    const t = await createTestApp({ config: { secureCookies: true } });
    try {
      const res = await t.agent().submit('/sign-in', { email: demoAccounts.admin.email, password: 'pioneer-demo-2026' });
      const cookie = (res.cookies as { name: string; secure?: boolean }[]).find((c) => c.name === 'pioneer_session');
      expect(cookie?.secure).toBe(true);
    } finally {
      await t.close();
    }
  });

  it("refuses to revoke someone else's token (404) and leaves it working", async () => {
    const t = await createTestApp();
    try {
      const admin = await t.signIn('admin');
      await admin.submit('/account/tokens', { name: 'Admin integration' });
      const [token] = await queryRows<{ id: string }>(t.db, sql`select id from api_tokens where name = 'Admin integration'`);
      const sro = await t.signIn('sro');
      const res = await sro.submit(`/account/tokens/${token.id}/revoke`, {});
      expect(res.statusCode).toBe(404);
      const [after] = await queryRows<{ revoked: boolean }>(t.db, sql`select revoked_at is not null as revoked from api_tokens where id = ${token.id}`);
      expect(after.revoked).toBe(false);
      expect((await sro.submit('/account/tokens/not-a-uuid/revoke', {})).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('shows a new API token once, and never again', async () => {
    const t = await createTestApp();
    try {
      const agent = await t.signIn('sro');
      const created = await agent.submit('/account/tokens', { name: 'Council HR system' });
      expect(created.statusCode).toBe(201);
      const token = /<code id="new-token">([^<]+)<\/code>/.exec(created.body)?.[1];
      expect(token).toMatch(/^pio_/);
      const later = await agent.get('/account');
      expect(later.body).toContain('Council HR system');
      expect(later.body).not.toContain(token!);
      const blank = await agent.submit('/account/tokens', { name: '   ' });
      expect(blank.statusCode).toBe(400);
      expect(errorSummary(blank.body)).toContain('Enter a name for the token');
    } finally {
      await t.close();
    }
  });
});

describe.each(backends)('sign-in lockout under concurrent attempts (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  /** Submits every password for one email at once, each from its own browser, and answers the responses in order. */
  const burst = async (email: string, passwords: string[]) => {
    const agents = passwords.map(() => t.agent());
    const tokens = await Promise.all(agents.map((a) => a.csrf('/sign-in')));
    return Promise.all(agents.map((a, i) => a.submit('/sign-in', { _csrf: tokens[i], email, password: passwords[i] })));
  };
  /** The attempts that were judged (password verified), in the order they were judged. */
  const judged = async (email: string) =>
    (
      await queryRows<{ action: string }>(
        t.db,
        sql`select action from audit_events
            where action in ('auth.sign_in', 'auth.sign_in_failed') and record_id = (select id::text from people where email = ${email})
            order by id`,
      )
    ).map((r) => (r.action === 'auth.sign_in' ? 'right' : 'wrong'));
  const lockState = async (email: string) =>
    (
      await queryRows<{ failures: number; locked: boolean }>(
        t.db,
        sql`select failed_sign_ins as failures, locked_until > ${t.clock.now().toISOString()}::timestamptz as locked from people where email = ${email}`,
      )
    )[0];

  it('judges exactly the threshold of a burst of wrong passwords and refuses the rest without trying them', async () => {
    const email = demoAccounts.specialist.email;
    const max = t.config.signInMaxFailures;
    const responses = await burst(email, Array.from({ length: max * 2 }, (_, i) => `wrong-password-${i}`));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(max * 2).fill(400));
    expect(await judged(email)).toEqual(Array(max).fill('wrong'));
    expect(await lockState(email)).toEqual({ failures: max, locked: true });
    // Locked: the right password is refused, with the same message as an unknown email.
    const right = await t.agent().submit('/sign-in', { email, password: 'pioneer-demo-2026' });
    const unknown = await t.agent().submit('/sign-in', { email: 'nobody@example.gov.uk', password: 'pioneer-demo-2026' });
    expect(right.statusCode).toBe(400);
    expect(errorSummary(right.body)).toBe(errorSummary(unknown.body));
    expect(await judged(email)).toHaveLength(max);
  });

  it('judges a burst of nine wrong and one right password one after another: the right one signs in only if judged before the lock', async () => {
    const email = demoAccounts.partnerLp.email;
    const max = t.config.signInMaxFailures;
    const passwords = [...Array.from({ length: 9 }, (_, i) => `wrong-password-${i}`), 'pioneer-demo-2026'];
    const responses = await burst(email, passwords);
    const order = await judged(email);
    const rightAt = order.indexOf('right');
    if (rightAt === -1) {
      // Judged after the threshold: refused unverified, like every attempt beyond the fifth failure.
      expect(order).toEqual(Array(max).fill('wrong'));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(400));
    } else {
      // Judged before the threshold: it signs in and resets the count, and the wrong ones judged after it lock again.
      expect(rightAt).toBeLessThan(max);
      expect(order).toEqual([...Array(rightAt).fill('wrong'), 'right', ...Array(max).fill('wrong')]);
      expect(responses[9].statusCode).toBe(302);
      expect(responses.slice(0, 9).map((r) => r.statusCode)).toEqual(Array(9).fill(400));
    }
    // Either way the account ends locked at exactly the threshold, and nothing was judged once it was reached.
    expect(order.slice(-max)).toEqual(Array(max).fill('wrong'));
    expect(await lockState(email)).toEqual({ failures: max, locked: true });
  });
});

describe.each(backends)('a new password revokes API tokens (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  const api = (token: string) => t.app.inject({ url: '/api/v1/councils?pageSize=1', headers: { authorization: `Bearer ${token}` } });
  /** Creates a token on the account page, as a person would, and checks that it works. */
  const workingToken = async (agent: Agent, name: string) => {
    const created = await agent.submit('/account/tokens', { name });
    const token = /<code id="new-token">([^<]+)<\/code>/.exec(created.body)![1];
    expect((await api(token)).statusCode).toBe(200);
    return token;
  };
  const audit = async (action: string, email: string) =>
    queryRows<{ after: { revokedApiTokens?: string[] } | null }>(
      t.db,
      sql`select after from audit_events where action = ${action} and record_id = (select id::text from people where email = ${email}) order by id`,
    );
  const banner = 'Your password has been changed. Any API tokens you had have been revoked.';

  it('revokes every token when the password is reset from a link, and the account page says so', async () => {
    const email = demoAccounts.sro.email;
    const agent = await t.signIn('sro');
    const tokens = [await workingToken(agent, 'HR system'), await workingToken(agent, 'Spreadsheet macro')];
    await t.agent().submit('/forgot-password', { email });
    const link = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(t.mailer.lastTo(email)!.body)![0]).pathname;
    const browser = t.agent();
    const reset = await browser.submit(link, { password: 'correct horse battery staple', confirmPassword: 'correct horse battery staple' }, { csrfFrom: link });
    expect(reset.statusCode).toBe(302);
    expect(reset.headers.location).toBe('/account?done=password-changed');
    const account = await browser.get(reset.headers.location!);
    expect(account.body).toContain('govuk-notification-banner');
    expect(account.body).toContain(banner);
    for (const token of tokens) {
      const res = await api(token);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(account.body.match(/Revoked 26 November 2026/g)).toHaveLength(2);
    const [event] = await audit('auth.password_reset', email);
    expect(event.after?.revokedApiTokens).toHaveLength(2);
    // The session from before the reset has ended too.
    expect((await agent.get('/account')).statusCode).toBe(302);
  });

  it('revokes every token when the password is changed on the account page, keeping the person signed in', async () => {
    const email = demoAccounts.lead.email;
    const agent = await t.signIn('lead');
    const other = await t.signIn('lead');
    const token = await workingToken(agent, 'Council HR system');
    const form = await agent.get('/account');
    expect(form.body).toContain('href="/account/password"');
    expect((await agent.get('/account/password')).body).toContain('revokes all your API tokens');
    const changed = await agent.submit(
      '/account/password',
      { currentPassword: 'pioneer-demo-2026', password: 'correct horse battery staple', confirmPassword: 'correct horse battery staple' },
      { csrfFrom: '/account/password' },
    );
    expect(changed.statusCode).toBe(302);
    expect(changed.headers.location).toBe('/account?done=password-changed');
    const account = await agent.get(changed.headers.location!);
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(banner);
    expect((await api(token)).statusCode).toBe(401);
    expect((await other.get('/account')).statusCode).toBe(302);
    const [event] = await audit('auth.password_changed', email);
    expect(event.after?.revokedApiTokens).toHaveLength(1);
    // The new password signs in; the old one does not.
    expect((await t.agent().submit('/sign-in', { email, password: 'correct horse battery staple' })).statusCode).toBe(302);
    expect((await t.agent().submit('/sign-in', { email, password: 'pioneer-demo-2026' })).statusCode).toBe(400);
  });

  it('refuses a wrong current password, a weak or unconfirmed new one, and changes nothing', async () => {
    const email = demoAccounts.funder.email;
    const agent = await t.signIn('funder');
    const token = await workingToken(agent, 'Programme dashboard');
    const cases: [Record<string, string>, string][] = [
      [{ currentPassword: 'not-my-password', password: 'correct horse battery staple', confirmPassword: 'correct horse battery staple' }, 'Your current password is incorrect'],
      [{ currentPassword: '', password: 'correct horse battery staple', confirmPassword: 'correct horse battery staple' }, 'Enter your current password'],
      [{ currentPassword: 'pioneer-demo-2026', password: 'short', confirmPassword: 'short' }, 'Password must be 12 characters or more'],
      [{ currentPassword: 'pioneer-demo-2026', password: 'correct horse battery staple', confirmPassword: 'something else entirely' }, 'Passwords must match'],
      [{ currentPassword: 'pioneer-demo-2026', password: 'pioneer-demo-2026', confirmPassword: 'pioneer-demo-2026' }, 'must be different'],
    ];
    for (const [form, message] of cases) {
      const res = await agent.submit('/account/password', form, { csrfFrom: '/account/password' });
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
    }
    const empty = await agent.submit('/account/password', { currentPassword: '', password: '', confirmPassword: '' }, { csrfFrom: '/account/password' });
    expect(errorSummary(empty.body)).toBe('There is a problem Enter your current password Enter a password Confirm your password');
    expect((await api(token)).statusCode).toBe(200);
    expect(await audit('auth.password_changed', email)).toEqual([]);
    expect((await t.agent().submit('/sign-in', { email, password: 'pioneer-demo-2026' })).statusCode).toBe(302);
  });
});
