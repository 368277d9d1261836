import { cpdForm } from './testing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, allowEmailDomain, dateFields, demoActor } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts, demoPassword } from '../db/seed/demo.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createApiToken } from '../auth/service.ts';
import type { Actor } from '../auth/policy.ts';
import { nominate, recordEvent } from '../enrolments/service.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';
import { xlsxDateFormats } from '../web/export.ts';

const period = '2027-28';
const today = '2026-11-26';

/** A GOV.UK date input's three parts as a form posts them. */


describe.each(backends)('learners: journey, CPD, staff view and API (%s)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let sroCouncil: string;
  let otherCouncil: string;
  /** A learner in the SRO's council: Foundation accredited in 2024 (by SQL), Practitioner in learning (by the service). */
  let ann: { id: string; email: string; practitionerId: string; foundationId: string };
  /** A learner with no enrolment. */
  let ben: { id: string; email: string };
  /** A learner in another council, Foundation nominated. */
  let cat: { id: string; email: string };
  const tokens: Record<string, string> = {};

  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const one = async <T>(query: ReturnType<typeof sql>) => (await rows<T>(query))[0];
  const cpdCount = async (personId: string) => (await one<{ n: number }>(sql`select count(*)::int as n from cpd_records where person_id = ${personId}::uuid`)).n;
  const ctx = () => ({ actor: admin, clock: t.clock });

  /** A person who can sign in with the demo password. */
  async function createPerson(councilId: string, name: string, email: string, roles: string[] = ['learner']) {
    const hash = await hashPassword(demoPassword);
    const [row] = await rows<{ id: string }>(sql`
      insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      values (${name}, ${email}, ${councilId}::uuid, 'Contract manager', ${`{${roles.join(',')}}`}::text[], 'active', ${hash}) returning id`);
    return row.id;
  }

  async function enrol(personId: string, councilId: string, level: string, events: string[]) {
    const enrolment = await nominate(t.db, t.config, ctx(), { kind: 'all' }, { councilId, level, period, personId });
    for (const type of events) await recordEvent(t.db, ctx(), { kind: 'all' }, enrolment.id, { type, date: today, certificateNumber: type === 'passed' ? `T-${enrolment.id.slice(0, 8)}` : undefined });
    return enrolment.id;
  }

  const call = (method: 'GET' | 'POST', url: string, who: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'test.example.gov.uk');
    admin = await demoActor(t.db, 'admin');
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    otherCouncil = (await one<{ id: string }>(sql`select council_id as id from participations where status = 'active' and council_id <> ${sroCouncil}::uuid order by council_id limit 1`)).id;
    await t.db.transaction(async (tx) => {
      for (const council of [sroCouncil, otherCouncil]) {
        for (const level of ['foundation', 'practitioner', 'expert']) {
          const [{ taken }] = await queryRows<{ taken: number }>(tx, sql`select coalesce(max(taken), 0)::int as taken from funded_places where council_id = ${council}::uuid and level = ${level} and period = ${period}`);
          await setPlaces(tx, { councilId: council, level, period }, taken + 10, t.clock.now());
        }
      }
    });

    const annId = await createPerson(sroCouncil, 'Ann O’Hara-Llewelyn', 'ann.learner@test.example.gov.uk');
    const practitionerId = await enrol(annId, sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started']);
    const [{ id: foundationId }] = await rows<{ id: string }>(sql`
      insert into enrolments (person_id, council_id, level, period, status, attempts, place_state, nominated_on, approved_on, registered_on, last_event_on)
      values (${annId}::uuid, ${sroCouncil}::uuid, 'foundation', '2023-24', 'accredited', 1, 'taken', '2023-06-01', '2023-06-10', '2023-07-01', '2024-01-15') returning id`);
    await rows(sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
      values (${annId}::uuid, ${foundationId}::uuid, 'foundation', '2024-01-15', 'TEST-F-0001')`);
    ann = { id: annId, email: 'ann.learner@test.example.gov.uk', practitionerId, foundationId };
    ben = { id: await createPerson(sroCouncil, 'Ben Nobody', 'ben.learner@test.example.gov.uk'), email: 'ben.learner@test.example.gov.uk' };
    const catId = await createPerson(otherCouncil, 'Cat Elsewhere', 'cat.learner@test.example.gov.uk');
    await enrol(catId, otherCouncil, 'foundation', []);
    cat = { id: catId, email: 'cat.learner@test.example.gov.uk' };

    for (const [who, email] of [
      ['admin', demoAccounts.admin.email],
      ['sro', demoAccounts.sro.email],
      ['partnerLp', demoAccounts.partnerLp.email],
      ['partnerMhclg', demoAccounts.partnerMhclg.email],
      ['specialist', demoAccounts.specialist.email],
      ['ann', ann.email],
      ['ben', ben.email],
      ['funder', demoAccounts.funder.email],
    ] as const) {
      const p = await one<{ id: string }>(sql`select id from people where email = ${email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, `${who} test token`)).token;
    }
  });
  afterAll(async () => t?.close());

  /** The demo partner account that does not manage the SRO's council (and one that does). */
  async function partners() {
    const { code } = await one<{ code: string }>(sql`select o.code from participations p join organisations o on o.id = p.managing_partner_id where p.council_id = ${sroCouncil}::uuid`);
    return code === 'LP' ? { manages: 'partnerLp', other: 'partnerMhclg' } : { manages: 'partnerMhclg', other: 'partnerLp' };
  }

  describe('the learner’s own journey', () => {
    let page: string;
    beforeAll(async () => {
      const agent = await t.signIn(ann.email);
      const res = await agent.get(paths.myJourney());
      expect(res.statusCode).toBe(200);
      page = res.body;
    });

    it('shows the next step, the deadline, attempts left and the task list of the main line', () => {
      expect(page).toContain('Your learning');
      expect(page).toContain('Practitioner level');
      expect(page).toContain('Your next step');
      expect(page).toContain('Book your assessment by 26 November 2027.');
      expect(page).toContain('26 November 2027');
      expect(page).toContain('3 of 3');
      expect(page).toContain('govuk-task-list');
      const practitioner = page.slice(page.indexOf('Practitioner level'));
      const tasks = [...practitioner.matchAll(/<li class="govuk-task-list__item[\s\S]*?<\/li>/g)].slice(0, 6).map((m) => m[0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
      expect(tasks).toEqual([
        'Nominated 26 November 2026 Completed',
        'Approved 26 November 2026 Completed',
        'Registered 26 November 2026 Completed',
        'In learning 26 November 2026 In progress',
        'Assessment booked Not yet',
        'Accredited Not yet',
      ]);
    });

    it('shows the history and the accreditation with its upkeep status', () => {
      expect(page).toContain('Nomination approved');
      expect(page).toContain('Registered with the training provider');
      expect(page).toContain('TEST-F-0001');
      expect(page).toContain('15 January 2024');
      // Foundation renewal was due 15 January 2026: lapsed on 26 November 2026.
      expect(page).toMatch(/govuk-tag--red[^>]*>\s*Lapsed/);
      expect(page).toContain('15 January 2026');
    });

    it('renders the demo learner’s page from the seeded journey', async () => {
      const res = await (await t.signIn('learner')).get(paths.myJourney());
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Your learning');
    });

    it('shows an empty state to a learner with no enrolment', async () => {
      const res = await (await t.signIn(ben.email)).get(paths.myJourney());
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('You are not enrolled on a level yet');
      expect(res.body).not.toContain('govuk-task-list');
    });

    it('is only for learners (403 for staff)', async () => {
      for (const who of ['admin', 'sro', 'partnerLp'] as const) {
        expect((await (await t.signIn(who)).get(paths.myJourney())).statusCode, who).toBe(403);
      }
    });
  });

  describe('the CPD log', () => {
    let agent: Agent;
    beforeAll(async () => {
      agent = await t.signIn(ann.email);
    });

    it('adds an entry, shows it newest first with the total, audits it, and downloads as CSV and XLSX', async () => {
      const before = await cpdCount(ann.id);
      const form = await agent.get(paths.myCpdAdd());
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('name="date-day"');
      expect(form.body).toContain('value="mentoring_or_coaching"');
      const res = await agent.submit(paths.myCpdAdd(), cpdForm({ reflection: '=HYPERLINK("x") a formula-looking note' }));
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/my-journey/cpd?done=logged');
      const older = await agent.submit(paths.myCpdAdd(), cpdForm({ ...dateFields('date', '1', '11', '2021'), hours: '24', activity: 'other', reflection: 'The programme launch' }));
      expect(older.statusCode).toBe(302);
      expect(await cpdCount(ann.id)).toBe(before + 2);

      const list = await agent.get(`${paths.myCpd()}?done=logged`);
      expect(list.statusCode).toBe(200);
      expect(list.body).toContain('CPD activity added to your log');
      expect(list.body).toContain('25.5 hours');
      expect(list.body.indexOf('20 November 2026')).toBeLessThan(list.body.indexOf('1 November 2021'));
      expect(list.body).toContain('Workshop or webinar');

      const audit = await rows<{ actor_id: string; after: { personId: string; hours: number; activity: string } }>(sql`
        select actor_id, after from audit_events where action = 'cpd.logged' and after->>'personId' = ${ann.id} order by id`);
      expect(audit).toHaveLength(2);
      expect(audit[0]).toMatchObject({ actor_id: ann.id, after: { personId: ann.id, hours: 1.5, activity: 'workshop_or_webinar' } });

      const csv = await agent.get(`${paths.myCpd()}/export.csv`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.headers['content-disposition']).toContain('cpd-log-2026-11-26.csv');
      expect(csv.body).toContain('Date,Hours,Activity,Reflection');
      // The date in words in the CSV, as the page shows it, and a real date cell in the workbook.
      expect(csv.body).toContain(`20 November 2026,1.5,Workshop or webinar,"'=HYPERLINK(""x"") a formula-looking note"`);
      const xlsx = await agent.get(`${paths.myCpd()}/export.xlsx`);
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.headers['content-type']).toContain('spreadsheetml');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
      const sheet = workbook.worksheets[0];
      expect(sheet.getRow(1).getCell(1).value).toBe('Date');
      const dates = sheet.getRows(2, sheet.rowCount - 1)!.map((r) => r.getCell(1));
      expect(dates.every((c) => c.value instanceof Date && c.numFmt === xlsxDateFormats.date)).toBe(true);
      expect(dates.map((c) => (c.value as Date).toISOString().slice(0, 10))).toContain('2026-11-20');

      const journey = await agent.get(paths.myJourney());
      expect(journey.body).toContain('25.5 hours of CPD');
    });

    it('sends a page number past the end of the log to its last page', async () => {
      const past = await agent.get(`${paths.myCpd()}?page=99999`);
      expect(past.statusCode).toBe(302);
      expect(past.headers.location).toBe(paths.myCpd());
      const page = await agent.get(past.headers.location!);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toMatch(/Showing \d{4,} to/);
    });

    it('logs a form sent twice (or twice at once) only once, and says so', async () => {
      const before = await cpdCount(ann.id);
      const form = cpdForm({ ...dateFields('date', '3', '11', '2026'), reflection: 'Sent twice by a double click' });
      const [a, b] = await Promise.all([agent.submit(paths.myCpdAdd(), form), agent.submit(paths.myCpdAdd(), form)]);
      expect([a.headers.location, b.headers.location].sort()).toEqual(['/my-journey/cpd?done=already', '/my-journey/cpd?done=logged']);
      const again = await agent.submit(paths.myCpdAdd(), form);
      expect(again.headers.location).toBe('/my-journey/cpd?done=already');
      expect(await cpdCount(ann.id)).toBe(before + 1);
      expect((await agent.get(`${paths.myCpd()}?done=already`)).body).toContain('This activity was already in your log, so it was not added again');
      const audit = await rows<{ n: number }>(sql`
        select count(*)::int as n from audit_events where action = 'cpd.logged' and after->>'personId' = ${ann.id} and after->>'date' = '2026-11-03'`);
      expect(audit[0].n).toBe(1);
      // A different reflection on the same day is a different activity.
      await agent.submit(paths.myCpdAdd(), { ...form, reflection: 'A second, different activity that day' });
      expect(await cpdCount(ann.id)).toBe(before + 2);
    });

    it('refuses each bad input with a clear message, keeps what was typed, and writes nothing', async () => {
      const before = await cpdCount(ann.id);
      const cases: [Record<string, string>, string, string][] = [
        [dateFields('date', '', '', ''), 'Enter the date of the activity', '#date-day'],
        [dateFields('date', '31', '2', '2026'), 'Date of the activity must be a real date', '#date-day'],
        [dateFields('date', '27', '11', '2026'), 'Date of the activity must be today or in the past', '#date-day'],
        [dateFields('date', '31', '10', '2021'), 'Date of the activity must be the same as or after 1 November 2021', '#date-day'],
        [{ hours: '' }, 'Enter the number of hours', '#hours'],
        [{ hours: 'two' }, 'Hours must be a number, like 1.5', '#hours'],
        [{ hours: '-3' }, 'Hours must be more than 0', '#hours'],
        [{ hours: '0' }, 'Hours must be more than 0', '#hours'],
        [{ hours: '24.25' }, 'Hours must be 24 or fewer for one entry', '#hours'],
        [{ hours: '1000000' }, 'Hours must be 24 or fewer for one entry', '#hours'],
        [{ hours: '1.1' }, 'Hours must be in quarter hours', '#hours'],
        [{ hours: '1e2' }, 'Hours must be a number, like 1.5', '#hours'],
        [{ activity: '' }, 'Select the type of activity', '#activity'],
        [{ activity: 'sleeping' }, 'Select the type of activity', '#activity'],
        [{ reflection: '   ' }, 'Enter what you learned and how you will use it', '#reflection'],
        [{ reflection: 'x'.repeat(2001) }, 'Reflection must be 2000 characters or fewer', '#reflection'],
      ];
      for (const [overrides, message, href] of cases) {
        const res = await agent.submit(paths.myCpdAdd(), cpdForm(overrides));
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
        expect(res.body, message).toContain(`href="${href}"`);
        // The summary's link lands on a real element: the box, the day box or the first radio.
        expect(res.body, message).toContain(`id="${href.slice(1)}"`);
        expect(res.body).toMatch(/<title>Error: /);
      }
      const kept = await agent.submit(paths.myCpdAdd(), cpdForm({ hours: 'two', reflection: 'Kept <b>text</b>' }));
      expect(kept.body).toMatch(/name="hours"[^>]*value="two"/);
      expect(kept.body).toMatch(/value="workshop_or_webinar" checked/);
      expect(kept.body).toContain('Kept &lt;b&gt;text&lt;/b&gt;');
      expect(kept.body).toMatch(/name="date-day"[^>]*value="20"/);
      expect(await cpdCount(ann.id)).toBe(before);
    });

    it('is only for the learner: other roles get 403 and write nothing', async () => {
      const before = await rows<{ n: number }>(sql`select count(*)::int as n from cpd_records`);
      for (const who of ['admin', 'sro', 'partnerLp'] as const) {
        const staff = await t.signIn(who);
        expect((await staff.get(paths.myCpd())).statusCode, who).toBe(403);
        expect((await staff.get(paths.myCpdAdd())).statusCode, who).toBe(403);
        expect((await staff.get(`${paths.myCpd()}/export.csv`)).statusCode, who).toBe(403);
        expect((await staff.submit(paths.myCpdAdd(), cpdForm(), { csrfFrom: '/account' })).statusCode, who).toBe(403);
      }
      expect(await rows<{ n: number }>(sql`select count(*)::int as n from cpd_records`)).toEqual(before);
    });

    it('is only for people who are or have been learners: one never enrolled, or a funder, gets 403 on the page and API, and no link', async () => {
      const before = await rows<{ n: number }>(sql`select count(*)::int as n from cpd_records`);
      const good = { date: '2026-11-25', hours: 1, activity: 'other', reflection: 'Read the guidance' };
      const never = await t.signIn(ben.email);
      expect((await never.get(paths.myJourney())).body).not.toContain(`href="${paths.myCpdAdd()}"`);
      const log = await never.get(paths.myCpd());
      expect(log.statusCode).toBe(200);
      expect(log.body).not.toContain(`href="${paths.myCpdAdd()}"`);
      expect(log.body).toContain('You can add CPD activities once you are nominated');
      expect((await never.get(paths.myCpdAdd())).statusCode).toBe(403);
      expect((await never.submit(paths.myCpdAdd(), cpdForm(), { csrfFrom: paths.myCpd() })).statusCode).toBe(403);
      const api = await call('POST', `/api/v1/learners/${ben.id}/cpd`, 'ben', good);
      expect(api.statusCode).toBe(403);
      expect(api.headers['content-type']).toContain('application/problem+json');
      // A funder has no learner record of their own to add to, through the page or the API.
      const funderId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.funder.email}`)).id;
      expect((await call('POST', `/api/v1/learners/${funderId}/cpd`, 'funder', good)).statusCode).toBe(403);
      expect((await (await t.signIn('funder')).get(paths.myCpdAdd())).statusCode).toBe(403);
      expect(await rows<{ n: number }>(sql`select count(*)::int as n from cpd_records`)).toEqual(before);
      // Someone who has been a learner keeps the link.
      expect((await agent.get(paths.myJourney())).body).toContain(`href="${paths.myCpdAdd()}"`);
      expect((await agent.get(paths.myCpd())).body).toContain(`href="${paths.myCpdAdd()}"`);
    });

    it('pages a long log, newest first', async () => {
      const values = Array.from({ length: 30 }, (_, i) => sql`(${ben.id}::uuid, ${`2025-01-${String(i + 1).padStart(2, '0')}`}::date, 1, 'other', ${`Entry ${i + 1}`})`);
      await rows(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection) values ${sql.join(values, sql`, `)}`);
      const agent = await t.signIn(ben.email);
      const first = await agent.get(paths.myCpd());
      expect(first.body).toContain('30 hours');
      expect(first.body).toContain('Showing 1 to 25 of 30');
      expect(first.body).toContain('Entry 30');
      expect(first.body).not.toContain('Entry 5<');
      expect(first.body).toContain('href="/my-journey/cpd?page=2"');
      const second = await agent.get(`${paths.myCpd()}?page=2`);
      expect(second.body).toContain('Showing 26 to 30 of 30');
      expect(second.body).toContain('Entry 1<');
    });
  });

  describe('the staff view of a learner', () => {
    it('sends a CPD page number past the end of a learner’s log to its last page', async () => {
      const admin = await t.signIn('admin');
      const past = await admin.get(`${paths.learner(ann.id)}?page=99999`);
      expect(past.statusCode).toBe(302);
      expect(past.headers.location).toBe(paths.learner(ann.id));
    });

    it('shows an admin the learner, their enrolments, accreditations with upkeep, and CPD read-only', async () => {
      const res = await (await t.signIn('admin')).get(paths.learner(ann.id));
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Ann O’Hara-Llewelyn');
      expect(res.body).toContain('ann.learner@test.example.gov.uk');
      expect(res.body).toContain('Contract manager');
      expect(res.body).toContain(`href="/enrolments/${ann.practitionerId}"`);
      expect(res.body).toContain(`href="/enrolments/${ann.foundationId}"`);
      expect(res.body).toContain('In learning');
      expect(res.body).toContain('TEST-F-0001');
      expect(res.body).toMatch(/govuk-tag--red[^>]*>\s*Lapsed/);
      expect(res.body).toContain('CPD log');
      expect(res.body).not.toContain('/my-journey/cpd/add');
    });

    it('lets the SRO, the managing partner and an admin see their council’s learner', async () => {
      const { manages } = await partners();
      for (const who of ['sro', manages, 'admin']) {
        expect((await (await t.signIn(who)).get(paths.learner(ann.id))).statusCode, who).toBe(200);
      }
    });

    it('answers 404 outside the scope, for a person never enrolled, for an unknown or malformed id, and to learners', async () => {
      const { other } = await partners();
      const sro = await t.signIn('sro');
      expect((await sro.get(paths.learner(cat.id))).statusCode).toBe(404);
      expect((await (await t.signIn(other)).get(paths.learner(ann.id))).statusCode).toBe(404);
      const admin = await t.signIn('admin');
      expect((await admin.get(paths.learner(ben.id))).statusCode).toBe(404);
      expect((await admin.get(paths.learner('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
      expect((await admin.get('/learners/not-a-uuid')).statusCode).toBe(404);
      expect((await admin.get(paths.learner(cat.id))).statusCode).toBe(200);
      // Learners have no staff view, even of themselves (a route with an id answers 404 rather than 403).
      expect((await (await t.signIn(ann.email)).get(paths.learner(ann.id))).statusCode).toBe(404);
    });
  });

  describe('the learners API', () => {
    it('lists the learners in scope with their enrolments and accreditations, filtered', async () => {
      const res = await call('GET', `/api/v1/learners?q=${encodeURIComponent('ann.learner@')}`, 'admin');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.meta).toEqual({ total: 1, page: 1, pageSize: 50 });
      const [item] = body.data;
      expect(Object.keys(item).sort()).toEqual(['accreditations', 'councilId', 'councilName', 'email', 'enrolments', 'id', 'jobTitle', 'name'].sort());
      expect(item).toMatchObject({ id: ann.id, name: 'Ann O’Hara-Llewelyn', email: ann.email, councilId: sroCouncil, jobTitle: 'Contract manager' });
      expect(item.enrolments).toEqual([
        { id: ann.foundationId, level: 'foundation', period: '2023-24', status: 'accredited', cohortId: null, attempts: 1, overdue: false },
        { id: ann.practitionerId, level: 'practitioner', period, status: 'in_learning', cohortId: null, attempts: 0, overdue: false },
      ]);
      expect(item.accreditations).toEqual([{ id: expect.any(String), level: 'foundation', awardedOn: '2024-01-15', certificateNumber: 'TEST-F-0001', status: 'lapsed', dueOn: '2026-01-15' }]);

      const sro = (await call('GET', '/api/v1/learners?pageSize=500', 'sro')).json();
      expect(sro.data.every((l: { councilId: string }) => l.councilId === sroCouncil)).toBe(true);
      expect(sro.data.map((l: { id: string }) => l.id)).toContain(ann.id);
      expect(sro.data.map((l: { id: string }) => l.id)).not.toContain(cat.id);
      expect(sro.data.map((l: { id: string }) => l.id)).not.toContain(ben.id);

      const byCouncil = (await call('GET', `/api/v1/learners?councilId=${otherCouncil}&q=Cat%20Elsewhere`, 'admin')).json();
      expect(byCouncil.data.map((l: { id: string }) => l.id)).toEqual([cat.id]);
      const byLevel = (await call('GET', `/api/v1/learners?level=expert&q=ann.learner`, 'admin')).json();
      expect(byLevel.meta.total).toBe(0);
      const practitioners = (await call('GET', `/api/v1/learners?level=practitioner&q=ann.learner`, 'admin')).json();
      expect(practitioners.meta.total).toBe(1);
    });

    it('refuses bad queries (400) and learners (403) on the list', async () => {
      const bad = await call('GET', '/api/v1/learners?level=master&councilId=nope&pageSize=0', 'admin');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['councilId', 'level', 'pageSize']);
      expect((await call('GET', '/api/v1/learners', 'ann')).statusCode).toBe(403);
    });

    it('gets one learner: their own record for a learner, 404 outside the scope', async () => {
      const own = await call('GET', `/api/v1/learners/${ann.id}`, 'ann');
      expect(own.statusCode).toBe(200);
      expect(own.json().enrolments).toHaveLength(2);
      expect((await call('GET', `/api/v1/learners/${ann.id}`, 'ben')).statusCode).toBe(404);
      expect((await call('GET', `/api/v1/learners/${cat.id}`, 'sro')).statusCode).toBe(404);
      expect((await call('GET', `/api/v1/learners/${ann.id}`, 'sro')).statusCode).toBe(200);
      expect((await call('GET', '/api/v1/learners/not-a-uuid', 'admin')).statusCode).toBe(404);
      const { other } = await partners();
      expect((await call('GET', `/api/v1/learners/${ann.id}`, other)).statusCode).toBe(404);
      expect((await t.app.inject({ url: `/api/v1/learners/${ann.id}` })).statusCode).toBe(401);
    });

    it('adds to the learner’s own CPD log (201), and lists it with totals', async () => {
      const before = await cpdCount(ann.id);
      const created = await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'ann', { date: '2026-11-25', hours: 2.25, activity: 'project_work', reflection: 'Supplier review' });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({ id: expect.any(String), date: '2026-11-25', hours: 2.25, activity: 'project_work', reflection: 'Supplier review' });
      // The same entry sent again (a retry) answers 200 with the entry already logged, and adds nothing.
      const retried = await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'ann', { date: '2026-11-25', hours: 2.25, activity: 'project_work', reflection: 'Supplier review' });
      expect(retried.statusCode).toBe(200);
      expect(retried.json()).toEqual(created.json());
      expect(await cpdCount(ann.id)).toBe(before + 1);
      const list = await call('GET', `/api/v1/learners/${ann.id}/cpd?pageSize=1`, 'sro');
      expect(list.statusCode).toBe(200);
      const body = list.json();
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toEqual({ id: expect.any(String), date: '2026-11-25', hours: 2.25, activity: 'project_work', reflection: 'Supplier review' });
      expect(body.totals.entries).toBe(before + 1);
      expect(body.meta).toEqual({ total: before + 1, page: 1, pageSize: 1 });
      expect((await call('GET', `/api/v1/learners/${ann.id}/cpd`, 'ann')).statusCode).toBe(200);
      expect((await call('GET', `/api/v1/learners/${cat.id}/cpd`, 'sro')).statusCode).toBe(404);
    });

    it('refuses CPD from anyone but the learner (403 in scope, 404 outside) and bad bodies (422), writing nothing', async () => {
      const total = async () => (await one<{ n: number }>(sql`select count(*)::int as n from cpd_records`)).n;
      const before = await total();
      const good = { date: '2026-11-25', hours: 1, activity: 'other', reflection: 'Fine' };
      expect((await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'sro', good)).statusCode).toBe(403);
      expect((await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'admin', good)).statusCode).toBe(403);
      expect((await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'ben', good)).statusCode).toBe(404);
      expect((await call('POST', `/api/v1/learners/${cat.id}/cpd`, 'sro', { nonsense: true })).statusCode).toBe(404);
      const cases: [Record<string, unknown>, string, string][] = [
        [{ date: '2026-11-27' }, 'date', 'Date of the activity must be today or in the past'],
        [{ date: '2021-10-31' }, 'date', 'Date of the activity must be the same as or after 1 November 2021'],
        [{ date: '2026-02-30' }, 'date', 'Date of the activity must be a real date'],
        [{ hours: -1 }, 'hours', 'Hours must be more than 0'],
        [{ hours: 1e9 }, 'hours', 'Hours must be 24 or fewer for one entry'],
        [{ hours: 'lots' }, 'hours', 'Hours must be a number, like 1.5'],
        // A JSON body's numbers are JSON numbers: text is refused, not read as a number.
        [{ hours: '1.5' }, 'hours', 'Hours must be a number, like 1.5'],
        [{ hours: '0x10' }, 'hours', 'Hours must be a number, like 1.5'],
        [{ hours: 0.1 }, 'hours', 'Hours must be in quarter hours, like 0.25, 1.5 or 2.75'],
        [{ hours: null }, 'hours', 'Enter the number of hours'],
        [{ activity: 'Training course' }, 'activity', 'Select the type of activity'],
        [{ reflection: '' }, 'reflection', 'Enter what you learned and how you will use it'],
        [{ reflection: 'x'.repeat(2001) }, 'reflection', 'Reflection must be 2000 characters or fewer'],
      ];
      for (const [override, field, message] of cases) {
        const res = await call('POST', `/api/v1/learners/${ann.id}/cpd`, 'ann', { ...good, ...override });
        expect(res.statusCode, message).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().errors, message).toContainEqual({ field, message });
      }
      expect(await total()).toBe(before);
    });

    it('documents the operations in OpenAPI', async () => {
      const doc = (await t.app.inject({ url: paths.openapi() })).json();
      expect(doc.paths['/learners'].get.operationId).toBe('listLearners');
      expect(doc.paths['/learners/{id}'].get.operationId).toBe('getLearner');
      expect(doc.paths['/learners/{id}/cpd'].get.operationId).toBe('listLearnerCpd');
      expect(doc.paths['/learners/{id}/cpd'].post.operationId).toBe('logLearnerCpd');
      expect(doc.paths['/learners/{id}/cpd'].post.requestBody.content['application/json'].schema.properties.activity.enum).toContain('mentoring_or_coaching');
    });
  });
});
