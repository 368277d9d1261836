import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, demoActor, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { learnerListRules } from '../settings/service.ts';
import { upsertSetting } from '../settings/repository.ts';
import { createApiToken } from '../auth/service.ts';
import { councilScope } from '../auth/policy.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { addDays, type Status } from './journey.ts';
import { attentionOf, attentionReasons, type AttentionRules } from './attention.ts';
import { listEnrolments, listPageSummary, type EnrolmentFilters } from './list-repository.ts';
import { listDates } from './queries.ts';

const rules: AttentionRules = { decisionDays: 28, registrationDays: 60, learningStartDays: 30, resultDays: 45, assessmentDeadlineMonths: 12 };
const today = '2026-11-26';
const row = (status: Status, lastEventOn: string, registeredOn: string | null = null) => ({ status, lastEventOn, registeredOn });

describe('when an enrolment needs attention', () => {
  it('flags each step one day after its limit, not on the last allowed day', () => {
    expect(attentionOf(row('nominated', addDays(today, -28)), rules, today)).toBeNull();
    expect(attentionOf(row('nominated', addDays(today, -29)), rules, today)).toEqual({ reason: 'decision', label: 'Waiting for a decision', since: '2026-10-28' });
    expect(attentionOf(row('approved', addDays(today, -60)), rules, today)).toBeNull();
    expect(attentionOf(row('approved', addDays(today, -61)), rules, today)?.reason).toBe('registration');
    expect(attentionOf(row('registered', addDays(today, -31), addDays(today, -31)), rules, today)?.reason).toBe('learning');
    expect(attentionOf(row('assessment_booked', addDays(today, -46), '2026-01-01'), rules, today)?.reason).toBe('result');
    expect(attentionOf(row('assessment_booked', addDays(today, -45), '2026-01-01'), rules, today)).toBeNull();
  });

  it('calls a learner past the assessment deadline overdue, whatever step they are slow at, from the day after it was due', () => {
    // Registered 25 November 2025: due 25 November 2026, overdue on the 26th.
    expect(attentionOf(row('registered', '2025-11-25', '2025-11-25'), rules, today)).toEqual({ reason: 'assessment', label: 'Assessment overdue', since: '2026-11-25' });
    expect(attentionOf(row('in_learning', '2026-01-10', '2025-11-26'), rules, today)).toBeNull();
    expect(attentionOf(row('not_passed', '2026-10-01', '2025-10-01'), rules, today)?.reason).toBe('assessment');
  });

  it('never flags a journey that has ended or is paused', () => {
    for (const status of ['accredited', 'declined', 'withdrawn', 'deferred'] as const) {
      expect(attentionOf(row(status, '2020-01-01', '2020-01-01'), rules, today), status).toBeNull();
    }
  });

  it('flags a step exactly when more than its limit of days has passed since it was reached, on every day', () => {
    const waits = [
      ['nominated', 'decision'],
      ['approved', 'registration'],
      ['assessment_booked', 'result'],
    ] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.constantFrom(...waits), fc.integer({ min: 1, max: 120 }), (ago, [status, reason], days) => {
        const r = { ...rules, decisionDays: days, registrationDays: days, resultDays: days };
        const reached = addDays(today, -ago);
        const flagged = attentionOf(row(status, reached, '2026-06-01'), r, today)?.reason === reason;
        expect(flagged).toBe(addDays(reached, days) < today);
      }),
      { numRuns: 1000 },
    );
  });
});

