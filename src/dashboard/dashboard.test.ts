import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsChanged } from '../db/read-cache.ts';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { backends, createTestApp, dateFields, testNow, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { allocateAs, enrol, openPeriodsUntil, sroCouncil } from '../places/testing.ts';
import { cell, column, forFunder, headline, type Shown } from './testing.ts';

describe.each(backends)('dashboard (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('shows funders the whole programme in counts, with no personal data', async () => {
    const funder = await t.signIn('funder');
    const res = await funder.get('/dashboard');
    expect(res.statusCode).toBe(200);
    expect(cell(res.body, 'councils-by-status', 'Not engaged')).toBe(317 - 73);
    expect(res.body).toContain('Councils by region');
    expect(cell(res.body, 'people-by-role', 'Learner')).toBeGreaterThan(200);
    // No one's email address: the only one on the page is the programme team's, in the phase banner's feedback link.
    const addresses = new Set(res.body.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g));
    expect([...addresses]).toEqual([t.config.programmeContactEmail]);
    expect(res.body).not.toContain(demoAccounts.sro.email);
  });

  it('hides from a funder every count that a total shown beside it would give away, and states the rule', async () => {
    const admin = (await (await t.signIn('admin')).get('/dashboard')).body;
    const funder = (await (await t.signIn('funder')).get('/dashboard')).body;
    // In the demo 1 to 4 councils are onboarding: with “taking part” (onboarding + active) shown, the active count
    // would give it away, so the active count is hidden too.
    expect(cell(admin, 'councils-by-status', 'Onboarding')).toBeLessThan(5);
    expect(cell(funder, 'councils-by-status', 'Onboarding')).toBe('fewer than 5');
    expect(headline(funder, 'Councils taking part')).toBe(headline(admin, 'Councils taking part'));
    expect(cell(admin, 'councils-by-status', 'Active')).toBeGreaterThan(5);
    expect(cell(funder, 'councils-by-status', 'Active')).toBe('hidden');
    // Every sum a reader can see on the page: each holds no hidden count or at least two.
    const hidden = (n: Shown | undefined) => n === 'fewer than 5' || n === 'hidden';
    const levels = ['Foundation', 'Practitioner', 'Expert'];
    const groups: Shown[][] = [
      [headline(funder, 'Councils taking part'), cell(funder, 'councils-by-status', 'Onboarding'), cell(funder, 'councils-by-status', 'Active')],
      [...column(funder, 'councils-by-status').values()],
      [headline(funder, 'Nominations awaiting a decision'), ...levels.map((_, i) => cell(funder, 'learners-by-status', 'Nominated', i))],
      [headline(funder, 'Accreditations awarded'), ...levels.map((_, i) => cell(funder, 'learners-by-status', 'Accredited', i))],
      ...levels.map((l) => [0, 1, 3].map((i) => cell(funder, 'funded-places', l, i))),
    ];
    // The columns of the partner and region tables add up to every council (engaged ones with those not engaged),
    // to those taking part, and to the active ones.
    const totals = [[], [headline(funder, 'Councils taking part')], [cell(funder, 'councils-by-status', 'Active')]];
    for (const i of [0, 1, 2]) {
      groups.push([...column(funder, 'councils-by-region', i).values(), ...totals[i]]);
      groups.push([...column(funder, 'councils-by-partner', i).values(), ...(i === 0 ? [cell(funder, 'councils-by-status', 'Not engaged')] : totals[i])]);
    }
    for (const group of groups) expect(group.filter(hidden).length, JSON.stringify(group)).not.toBe(1);
    expect(groups[2].filter(hidden).length).toBeGreaterThanOrEqual(2);
    // A shown count is the true one, never rounded or moved to hide another.
    for (const [label, n] of column(funder, 'councils-by-status')) if (!hidden(n)) expect(cell(admin, 'councils-by-status', label)).toBe(n);
    expect(funder).toContain('Some other counts are shown as “hidden”, so that a count under 5 cannot be worked out from the totals and counts beside it.');
    expect(admin).not.toContain('hidden”');
    expect(admin).not.toMatch(/>\s*hidden\s*</);
  });

  it('says what “taking part” counts: active and onboarding councils, with completed, withdrawn and declined apart', async () => {
    const [db] = await queryRows<Record<string, number>>(
      t.db,
      sql`select count(*) filter (where status in ('active', 'onboarding'))::int as "takingPart",
                 count(*) filter (where status = 'completed')::int as completed, count(*) filter (where status = 'withdrawn')::int as withdrawn,
                 count(*) filter (where status = 'declined')::int as declined from participations`,
    );
    const admin = (await (await t.signIn('admin')).get('/dashboard')).body;
    expect(headline(admin, 'Councils taking part')).toBe(db.takingPart);
    expect(admin).toContain('Councils onboarding or active');
    expect(headline(admin, 'Councils that completed the programme')).toBe(db.completed);
    expect(headline(admin, 'Councils that withdrew')).toBe(db.withdrawn);
    expect(headline(admin, 'Councils declined')).toBe(db.declined);
    const funder = (await (await t.signIn('funder')).get('/dashboard')).body;
    expect(headline(funder, 'Councils that withdrew')).toBe(forFunder(db.withdrawn));
  });

  it('gives the figures funders quote: accreditations by level, full (Practitioner) accreditation, learners started, councils improved', async () => {
    const page = (await (await t.signIn('admin')).get('/dashboard')).body;
    const [db] = await queryRows<{ accredited: number; practitioner: number; started: number; enrolments: number }>(
      t.db,
      sql`select (select count(*)::int from accreditations a where a.awarded_on <= '2026-11-26') as accredited,
            (select count(*)::int from accreditations a join enrolments e on e.id = a.enrolment_id where e.level = 'practitioner' and a.awarded_on <= '2026-11-26') as practitioner,
            (select count(distinct person_id)::int from enrolments where registered_on <= '2026-11-26') as started,
            (select count(*)::int from enrolments) as enrolments`,
    );
    expect(db.practitioner).toBeGreaterThan(0);
    expect(headline(page, 'Practitioner accreditations \\(full accreditation\\)')).toBe(db.practitioner);
    expect(headline(page, 'Learners who have started')).toBe(db.started);
    const byLevel = column(page, 'accreditations-by-level');
    expect(byLevel.get('Practitioner')).toBe(db.practitioner);
    expect([...byLevel.values()].reduce((n: number, v) => n + (v as number), 0)).toBe(db.accredited);
    expect(headline(page, 'Accreditations awarded')).toBe(db.accredited);
    // Every enrolment is in one cohort or none: the cohort table adds up to them all.
    const cohorts = column(page, 'learners-by-cohort');
    expect([...cohorts.values()].reduce((n: number, v) => n + (v as number), 0)).toBe(db.enrolments);
    expect(cohorts.has('Not yet in a cohort')).toBe(true);
    expect(page).toContain('Councils by council type');
  });

  it('counts a council as improved when a follow-up scores any area above its baseline, and not before', async () => {
    const admin = await t.signIn('admin');
    const improvedNow = async () => headline((await admin.get('/dashboard')).body, 'Councils whose contract management maturity improved') as number;
    const before = await improvedNow();
    const [council] = await queryRows<{ id: string }>(
      t.db,
      sql`select o.id from organisations o join participations p on p.council_id = o.id
          where p.status = 'active' and not exists (select 1 from maturity_assessments m where m.council_id = o.id) order by o.name limit 1`,
    );
    const [framework] = await queryRows<{ id: string }>(t.db, sql`select id from maturity_frameworks limit 1`);
    const [area] = await queryRows<{ id: string }>(t.db, sql`select id from maturity_areas where framework_id = ${framework.id} order by position limit 1`);
    const assess = async (kind: string, day: string, score: number) => {
      const [a] = await queryRows<{ id: string }>(
        t.db,
        sql`insert into maturity_assessments (council_id, framework_id, kind, status, created_at, updated_at, submitted_at)
            values (${council.id}, ${framework.id}, ${kind}, 'submitted', ${day}::timestamptz, ${day}::timestamptz, ${day}::timestamptz) returning id`,
      );
      await queryRows(t.db, sql`insert into maturity_scores (assessment_id, area_id, score, target) values (${a.id}, ${area.id}, ${score}, 4)`);
      // Written behind the services' back (no audit), so the figures kept between changes must be told.
      recordsChanged();
    };
    await assess('baseline', '2026-01-10T10:00:00Z', 2);
    expect(await improvedNow()).toBe(before);
    await assess('follow_up', '2026-06-10T10:00:00Z', 2);
    expect(await improvedNow()).toBe(before);
    await assess('follow_up', '2026-09-10T10:00:00Z', 3);
    expect(await improvedNow()).toBe(before + 1);
  });

  it('narrows every figure to the councils that match the filters, for programme staff', async () => {
    const admin = await t.signIn('admin');
    const all = (await admin.get('/dashboard')).body;
    const [region] = await queryRows<{ region: string; enrolments: number }>(
      t.db,
      sql`select o.region, count(e.id)::int as enrolments from organisations o join enrolments e on e.council_id = o.id
          group by o.region order by count(e.id) desc limit 1`,
    );
    const filtered = await admin.get(`/dashboard?region=${encodeURIComponent(region.region)}`);
    expect(filtered.statusCode).toBe(200);
    expect(filtered.body).toContain('only councils that match the filters below');
    expect(headline(filtered.body, 'Councils taking part')).toBe(cell(all, 'councils-by-region', region.region, 1));
    expect([...column(filtered.body, 'councils-by-region').keys()]).toEqual([region.region]);
    expect([...column(filtered.body, 'learners-by-cohort').values()].reduce((n: number, v) => n + (v as number), 0)).toBe(region.enrolments);
    expect(filtered.body).toContain(`href="/dashboard/export.csv?region=${encodeURIComponent(region.region).replace(/%20/g, '+')}"`);
    const csv = parse((await admin.get(`/dashboard/export.csv?region=${encodeURIComponent(region.region)}`)).body, { columns: true, bom: true }) as Record<string, string>[];
    const taking = csv.find((r) => r.Figure === 'Headline figures' && r.Category === 'Councils taking part')!;
    expect(Number(taking.Count)).toBe(headline(filtered.body, 'Councils taking part'));
    // A bad value from a hand-edited address is ignored, as on the councils list.
    expect(headline((await admin.get('/dashboard?type=nonsense')).body, 'Councils taking part')).toBe(headline(all, 'Councils taking part'));
  });

  it('offers funders no filters and applies none from the address, so no small count can be worked out by difference', async () => {
    const funder = await t.signIn('funder');
    const plain = await funder.get('/dashboard');
    const asked = await funder.get('/dashboard?region=London&type=LBO');
    expect(asked.statusCode).toBe(200);
    expect(asked.body).not.toContain('id="region"');
    expect(asked.body).not.toContain('only councils that match');
    expect(headline(asked.body, 'Councils taking part')).toBe(headline(plain.body, 'Councils taking part'));
    expect(column(asked.body, 'councils-by-region')).toEqual(column(plain.body, 'councils-by-region'));
    const partner = (await (await t.signIn('partnerLp')).get('/dashboard')).body;
    expect(partner).toContain('id="region"');
    expect(partner).not.toContain('id="managingPartner"');
  });

  it('shows partner staff only the councils their organisation manages, in exact figures', async () => {
    const admin = await (await t.signIn('admin')).get('/dashboard');
    const lp = await (await t.signIn('partnerLp')).get('/dashboard');
    const mhclg = await (await t.signIn('partnerMhclg')).get('/dashboard');
    expect(lp.body).toContain('Figures for the councils your organisation manages');
    const active = (html: string) => cell(html, 'councils-by-status', 'Active') as number;
    expect(active(lp.body) + active(mhclg.body)).toBe(active(admin.body));
    expect(lp.body).not.toContain('Ministry of Housing');
    expect(lp.body).not.toMatch(/Not engaged/);
    expect(cell(lp.body, 'people-by-role', 'Programme admin')).toBe(0);
    expect(lp.body).not.toContain('fewer than 5');
    // The trends are of the partner's councils too: the two partners' months add up to the programme's.
    const nominated = (html: string) => cell(html, 'trend-nominations', 'March 2026') as number;
    expect(nominated(admin.body)).toBeGreaterThan(0);
    expect(nominated(lp.body) + nominated(mhclg.body)).toBe(nominated(admin.body));
  });

  it('is closed to council users and specialists, page and downloads', async () => {
    for (const who of ['sro', 'learner', 'specialist'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get('/dashboard')).statusCode).toBe(403);
      expect((await agent.get(paths.dashboardExport('csv'))).statusCode).toBe(403);
    }
    expect((await t.agent().get(paths.dashboardExport('xlsx'))).statusCode).toBe(302);
  });

  it('counts learners by journey status and level, flags the overdue, and shows this period’s funded places', async () => {
    const [db] = await queryRows<{ accredited: number; overdue: number; places: number; taken: number }>(
      t.db,
      sql`select (select count(*) from enrolments where status = 'accredited' and level = 'practitioner')::int as accredited,
                 (select count(*) from enrolments where level = 'practitioner' and status in ('registered', 'in_learning', 'not_passed')
                    and registered_on + interval '12 months' < date '2026-11-26')::int as overdue,
                 (select coalesce(sum(places), 0) from funded_places where period = '2026-27' and level = 'practitioner')::int as places,
                 (select coalesce(sum(taken), 0) from funded_places where period = '2026-27' and level = 'practitioner')::int as taken`,
    );
    expect(db.accredited).toBeGreaterThan(0);
    expect(db.overdue).toBeGreaterThan(0);
    const admin = (await (await t.signIn('admin')).get('/dashboard')).body;
    const funder = (await (await t.signIn('funder')).get('/dashboard')).body;
    expect(cell(admin, 'learners-by-status', 'Accredited', 1)).toBe(db.accredited);
    expect(cell(admin, 'learners-by-status', 'Overdue: assessment past its deadline', 1)).toBe(db.overdue);
    expect(cell(funder, 'learners-by-status', 'Overdue: assessment past its deadline', 1)).toBe(forFunder(db.overdue));
    expect(cell(admin, 'funded-places', 'Practitioner', 0)).toBe(db.places);
    expect(cell(admin, 'funded-places', 'Practitioner', 3)).toBe(db.places - db.taken);
    // Partner staff see their share; the two partners' shares add up to the whole programme.
    const lp = await (await t.signIn('partnerLp')).get('/dashboard');
    const mhclg = await (await t.signIn('partnerMhclg')).get('/dashboard');
    expect((cell(lp.body, 'learners-by-status', 'Accredited', 1) as number) + (cell(mhclg.body, 'learners-by-status', 'Accredited', 1) as number)).toBe(db.accredited);
  });

  it('dates every figure from the clock, and its trends run over the 12 months to today', async () => {
    const admin = await t.signIn('admin');
    let page = (await admin.get('/dashboard')).body;
    expect(page).toContain('Headline figures as at 26 November 2026');
    expect(page).toMatch(/Councils onboarding or active\. As at 26 November 2026\./);
    expect(page).toContain('Learners nominated each month, December 2025 to November 2026, as at 26 November 2026');
    expect(page).toContain('Councils by programme status, as at 26 November 2026');
    try {
      t.clock.set('2027-01-15T10:00:00Z');
      // A session does not outlive seven weeks: sign in again at the new date.
      const later = await t.signIn('admin');
      page = (await later.get('/dashboard')).body;
      expect(page).toContain('Headline figures as at 15 January 2027');
      expect(page).toContain('Learners nominated each month, February 2026 to January 2027, as at 15 January 2027');
      expect(cell(page, 'trend-nominations', 'January 2027')).toBe(0);
      const csv = await later.get(paths.dashboardExport('csv'));
      expect(csv.headers['content-disposition']).toBe('attachment; filename="programme-dashboard-2027-01-15.csv"');
      expect(csv.body).toContain(',15 January 2027,');
    } finally {
      t.clock.set(testNow);
    }
  });

  describe('as the programme changes', () => {
    type Figures = { takingPart: Shown; joined: Shown; nominated: Shown; approved: Shown; awaiting: Shown };
    const figures = (html: string): Figures => ({
      takingPart: headline(html, 'Councils taking part'),
      joined: cell(html, 'trend-councilsJoined', 'November 2026'),
      nominated: cell(html, 'trend-nominations', 'November 2026'),
      approved: cell(html, 'trend-approvals', 'November 2026'),
      awaiting: headline(html, 'Nominations awaiting a decision'),
    });
    let before: Figures;
    let after: Figures;

    beforeAll(async () => {
      const admin = await t.signIn('admin');
      before = figures((await admin.get('/dashboard')).body);
      // A council joins this month, through the status form.
      const [council] = await queryRows<{ id: string; version: number }>(t.db, sql`select council_id as id, version from participations where status = 'not_engaged' order by council_id limit 1`);
      const moves: Record<string, string>[] = [
        { status: 'interested' },
        { status: 'eligibility_review' },
        { status: 'onboarding', ...dateFields('onboardingDate', '20', '11', '2026') },
      ];
      for (const [i, move] of moves.entries()) {
        const res = await admin.submit(paths.councilStatus(council.id), { reason: '', ...move, version: String(council.version + i) });
        expect(res.statusCode, res.body).toBe(302);
      }
      // Two officers are nominated today; one is approved.
      await openPeriodsUntil(t, '2039-40');
      const { id } = await sroCouncil(t);
      await allocateAs(t, id, 'foundation', '2027-28', 5);
      await enrol(t, id, 'foundation', '2027-28', { tag: 'dashboard' });
      await enrol(t, id, 'foundation', '2027-28', { approve: false, tag: 'dashboard' });
      after = figures((await admin.get('/dashboard')).body);
    });

    it('moves the headline figures and this month’s trends by what was done', async () => {
      const plus = (n: Shown, by: number) => (n as number) + by;
      expect(after).toEqual({
        takingPart: plus(before.takingPart, 1),
        joined: plus(before.joined, 1),
        nominated: plus(before.nominated, 2),
        approved: plus(before.approved, 1),
        awaiting: plus(before.awaiting, 1),
      });
    });

    it('shows a funder small counts as “fewer than 5”, and leaves them out of the chart', async () => {
      expect(after.joined).toBe(1);
      const funder = (await (await t.signIn('funder')).get('/dashboard')).body;
      const admin = (await (await t.signIn('admin')).get('/dashboard')).body;
      expect(cell(funder, 'trend-councilsJoined', 'November 2026')).toBe('fewer than 5');
      expect(cell(funder, 'trend-councilsJoined', 'October 2026')).toBe(0);
      expect(cell(admin, 'trend-councilsJoined', 'November 2026')).toBe(1);
      expect(funder).toContain('Counts from 1 to 4 are shown as “fewer than 5”');
      expect(admin).not.toContain('Counts from 1 to 4');
      const chart = (html: string) => html.slice(html.indexOf('id="chart-councilsJoined-title"'), html.indexOf('</svg>', html.indexOf('id="chart-councilsJoined-title"')));
      expect(chart(admin)).toContain('<rect');
      expect(chart(funder)).not.toContain('<rect');
      expect(funder).toContain('Months with fewer than 5 are left blank in the chart.');
    });

    it('downloads the same figures as CSV and XLSX, suppressed alike, with the date they are as at', async () => {
      for (const who of ['admin', 'funder'] as const) {
        const agent = await t.signIn(who);
        const page = (await agent.get('/dashboard')).body;
        const csv = await agent.get(paths.dashboardExport('csv'));
        expect(csv.statusCode).toBe(200);
        expect(csv.headers['content-disposition']).toBe('attachment; filename="programme-dashboard-2026-11-26.csv"');
        const rows: string[][] = parse(csv.body.replace(/^\uFEFF/, ''));
        expect(rows[0]).toEqual(['Figure', 'Category', 'Measure', 'Count', 'As at', 'Note']);
        const line = (figure: string, category: string, measure = 'Count') =>
          rows.find((r) => r[0].startsWith(figure) && r[1] === category && r[2] === measure);
        const asDownloaded = (n: Shown) => (n === 'fewer than 5' ? '<5' : String(n));
        // Each hidden count says why beside it; an exact one says nothing.
        const notes: Record<string, string> = {
          '<5': 'Between 1 and 4: counts under 5 are not shown',
          hidden: 'Hidden so that a count under 5 cannot be worked out from the totals',
        };
        for (const r of rows.slice(1)) expect(r[5], r.join()).toBe(notes[r[3]] ?? '');
        expect(rows.some((r) => r[3] === '<5')).toBe(who === 'funder');
        expect(line('Headline figures', 'Councils taking part')).toEqual(['Headline figures', 'Councils taking part', 'Count', asDownloaded(headline(page, 'Councils taking part')), '26 November 2026', '']);
        expect(line('Councils that joined each month', 'November 2026', 'Councils joined')?.[3]).toBe(who === 'admin' ? '1' : '<5');
        expect(line('Learners by journey status and level', 'Accredited', 'Practitioner')?.[3]).toBe(asDownloaded(cell(page, 'learners-by-status', 'Accredited', 1)));
        expect(line('People by role', 'Learner', 'Active')?.[3]).toBe(asDownloaded(cell(page, 'people-by-role', 'Learner')));

        const xlsx = await agent.get(paths.dashboardExport('xlsx'));
        expect(xlsx.headers['content-type']).toContain('spreadsheetml');
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
        const sheet = workbook.worksheets[0];
        expect(sheet.rowCount).toBe(rows.length);
        const joined = rows.findIndex((r) => r[0].startsWith('Councils that joined') && r[1] === 'November 2026');
        expect(sheet.getRow(joined + 1).getCell(4).value).toBe(who === 'admin' ? 1 : '<5');
        expect(sheet.getRow(joined + 1).getCell(5).value).toEqual(new Date(Date.UTC(2026, 10, 26)));
      }
    });
  });
});
