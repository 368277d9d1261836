import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('engagements, pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let specialist: Agent;
  let sro: Agent;
  let lead: Agent;
  let learner: Agent;
  let sroCouncil: string;
  let demoSpecialistId: string;
  /** The demo council's engagement (active, led by the demo specialist, plan not signed off). */
  let demoEngagement: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, specialist, sro, lead, learner] = await Promise.all(['admin', 'specialist', 'sro', 'lead', 'learner'].map((who) => t.signIn(who)));
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    demoSpecialistId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`)).id;
    demoEngagement = (await one<{ id: string }>(sql`select id from engagements where council_id = ${sroCouncil}`)).id;
  });
  afterAll(async () => t?.close());

  /** A new engagement for the demo council, led by the demo specialist, from 1 September 2026 to 31 March 2027, 10 days. */
  async function openEngagement(extra: Record<string, string | string[]> = {}) {
    const res = await admin.submit(paths.engagementNew(), {
      councilId: sroCouncil,
      title: 'Test engagement',
      leadSpecialistId: demoSpecialistId,
      scope: 'The register',
      objectives: 'A register',
      ...dateFields('startDate', '1', '9', '2026'),
      ...dateFields('endDate', '31', '3', '2027'),
      plannedDays: '10',
      ...extra,
    });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/engagements\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  }
  const version = async (table: 'engagements' | 'engagement_time_entries' | 'engagement_actions', id: string) =>
    String((await one<{ version: number }>(sql`select version from ${sql.raw(table)} where id = ${id}`)).version);

  it('lets an admin open an engagement in two steps, refusing a lead not assigned to the council and dates out of order', async () => {
    const pick = await admin.get(paths.engagementNew());
    expect(pick.statusCode).toBe(200);
    expect(pick.body).toContain('name="councilId"');
    const form = await admin.get(`${paths.engagementNew()}?councilId=${sroCouncil}`);
    expect(form.body).toContain('Lead specialist');
    expect(form.body).toContain(demoSpecialistId);

    const otherSpecialist = (await one<{ id: string }>(sql`select id from people where 'specialist' = any(roles) and id not in (select person_id from specialist_assignments where council_id = ${sroCouncil}) limit 1`)).id;
    const base = { councilId: sroCouncil, title: 'T', scope: 'S', objectives: 'O', ...dateFields('startDate', '1', '12', '2026'), ...dateFields('endDate', '1', '11', '2026'), plannedDays: '-2' };
    const bad = await admin.submit(paths.engagementNew(), { ...base, leadSpecialistId: otherSpecialist });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Planned days must be more than 0');
    const badLead = await admin.submit(paths.engagementNew(), { ...base, plannedDays: '3.5', leadSpecialistId: otherSpecialist });
    expect(errorSummary(badLead.body)).toContain('End date must be the same as or after the start date');
    const badLead2 = await admin.submit(paths.engagementNew(), { ...base, ...dateFields('endDate', '1', '1', '2027'), plannedDays: '3.5', leadSpecialistId: otherSpecialist });
    expect(errorSummary(badLead2.body)).toMatch(/Select a specialist assigned to/);
    const tooPrecise = await admin.submit(paths.engagementNew(), { ...base, plannedDays: '1.125', leadSpecialistId: demoSpecialistId });
    expect(errorSummary(tooPrecise.body)).toContain('Planned days must have no more than 2 decimal places');

    const id = await openEngagement();
    const page = await admin.get(paths.engagement(id));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Test engagement');
    expect(page.body).toMatch(/<strong>0<\/strong> of 10 planned days used/);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('opened the engagement “Test engagement” with');
  });

  it('moves an engagement along its statuses, refusing an illegal move and a stale version with 409', async () => {
    const id = await openEngagement();
    const v = await version('engagements', id);
    const illegal = await admin.submit(paths.engagementStatus(id), { status: 'closed', version: v });
    expect(illegal.statusCode).toBe(409);
    expect(errorSummary(illegal.body)).toContain('An engagement that is planned cannot move to closed');
    const ok = await admin.submit(paths.engagementStatus(id), { status: 'active', version: v });
    expect(ok.statusCode).toBe(302);
    const stale = await admin.submit(paths.engagementStatus(id), { status: 'paused', version: v });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this engagement');
    expect((await one<{ status: string }>(sql`select status from engagements where id = ${id}`)).status).toBe('active');
    // Only admins change the status: the specialist on it sees it (403), a specialist elsewhere never learns of it.
    const byLead = await specialist.submit(paths.engagementStatus(id), { status: 'paused', version: await version('engagements', id) });
    expect(byLead.statusCode).toBe(403);
  });

  it('lets the specialist on it log time within the rules, and refuses the rest with nothing written', async () => {
    const id = await openEngagement();
    const count = async () => (await one<{ n: number }>(sql`select count(*)::int as n from engagement_time_entries where engagement_id = ${id}`)).n;
    const entry = (day: string, month: string, year: string, unit: string, amount: string) => ({ ...dateFields('date', day, month, year), unit, amount, activity: 'workshop', note: 'Workshop on KPIs' });
    const cases: [Record<string, string>, string][] = [
      [entry('27', '11', '2026', 'days', '1'), 'Date must be today or in the past'],
      [entry('31', '8', '2026', 'days', '1'), 'Date must be between 1 September 2026 and 31 March 2027'],
      [entry('20', '11', '2026', 'days', '1.5'), 'Time must be 1 day or less for one entry'],
      [entry('20', '11', '2026', 'hours', '25'), 'Time must be 24 or fewer'],
      [entry('20', '11', '2026', 'hours', '-3'), 'Time must be more than 0'],
      [entry('20', '11', '2026', 'hours', 'three'), 'Time must be a number'],
      [{ ...entry('20', '11', '2026', 'days', '1'), activity: 'lunch' }, 'Select the type of activity'],
      [entry('31', '2', '2026', 'days', '1'), 'Date must be a real date'],
    ];
    for (const [form, message] of cases) {
      const res = await specialist.submit(paths.engagementTimeNew(id), form);
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
    }
    expect(await count()).toBe(0);

    expect((await specialist.submit(paths.engagementTimeNew(id), entry('26', '11', '2026', 'days', '0.5'))).statusCode).toBe(302);
    expect((await specialist.submit(paths.engagementTimeNew(id), entry('25', '11', '2026', 'hours', '3.75'))).statusCode).toBe(302);
    const minutes = await queryRows<{ minutes: number }>(t.db, sql`select minutes from engagement_time_entries where engagement_id = ${id} order by work_date`);
    expect(minutes.map((m) => m.minutes)).toEqual([225, 225]);
    const page = await specialist.get(paths.engagement(id));
    expect(page.body).toMatch(/<strong>1<\/strong> of 10 planned days used/);

    // Not on the engagement: admins and the SRO see it but may not log time; a learner never learns it exists.
    expect((await admin.submit(paths.engagementTimeNew(id), entry('20', '11', '2026', 'days', '1'))).statusCode).toBe(403);
    expect((await sro.submit(paths.engagementTimeNew(id), entry('20', '11', '2026', 'days', '1'))).statusCode).toBe(403);
    expect((await learner.submit(paths.engagementTimeNew(id), entry('20', '11', '2026', 'days', '1'))).statusCode).toBe(404);
    expect(await count()).toBe(2);
  });

  it('lets a specialist change and delete only their own time, audited, refusing a stale edit', async () => {
    const id = await openEngagement();
    await specialist.submit(paths.engagementTimeNew(id), { ...dateFields('date', '24', '11', '2026'), unit: 'days', amount: '1', activity: 'coaching' });
    const entryId = (await one<{ id: string }>(sql`select id from engagement_time_entries where engagement_id = ${id}`)).id;
    const v = await version('engagement_time_entries', entryId);
    const edit = await specialist.get(paths.engagementTimeEdit(id, entryId));
    expect(edit.statusCode).toBe(200);
    const changed = await specialist.submit(paths.engagementTimeEdit(id, entryId), { ...dateFields('date', '23', '11', '2026'), unit: 'hours', amount: '6', activity: 'diagnostic', version: v });
    expect(changed.statusCode).toBe(302);
    const stale = await specialist.submit(paths.engagementTimeEdit(id, entryId), { ...dateFields('date', '23', '11', '2026'), unit: 'hours', amount: '5', activity: 'diagnostic', version: v });
    expect(stale.statusCode).toBe(409);
    expect((await one<{ minutes: number }>(sql`select minutes from engagement_time_entries where id = ${entryId}`)).minutes).toBe(360);
    // The form comes back with what was typed over the version now stored, so it can be sent again after checking.
    const now = await version('engagement_time_entries', entryId);
    expect(errorSummary(stale.body)).toContain('Someone else changed this time entry');
    expect(stale.body).toContain(`name="version" value="${now}"`);
    expect(stale.body).toContain('href="#main-content"');
    const again = await specialist.submit(paths.engagementTimeEdit(id, entryId), { ...dateFields('date', '23', '11', '2026'), unit: 'hours', amount: '6', activity: 'workshop', version: now });
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await one<{ minutes: number; activity: string }>(sql`select minutes, activity from engagement_time_entries where id = ${entryId}`)).toEqual({ minutes: 360, activity: 'workshop' });
    // Someone else's entry: the admin sees the engagement but cannot change the specialist's time.
    expect((await admin.get(paths.engagementTimeEdit(id, entryId))).statusCode).toBe(403);
    expect((await admin.submit(paths.engagementTimeDelete(id, entryId), {})).statusCode).toBe(403);
    expect((await specialist.submit(paths.engagementTimeDelete(id, entryId), {})).statusCode).toBe(302);
    expect((await one<{ n: number }>(sql`select count(*)::int as n from engagement_time_entries where id = ${entryId}`)).n).toBe(0);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('changed their time entry on the engagement “Test engagement”');
    expect(audit.body).toContain('deleted their time entry of 0.8 days on 23 November 2026');
  });

  it('keeps a closed engagement’s time as it was closed, and a second delete of one entry finds nothing', async () => {
    const id = await openEngagement();
    const timeForm = { ...dateFields('date', '24', '11', '2026'), unit: 'days', amount: '1', activity: 'coaching' };
    expect((await specialist.submit(paths.engagementTimeNew(id), timeForm)).statusCode).toBe(302);
    expect((await specialist.submit(paths.engagementTimeNew(id), { ...timeForm, ...dateFields('date', '25', '11', '2026') })).statusCode).toBe(302);
    const [kept, doubled] = await queryRows<{ id: string }>(t.db, sql`select id from engagement_time_entries where engagement_id = ${id} order by work_date`);
    // Deleting twice (a double click): the first deletes, the second is told it is not there and audits nothing.
    expect((await specialist.submit(paths.engagementTimeDelete(id, doubled.id), {})).statusCode).toBe(302);
    expect((await specialist.submit(paths.engagementTimeDelete(id, doubled.id), {})).statusCode).toBe(404);
    const deletions = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'engagement.time_deleted' and record_id = ${id}`);
    expect(deletions.n).toBe(1);

    for (const status of ['active', 'closing', 'closed']) {
      expect((await admin.submit(paths.engagementStatus(id), { status, version: await version('engagements', id) })).statusCode).toBe(302);
    }
    const v = await version('engagement_time_entries', kept.id);
    const logged = await specialist.submit(paths.engagementTimeNew(id), { ...timeForm, ...dateFields('date', '26', '11', '2026') });
    expect(logged.statusCode).toBe(409);
    expect(errorSummary(logged.body)).toContain('This engagement is closed: no more time can be logged on it');
    const edited = await specialist.submit(paths.engagementTimeEdit(id, kept.id), { ...timeForm, unit: 'hours', amount: '2', version: v });
    expect(edited.statusCode).toBe(409);
    expect(errorSummary(edited.body)).toContain('This engagement is closed: its time entries can no longer be changed');
    const deleted = await specialist.submit(paths.engagementTimeDelete(id, kept.id), {});
    expect(deleted.statusCode).toBe(409);
    expect(deleted.body).toContain('This engagement is closed: its time entries can no longer be changed');
    expect(await queryRows(t.db, sql`select minutes from engagement_time_entries where engagement_id = ${id}`)).toEqual([{ minutes: 450 }]);
  });

  it('warns near the plan (from the setting) and over it', async () => {
    const id = await openEngagement({ plannedDays: '1' });
    await specialist.submit(paths.engagementTimeNew(id), { ...dateFields('date', '20', '11', '2026'), unit: 'hours', amount: '7', activity: 'workshop' });
    const near = await specialist.get(paths.engagement(id));
    expect(near.body).toContain('Nearly all the planned days are used');
    await specialist.submit(paths.engagementTimeNew(id), { ...dateFields('date', '21', '11', '2026'), unit: 'hours', amount: '1', activity: 'workshop' });
    const over = await specialist.get(paths.engagement(id));
    expect(over.body).toContain('Over the plan by 0.07 days');
  });

  it('keeps milestones with due dates, flags the overdue ones and marks them done', async () => {
    const id = await openEngagement();
    const before = await specialist.submit(paths.engagementMilestoneNew(id), { title: 'Too early', ...dateFields('dueDate', '1', '8', '2026') });
    expect(before.statusCode).toBe(400);
    expect(errorSummary(before.body)).toContain('Due date must be the same as or after 1 September 2026');
    expect((await specialist.submit(paths.engagementMilestoneNew(id), { title: 'Diagnostic complete', ...dateFields('dueDate', '1', '10', '2026') })).statusCode).toBe(302);
    const page = await specialist.get(paths.engagement(id));
    expect(page.body).toMatch(/Diagnostic complete<\/td>\s*<td[^>]*>1 October 2026 <strong class="govuk-tag govuk-tag--red">Overdue/);
    const m = await one<{ id: string; version: number }>(sql`select id, version from engagement_milestones where engagement_id = ${id}`);
    expect((await lead.submit(paths.engagementMilestoneDone(id, m.id), { done: 'yes', version: String(m.version) })).statusCode).toBe(403);
    expect((await specialist.submit(paths.engagementMilestoneDone(id, m.id), { done: 'yes', version: String(m.version) })).statusCode).toBe(302);
    expect((await one<{ done_on: string }>(sql`select done_on::text from engagement_milestones where id = ${m.id}`)).done_on).toBe('2026-11-26');
  });

  it('builds an action plan: owners of the council only, due dates from the start, status moves, notes, https evidence, and SRO sign-offs', async () => {
    const id = await openEngagement();
    const owner = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.lead.email}`)).id;
    const outsider = (await one<{ id: string }>(sql`select id from people where organisation_id <> ${sroCouncil} and 'council_sro' = any(roles) limit 1`)).id;
    const action = { title: 'Create a contract register', maturityAreaKey: 'administration', rag: 'amber', ...dateFields('dueDate', '1', '11', '2026') };
    const otherCouncil = await specialist.submit(paths.engagementActionNew(id), { ...action, ownerId: outsider });
    expect(otherCouncil.statusCode).toBe(400);
    expect(errorSummary(otherCouncil.body)).toContain('Select a person from');
    const early = await specialist.submit(paths.engagementActionNew(id), { ...action, ownerId: owner, ...dateFields('dueDate', '31', '8', '2026') });
    expect(errorSummary(early.body)).toContain('Due date must be the same as or after 1 September 2026');
    const badArea = await specialist.submit(paths.engagementActionNew(id), { ...action, ownerId: owner, maturityAreaKey: 'Risk!' });
    expect(errorSummary(badArea.body)).toContain('Select a maturity area from the list');

    // Nothing to sign off yet.
    const empty = await sro.submit(paths.engagementSignOff(id), { what: 'plan' });
    expect(empty.statusCode).toBe(409);

    expect((await specialist.submit(paths.engagementActionNew(id), { ...action, ownerId: owner })).statusCode).toBe(302);
    const a = await one<{ id: string }>(sql`select id from engagement_actions where engagement_id = ${id}`);
    const page = await sro.get(paths.engagement(id));
    expect(page.body).toContain('1 action is overdue');
    expect(page.body).toContain('Sign off the action plan');
    // Read-only for the council: no adding, no changing.
    expect(page.body).not.toContain('Add an action');
    expect((await lead.submit(paths.engagementActionNew(id), { ...action, ownerId: owner })).statusCode).toBe(403);

    const skip = await specialist.submit(paths.engagementActionEdit(id, a.id), { ...action, ownerId: owner, status: 'done', version: await version('engagement_actions', a.id) });
    expect(skip.statusCode).toBe(409);
    expect(errorSummary(skip.body)).toContain('An action that is not started cannot move to done');
    const v1 = await version('engagement_actions', a.id);
    expect((await specialist.submit(paths.engagementActionEdit(id, a.id), { ...action, ownerId: owner, status: 'in_progress', version: v1 })).statusCode).toBe(302);
    const stale = await specialist.submit(paths.engagementActionEdit(id, a.id), { ...action, ownerId: owner, status: 'blocked', version: v1 });
    expect(stale.statusCode).toBe(409);
    const v2 = await version('engagement_actions', a.id);
    expect(stale.body).toContain(`name="version" value="${v2}"`);
    expect((await specialist.submit(paths.engagementActionEdit(id, a.id), { ...action, rag: 'red', ownerId: owner, status: 'in_progress', version: v2 })).statusCode).toBe(302);
    expect((await one<{ rag: string }>(sql`select rag from engagement_actions where id = ${a.id}`)).rag).toBe('red');

    expect((await specialist.submit(paths.engagementActionNotes(id, a.id), { text: 'Draft register shared' })).statusCode).toBe(302);
    const http = await specialist.submit(paths.engagementActionEvidence(id, a.id), { title: 'Register', url: 'http://example.org/register' });
    expect(http.statusCode).toBe(400);
    expect(errorSummary(http.body)).toContain('Enter a link starting with https://');
    expect((await specialist.submit(paths.engagementActionEvidence(id, a.id), { title: 'Register', url: 'https://example.org/register' })).statusCode).toBe(302);
    const actionPage = await sro.get(paths.engagementAction(id, a.id));
    expect(actionPage.body).toContain('Draft register shared');
    expect(actionPage.body).toContain('href="https://example.org/register"');

    expect((await lead.submit(paths.engagementSignOff(id), { what: 'plan' })).statusCode).toBe(403);
    expect((await sro.submit(paths.engagementSignOff(id), { what: 'plan' })).statusCode).toBe(302);
    const again = await sro.submit(paths.engagementSignOff(id), { what: 'plan' });
    expect(again.statusCode).toBe(409);
    const early2 = await sro.submit(paths.engagementSignOff(id), { what: 'completion' });
    expect(early2.statusCode).toBe(409);
    expect(errorSummary(early2.body)).toContain('1 action is not done yet');
    await specialist.submit(paths.engagementActionEdit(id, a.id), { ...action, ownerId: owner, status: 'done', version: await version('engagement_actions', a.id) });
    expect((await sro.submit(paths.engagementSignOff(id), { what: 'completion' })).statusCode).toBe(302);
    const signed = await sro.get(paths.engagement(id));
    expect(signed.body).toMatch(/Plan signed off by [^<]+ on 26 November 2026\. Completion signed off by [^<]+ on 26 November 2026/);
    const audit = await admin.get(`${paths.audit()}?q=`);
    expect(audit.body).toContain('signed off the completion of the engagement “Test engagement”');
  });

  it('lists engagements with filters, sort and downloads, each role seeing its own councils', async () => {
    const all = await admin.get(`${paths.engagements()}?status=active&sort=council&order=desc`);
    expect(all.statusCode).toBe(200);
    expect(all.body).toMatch(/Showing 1 to \d+ of \d+ engagements/);
    const mine = await specialist.get(`${paths.engagements()}?specialistId=${demoSpecialistId}`);
    expect(mine.body).toContain(`/engagements/${demoEngagement}`);
    // A specialist sees only councils assigned to them.
    const outside = await one<{ id: string }>(sql`select id from engagements e where not exists (select 1 from specialist_assignments a where a.council_id = e.council_id and a.person_id = ${demoSpecialistId}) limit 1`);
    expect((await specialist.get(paths.engagement(outside.id))).statusCode).toBe(404);
    expect((await specialist.get(paths.engagements())).body).not.toContain(outside.id);
    expect((await sro.get(paths.engagement(outside.id))).statusCode).toBe(404);
    expect((await learner.get(paths.engagements())).statusCode).toBe(403);
    const csv = await sro.get(`${paths.engagementsExport('csv')}?councilId=${sroCouncil}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\n')[0]).toContain('Council,Engagement,Status,Lead specialist');
    expect(csv.body).toContain('Contract management transformation with');
    const xlsx = await admin.get(paths.engagementsExport('xlsx'));
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
  });

  it('shows the council’s engagements and overdue actions on the council page, and only to those who see engagements', async () => {
    const page = await sro.get(paths.council(sroCouncil));
    expect(page.body).toContain('Transformation engagements');
    expect(page.body).toContain(`/engagements/${demoEngagement}`);
    expect(page.body).toMatch(/actions? (is|are) overdue/);
    const funderless = await t.signIn('partnerLp');
    expect((await funderless.get(paths.council(sroCouncil))).statusCode).toBeLessThan(500);
  });
});