// The lists filter in SQL: every reason's filter must pick exactly the rows the pages label with it.
describe.each(backends)('the needs-attention filters (%s)', (backend) => {
  let t: TestApp;
  const all = { kind: 'all' } as const;
  const byName: EnrolmentFilters = { sort: 'name', order: 'asc' };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await upsertSetting(t.db, { key: 'learningStartWaitDays', value: 30, updatedAt: new Date(), updatedById: null });
    // Spread the demo enrolments over every active step and every distance from each cutoff, boundaries included.
    await queryRows(
      t.db,
      sql`update enrolments e set status = s.status, last_event_on = s.reached, registered_on = case when s.status in ('nominated', 'approved') then null else s.registered end
        from (select id, (array['nominated','approved','registered','in_learning','assessment_booked','not_passed','deferred'])[1 + (row_number() over (order by id))::int % 7] as status,
          ${today}::date - ((row_number() over (order by id))::int % 400) as reached,
          ${today}::date - ((row_number() over (order by id))::int % 400) - ((row_number() over (order by id))::int * 7 % 500) as registered
          from enrolments where status <> 'accredited') s
        where e.id = s.id`,
    );
  });
  afterAll(async () => t?.close());

  it('each reason, and any, lists exactly the enrolments the rule flags, and the count agrees', async () => {
    const ruleSet = await learnerListRules(t.db);
    expect(ruleSet.attention.learningStartDays).toBe(30);
    const dates = listDates(ruleSet, today);
    const everyone = (await listEnrolments(t.db, all, byName, dates, null)).rows;
    const flagged = everyone.map((r) => ({ id: r.id, reason: attentionOf(r, ruleSet.attention, today)?.reason }));
    for (const reason of attentionReasons) {
      const expected = flagged.filter((f) => f.reason === reason).map((f) => f.id);
      expect(expected.length, reason).toBeGreaterThan(3);
      const listed = await listEnrolments(t.db, all, { ...byName, attention: reason }, dates, null);
      expect(listed.rows.map((r) => r.id), reason).toEqual(expected);
    }
    const any = await listEnrolments(t.db, all, { ...byName, attention: 'any' }, dates, null);
    expect(any.rows.map((r) => r.id)).toEqual(flagged.filter((f) => f.reason).map((f) => f.id));
    expect((await listPageSummary(t.db, all, {}, dates, false)).counts.attention).toBe(any.total);
  });

  it('shows the reason on the learners page, filters by it, and downloads it; the API filters and explains it', async () => {
    const admin = await t.signIn('admin');
    const page = await admin.get('/learners?attention=decision');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<strong>Needs attention:<\/strong> waiting for a decision since \d+ \w+ \d{4}/);
    expect(page.body).not.toContain('assessment booked, no result since');
    expect(page.body).toMatch(/<option value="decision" selected>Waiting for a decision<\/option>/);
    const [{ n }] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolments where status = 'nominated' and last_event_on < ${addDays(today, -28)}::date`,
    );
    expect(page.body).toContain(`of ${n.toLocaleString('en-GB')} learners`);

    // A hand-edited value is ignored, as the list's other filters are: the whole list, not an error or an empty one.
    const edited = await admin.get('/learners?attention=soon&upkeep=never');
    expect(edited.statusCode).toBe(200);
    expect(edited.body).toContain(`of ${(await listEnrolments(t.db, all, byName, listDates(await learnerListRules(t.db), today), null)).total.toLocaleString('en-GB')} learners`);
    // The filter is the learners list's: a learner, who may not open the list, gets 403 with or without it.
    expect((await (await t.signIn('learner')).get('/learners?attention=any')).statusCode).toBe(403);

    const csv = await admin.get('/learners/export.csv?attention=result');
    const lines = csv.body.trim().split('\r\n').slice(1);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain(',Assessment booked,');
    for (const line of lines) expect(line).toContain(',"Assessment booked, no result",');

    const person = (await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`))[0];
    const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test');
    const apiGet = (url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
    const api = await apiGet('/enrolments?attention=learning&pageSize=100');
    expect(api.statusCode).toBe(200);
    const body = api.json() as { data: { status: string; attention: { reason: string; since: string } | null }[]; meta: { total: number } };
    expect(body.meta.total).toBeGreaterThan(0);
    for (const e of body.data) expect(e).toMatchObject({ status: 'registered', attention: { reason: 'learning' } });
    const bad = await apiGet('/enrolments?attention=soon');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('attention must be one of any, decision, registration, learning, assessment, result');
  });

  it('counts the stuck work of each viewer’s councils on the councils list and of one council on its page', async () => {
    const ruleSet = await learnerListRules(t.db);
    const dates = listDates(ruleSet, today);
    for (const who of ['admin', 'partnerLp', 'partnerMhclg'] as const) {
      const scope = councilScope(await demoActor(t.db, who));
      const expected = (await listEnrolments(t.db, scope, { ...byName, attention: 'any' }, dates, null)).total;
      expect(expected, who).toBeGreaterThan(0);
      const home = (await (await t.signIn(who)).get('/councils')).body;
      expect(home, who).toContain(`${expected.toLocaleString('en-GB')} learners need attention</a>`);
    }
    const sro = await t.signIn('sro');
    const councilId = (await demoActor(t.db, 'sro')).organisationId!;
    const own = (await listEnrolments(t.db, { kind: 'own', councilId }, { ...byName, attention: 'any' }, dates, null)).total;
    const page = (await sro.get(`/councils/${councilId}`)).body;
    expect(page).toMatch(new RegExp(`href="/learners\\?councilId=${councilId}&amp;attention=any">${own} learners? needs? attention</a>`));
    // A learner sees no council list at all.
    expect((await (await t.signIn('learner')).get('/councils')).statusCode).toBe(403);
  });
});
