import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, testNow, type Agent, type TestApp, allowEmailDomain } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';
import { openPeriodsUntil } from '../places/testing.ts';

const today = testNow.slice(0, 10);
/** A period the demo data does not use (next year at the test clock), so what the tests count here is theirs alone. */
const period = '2027-28';

describe.each(backends)('learner pages (%s)', (backend) => {
  let t: TestApp;
  let token: string;
  let councilId: string;
  let councilName: string;
  let otherPartner: 'partnerLp' | 'partnerMhclg';
  let ownPartner: 'partnerLp' | 'partnerMhclg';
  const agents = {} as Record<'admin' | 'sro' | 'lead' | 'learner' | 'funder' | 'partnerLp' | 'partnerMhclg', Agent>;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Tests work in financial years the demo data never uses.
    await openPeriodsUntil(t, '2039-40');
    await allowEmailDomain(t.db, 'pages-test.example.gov.uk');
    const admin = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'pages')).token;
    const council = await one<{ id: string; name: string; partner: string }>(sql`
      select o.id, o.name, mp.code as partner from people p join organisations o on o.id = p.organisation_id
      join participations pa on pa.council_id = o.id join organisations mp on mp.id = pa.managing_partner_id
      where p.email = ${demoAccounts.sro.email}`);
    councilId = council.id;
    councilName = council.name;
    ownPartner = council.partner === 'LP' ? 'partnerLp' : 'partnerMhclg';
    otherPartner = council.partner === 'LP' ? 'partnerMhclg' : 'partnerLp';
    for (const who of ['admin', 'sro', 'lead', 'learner', 'funder', 'partnerLp', 'partnerMhclg'] as const) agents[who] = await t.signIn(who);
    await setPlaces(t.db, { councilId, level: 'foundation', period }, 10, t.clock.now());
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  let seq = 0;
  const nominate = async (name = `Page Officer ${++seq}`, level = 'foundation', p = period) => {
    const res = await api('POST', '/enrolments', { councilId, level, period: p, person: { name, email: `page.officer.${++seq}@pages-test.example.gov.uk` } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; personId: string };
  };
  const step = async (id: string, body: Record<string, string>) => {
    const res = await api('POST', `/enrolments/${id}/events`, { date: today, ...body });
    expect(res.statusCode, res.body).toBe(200);
  };
  const countOf = (html: string, status: string) => Number(new RegExp(`data-status="${status}">\\s*(\\d+)`).exec(html)?.[1] ?? 'NaN');

  it('lists the council’s learners with status counts, an overdue flag, filters, and downloads that neutralise formulas', async () => {
    const a = await nominate('=cmd|’ /C calc’!A0');
    const b = await nominate();
    await step(b.id, { type: 'approved' });
    // Registered on 1 February 2025 (nominated then): by 26 November 2026 the assessment is overdue.
    t.clock.set('2025-01-06T10:00:00Z');
    const c = await nominate('Olwen Overdue').finally(() => t.clock.set(testNow));
    await step(c.id, { type: 'approved', date: '2025-01-06' });
    await step(c.id, { type: 'registered', date: '2025-02-01' });
    await step(c.id, { type: 'learning_started', date: '2025-03-01' });

    const page = await agents.sro.get(`/learners?period=${period}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Olwen Overdue');
    expect(page.body).not.toContain('id="councilId"');
    expect(countOf(page.body, 'nominated')).toBe(1);
    expect(countOf(page.body, 'approved')).toBe(1);
    expect(countOf(page.body, 'in_learning')).toBe(1);
    expect(countOf(page.body, 'overdue')).toBe(1);
    expect(countOf(page.body, 'total')).toBe(3);
    expect(page.body).toMatch(/Olwen Overdue[\s\S]*?1 February 2026[\s\S]*?Overdue/);

    // Narrowed to overdue: one row, and the counts still show every status of the period.
    const overdue = await agents.sro.get(`/learners?period=${period}&overdue=yes`);
    expect(overdue.body).toContain('Showing 1 to 1 of 1 learner');
    expect(overdue.body).toContain(`/enrolments/${c.id}`);
    expect(countOf(overdue.body, 'total')).toBe(3);
    const approved = await agents.sro.get(`/learners?period=${period}&status=approved`);
    expect(approved.body).toContain(`/enrolments/${b.id}`);
    expect(approved.body).not.toContain(`/enrolments/${a.id}`);
    const searched = await agents.admin.get(`/learners?period=${period}&q=olwen`);
    expect(searched.body).toContain('Showing 1 to 1 of 1 learner');
    expect(searched.body).toContain('id="councilId"');
    const none = await agents.admin.get(`/learners?period=${period}&q=nobody-at-all`);
    expect(none.body).toContain('There are no matching learners');
    // Nonsense filters are ignored rather than failing.
    expect((await agents.sro.get('/learners?status=nonsense&overdue=maybe&sort=x&page=-1')).statusCode).toBe(200);
    // Another managing partner's staff see none of this council's learners, counts or filter option.
    const others = (await agents[otherPartner].get(`/learners?period=${period}&councilId=${councilId}`)).body;
    expect(others).not.toContain('Olwen Overdue');
    expect(others).not.toContain('data-status="total"');
    expect(others).not.toContain(`value="${councilId}"`);
    const own = (await agents[ownPartner].get(`/learners?period=${period}`)).body;
    expect(own).toContain('Olwen Overdue');
    expect(countOf(own, 'total')).toBe(3);
    expect(own).toContain(`value="${councilId}"`);

    const csv = await agents.sro.get(`/learners/export.csv?period=${period}&sort=name`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain(`learners-${today}.csv`);
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe(
      'Name,Email address,Job title,Council,Level,Period,Status,Cohort,Assessment attempts,Role,Contracts managed,Nominated on,Approved on,Registered on,Assessment due,Overdue,Needs attention,Needs attention since,Funded place,Last step on',
    );
    expect(lines).toHaveLength(4);
    expect(csv.body).toContain("'=cmd|’ /C calc’!A0");
    expect(csv.body).not.toMatch(/(^|,)"?=cmd/m);
    expect(lines.find((l) => l.startsWith('Olwen Overdue'))).toMatch(/,Yes,Assessment overdue,1 February 2026,Taken,/);
    const xlsx = await agents.sro.get(`/learners/export.xlsx?period=${period}`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
  });

  it('is closed to learners and funders', async () => {
    expect((await agents.learner.get('/learners')).statusCode).toBe(403);
    expect((await agents.funder.get('/learners')).statusCode).toBe(403);
    expect((await agents.learner.get('/learners/export.csv')).statusCode).toBe(403);
    expect((await agents.learner.get('/learners/nominate')).statusCode).toBe(403);
    expect((await agents[ownPartner].get('/learners/nominate')).statusCode).toBe(403);
  });

  it('asks an SRO who they are nominating first, then the new officer’s details, with GOV.UK errors and a clear refusal of a duplicate', async () => {
    const who = await agents.sro.get('/learners/nominate');
    expect(who.statusCode).toBe(200);
    expect(who.body).toContain(councilName);
    expect(who.body).toContain('Who are you nominating?');
    expect(who.body).toContain('name="personChoice"');
    // One question a page: no details yet.
    expect(who.body).not.toContain('name="email"');
    expect(who.body).not.toContain('name="level"');

    const unanswered = await agents.sro.submit('/learners/nominate', {});
    expect(unanswered.statusCode).toBe(400);
    expect(errorSummary(unanswered.body)).toContain('Select whether the officer is already in Pioneer or new');
    expect(unanswered.body).toContain('href="#personChoice"');
    const chosen = await agents.sro.submit('/learners/nominate', { personChoice: 'new' });
    expect(chosen.statusCode).toBe(303);
    expect(chosen.headers.location).toBe(`/learners/nominate/new?councilId=${councilId}`);
    const existingChosen = await agents.sro.submit('/learners/nominate', { personChoice: 'existing' });
    expect(existingChosen.headers.location).toBe(`/learners/nominate/existing?councilId=${councilId}`);

    const form = await agents.sro.get(chosen.headers.location as string);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Nominate a new officer');
    expect(form.body).not.toContain('name="personId"');
    expect(form.body).toMatch(/<option value="2026-27" selected>/);
    // The back link returns to the question with the answer kept.
    expect(form.body).toContain(`href="/learners/nominate?councilId=${councilId}&amp;who=new"`);
    expect((await agents.sro.get(`/learners/nominate?councilId=${councilId}&who=new`)).body).toMatch(/value="new" checked/);

    const empty = await agents.sro.submit('/learners/nominate/new', { period: '2026-27' });
    expect(empty.statusCode).toBe(400);
    expect(errorSummary(empty.body)).toContain('Enter the officer’s full name');
    expect(errorSummary(empty.body)).toContain('Select the level');
    expect(empty.body).toContain('href="#level"');

    const badNew = await agents.sro.submit('/learners/nominate/new', { name: '', email: 'not-an-email', level: 'foundation', period });
    expect(badNew.statusCode).toBe(400);
    expect(errorSummary(badNew.body)).toContain('Enter the officer’s full name');
    expect(errorSummary(badNew.body)).toContain('Enter an email address in the correct format');
    expect(badNew.body).toContain('href="#name"');
    expect(badNew.body).toContain('href="#email"');
    expect(badNew.body).toContain('value="not-an-email"');

    const fields = { name: 'Rhys ap Gwilym', email: 'rhys.ap.gwilym@pages-test.example.gov.uk', jobTitle: 'Commissioning officer', level: 'foundation', period, roleDescription: 'Commissions social care', contracts: 'Home care framework' };
    const ok = await agents.sro.submit('/learners/nominate/new', { ...fields, councilId: '00000000-0000-4000-8000-000000000000' });
    expect(ok.statusCode, ok.body).toBe(302);
    const location = ok.headers.location as string;
    expect(location).toMatch(/^\/enrolments\/[0-9a-f-]{36}\?done=nominated$/);
    const shown = await agents.sro.get(location);
    expect(shown.body).toContain('Nomination recorded');
    expect(shown.body).toContain('Rhys ap Gwilym');
    expect(shown.body).toContain(councilName);
    const mail = await one<{ n: number }>(sql`select count(*)::int as n from notifications where to_email = ${fields.email} and template = 'invite'`);
    expect(mail.n).toBe(1);

    const dup = await agents.lead.submit('/learners/nominate/new', fields);
    expect(dup.statusCode).toBe(409);
    expect(errorSummary(dup.body)).toContain('Rhys ap Gwilym is already nominated for Foundation');
    expect(dup.body).toContain('href="#email"');
  });

  it('lets an admin choose the council first, then nominate an officer already in Pioneer', async () => {
    const choose = await agents.admin.get('/learners/nominate');
    expect(choose.statusCode).toBe(200);
    expect(choose.body).toContain('Which council is the officer from?');
    const interested = await one<{ id: string }>(sql`select council_id as id from participations where status = 'interested' order by council_id limit 1`);
    const refused = await agents.admin.get(`/learners/nominate?councilId=${interested.id}`);
    expect(refused.statusCode).toBe(400);
    expect(errorSummary(refused.body)).toContain('Select a council that is onboarding or active in the programme');
    expect((await agents.admin.get(`/learners/nominate/existing?councilId=${interested.id}`)).statusCode).toBe(400);

    const existing = await nominate('Existing Officer');
    const form = await agents.admin.get(`/learners/nominate/existing?councilId=${councilId}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="${existing.personId}"`);
    expect(form.body).not.toContain('name="email"');
    expect(form.body).not.toMatch(/deactivated@/);

    const missing = await agents.admin.submit('/learners/nominate/existing', { councilId, personId: '', level: 'practitioner', period });
    expect(missing.statusCode).toBe(400);
    expect(errorSummary(missing.body)).toContain('Select the officer');

    const ok = await agents.admin.submit('/learners/nominate/existing', { councilId, personId: existing.personId, level: 'practitioner', period });
    expect(ok.statusCode, errorSummary(ok.body)).toBe(302);
    const row = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where person_id = ${existing.personId} and level = 'practitioner'`);
    expect(row.n).toBe(1);
  });

  it('shows an enrolment with its place, history and due date, only within scope', async () => {
    const e = await nominate('Hanna History');
    await step(e.id, { type: 'approved' });
    await step(e.id, { type: 'registered' });
    await step(e.id, { type: 'deferred', reason: 'Long-term sick leave' });
    const page = await agents.sro.get(`/enrolments/${e.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Hanna History: Foundation');
    expect(page.body).toContain('Taken');
    expect(page.body).toContain('0 of 3');
    expect(page.body).toContain('26 November 2027');
    expect(page.body).toContain('Resumes as registered');
    expect(page.body).toMatch(/Deferred[\s\S]*Reason: Long-term sick leave[\s\S]*Registered with the training provider[\s\S]*Nomination approved[\s\S]*Nominated/);
    // An SRO follows the journey but records no steps.
    expect(page.body).not.toContain('Record a step');
    expect((await agents.admin.get(`/enrolments/${e.id}`)).body).toContain('Record a step');
    expect((await agents[otherPartner].get(`/enrolments/${e.id}`)).statusCode).toBe(404);
    expect((await agents.learner.get(`/enrolments/${e.id}`)).statusCode).toBe(404);
    expect((await agents.admin.get('/enrolments/not-an-id')).statusCode).toBe(404);
    expect((await agents.admin.get('/enrolments/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('moves an enrolment with the form: only allowed steps, GOV.UK errors, the no-place refusal, stale pages', async () => {
    const poor = await nominate('Polly Noplace', 'foundation', '2036-37');
    // First which step (only those possible now), then only that step's questions.
    const form = await agents.admin.get(`/enrolments/${poor.id}/move`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Which step do you want to record?');
    for (const v of ['approved', 'declined', 'deferred', 'withdrawn']) expect(form.body).toContain(`value="${v}"`);
    expect(form.body).not.toContain('value="passed"');
    expect(form.body).not.toContain('name="date-day"');
    const unchosen = await agents.admin.get(`/enrolments/${poor.id}/move?choose=yes`);
    expect(unchosen.statusCode).toBe(400);
    expect(errorSummary(unchosen.body)).toContain('Select what happened');
    expect(unchosen.body).toContain('href="#type"');
    expect((await agents.admin.get(`/enrolments/${poor.id}/move?choose=yes&type=passed`)).statusCode).toBe(400);
    const decline = await agents.admin.get(`/enrolments/${poor.id}/move?choose=yes&type=declined`);
    expect(decline.statusCode).toBe(200);
    expect(decline.body).toContain('Decline nomination</h1>');
    expect(decline.body).toContain('name="date-day" type="text" value="26"');
    expect(decline.body).toContain('name="reason"');
    expect(decline.body).toContain('name="type" value="declined"');
    expect(decline.body).not.toContain('name="certificateNumber"');
    expect(decline.body).toContain(`href="/enrolments/${poor.id}/move?chosen=declined"`);
    expect((await agents.admin.get(`/enrolments/${poor.id}/move?chosen=declined`)).body).toMatch(/value="declined" checked/);
    const approve = await agents.admin.get(`/enrolments/${poor.id}/move?type=approved`);
    expect(approve.body).not.toContain('name="reason"');
    expect(approve.body).not.toContain('name="certificateNumber"');

    const noType = await agents.admin.submit(`/enrolments/${poor.id}/move`, { 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(noType.statusCode).toBe(400);
    expect(errorSummary(noType.body)).toContain('Select what happened');
    const noReason = await agents.admin.submit(`/enrolments/${poor.id}/move`, { type: 'declined', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(noReason.statusCode).toBe(400);
    expect(errorSummary(noReason.body)).toContain('Enter a reason');
    const badDate = await agents.admin.submit(`/enrolments/${poor.id}/move`, { type: 'declined', 'date-day': '', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(badDate.statusCode).toBe(400);
    expect(errorSummary(badDate.body)).toContain('Date must include a day');
    expect(errorSummary(badDate.body)).toContain('Enter a reason');
    expect(badDate.body).toContain('href="#date-day"');
    // Only the wrong box is linked and highlighted: a month of 13 points at the month, not the day.
    const badMonth = await agents.admin.submit(`/enrolments/${poor.id}/move`, { type: 'declined', reason: 'x', 'date-day': '2', 'date-month': '13', 'date-year': '2026', version: '1' });
    expect(badMonth.statusCode).toBe(400);
    expect(badMonth.body).toContain('href="#date-month"');
    expect(badMonth.body).not.toContain('href="#date-day"');
    expect(badMonth.body.match(/govuk-input--error/g)?.length).toBe(1);
    const future = await agents.admin.submit(`/enrolments/${poor.id}/move`, { type: 'approved', 'date-day': '27', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(future.statusCode).toBe(400);
    expect(errorSummary(future.body)).toContain('Date must be today or in the past');

    const noPlace = await agents.admin.submit(`/enrolments/${poor.id}/move`, { type: 'approved', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(noPlace.statusCode).toBe(409);
    expect(errorSummary(noPlace.body)).toContain(`${councilName} has no Foundation places left for 2036-37`);
    const events = await one<{ n: number }>(sql`select count(*)::int as n from enrolment_events where enrolment_id = ${poor.id}`);
    expect(events.n).toBe(1);

    const e = await nominate('Mo Mover');
    const sroForm = await agents.sro.get(`/enrolments/${e.id}/move`);
    expect(sroForm.body).toContain('There is no step you can record for this enrolment now');
    expect((await agents.sro.submit(`/enrolments/${e.id}/move`, { type: 'approved', 'date-day': '26', 'date-month': '11', 'date-year': '2026' })).statusCode).toBe(403);
    expect((await agents[otherPartner].submit(`/enrolments/${e.id}/move`, { type: 'approved' })).statusCode).toBe(404);

    const approved = await agents[ownPartner].submit(`/enrolments/${e.id}/move`, { type: 'approved', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(approved.statusCode, errorSummary(approved.body)).toBe(302);
    expect(approved.headers.location).toBe(`/enrolments/${e.id}?done=approved`);
    expect((await agents[ownPartner].get(approved.headers.location as string)).body).toContain('Step recorded: Nomination approved');

    const stale = await agents.admin.submit(`/enrolments/${e.id}/move`, { type: 'registered', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this enrolment');
    expect(stale.body).toContain('name="version" value="2"');

    const [cohort] = await queryRows<{ id: string }>(t.db, sql`insert into cohorts (level, name, start_date, end_date, capacity) values ('foundation', 'Pages cohort', '2026-10-01', '2027-06-30', 1) returning id`);
    const regForm = await agents.admin.get(`/enrolments/${e.id}/move?type=registered`);
    expect(regForm.body).toContain('Pages cohort: started 1 October 2026, ends 30 June 2027, 1 of 1 places left');
    const registered = await agents.admin.submit(`/enrolments/${e.id}/move`, { type: 'registered', cohortId: cohort.id, certificateNumber: 'IGNORED-1', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: '2' });
    expect(registered.statusCode, errorSummary(registered.body)).toBe(302);
    const row = await one<{ cohort_id: string; status: string }>(sql`select cohort_id, status from enrolments where id = ${e.id}`);
    expect(row).toEqual({ cohort_id: cohort.id, status: 'registered' });
    const history = await one<{ n: number }>(sql`select count(*)::int as n from enrolment_events where enrolment_id = ${e.id} and certificate_number is not null`);
    expect(history.n).toBe(0);
  });

  it('shows a change in the status counts on the very next page, though the counts are kept between changes', async () => {
    const e = await nominate('Cathy Counted');
    const list = `/learners?period=${period}&q=cathy+counted`;
    const first = (await agents.sro.get(list)).body;
    expect([countOf(first, 'nominated'), countOf(first, 'approved') || 0]).toEqual([1, 0]);
    // Read again with nothing changed: the same figures (from memory).
    expect(countOf((await agents.sro.get(list)).body, 'nominated')).toBe(1);
    await step(e.id, { type: 'approved' });
    const after = (await agents.sro.get(list)).body;
    expect([countOf(after, 'nominated') || 0, countOf(after, 'approved')]).toEqual([0, 1]);
    // The same counts seen by someone else with another scope were kept apart and are fresh too.
    const admin = (await agents.admin.get(`${list}&councilId=${councilId}`)).body;
    expect([countOf(admin, 'nominated') || 0, countOf(admin, 'approved')]).toEqual([0, 1]);
  });
});
