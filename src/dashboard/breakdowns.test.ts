import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { recordsChanged } from '../db/read-cache.ts';
import { addFixture, expected, fixture } from './breakdowns-fixture.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { cell, headline, hiddenRanges, isHidden, rows, type Shown } from './testing.ts';

// The headline figures by managing partner, region and council type, on the fixture of breakdowns-fixture.ts.

/** The columns of each breakdown, in order. */
const columns = [
  'Councils engaged',
  'Learners who have started',
  'Practitioner accreditations (full accreditation)',
  'Accreditations at any level',
  'Councils with a follow-up maturity assessment',
  'Councils whose maturity improved',
];

/** The headline figure each column adds up to, by its label on the page (a pattern). */
const totals = [
  'Councils engaged',
  'Learners who have started',
  'Practitioner accreditations \\(full accreditation\\)',
  'Accreditations awarded',
  'Councils with a follow-up maturity assessment',
  'Councils whose contract management maturity improved',
];

const tables = ['headline-by-partner', 'headline-by-region', 'headline-by-type'] as const;

type ApiCount = { value: number | null; suppressed: 'small' | 'secondary' | null };
type ApiDashboard = {
  headline: (ApiCount & { id: string })[];
  tables: { id: string; caption: string; columns: string[]; rows: { label: string; counts: ApiCount[] }[] }[];
};

