import { recordsChanged } from '../db/read-cache.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, dateFields } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { todayIso } from '../clock.ts';
import { periodOf } from '../enrolments/journey.ts';
import { getSetting } from '../settings/service.ts';

/** A GOV.UK date input's three parts as a form posts them. */

/** Names in the first column of the council table, in order. */
const councilNames = (html: string) => [...html.matchAll(/<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?([^<]+)</g)].map((m) => m[1]);

describe.each(backends)('council pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  /** A council at this status, picked in name order so each test can take its own. */
  const councilAt = async (status: string, skip = 0) =>
    one<{ id: string; name: string; version: number }>(sql`
      select o.id, o.name, p.version from organisations o join participations p on p.council_id = o.id
      where p.status = ${status} order by o.name offset ${skip} limit 1`);
  const participation = (id: string) =>
    one<{ status: string; version: number; onboarding_date: string | null; partner: string | null; managing_partner_reason: string | null }>(sql`
      select p.status, p.version, p.onboarding_date::text, o.code as partner, p.managing_partner_reason
      from participations p left join organisations o on o.id = p.managing_partner_id where p.council_id = ${id}`);
  const sroCouncil = () => one<{ id: string }>(sql`select organisation_id as id from people where email = 'sro@demo-council.example.gov.uk'`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  describe('the list', () => {
    it('shows the 317 English councils, 50 a page, with GOV.UK pagination', async () => {
      const res = await admin.get('/councils');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Showing 1 to 50 of 317 councils');
      expect(councilNames(res.body)).toHaveLength(50);
      expect(res.body).toContain('govuk-pagination');
      const last = await admin.get('/councils?page=7');
      expect(last.body).toContain('Showing 301 to 317 of 317 councils');
      expect(councilNames(last.body)).toHaveLength(17);
    });

    it('finds councils by name, GSS code or register code', async () => {
      for (const q of ['birmingham', 'E08000025', 'BIR']) {
        const res = await admin.get(`/councils?q=${q}`);
        expect(councilNames(res.body), q).toContain('Birmingham City Council');
      }
      const literal = await admin.get('/councils?q=%25');
      expect(literal.body).toContain('There are no matching councils');
    });

    it('filters by region, type, status and managing partner', async () => {
      const london = await admin.get('/councils?region=London&type=LBO');
      expect(london.body).toContain('of 32 councils');
      const active = await admin.get('/councils?status=active');
      expect(active.body).toContain('of 56 councils');
      const { n } = await one<{ n: number }>(sql`
        select count(*)::int as n from participations p join organisations o on o.id = p.managing_partner_id where o.code = 'MHCLG'`);
      const mhclg = await admin.get('/councils?managingPartner=MHCLG');
      expect(mhclg.body).toContain(`of ${n} councils`);
      const none = await admin.get('/councils?managingPartner=none&status=interested');
      expect(none.body).toContain('of 5 councils');
    });

    it('offers every partner that manages a council in the filter, not only the two the rule names', async () => {
      const before = await admin.get('/councils');
      expect(before.body).not.toContain('<option value="CCS"');
      // As if an admin had changed the rule for a while: one council is managed by CCS.
      const council = await councilAt('completed');
      await t.db.execute(sql`update participations set managing_partner_id = (select id from organisations where code = 'CCS') where council_id = ${council.id}`);
      // A change made through the service refreshes the filter options at once (its audit event does); this one is SQL.
      recordsChanged();
      const after = await admin.get('/councils');
      expect(after.body).toContain('<option value="CCS"');
      const byCcs = await admin.get('/councils?managingPartner=CCS');
      expect(councilNames(byCcs.body)).toEqual([council.name]);
    });

    it('sorts by a column either way, marking the sorted header', async () => {
      const desc = await admin.get('/councils?sort=name&order=desc');
      const names = councilNames(desc.body);
      expect([...names].sort((a, b) => b.localeCompare(a))).toEqual(names);
      expect(desc.body).toContain('aria-sort="descending"');
      const byDate = councilNames((await admin.get('/councils?sort=onboardingDate&order=asc&status=active')).body);
      const { name } = await one<{ name: string }>(sql`
        select o.name from organisations o join participations p on p.council_id = o.id where p.status = 'active' order by p.onboarding_date, o.name limit 1`);
      expect(byDate[0]).toBe(name);
    });

    it('shows an empty state when nothing matches, and ignores a hand-edited bad filter', async () => {
      const none = await admin.get('/councils?q=no-such-council-anywhere');
      expect(none.body).toContain('There are no matching councils');
      const bad = await admin.get('/councils?status=nonsense&sort=bogus&page=x');
      expect(bad.statusCode).toBe(200);
      expect(bad.body).toContain('of 317 councils');
    });

    it('downloads the filtered list as CSV and XLSX with formulas neutralised', async () => {
      const target = await councilAt('declined');
      await t.db.execute(sql`update organisations set name = '=HYPERLINK("http://evil.example")' where id = ${target.id}`);
      try {
        const res = await admin.get(`${paths.councilsExport('csv')}?status=declined`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/csv');
        expect(res.headers['content-disposition']).toBe('attachment; filename="councils-2026-11-26.csv"');
        const rows: string[][] = parse(res.body.replace(/^\uFEFF/, ''));
        expect(rows[0]).toEqual(['Council', 'GSS code', 'Register code', 'Type', 'Region', 'Programme status', 'Managing partner', 'Onboarding date', 'SRO']);
        expect(rows).toHaveLength(2);
        expect(rows[1][0]).toBe(`'=HYPERLINK("http://evil.example")`);
        expect(rows[1][5]).toBe('Declined');
        const xlsx = await admin.get(`${paths.councilsExport('xlsx')}?status=declined`);
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
        expect(workbook.worksheets[0].getRow(2).getCell(1).value).toBe(`'=HYPERLINK("http://evil.example")`);
      } finally {
        await t.db.execute(sql`update organisations set name = ${target.name} where id = ${target.id}`);
      }
    });

    it('downloads the filtered list as XLSX', async () => {
      const res = await admin.get(`${paths.councilsExport('xlsx')}?status=active&sort=name`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('spreadsheetml');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      const sheet = workbook.worksheets[0];
      expect(sheet.rowCount).toBe(57);
      expect(sheet.getRow(1).getCell(1).value).toBe('Council');
      expect(sheet.getRow(2).getCell(6).value).toBe('Active');
    });
  });

  describe('who sees which councils', () => {
    const total = (html: string) => Number(/of (\d+) councils?/.exec(html)?.[1] ?? 0);

    it.each([
      ['partnerLp', 'LP'],
      ['partnerMhclg', 'MHCLG'],
    ])('%s sees only the councils their organisation manages', async (who, code) => {
      const agent = await t.signIn(who);
      const { n } = await one<{ n: number }>(sql`
        select count(*)::int as n from participations p join organisations o on o.id = p.managing_partner_id where o.code = ${code}`);
      expect(n).toBeGreaterThan(0);
      const res = await agent.get('/councils');
      expect(total(res.body)).toBe(n);
      const csv = await agent.get(paths.councilsExport('csv'));
      expect(parse(csv.body.replace(/^\uFEFF/, ''))).toHaveLength(n + 1);
      const other = await one<{ id: string }>(sql`
        select p.council_id as id from participations p left join organisations o on o.id = p.managing_partner_id
        where o.code is distinct from ${code} limit 1`);
      expect((await agent.get(paths.council(other.id))).statusCode).toBe(404);
    });

    it('a specialist sees only their assigned councils', async () => {
      const agent = await t.signIn('specialist');
      const { n } = await one<{ n: number }>(sql`
        select count(*)::int as n from specialist_assignments sa join people p on p.id = sa.person_id where p.email = 'specialist@localpartnerships.example.gov.uk'`);
      expect(total((await agent.get('/councils')).body)).toBe(n);
    });

    it('an SRO sees their own council only, and gets 404 for another', async () => {
      const agent = await t.signIn('sro');
      const own = await sroCouncil();
      const list = await agent.get('/councils');
      expect(total(list.body)).toBe(1);
      expect((await agent.get(paths.council(own.id))).statusCode).toBe(200);
      const other = await councilAt('interested');
      const res = await agent.get(paths.council(other.id));
      expect(res.statusCode).toBe(404);
      expect(res.body).toContain('We could not find that page or record.');
      expect((await agent.get(paths.councilStatus(own.id))).statusCode).toBe(404);
    });

    it('a learner may not see the list (403)', async () => {
      const agent = await t.signIn('learner');
      expect((await agent.get('/councils')).statusCode).toBe(403);
      expect((await agent.get(paths.councilsExport('csv'))).statusCode).toBe(403);
    });

    it('a funder sees the list without names of people, but not a council page', async () => {
      const agent = await t.signIn('funder');
      const res = await agent.get('/councils?status=active');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('of 56 councils');
      expect(res.body).not.toContain('>SRO<');
      expect(res.body).not.toMatch(/href="\/councils\/[0-9a-f]{8}-/);
      const csv = await agent.get(`${paths.councilsExport('csv')}?status=active`);
      expect(csv.body).not.toContain('SRO');
      const active = await councilAt('active');
      expect((await agent.get(paths.council(active.id))).statusCode).toBe(404);
    });

    it('answers 404 for an unknown or malformed id', async () => {
      expect((await admin.get(paths.council('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
      expect((await admin.get(paths.council('not-a-uuid'))).statusCode).toBe(404);
      expect((await admin.get(paths.councilEdit('not-a-uuid'))).statusCode).toBe(404);
    });
  });

  describe('a council page', () => {
    it('shows register details, participation, the checklist, history and people', async () => {
      const { id } = await sroCouncil();
      const res = await admin.get(paths.council(id));
      expect(res.statusCode).toBe(200);
      const { gss, sro } = await one<{ gss: string; sro: string }>(sql`
        select o.gss_code as gss, s.name as sro from organisations o join participations p on p.council_id = o.id
        join people s on s.id = p.sro_person_id where o.id = ${id}`);
      expect(res.body).toContain(gss);
      expect(res.body).toContain('govuk-tag--green');
      expect(res.body).toContain('Onboarding checklist');
      expect(res.body).toContain('govuk-task-list');
      expect(res.body).toContain('Eligibility review to Onboarding');
      expect(res.body).toMatch(/href="\/people\/[0-9a-f-]{36}"/);
      expect(res.body).toContain(sro.replace(/'/g, '&#39;'));
      expect(res.body).toContain('Change programme status');
    });

    it('offers no changes to people who may only look', async () => {
      const agent = await t.signIn('sro');
      const res = await agent.get(paths.council((await sroCouncil()).id));
      expect(res.body).not.toContain('Change programme status');
      expect(res.body).not.toContain('Change managing partner');
    });
  });

  describe('learners and funded places on a council page', () => {
    /** The figure in the cell marked `data-<kind>="<key>"`, or null when the page has no such cell. */
    const cell = (html: string, kind: 'place' | 'status' | 'overdue', key: string) => {
      const m = new RegExp(`data-${kind}="${key}">(\\d+)<`).exec(html);
      return m ? Number(m[1]) : null;
    };

    it('shows the SRO their council’s places this financial year and enrolments by status, as the database counts them', async () => {
      const { id } = await sroCouncil();
      const period = periodOf(todayIso(t.clock));
      // One learner registered long ago and still owing the assessment, so the overdue count is not 0.
      const late = await queryRows<{ id: string }>(t.db, sql`
        update enrolments set registered_on = '2023-01-10' where id = (
          select id from enrolments where council_id = ${id} and status in ('registered', 'in_learning', 'not_passed') order by id limit 1)
        returning id`);
      expect(late).toHaveLength(1);
      const agent = await t.signIn('sro');
      const res = await agent.get(paths.council(id));
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Learners and funded places');
      expect(res.body).toContain(`Funded places in ${period}`);

      const places = await queryRows<{ level: string; places: number; taken: number }>(
        t.db,
        sql`select level, sum(places)::int as places, sum(taken)::int as taken from funded_places where council_id = ${id} and period = ${period} group by level`,
      );
      expect(places.length).toBeGreaterThan(0);
      for (const level of ['foundation', 'practitioner', 'expert']) {
        const row = places.find((p) => p.level === level) ?? { places: 0, taken: 0 };
        expect(cell(res.body, 'place', `${level}-allocated`), level).toBe(row.places);
        expect(cell(res.body, 'place', `${level}-taken`), level).toBe(row.taken);
        expect(cell(res.body, 'place', `${level}-remaining`), level).toBe(row.places - row.taken);
      }

      const months = await getSetting(t.db, 'assessmentDeadlineMonths');
      const byStatus = await queryRows<{ status: string; n: number; overdue: number }>(
        t.db,
        sql`select status, count(*)::int as n,
              count(*) filter (where status in ('registered', 'in_learning', 'not_passed')
                and registered_on + make_interval(months => ${months}::int) < ${todayIso(t.clock)}::date)::int as overdue
            from enrolments where council_id = ${id} group by status`,
      );
      expect(byStatus.length).toBeGreaterThan(1);
      for (const r of byStatus) {
        expect(cell(res.body, 'status', r.status), r.status).toBe(r.n);
        expect(cell(res.body, 'overdue', r.status), r.status).toBe(r.overdue);
        expect(res.body).toContain(`href="/learners?councilId=${id}&amp;status=${r.status}"`);
      }
      const total = byStatus.reduce((n, r) => n + r.n, 0);
      const overdue = byStatus.reduce((n, r) => n + r.overdue, 0);
      expect(cell(res.body, 'status', 'total')).toBe(total);
      expect(cell(res.body, 'overdue', 'total')).toBe(overdue);
      expect(overdue).toBeGreaterThan(0);
      expect(res.body).toContain(`href="/learners?councilId=${id}&amp;overdue=yes"`);
      expect(res.body).toContain(`href="/learners?councilId=${id}"`);
      const { gss } = await one<{ gss: string }>(sql`select gss_code as gss from organisations where id = ${id}`);
      expect(res.body).toContain(`href="/places?q=${gss}&amp;period=${period}"`);
      // The links lead to the lists they count.
      expect((await agent.get(`/places?q=${gss}&period=${period}`)).statusCode).toBe(200);
      const learners = await agent.get(`/learners?councilId=${id}`);
      expect(learners.statusCode).toBe(200);
      expect(learners.body).toContain(`of ${total} `);
    });

    it('shows no figures to a funder, who may not open a council page', async () => {
      const { id } = await sroCouncil();
      const funder = await t.signIn('funder');
      const res = await funder.get(paths.council(id));
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('Learners and funded places');
      expect(res.body).not.toContain('/learners?councilId=');
    });

    it('shows a specialist (who may list enrolments but not places) the enrolments part only', async () => {
      const assigned = await one<{ id: string }>(sql`
        select sa.council_id as id from specialist_assignments sa join people p on p.id = sa.person_id
        where p.email = 'specialist@localpartnerships.example.gov.uk' order by sa.council_id limit 1`);
      const specialist = await t.signIn('specialist');
      const res = await specialist.get(paths.council(assigned.id));
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Learners and funded places');
      expect(res.body).not.toContain('Funded places in');
      expect(res.body).not.toContain('data-place=');
      expect(res.body).not.toContain('href="/places?');
      const { n } = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where council_id = ${assigned.id}`);
      if (n) expect(cell(res.body, 'status', 'total')).toBe(n);
      else expect(res.body).toContain('No officers from this council have been nominated yet.');
    });

    it('shows an admin both parts', async () => {
      const res = await admin.get(paths.council((await sroCouncil()).id));
      expect(res.body).toContain('id="funded-places"');
      expect(res.body).toContain('id="enrolments-by-status"');
    });
  });

  describe('moving the programme status', () => {
    it('moves a council on, recording history and an audit event', async () => {
      const council = await councilAt('interested', 0);
      const form = await admin.get(paths.councilStatus(council.id));
      expect(form.body).toContain('Eligibility review');
      expect(form.body).not.toContain('value="active"');
      const res = await admin.submit(paths.councilStatus(council.id), { status: 'eligibility_review', reason: '', version: String(council.version) });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${paths.council(council.id)}?done=status`);
      const page = await admin.get(res.headers.location as string);
      expect(page.body).toContain('Programme status changed');
      expect(page.body).toContain('Interested to Eligibility review');
      expect(await participation(council.id)).toMatchObject({ status: 'eligibility_review', version: council.version + 1 });
      const audit = await one<{ before: unknown; after: unknown }>(sql`
        select before, after from audit_events where action = 'council.status_changed' and record_id = ${council.id}`);
      expect(audit).toMatchObject({ before: { status: 'interested' }, after: { status: 'eligibility_review' } });
    });

    it('sets the managing partner by rule when a council starts onboarding', async () => {
      const before = await councilAt('eligibility_review', 0);
      await admin.submit(paths.councilStatus(before.id), {
        status: 'onboarding', 'onboardingDate-day': '30', 'onboardingDate-month': '6', 'onboardingDate-year': '2023', version: String(before.version),
      });
      expect(await participation(before.id)).toMatchObject({ status: 'onboarding', onboarding_date: '2023-06-30', partner: 'MHCLG' });
      const after = await councilAt('eligibility_review', 0);
      await admin.submit(paths.councilStatus(after.id), {
        status: 'onboarding', 'onboardingDate-day': '1', 'onboardingDate-month': '7', 'onboardingDate-year': '2023', version: String(after.version),
      });
      expect(await participation(after.id)).toMatchObject({ status: 'onboarding', onboarding_date: '2023-07-01', partner: 'LP' });
    });

    it('refuses an illegal move with a clear message and changes nothing', async () => {
      const council = await councilAt('interested', 1);
      const res = await admin.submit(paths.councilStatus(council.id), { status: 'completed', version: String(council.version) });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('A council cannot move from interested to completed');
      expect(await participation(council.id)).toMatchObject({ status: 'interested', version: council.version });
    });

    it('asks for a reason to withdraw, keeping what was chosen', async () => {
      const council = await councilAt('active', 5);
      const res = await admin.submit(paths.councilStatus(council.id), { status: 'withdrawn', reason: '  ', version: String(council.version) });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Enter the reason the council is withdrawn');
      expect(res.body).toMatch(/value="withdrawn" checked/);
      expect((await participation(council.id)).status).toBe('active');
    });

    it('stores a reason as text and shows it escaped', async () => {
      const council = await councilAt('active', 6);
      const reason = '<script>alert("x")</script> budget & staff';
      await admin.submit(paths.councilStatus(council.id), { status: 'withdrawn', reason, version: String(council.version) });
      const row = await one<{ reason: string }>(sql`select reason from participation_status_history where council_id = ${council.id} and to_status = 'withdrawn'`);
      expect(row.reason).toBe(reason);
      const page = await admin.get(paths.council(council.id));
      expect(page.body).not.toContain('<script>alert');
      expect(page.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; budget &amp; staff');
    });

    it('refuses a stale form with 409, keeping the input', async () => {
      const council = await councilAt('active', 7);
      const res = await admin.submit(paths.councilStatus(council.id), { status: 'withdrawn', reason: 'Team disbanded', version: String(council.version - 1 || 99) });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('Someone else changed this council since you opened the page');
      expect(res.body).toContain('Team disbanded');
      expect(res.body).toContain(`name="version" value="${council.version}"`);
      expect((await participation(council.id)).status).toBe('active');
    });

    it('refuses a post without the CSRF token and changes nothing', async () => {
      const council = await councilAt('interested', 2);
      const res = await admin.submit(paths.councilStatus(council.id), { _csrf: 'forged', status: 'eligibility_review', version: String(council.version) });
      expect(res.statusCode).toBe(403);
      expect((await participation(council.id)).status).toBe('interested');
    });

    it('gives partner staff 404 for a council another partner manages', async () => {
      const lp = await t.signIn('partnerLp');
      const council = await one<{ id: string; version: number }>(sql`
        select p.council_id as id, p.version from participations p join organisations o on o.id = p.managing_partner_id
        where o.code = 'MHCLG' and p.status = 'active' limit 1`);
      const res = await lp.submit(paths.councilStatus(council.id), { status: 'completed', version: String(council.version) });
      expect(res.statusCode).toBe(404);
      expect((await participation(council.id)).status).toBe('active');
    });
  });

  describe('editing participation', () => {
    it.each([
      [dateFields('onboardingDate', '31', '2', '2024'), 'Onboarding date must be a real date', 'onboardingDate-day'],
      [dateFields('onboardingDate', '1', '', '2024'), 'Onboarding date must include a month', 'onboardingDate-month'],
      [dateFields('onboardingDate', '1', '1', '2030'), 'Onboarding date must be today or in the past', 'onboardingDate-day'],
      [dateFields('onboardingDate', '31', '10', '2021'), 'Onboarding date must be the same as or after 1 November 2021', 'onboardingDate-day'],
      [dateFields('agreementSignedDate', 'x', '1', '2024'), 'Agreement signed date must be a real date', 'agreementSignedDate-day'],
    ])('refuses a bad date and keeps the input (%#)', async (fields, message, anchor) => {
      const council = await councilAt('onboarding', 0);
      const res = await admin.submit(paths.councilEdit(council.id), { ...fields, version: String(council.version) });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
      // The summary links to the first box that is wrong: the month when only the month is missing.
      expect(res.body).toContain(`href="#${anchor}"`);
      for (const value of Object.values(fields).filter(Boolean)) expect(res.body).toContain(`value="${value}"`);
    });

    it('saves dates and people, setting the managing partner from the onboarding date', async () => {
      const council = await councilAt('onboarding', 1);
      const form = await admin.get(paths.councilEdit(council.id));
      expect(form.statusCode).toBe(200);
      const sro = await one<{ id: string }>(sql`select id from people where organisation_id = ${council.id} and 'council_sro' = any(roles) limit 1`);
      const res = await admin.submit(paths.councilEdit(council.id), {
        ...dateFields('onboardingDate', '2', '1', '2023'),
        ...dateFields('baselineBookedDate', '15', '1', '2027'),
        sroPersonId: sro.id,
        partnerChangeReason: 'Onboarded earlier than recorded',
        version: String(council.version),
      });
      expect(res.statusCode).toBe(302);
      expect(await participation(council.id)).toMatchObject({ onboarding_date: '2023-01-02', partner: 'MHCLG', version: council.version + 1 });
    });

    it('refuses someone from another council as SRO', async () => {
      const council = await councilAt('onboarding', 1);
      const stranger = await one<{ id: string }>(sql`select id from people where organisation_id <> ${council.id} and 'council_sro' = any(roles) limit 1`);
      const res = await admin.submit(paths.councilEdit(council.id), { sroPersonId: stranger.id, version: String(council.version) });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Select an SRO from this council');
    });

    it('refuses a stale edit with 409 and keeps the input', async () => {
      const council = await councilAt('onboarding', 2);
      const res = await admin.submit(paths.councilEdit(council.id), { ...dateFields('onboardingDate', '3', '3', '2024'), version: String(council.version + 5) });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('Someone else changed this council since you opened the page');
      expect(res.body).toContain('value="2024"');
    });
  });

  describe('overriding the managing partner', () => {
    it('lets an admin set the partner with a reason, which then survives a new onboarding date', async () => {
      const council = await councilAt('onboarding', 3);
      const missing = await admin.submit(paths.councilPartner(council.id), { partnerCode: 'LP', reason: '', version: String(council.version) });
      expect(missing.statusCode).toBe(400);
      expect(errorSummary(missing.body)).toContain('Enter the reason for the change');
      const res = await admin.submit(paths.councilPartner(council.id), { partnerCode: 'LP', reason: 'Transferred by agreement', version: String(council.version) });
      expect(res.statusCode).toBe(302);
      const page = await admin.get(paths.council(council.id));
      expect(page.body).toContain('Transferred by agreement');
      const moved = await participation(council.id);
      expect(moved).toMatchObject({ partner: 'LP', managing_partner_reason: 'Transferred by agreement' });
      await admin.submit(paths.councilEdit(council.id), { ...dateFields('onboardingDate', '1', '12', '2022'), version: String(moved.version) });
      expect(await participation(council.id)).toMatchObject({ onboarding_date: '2022-12-01', partner: 'LP' });
      const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'council.managing_partner_overridden' and record_id = ${council.id}`);
      expect(audit.n).toBe(1);
    });

    it('is refused to partner staff', async () => {
      const lp = await t.signIn('partnerLp');
      const council = await one<{ id: string; version: number }>(sql`
        select p.council_id as id, p.version from participations p join organisations o on o.id = p.managing_partner_id where o.code = 'LP' limit 1`);
      expect((await lp.get(paths.councilPartner(council.id))).statusCode).toBe(404);
      const res = await lp.submit(paths.councilPartner(council.id), { partnerCode: 'MHCLG', reason: 'Mine now', version: String(council.version) }, { csrfFrom: '/account' });
      expect(res.statusCode).toBe(404);
      expect((await participation(council.id)).partner).toBe('LP');
    });
  });
});
