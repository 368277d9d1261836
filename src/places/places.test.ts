import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { activeCouncils, allocateAs, enrol, openPeriodsUntil, sroCouncil } from './testing.ts';

/** Council names in the first column of the places table, in order. */
const rowNames = (html: string) => [...html.matchAll(/<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?([^<]+)</g)].map((m) => m[1]);
const total = (html: string, what: string) => Number(new RegExp(`id="total-${what}">(\\d+)<`).exec(html)?.[1]);

describe.each(backends)('funded places pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const allocation = (councilId: string, level: string, period: string) =>
    one<{ id: string; places: number; taken: number } | undefined>(
      sql`select id, places, taken from funded_places where council_id = ${councilId} and level = ${level} and period = ${period}`,
    );

  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Tests work in financial years the demo data never uses.
    await openPeriodsUntil(t, '2039-40');
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  describe('allocating', () => {
    it('creates, raises and lowers an allocation, auditing before and after', async () => {
      const [council] = await activeCouncils(t, 1, 0);
      const form = await admin.get(`${paths.placesAllocate()}?councilId=${council.id}&level=practitioner&period=2027-28`);
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain(`<option value="${council.id}" selected>${council.name} (${council.gss_code})</option>`);
      expect(form.body).toMatch(/value="practitioner" checked/);

      const created = await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: '12' });
      expect(created.statusCode).toBe(302);
      expect(created.headers.location).toBe('/places?period=2030-31&done=allocated');
      const list = await admin.get(created.headers.location as string);
      expect(list.body).toContain('Funded places allocation saved');
      expect(rowNames(list.body)).toContain(council.name);
      expect((await allocation(council.id, 'foundation', '2030-31'))?.places).toBe(12);

      await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: ' 20 ' });
      expect((await allocation(council.id, 'foundation', '2030-31'))?.places).toBe(20);
      await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: '0' });
      const row = await allocation(council.id, 'foundation', '2030-31');
      expect(row?.places).toBe(0);

      const audits = await queryRows<{ before: { places: number } | null; after: { places: number } }>(
        t.db,
        sql`select before, after from audit_events where action = 'places.allocated' and record_id = ${row!.id} order by id`,
      );
      expect(audits.map((a) => [a.before?.places ?? null, a.after.places])).toEqual([
        [null, 12],
        [12, 20],
        [20, 0],
      ]);
    });

    it('refuses to lower an allocation below the places taken, saying how many are taken', async () => {
      const [council] = await activeCouncils(t, 1, 1);
      await allocateAs(t, council.id, 'foundation', '2030-31', 3);
      await enrol(t, council.id, 'foundation', '2030-31');
      await enrol(t, council.id, 'foundation', '2030-31');
      const res = await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: '1' });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain(`${council.name} has 2 Foundation places taken in 2030-31, so the allocation cannot be lower than 2`);
      expect(res.body).toContain('value="1"');
      expect(await allocation(council.id, 'foundation', '2030-31')).toMatchObject({ places: 3, taken: 2 });
      // Lowering to exactly what is taken is allowed: no places remain.
      expect((await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: '2' })).statusCode).toBe(302);
      const list = await admin.get(`/places?period=2030-31&q=${encodeURIComponent(council.gss_code)}`);
      expect(total(list.body, 'allocated')).toBe(2);
      expect(total(list.body, 'taken')).toBe(2);
      expect(total(list.body, 'remaining')).toBe(0);
    });

    it('rejects bad input with GOV.UK messages and writes nothing', async () => {
      const [council] = await activeCouncils(t, 1, 2);
      const before = await one<{ n: number }>(sql`select count(*)::int as n from funded_places`);
      const cases: [Record<string, string>, string][] = [
        [{ councilId: '', level: 'foundation', period: '2030-31', places: '5' }, 'Select the council'],
        [{ councilId: '00000000-0000-4000-8000-000000000000', level: 'foundation', period: '2030-31', places: '5' }, 'Select a council from the list'],
        [{ councilId: council.id, level: '', period: '2030-31', places: '5' }, 'Select a level'],
        [{ councilId: council.id, level: 'foundation', period: '2030-32', places: '5' }, 'Period must be a financial year'],
        [{ councilId: council.id, level: 'foundation', period: '2030-31', places: '' }, 'Enter the number of places'],
        [{ councilId: council.id, level: 'foundation', period: '2030-31', places: 'ten' }, 'Enter the number of places'],
        [{ councilId: council.id, level: 'foundation', period: '2030-31', places: '2.5' }, 'Enter the number of places'],
        [{ councilId: council.id, level: 'foundation', period: '2030-31', places: '-1' }, 'Places must be 0 or more'],
        [{ councilId: council.id, level: 'foundation', period: '2030-31', places: '10001' }, 'Places must be 10,000 or fewer'],
      ];
      for (const [form, message] of cases) {
        const res = await admin.submit(paths.placesAllocate(), form);
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
      }
      expect((await one<{ n: number }>(sql`select count(*)::int as n from funded_places`)).n).toBe(before.n);
    });

    it('is for programme admins only', async () => {
      for (const who of ['sro', 'partnerLp', 'funder'] as const) {
        const agent = await t.signIn(who);
        expect((await agent.get(paths.placesAllocate())).statusCode, who).toBe(403);
        const [council] = await activeCouncils(t, 1, 0);
        expect((await agent.submit(paths.placesAllocate(), { councilId: council.id, level: 'foundation', period: '2030-31', places: '99' })).statusCode, who).toBe(403);
      }
    });
  });

  describe('the list', () => {
    let councils: Awaited<ReturnType<typeof activeCouncils>>;
    beforeAll(async () => {
      councils = await activeCouncils(t, 3, 3);
      await allocateAs(t, councils[0].id, 'foundation', '2031-32', 10);
      await allocateAs(t, councils[0].id, 'expert', '2031-32', 4);
      await allocateAs(t, councils[1].id, 'foundation', '2031-32', 5);
      await allocateAs(t, councils[2].id, 'practitioner', '2032-33', 7);
      await enrol(t, councils[0].id, 'foundation', '2031-32');
      await enrol(t, councils[1].id, 'foundation', '2031-32');
      await enrol(t, councils[1].id, 'foundation', '2031-32');
    });

    it('shows allocated, taken, released and remaining with totals over the filtered rows', async () => {
      const res = await admin.get('/places?period=2031-32');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Totals for 2031-32');
      expect(res.body).toContain('of 3 allocations');
      expect(total(res.body, 'allocated')).toBe(19);
      expect(total(res.body, 'taken')).toBe(3);
      expect(total(res.body, 'released')).toBe(0);
      expect(total(res.body, 'remaining')).toBe(16);
      const foundation = await admin.get('/places?period=2031-32&level=foundation');
      expect(total(foundation.body, 'allocated')).toBe(15);
      expect(total(foundation.body, 'remaining')).toBe(12);
      expect(foundation.body).toContain(`<a class="govuk-link" href="/councils/${councils[0].id}">${councils[0].name}</a>`);
      expect(foundation.body).toContain(`/places/allocate?councilId=${councils[0].id}&amp;level=foundation&amp;period=2031-32&amp;places=10`);
    });

    it('shows the current financial year by default and every period on request', async () => {
      const current = await admin.get('/places');
      expect(current.body).toContain('Totals for 2026-27');
      expect(current.body).toContain('<option value="2026-27" selected>');
      const all = await admin.get(`/places?period=all&q=${encodeURIComponent(councils[2].gss_code)}`);
      expect(all.body).toContain('Totals for all periods');
      expect(new Set(rowNames(all.body))).toEqual(new Set([councils[2].name]));
      expect(all.body).toContain('<td class="govuk-table__cell" data-label="Period">2032-33</td>');
      const bad = await admin.get('/places?period=nonsense&level=x&sort=bogus&page=y');
      expect(bad.statusCode).toBe(200);
      expect(bad.body).toContain('Totals for 2026-27');
    });

    it('filters by council name, GSS code and region, sorts, and shows an empty state', async () => {
      const byName = await admin.get(`/places?period=2031-32&q=${encodeURIComponent(councils[1].name.slice(0, 8))}`);
      expect(rowNames(byName.body)).toContain(councils[1].name);
      const byRegion = await admin.get(`/places?period=2031-32&region=${encodeURIComponent(councils[0].region)}`);
      expect(rowNames(byRegion.body)).toContain(councils[0].name);
      expect(rowNames(byRegion.body).every((n) => councils.filter((c) => c.region === councils[0].region).map((c) => c.name).includes(n))).toBe(true);
      const byRemaining = await admin.get('/places?period=2031-32&sort=remaining&order=desc');
      expect(rowNames(byRemaining.body)).toEqual([councils[0].name, councils[0].name, councils[1].name]);
      expect(byRemaining.body).toContain('aria-sort="descending"');
      const byAllocated = await admin.get('/places?period=2031-32&sort=allocated&order=asc');
      expect(rowNames(byAllocated.body)).toEqual([councils[0].name, councils[1].name, councils[0].name]);
      const none = await admin.get('/places?period=2031-32&q=no-such-council-anywhere');
      expect(none.body).toContain('There are no matching allocations');
      expect(total(none.body, 'allocated')).toBe(0);
    });

    it('limits each viewer to their councils: SRO their own, partner staff those they manage, learners none', async () => {
      const own = await sroCouncil(t);
      await allocateAs(t, own.id, 'foundation', '2031-32', 2);
      const sro = await t.signIn('sro');
      const sroList = await sro.get('/places?period=2031-32');
      expect(sroList.statusCode).toBe(200);
      expect(rowNames(sroList.body)).toEqual([own.name]);
      expect(total(sroList.body, 'allocated')).toBe(2);
      expect(sroList.body).not.toContain('Allocate funded places');
      expect(sroList.body).not.toContain('>Change<');

      const mhclg = await t.signIn('partnerMhclg');
      const managed = await queryRows<{ name: string }>(
        t.db,
        sql`select o.name from funded_places f join organisations o on o.id = f.council_id join participations p on p.council_id = o.id
            join organisations mp on mp.id = p.managing_partner_id where f.period = '2031-32' and mp.code = 'MHCLG' order by o.name`,
      );
      expect([...new Set(rowNames((await mhclg.get('/places?period=2031-32')).body))].sort()).toEqual([...new Set(managed.map((m) => m.name))].sort());

      const funder = await t.signIn('funder');
      const funderList = await funder.get('/places?period=2031-32');
      expect(funderList.body).toContain('of 4 allocations');
      expect(funderList.body).not.toContain(`href="/councils/${councils[0].id}"`);

      const learner = await t.signIn('learner');
      expect((await learner.get('/places')).statusCode).toBe(403);
      expect((await learner.get(paths.placesExport('csv'))).statusCode).toBe(403);
      const sroExport = await sro.get(`${paths.placesExport('csv')}?period=all`);
      const rows: string[][] = parse(sroExport.body.replace(/^\uFEFF/, ''));
      expect(new Set(rows.slice(1).map((r) => r[0]))).toEqual(new Set([own.name]));
    });

    it('filters by council id, and an id outside the viewer\'s scope gives an empty list and a header-only export, as the API does', async () => {
      const byCouncil = await admin.get(`/places?period=2031-32&councilId=${councils[0].id}`);
      expect(rowNames(byCouncil.body)).toEqual([councils[0].name, councils[0].name]);
      expect(byCouncil.body).toContain(`councilId=${councils[0].id}`); // kept in the download links
      const own = await sroCouncil(t);
      await allocateAs(t, own.id, 'practitioner', '2031-32', 3);
      const sro = await t.signIn('sro');
      const other = councils[0].id;
      const list = await sro.get(`/places?period=all&councilId=${other}`);
      expect(list.statusCode).toBe(200);
      expect(rowNames(list.body)).toEqual([]);
      expect(list.body).toContain('There are no matching allocations');
      for (const format of ['csv', 'xlsx'] as const) {
        const res = await sro.get(`${paths.placesExport(format)}?period=all&councilId=${other}`);
        expect(res.statusCode).toBe(200);
        if (format === 'csv') {
          const rows: string[][] = parse(res.body.replace(/^\uFEFF/, ''));
          expect(rows).toEqual([['Council', 'GSS code', 'Region', 'Level', 'Period', 'Allocated', 'Taken', 'Released', 'Remaining']]);
        } else {
          const workbook = new ExcelJS.Workbook();
          await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
          expect(workbook.worksheets[0].actualRowCount).toBe(1);
        }
      }
      // Their own council's id still narrows their list to it.
      const ownExport = await sro.get(`${paths.placesExport('csv')}?period=2031-32&councilId=${own.id}`);
      const ownRows: string[][] = parse(ownExport.body.replace(/^\uFEFF/, ''));
      expect(new Set(ownRows.slice(1).map((r) => r[0]))).toEqual(new Set([own.name]));
      expect(ownRows.slice(1).map((r) => r[3])).toContain('Practitioner');
    });

    it('downloads the filtered list as CSV and XLSX with formulas neutralised', async () => {
      const target = councils[2];
      await t.db.execute(sql`update organisations set name = '=HYPERLINK("http://evil.example")' where id = ${target.id}`);
      try {
        const res = await admin.get(`${paths.placesExport('csv')}?period=2032-33`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/csv');
        expect(res.headers['content-disposition']).toBe('attachment; filename="funded-places-2026-11-26.csv"');
        const rows: string[][] = parse(res.body.replace(/^\uFEFF/, ''));
        expect(rows[0]).toEqual(['Council', 'GSS code', 'Region', 'Level', 'Period', 'Allocated', 'Taken', 'Released', 'Remaining']);
        expect(rows.slice(1)).toEqual([[`'=HYPERLINK("http://evil.example")`, target.gss_code, target.region, 'Practitioner', '2032-33', '7', '0', '0', '7']]);
        const xlsx = await admin.get(`${paths.placesExport('xlsx')}?period=2031-32&level=foundation&sort=remaining&order=asc`);
        expect(xlsx.headers['content-disposition']).toBe('attachment; filename="funded-places-2026-11-26.xlsx"');
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
        const sheet = workbook.worksheets[0];
        expect(sheet.getRow(1).getCell(9).value).toBe('Remaining');
        const values = [2, 3, 4].map((r) => sheet.getRow(r).getCell(9).value);
        expect(values.slice(0, 3)).toEqual([...values.slice(0, 3)].sort((a, b) => Number(a) - Number(b)));
      } finally {
        await t.db.execute(sql`update organisations set name = ${target.name} where id = ${target.id}`);
      }
    });
  });
});