describe.each(backends)('dashboard: headline figures by managing partner, region and council type (%s)', (backend) => {
  let t: TestApp;
  let before: string;
  beforeAll(async () => {
    // Figures kept between changes for an hour, so the test of the cache below does not depend on how long it takes.
    t = await createTestApp({ backend, config: { readCacheSeconds: 3600 } });
    before = (await (await t.signIn('admin')).get('/dashboard')).body;
    await addFixture(t);
  });
  afterAll(async () => t?.close());

  const page = async (who: 'admin' | 'funder' | 'partnerLp', query = '') => {
    const res = await (await t.signIn(who)).get(`/dashboard${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  };

  it('gives each partner, region and council type its councils’ figures, worked out by hand', async () => {
    const admin = await page('admin');
    for (const id of tables) {
      expect(admin).toContain(`id="${id}"`);
      expect(admin).toMatch(/each column adds up to its headline figure; a learner counts once, under their first council\), as at 26 November 2026/);
    }
    const partners = rows(admin, 'headline-by-partner');
    const regions = rows(admin, 'headline-by-region');
    const types = rows(admin, 'headline-by-type');
    for (const label of fixture.partners) expect(partners.get(label), label).toEqual(expected[label]);
    for (const label of fixture.regions) expect(regions.get(label), label).toEqual(expected[label]);
    for (const label of fixture.types) expect(types.get(label), label).toEqual(expected[label]);
    // The headline figures moved by the fixture's totals: the same definitions, counted once for the programme.
    const added = [4, 4, 1, 4, 2, 1];
    totals.forEach((label, i) => expect(headline(admin, label), label).toBe((headline(before, label) as number) + added[i]));
    // Among the headline figures, the withdrawn and completed councils are engaged but not taking part.
    expect(headline(admin, 'Councils taking part')).toBe((headline(before, 'Councils taking part') as number) + 2);
    // A partner's engaged councils are the councils-by-partner table's count.
    for (const label of fixture.partners) expect(cell(admin, 'councils-by-partner', label)).toBe(2);
  });

  it('adds every column up to its headline figure, for the whole programme and for partner staff', async () => {
    for (const html of [await page('admin'), await page('partnerLp')]) {
      for (const id of tables) {
        const table = [...rows(html, id).values()];
        expect(table.length).toBeGreaterThan(0);
        totals.forEach((label, i) => expect(table.reduce((n, r) => n + (r[i] as number), 0), `${id} ${columns[i]}`).toBe(headline(html, label)));
      }
    }
    // The demo's councils are managed by Local Partnerships or MHCLG; partner staff see their own row only.
    expect([...rows(await page('partnerLp'), 'headline-by-partner').keys()]).toEqual(['Local Partnerships']);
  });

  it('narrows the breakdowns to the councils of a filter, with learners counted where they started in that view', async () => {
    const a = await page('admin', '?managingPartner=FXA');
    expect([...rows(a, 'headline-by-partner').keys()]).toEqual(['Fixture Partner A']);
    expect(rows(a, 'headline-by-partner').get('Fixture Partner A')).toEqual(expected['Fixture Partner A']);
    // Partner A's councils: C1 in the North, C3 in the South.
    expect(rows(a, 'headline-by-region')).toEqual(
      new Map([
        ['Fixture North', [1, 2, 1, 2, 1, 1]],
        ['Fixture South', [1, 1, 0, 1, 0, 0]],
      ]),
    );
    totals.forEach((label, i) => expect(headline(a, label)).toBe(expected['Fixture Partner A'][i]));
    // Partner B's view holds C2 and C4 only: P4's first enrolment (C3) is out of view, so P4 counts under C2 here.
    const b = await page('admin', '?managingPartner=FXB');
    expect(rows(b, 'headline-by-partner').get('Fixture Partner B')).toEqual([2, 2, 0, 1, 1, 0]);
    expect(headline(b, 'Learners who have started')).toBe(2);
    const north = await page('admin', `?region=${encodeURIComponent('Fixture North')}`);
    expect(rows(north, 'headline-by-partner')).toEqual(
      new Map([
        ['Fixture Partner A', [1, 2, 1, 2, 1, 1]],
        // C2, with P4 under it: P4's first council, C3, is out of this view.
        ['Fixture Partner B', [1, 1, 0, 0, 1, 0]],
      ]),
    );
    expect([...rows(north, 'headline-by-type').keys()]).toEqual(['Fixture Alpha', 'Fixture Beta']);
    // The download of a filtered view holds the same rows.
    const csv = parse((await (await t.signIn('admin')).get(`${paths.dashboardExport('csv')}?managingPartner=FXA`)).body, { columns: true, bom: true }) as Record<string, string>[];
    const line = (category: string, measure: string) => csv.find((r) => r.Figure.startsWith('Headline figures by region') && r.Category === category && r.Measure === measure);
    expect(line('Fixture North', 'Learners who have started')).toMatchObject({ Count: '2', 'As at': '26 November 2026', Note: '' });
    expect(line('Fixture South', 'Councils whose maturity improved')?.Count).toBe('0');
  });

  it('hides from a funder the small counts and every count a column total would give away', async () => {
    const funder = await page('funder');
    const admin = await page('admin');
    // The fixture's rows are all small: 1 to 4 reads “fewer than 5”, 0 is shown.
    for (const label of fixture.partners) {
      expect(rows(funder, 'headline-by-partner').get(label)).toEqual(expected[label].map((n) => (n === 0 ? 0 : 'fewer than 5')));
    }
    let secondary = 0;
    for (const id of tables) {
      const shown = [...rows(funder, id).values()];
      const exact = rows(admin, id);
      expect([...rows(funder, id).keys()]).toEqual([...exact.keys()]);
      for (const [i, label] of totals.entries()) {
        const parts = shown.map((r) => r[i]);
        const total = headline(funder, label);
        // No hidden count of the column can be pinned to one value from the counts shown beside it and its total.
        for (const range of hiddenRanges(parts, total)) expect(range.hi - range.lo, `${id} ${columns[i]}: ${JSON.stringify([parts, total])}`).toBeGreaterThanOrEqual(1);
        expect([...parts, total].filter(isHidden).length, `${id} ${columns[i]}`).not.toBe(1);
        secondary += parts.filter((n) => n === 'hidden').length;
      }
      // A count that is shown is the true one.
      for (const [label, counts] of rows(funder, id)) counts.forEach((n, i) => !isHidden(n) && expect(n).toBe(exact.get(label)![i]));
    }
    // Some column had a single small count, so a second one was hidden with it.
    expect(secondary).toBeGreaterThan(0);
    // A partner's engaged councils read the same in both tables (one count, hidden in both or neither).
    for (const label of [...rows(funder, 'councils-by-partner').keys()]) {
      expect(cell(funder, 'councils-by-partner', label), label).toBe(rows(funder, 'headline-by-partner').get(label)?.[0] ?? 0);
    }
  });

  it('gives the same breakdowns in the API and the downloads, hidden alike', async () => {
    const token = async (who: 'admin' | 'funder') => {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      return (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    };
    const funderPage = await page('funder');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { authorization: `Bearer ${await token('funder')}` } });
    expect(res.statusCode, res.body).toBe(200);
    const api = res.json() as ApiDashboard;
    const asShown = (c: ApiCount): Shown => (c.suppressed === 'small' ? 'fewer than 5' : c.suppressed === 'secondary' ? 'hidden' : c.value!);
    for (const id of tables) {
      const table = api.tables.find((tb) => tb.id === id)!;
      expect(table.columns).toEqual(columns);
      expect(new Map(table.rows.map((r) => [r.label, r.counts.map(asShown)]))).toEqual(rows(funderPage, id));
    }
    expect(api.headline.find((h) => h.id === 'councilsEngaged')!.value).toBe(headline(funderPage, 'Councils engaged'));
    expect(res.body).not.toMatch(/"value":[1-4][,}]/);
    const admin = (await t.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { authorization: `Bearer ${await token('admin')}` } })).json() as ApiDashboard;
    const byPartner = admin.tables.find((tb) => tb.id === 'headline-by-partner')!;
    expect(byPartner.rows.find((r) => r.label === 'Fixture Partner A')!.counts.map((c) => c.value)).toEqual(expected['Fixture Partner A']);

    const csv = parse((await (await t.signIn('funder')).get(paths.dashboardExport('csv'))).body, { columns: true, bom: true }) as Record<string, string>[];
    const lines = csv.filter((r) => r.Figure.startsWith('Headline figures by managing partner') && r.Category === 'Fixture Partner A');
    expect(lines.map((r) => [r.Measure, r.Count, r.Note])).toEqual(
      columns.map((c, i) => [c, expected['Fixture Partner A'][i] === 0 ? '0' : '<5', expected['Fixture Partner A'][i] === 0 ? '' : 'Between 1 and 4: counts under 5 are not shown']),
    );
  });

  it('keeps the breakdowns with the other figures between changes, and counts again after one', async () => {
    const admin = await t.signIn('admin');
    const started = async () => rows((await admin.get('/dashboard')).body, 'headline-by-region').get('Fixture South')![1];
    expect(await started()).toBe(2);
    // P5 starts at C4: written behind the services' back, so the kept figures stand until a change is recorded.
    await t.db.execute(sql`update enrolments set registered_on = '2026-11-02' where person_id = (select id from people where email = 'fixture.learner5@example.org')`);
    expect(await started()).toBe(2);
    recordsChanged();
    expect(await started()).toBe(3);
    await t.db.execute(sql`update enrolments set registered_on = '2026-12-01' where person_id = (select id from people where email = 'fixture.learner5@example.org')`);
    recordsChanged();
    expect(await started()).toBe(2);
  });
});
