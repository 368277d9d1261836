import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { sendDueReminders } from './reminders.ts';
import { addEnrolment, addLearner, queuedTo } from './testing.ts';
import { createApiToken } from '../auth/service.ts';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe.each(backends)('reminder preferences and unsubscribe links (%s)', (backend) => {
  let t: TestApp;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const personId = async (email: string) => (await rows<{ id: string }>(sql`select id from people where email = ${email}`))[0].id;
  const optOuts = async (id: string) => (await rows<{ kind: string }>(sql`select kind from reminder_opt_outs where person_id = ${id} order by kind`)).map((r) => r.kind);

  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  /** A learner with an assessment due in 30 days, reminded: their unsubscribe link's path. */
  const remindedLearner = async (name: string) => {
    const learner = await addLearner(t.db, name);
    await addEnrolment(t.db, learner, 'practitioner', 'in_learning', '2025-12-26');
    await sendDueReminders(t.db, t.config, t.clock);
    const [mail] = await queuedTo(t.db, learner.email);
    return { ...learner, path: new URL(mail.unsubscribe_url!).pathname };
  };

  it('links the preferences page from the account page, with every reminder on and decision emails explained', async () => {
    const learner = await t.signIn('learner');
    expect((await learner.get('/account')).body).toContain('href="/account/notifications"');
    const page = await learner.get('/account/notifications');
    expect(page.statusCode).toBe(200);
    for (const kind of ['assessment-due', 'cpd-shortfall', 'foundation-renewal']) expect(page.body).toMatch(new RegExp(`value="${kind}" checked`));
    expect(text(page.body)).toContain('Emails about decisions on your nominations (approved or declined), sign-in links and password resets are part of the service and cannot be switched off.');
    expect((await t.agent().get('/account/notifications')).headers.location).toMatch(/^\/sign-in/);
  });

  it('switches reminders off and on for the signed-in person only, audited in plain English', async () => {
    const learner = await t.signIn('learner');
    const sro = await t.signIn('sro');
    const learnerId = await personId(demoAccounts.learner.email);
    const saved = await learner.submit('/account/notifications', { reminders: ['assessment-due', 'network-digest'] }, { csrfFrom: '/account/notifications' });
    expect(saved.statusCode).toBe(302);
    expect(saved.headers.location).toBe('/account/notifications?done=saved');
    expect(await optOuts(learnerId)).toEqual(['cpd-shortfall', 'foundation-renewal']);
    const page = await learner.get('/account/notifications?done=saved');
    expect(text(page.body)).toContain('Your reminder choices have been saved');
    expect(page.body).toMatch(/value="assessment-due" checked/);
    expect(page.body).not.toMatch(/value="cpd-shortfall" checked/);

    // Someone else saving their own choices leaves the learner's alone: the page has no id to aim at anyone else.
    await sro.submit('/account/notifications', { reminders: [] }, { csrfFrom: '/account/notifications' });
    expect(await optOuts(learnerId)).toEqual(['cpd-shortfall', 'foundation-renewal']);
    expect(await optOuts(await personId(demoAccounts.sro.email))).toEqual(['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest']);

    // Saving the same again changes nothing and writes no audit event.
    const again = await learner.submit('/account/notifications', { reminders: ['assessment-due', 'network-digest'] }, { csrfFrom: '/account/notifications' });
    expect(again.headers.location).toBe('/account/notifications?done=unchanged');
    await learner.submit('/account/notifications', { reminders: ['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest'] }, { csrfFrom: '/account/notifications' });
    expect(await optOuts(learnerId)).toEqual([]);

    const [{ name }] = await rows<{ name: string }>(sql`select name from people where id = ${learnerId}`);
    const admin = await t.signIn('admin');
    const audit = text((await admin.get('/audit')).body);
    expect(audit).toContain(`${name} switched off “CPD hours short” reminders and switched off “Foundation renewal due” reminders`);
    expect(audit).toContain(`${name} switched on “CPD hours short” reminders and switched on “Foundation renewal due” reminders`);
    const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'notifications.preferences_changed' and record_id = ${learnerId}`);
    expect(n).toBe(2);
  });

  it('refuses a reminder kind that is not on the list with the error summary, and a form without its CSRF token', async () => {
    const learner = await t.signIn('learner');
    const bad = await learner.submit('/account/notifications', { reminders: ['assessment-due', 'marketing'] }, { csrfFrom: '/account/notifications' });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Select reminders from the list');
    const forged = await learner.submit('/account/notifications', { _csrf: 'forged', reminders: [] });
    expect(forged.statusCode).toBe(403);
    expect(await optOuts(await personId(demoAccounts.learner.email))).toEqual([]);
  });

  it('unsubscribes from one kind with the link, signed out: GET asks, POST does it, and the job then leaves that kind out', async () => {
    const learner = await remindedLearner('Uma Unsubscribe');
    const anonymous = t.agent();
    const ask = await anonymous.get(learner.path);
    expect(ask.statusCode).toBe(200);
    expect(text(ask.body)).toContain('Stop “Assessment due” reminders');
    expect(text(ask.body)).toContain(learner.email);
    expect(await optOuts(learner.id)).toEqual([]);

    const done = await anonymous.submit(learner.path, {}, { csrfFrom: learner.path });
    expect(done.statusCode).toBe(200);
    expect(text(done.body)).toContain('You have unsubscribed');
    expect(await optOuts(learner.id)).toEqual(['assessment-due']);
    // Twice is harmless, and audited once.
    expect((await anonymous.submit(learner.path, {}, { csrfFrom: learner.path })).statusCode).toBe(200);
    const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'notifications.unsubscribed' and record_id = ${learner.id}`);
    expect(n).toBe(1);
    const admin = await t.signIn('admin');
    expect(text((await admin.get('/audit')).body)).toContain('Uma Unsubscribe stopped “Assessment due” reminders with the unsubscribe link in a reminder email');

    // Another enrolment due later: no assessment reminder for this person any more.
    await addEnrolment(t.db, learner, 'foundation', 'in_learning', '2025-12-27');
    t.clock.set('2026-11-27T10:00:00Z');
    try {
      await sendDueReminders(t.db, t.config, t.clock);
    } finally {
      t.clock.set('2026-11-26T10:00:00Z');
    }
    expect((await queuedTo(t.db, learner.email)).length).toBe(1);
  });

  it('accepts a mail program’s one-click POST (RFC 8058) with no cookie and no CSRF token', async () => {
    const learner = await remindedLearner('Oli Oneclick');
    const res = await t.app.inject({ method: 'POST', url: learner.path, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect(await optOuts(learner.id)).toEqual(['assessment-due']);
  });

  it('shows a clear page for a tampered or unknown link and an expired one, changing nothing', async () => {
    const learner = await remindedLearner('Tia Tampered');
    const tampered = learner.path.slice(0, -2) + (learner.path.endsWith('AA') ? 'BB' : 'AA');
    for (const path of [tampered, '/unsubscribe/not-a-token', '/unsubscribe/%00%01']) {
      const get = await t.agent().get(path);
      expect(get.statusCode).toBeGreaterThanOrEqual(400);
      if (get.statusCode === 404) expect(text(get.body)).toContain('This unsubscribe link is not valid');
    }
    const post = await t.app.inject({ method: 'POST', url: tampered, payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.statusCode).toBe(404);
    expect(text(post.body)).toContain('This unsubscribe link is not valid');

    // Older than UNSUBSCRIBE_TTL_DAYS (90): expired.
    await t.db.execute(sql`update reminders_sent set sent_at = sent_at - interval '91 days' where person_id = ${learner.id}`);
    const expired = await t.agent().get(learner.path);
    expect(expired.statusCode).toBe(410);
    expect(text(expired.body)).toContain('This unsubscribe link has expired');
    expect(text(expired.body)).toContain('sign in and choose which reminders you get');
    const late = await t.app.inject({ method: 'POST', url: learner.path, payload: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(late.statusCode).toBe(410);
    expect(await optOuts(learner.id)).toEqual([]);
  });

  describe('the API, /api/v1/me/reminder-preferences', () => {
    const token = async (email: string) => (await createApiToken(t.db, { actor: null, clock: t.clock }, await personId(email), 'test')).token;
    const api = async (method: 'GET' | 'PUT', email: string | null, payload?: unknown) =>
      t.app.inject({
        method,
        url: '/api/v1/me/reminder-preferences',
        headers: email ? { authorization: `Bearer ${await token(email)}` } : {},
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const onKinds = (body: { reminders: { kind: string; on: boolean }[] }) => body.reminders.filter((r) => r.on).map((r) => r.kind);

    it('reads and replaces the caller’s own choice only, audited once per change', async () => {
      const funder = demoAccounts.funder.email;
      const specialistId = await personId(demoAccounts.specialist.email);
      const before = await api('GET', funder);
      expect(before.statusCode).toBe(200);
      expect(onKinds(before.json())).toEqual(['assessment-due', 'cpd-shortfall', 'foundation-renewal', 'network-digest']);

      const put = await api('PUT', funder, { reminders: ['foundation-renewal', 'network-digest'] });
      expect(put.statusCode, put.body).toBe(200);
      expect(onKinds(put.json())).toEqual(['foundation-renewal', 'network-digest']);
      expect(await optOuts(await personId(funder))).toEqual(['assessment-due', 'cpd-shortfall']);
      expect(await optOuts(specialistId)).toEqual([]);
      expect((await api('PUT', funder, { reminders: ['foundation-renewal', 'network-digest'] })).statusCode).toBe(200);
      const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'notifications.preferences_changed' and record_id = ${await personId(funder)}`);
      expect(n).toBe(1);
    });

    it('refuses an unknown kind or a malformed body with problem details and changes nothing; no token is 401', async () => {
      const lead = demoAccounts.lead.email;
      for (const payload of [{ reminders: ['assessment-due', 'marketing'] }, { reminders: 'assessment-due' }, {}]) {
        const res = await api('PUT', lead, payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const form = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/me/reminder-preferences',
        headers: { authorization: `Bearer ${await token(lead)}`, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'reminders=',
      });
      expect(form.statusCode).toBe(415);
      expect(await optOuts(await personId(lead))).toEqual([]);
      expect((await api('GET', null)).statusCode).toBe(401);
      expect((await api('PUT', null, { reminders: [] })).statusCode).toBe(401);
    });
  });
});
