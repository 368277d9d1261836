import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, confirmedWarningsOn, createTestApp, dateFields, demoActor, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';
import { supportDaysOverBudgetWarnings } from '../funding/service.ts';
import * as service from './service.ts';

/**
 * Warning before an engagement's planned days take a support-days line over budget (issue 13 item 1). The fund runs
 * through 2030, which no demo engagement reaches, so its commitments are this test's engagements alone: £333.33 a day
 * with a budget of £3,333.30 allows exactly 10 days.
 */
describe.each(backends)('engagements, support-days budget warnings (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let sroCouncil: string;
  let specialistId: string;
  let fundName: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const engagementsTitled = async (title: string) => (await one<{ n: number }>(sql`select count(*)::int as n from engagements where title = ${title}`)).n;
  const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action like 'engagement.%'`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    specialistId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`)).id;
    fundName = 'Support fund 2030';
    const fund = await admin.submit(paths.fundNew(), { source: 'DLUHC', name: fundName, amount: '£100,000', ...dateFields('startDate', '1', '1', '2030'), ...dateFields('endDate', '31', '12', '2030'), conditions: '' });
    expect(fund.statusCode, errorSummary(fund.body)).toBe(302);
    const fundId = /\/funding\/([0-9a-f-]{36})/.exec(fund.headers.location as string)![1];
    const line = await admin.submit(paths.fundLineNew(fundId), { kind: 'support_days', name: 'Support days 2030', budget: '3,333.30', dayRate: '333.33' });
    expect(line.statusCode, errorSummary(line.body)).toBe(302);
    // A line of another kind is never warned about.
    const other = await admin.submit(paths.fundLineNew(fundId), { kind: 'evaluation', name: 'Evaluation 2030', budget: '1' });
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
  });
  afterAll(async () => t?.close());

  const form = (title: string, plannedDays: string, extra: Record<string, string | string[]> = {}) => ({
    councilId: sroCouncil,
    title,
    leadSpecialistId: specialistId,
    scope: 'Scope',
    objectives: 'Objectives',
    ...dateFields('startDate', '1', '3', '2030'),
    ...dateFields('endDate', '30', '9', '2030'),
    plannedDays,
    ...extra,
  });
  const idFrom = (location: unknown) => /\/engagements\/([0-9a-f-]{36})/.exec(String(location))![1];
  const version = async (id: string) => String((await one<{ version: number }>(sql`select version from engagements where id = ${id}`)).version);
  const planned = async (id: string) => (await one<{ m: number }>(sql`select planned_minutes as m from engagements where id = ${id}`)).m;
  /** "Save anyway" ticked on a held form: the box, and the warnings the form showed, as a browser sends them back. */
  const confirming = (held: { body: string }, extra: Record<string, string> = {}) => ({
    overBudgetConfirmed: 'yes',
    confirmedWarnings: confirmedWarningsOn(held.body),
    ...extra,
  });
  /** Opens an engagement whose planned days take the line over budget: held with the warning, then confirmed. */
  const openOverBudget = async (title: string, plannedDays: string) => {
    const held = await admin.submit(paths.engagementNew(), form(title, plannedDays));
    expect(held.statusCode, errorSummary(held.body)).toBe(200);
    const opened = await admin.submit(paths.engagementNew(), form(title, plannedDays, confirming(held)));
    expect(opened.statusCode, errorSummary(opened.body)).toBe(302);
    return idFrom(opened.headers.location);
  };

  it('opens under budget without a warning, holds back a save over it with the warning, and saves it when confirmed', async () => {
    const under = await admin.submit(paths.engagementNew(), form('Budget A', '6'));
    expect(under.statusCode, errorSummary(under.body)).toBe(302);
    expect(await engagementsTitled('Budget A')).toBe(1);

    // Exactly at budget (6 + 4 = 10 days) is no warning either.
    const atBudget = await admin.submit(paths.engagementNew(), form('Budget B', '4'));
    expect(atBudget.statusCode, errorSummary(atBudget.body)).toBe(302);

    const auditsBefore = await audits();
    const over = await admin.submit(paths.engagementNew(), form('Budget C', '0.5'));
    expect(over.statusCode).toBe(200);
    expect(over.body).toContain('id="budget-warnings"');
    // 10.5 days × £333.33 = £3,499.965, rounded to the penny as on the fund's page.
    expect(over.body).toContain(
      `Saving this engagement takes the commitments on “Support days 2030” of ${fundName} to £3,499.97 (10.5 planned days at £333.33), over its budget of £3,333.30.`,
    );
    expect(over.body).not.toContain('Evaluation 2030');
    expect(over.body).toContain('name="overBudgetConfirmed"');
    expect(over.body).toContain('Save anyway');
    // The form keeps what was typed.
    expect(over.body).toContain('value="Budget C"');
    expect(await engagementsTitled('Budget C')).toBe(0);
    expect(await audits()).toBe(auditsBefore);

    // Ticking the box without the warnings it was shown is no confirmation: held again.
    const blind = await admin.submit(paths.engagementNew(), form('Budget C', '0.5', { overBudgetConfirmed: 'yes' }));
    expect(blind.statusCode).toBe(200);
    expect(blind.body).toContain('id="budget-warnings"');
    expect(await engagementsTitled('Budget C')).toBe(0);

    const confirmed = await admin.submit(paths.engagementNew(), form('Budget C', '0.5', confirming(over)));
    expect(confirmed.statusCode, errorSummary(confirmed.body)).toBe(302);
    expect(await engagementsTitled('Budget C')).toBe(1);
    expect(await audits()).toBe(auditsBefore + 1);

    // Bad input is still the error summary (400), not a warning.
    const bad = await admin.submit(paths.engagementNew(), form('Budget D', '-1'));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('id="budget-warnings"');
  });

  it('warns on a change only when it adds planned days in the fund, and saves a confirmed change', async () => {
    const id = await openOverBudget('Budget E', '1');
    const edit = async (plannedDays: string, extra: Record<string, string | string[]> = {}) =>
      admin.submit(`/engagements/${id}/edit`, { ...form('Budget E', plannedDays, extra), version: await version(id) });

    // 10.5 days are planned in the fund already (the test above) and this one's 1 takes it to 11.5: over budget. A change that adds nothing (same days) saves without a warning.
    const same = await edit('1', { title: 'Budget E' });
    expect(same.statusCode, errorSummary(same.body)).toBe(302);

    const more = await edit('2');
    expect(more.statusCode).toBe(200);
    expect(more.body).toContain('id="budget-warnings"');
    expect(more.body).toContain('to £4,166.63 (12.5 planned days at £333.33), over its budget of £3,333.30.');
    expect(await planned(id)).toBe(450);

    // "Save anyway" for the warning shown, with more days typed in the same submit: held again with the new figures.
    const raised = await edit('3', confirming(more));
    expect(raised.statusCode).toBe(200);
    expect(raised.body).toContain('(13.5 planned days at £333.33), over its budget of £3,333.30.');
    expect(raised.body).not.toMatch(/<input[^>]*name="overBudgetConfirmed"[^>]*checked/);
    expect(await planned(id)).toBe(450);

    const confirmed = await edit('2', confirming(more));
    expect(confirmed.statusCode, errorSummary(confirmed.body)).toBe(302);
    expect(await planned(id)).toBe(900);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('Budget E');

    // Fewer days, or dates moved out of the fund, take nothing further over: no warning.
    expect((await edit('1.5')).statusCode).toBe(302);
    const moved = await admin.submit(`/engagements/${id}/edit`, { ...form('Budget E', '20', { ...dateFields('startDate', '1', '1', '2031'), ...dateFields('endDate', '31', '3', '2031') }), version: await version(id) });
    expect(moved.statusCode, errorSummary(moved.body)).toBe(302);
  });

  it('never holds back a save without the budget check: the API and those who may not read the funds’ figures', async () => {
    const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    const token = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/engagements',
      headers: { authorization: `Bearer ${token}` },
      payload: { councilId: sroCouncil, title: 'Budget API', leadSpecialistId: specialistId, scope: 'S', objectives: 'O', startDate: '2030-03-01', endDate: '2030-09-30', plannedDays: 30 },
    });
    expect(res.statusCode, res.body).toBe(201);
    // Saved all the same, the answer saying which line went over: 10.5 days planned before, 40.5 now.
    expect(res.json().budgetWarnings).toEqual([
      `Saving this engagement takes the commitments on “Support days 2030” of ${fundName} to £13,499.87 (40.5 planned days at £333.33), over its budget of £3,333.30.`,
    ]);
    const id = res.json().id as string;
    const change = (plannedDays: number, engagementVersion: number) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1/engagements/${id}`,
        headers: { authorization: `Bearer ${token}` },
        payload: { title: 'Budget API', leadSpecialistId: specialistId, scope: 'S', objectives: 'O', startDate: '2030-03-01', endDate: '2030-09-30', plannedDays, version: engagementVersion },
      });
    // Fewer days add nothing: no warning; more days warn again.
    const fewer = await change(20, res.json().version);
    expect(fewer.statusCode, fewer.body).toBe(200);
    expect(fewer.json()).toMatchObject({ plannedDays: 20, budgetWarnings: [] });
    const more = await change(21, fewer.json().version);
    expect(more.statusCode, more.body).toBe(200);
    expect(more.json().budgetWarnings).toEqual([expect.stringContaining('(31.5 planned days at £333.33), over its budget of £3,333.30.')]);
    // Outside the fund's dates, nothing is committed on its line.
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/v1/engagements',
      headers: { authorization: `Bearer ${token}` },
      payload: { councilId: sroCouncil, title: 'Budget API 2031', leadSpecialistId: specialistId, scope: 'S', objectives: 'O', startDate: '2031-03-01', endDate: '2031-09-30', plannedDays: 30 },
    });
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    expect(elsewhere.json().budgetWarnings).toEqual([]);

    // The pages pass the check only for people with fund:aggregate; without it the service saves as before.
    const ctx = { actor: await demoActor(t.db, 'admin'), clock: t.clock };
    const input = { councilId: sroCouncil, title: 'Budget service', leadSpecialistId: specialistId, specialistIds: [], scope: 'S', objectives: 'O', startDate: '2030-03-01', endDate: '2030-09-30', plannedDays: '5' };
    await expect(service.createEngagement(t.db, ctx, { kind: 'all' }, input, { budget: 'hold' })).rejects.toBeInstanceOf(service.OverBudgetError);
    expect(await engagementsTitled('Budget service')).toBe(0);
    expect(await service.createEngagement(t.db, ctx, { kind: 'all' }, input, { budget: 'report' })).toMatchObject({ budgetWarnings: [expect.stringContaining('over its budget')] });
    expect(await engagementsTitled('Budget service')).toBe(1);
  });

  it('two funds that follow one another share an engagement across them by its days, and count its planned days once', async () => {
    const addFund = async (name: string, from: [string, string], to: [string, string]) => {
      const fund = await admin.submit(paths.fundNew(), { source: 'DLUHC', name, amount: '£100,000', ...dateFields('startDate', from[0], from[1], '2032'), ...dateFields('endDate', to[0], to[1], '2032'), conditions: '' });
      expect(fund.statusCode, errorSummary(fund.body)).toBe(302);
      const id = /\/funding\/([0-9a-f-]{36})/.exec(fund.headers.location as string)![1];
      const line = await admin.submit(paths.fundLineNew(id), { kind: 'support_days', name: `${name} days`, budget: '100,000', dayRate: '450' });
      expect(line.statusCode, errorSummary(line.body)).toBe(302);
      return id;
    };
    const first = await addFund('First half 2032', ['1', '1'], ['30', '6']);
    const second = await addFund('Second half 2032', ['1', '7'], ['31', '12']);
    // 1 April to 30 September 2032: 183 days, 91 in the first fund and 92 in the second; 10 planned days.
    const ctx = { actor: await demoActor(t.db, 'admin'), clock: t.clock };
    const input = { councilId: sroCouncil, title: 'Across two funds', leadSpecialistId: specialistId, specialistIds: [], scope: 'S', objectives: 'O', startDate: '2032-04-01', endDate: '2032-09-30', plannedDays: '10' };
    await service.createEngagement(t.db, ctx, { kind: 'all' }, input, { budget: 'report' });
    const firstPage = (await admin.get(paths.fund(first))).body;
    const secondPage = (await admin.get(paths.fund(second))).body;
    // 10 × 91 / 183 = 4.97 days (£2,237.70 at £450 a day) and 10 × 92 / 183 = 5.03 days (£2,262.30): £4,500 together.
    expect(firstPage).toContain('4.97 planned engagement days');
    expect(firstPage).toContain('£2,237.70');
    expect(secondPage).toContain('5.03 planned engagement days');
    expect(secondPage).toContain('£2,262.30');
  });

  it('counts an engagement as the fund page does: not closed and overlapping the fund’s dates', async () => {
    const plan = { startDate: '2030-12-31', endDate: '2031-01-31', plannedMinutes: 450, closed: false };
    expect(await supportDaysOverBudgetWarnings(t.db, { after: plan, before: null })).toHaveLength(1);
    expect(await supportDaysOverBudgetWarnings(t.db, { after: { ...plan, startDate: '2031-01-01' }, before: null })).toEqual([]);
    expect(await supportDaysOverBudgetWarnings(t.db, { after: { ...plan, closed: true }, before: null })).toEqual([]);
    expect(await supportDaysOverBudgetWarnings(t.db, { after: plan, before: plan })).toEqual([]);
  });

  it('counts saves made at the same moment against each other: of two each under budget alone, one is held (pages) or warned (API)', async () => {
    const fund = await admin.submit(paths.fundNew(), { source: 'DLUHC', name: 'Support fund 2034', amount: '£100,000', ...dateFields('startDate', '1', '1', '2034'), ...dateFields('endDate', '31', '12', '2034'), conditions: '' });
    expect(fund.statusCode, errorSummary(fund.body)).toBe(302);
    const fundId = /\/funding\/([0-9a-f-]{36})/.exec(fund.headers.location as string)![1];
    // Room for exactly 10 days; each engagement below plans 6.
    const line = await admin.submit(paths.fundLineNew(fundId), { kind: 'support_days', name: 'Support days 2034', budget: '3,333.30', dayRate: '333.33' });
    expect(line.statusCode, errorSummary(line.body)).toBe(302);
    const in2034 = (title: string) => form(title, '6', { ...dateFields('startDate', '1', '3', '2034'), ...dateFields('endDate', '30', '9', '2034') });

    const [a, b] = await Promise.all([admin.submit(paths.engagementNew(), in2034('Race A')), admin.submit(paths.engagementNew(), in2034('Race B'))]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 302]);
    expect((a.statusCode === 200 ? a : b).body).toContain('(12 planned days at £333.33), over its budget of £3,333.30.');
    expect((await engagementsTitled('Race A')) + (await engagementsTitled('Race B'))).toBe(1);

    // The API saves both (6 days committed, 3 each: 9 alone, 12 together), and the one saved second answers the warning.
    const ctx = { actor: await demoActor(t.db, 'admin'), clock: t.clock };
    const input = (title: string) => ({ councilId: sroCouncil, title, leadSpecialistId: specialistId, specialistIds: [], scope: 'S', objectives: 'O', startDate: '2034-10-01', endDate: '2034-10-31', plannedDays: '3' });
    const saved = await Promise.all(['Race C', 'Race D'].map((title) => service.createEngagement(t.db, ctx, { kind: 'all' }, input(title), { budget: 'report' })));
    expect(saved.map((s) => s.budgetWarnings.length).sort()).toEqual([0, 1]);
    expect(saved.flatMap((s) => s.budgetWarnings)).toEqual([expect.stringContaining('(12 planned days at £333.33), over its budget of £3,333.30.')]);
  });

  it('after someone else’s change, a ticked “Save anyway” is a 409 showing the warnings again over the version now stored; ticked again, it saves', async () => {
    const id = await openOverBudget('Budget F', '1');
    const read = await version(id);
    const edit = (plannedDays: string, engagementVersion: string, extra: Record<string, string | string[]> = {}) =>
      admin.submit(`/engagements/${id}/edit`, { ...form('Budget F', plannedDays, extra), version: engagementVersion });

    // The warning (the line is over budget since the tests above), then someone else changes the scope meanwhile.
    const warned = await edit('2', read);
    expect(warned.statusCode).toBe(200);
    expect(warned.body).toContain('id="budget-warnings"');
    const other = await edit('1', read, { scope: 'Changed by someone else' });
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
    const now = await version(id);
    expect(now).not.toBe(read);

    // "Save anyway" ticked over the version first read: refused, nothing written, and the form can be finished.
    const auditsBefore = await audits();
    const stale = await edit('2', read, confirming(warned));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this engagement since you opened it');
    expect(stale.body).toContain(`name="version" value="${now}"`);
    expect(stale.body).not.toContain(`name="version" value="${read}"`);
    // What was typed is kept; the warnings are worked out again and the box waits to be ticked again.
    expect(stale.body).toMatch(/name="plannedDays"[^>]*value="2"/);
    expect(stale.body).toContain('id="budget-warnings"');
    expect(stale.body).toContain('over its budget of £3,333.30.');
    expect(stale.body).toMatch(/<input[^>]*name="overBudgetConfirmed"[^>]*value="yes"[^>]*>/);
    expect(stale.body).not.toMatch(/<input[^>]*name="overBudgetConfirmed"[^>]*checked/);
    expect(await planned(id)).toBe(450);
    expect(await audits()).toBe(auditsBefore);

    // Sent again as shown without the box: held back by the warning, not by the version.
    const unticked = await edit('2', now);
    expect(unticked.statusCode).toBe(200);
    expect(unticked.body).toContain('id="budget-warnings"');
    expect(await planned(id)).toBe(450);
    // Ticked: saved, once.
    const saved = await edit('2', now, confirming(unticked));
    expect(saved.statusCode, errorSummary(saved.body)).toBe(302);
    expect(await planned(id)).toBe(900);
    expect(await audits()).toBe(auditsBefore + 1);

    // A stale save that adds no days shows no warning, only the stale message; bad input stays a 400.
    const noMore = await edit('2', read, { overBudgetConfirmed: 'yes', title: 'Budget F renamed' });
    expect(noMore.statusCode).toBe(409);
    expect(noMore.body).not.toContain('id="budget-warnings"');
    const bad = await edit('-1', await version(id), { overBudgetConfirmed: 'yes' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('id="budget-warnings"');
    expect(await planned(id)).toBe(900);
  });
});
