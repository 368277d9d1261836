import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

type ApiCsf = { id: string; name: string; indicators: { key: string; name: string; value: number | null; suppressed: string | null; target: number; amber: number; rag: string | null }[] };
const ragWords: Record<string, string> = { green: 'Green: on target', amber: 'Amber: close to target', red: 'Red: off target' };

describe.each(backends)('CSF and trend downloads (%s)', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'funder', 'partnerLp'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const apiCsfs = async (who: string): Promise<ApiCsf[]> =>
    (await t.app.inject({ method: 'GET', url: '/api/v1/csfs', headers: { authorization: `Bearer ${tokens[who]}` } })).json().items;
  const csvRows = (body: string) => parse(body, { columns: true, bom: true }) as Record<string, string>[];
  const workbook = async (payload: Buffer) => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(payload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0];
    const headers = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
    const rows: Record<string, unknown>[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) rows.push(Object.fromEntries(headers.map((h, i) => [h, row.getCell(i + 1).value])));
    });
    return rows;
  };

  it('downloads every CSF’s indicators with the value each role sees on the page, target, amber threshold and status in words', async () => {
    for (const who of ['admin', 'partnerLp', 'funder'] as const) {
      const csfs = await apiCsfs(who);
      const expected = csfs.flatMap((c) => c.indicators.map((i) => ({
        'Critical success factor': c.name,
        Indicator: i.name,
        Value: i.suppressed ? (i.suppressed === 'small' ? '<5' : 'hidden') : i.value === null ? '' : String(i.value),
        Target: String(i.target),
        'Amber threshold': String(i.amber),
        Status: i.rag ? ragWords[i.rag] : i.suppressed ? 'Not shown' : 'No data yet',
        'As at': '26 November 2026',
      })));
      expect(expected.length, who).toBeGreaterThan(3);
      const agent = await t.signIn(who);
      const csv = await agent.get(paths.csfsExport('csv'));
      expect(csv.statusCode, who).toBe(200);
      expect(csv.headers['content-disposition']).toContain('critical-success-factors');
      const rows = csvRows(csv.body);
      expect(rows.map((r) => ({ 'Critical success factor': r['Critical success factor'], Indicator: r.Indicator, Value: r.Value, Target: r.Target, 'Amber threshold': r['Amber threshold'], Status: r.Status, 'As at': r['As at'] })), who).toEqual(expected);

      const xlsx = await agent.get(paths.csfsExport('xlsx'));
      expect(xlsx.statusCode, who).toBe(200);
      const book = await workbook(xlsx.rawPayload);
      expect(book.map((r) => r.Status)).toEqual(expected.map((e) => e.Status));
      expect(book.map((r) => r.Target)).toEqual(expected.map((e) => Number(e.Target)));
      expect((book[0]['As at'] as Date).toISOString().slice(0, 10)).toBe('2026-11-26');
    }
    // The page's tags say the same.
    const page = (await (await t.signIn('admin')).get(paths.csfs())).body;
    expect(page).toContain(`href="${paths.csfsExport('csv')}"`);
  });

  it('downloads the partner’s values for their managed councils, not the programme’s', async () => {
    const [admin, partner] = [await apiCsfs('admin'), await apiCsfs('partnerLp')];
    const differs = admin.flatMap((c, n) => c.indicators.filter((i, k) => i.value !== partner[n].indicators[k].value));
    expect(differs.length).toBeGreaterThan(0);
    const rows = csvRows((await (await t.signIn('partnerLp')).get(paths.csfsExport('csv'))).body);
    const programme = csvRows((await (await t.signIn('admin')).get(paths.csfsExport('csv'))).body);
    expect(rows.map((r) => r.Value)).not.toEqual(programme.map((r) => r.Value));
  });

  it('downloads a CSF’s trends, or one indicator’s, month by month as the snapshots hold them', async () => {
    const [csf] = await apiCsfs('admin');
    const key = csf.indicators[0].key;
    const snapshots = await queryRows<{ key: string; month: string; value: number | null; as_of: string }>(
      t.db,
      sql`select indicator_key as key, to_char(month, 'YYYY-MM') as month, value, to_char(as_of, 'YYYY-MM-DD') as as_of from indicator_snapshots where month >= '2025-12-01' order by month`,
    );
    const admin = await t.signIn('admin');
    const all = await admin.get(paths.csfTrendsExport(csf.id, 'csv'));
    expect(all.statusCode).toBe(200);
    const allRows = csvRows(all.body);
    expect(allRows).toHaveLength(12 * csf.indicators.length);
    expect([...new Set(allRows.map((r) => r.Indicator))]).toEqual(csf.indicators.map((i) => i.name));

    const one = await admin.get(paths.csfTrendsExport(csf.id, 'csv', key));
    const rows = csvRows(one.body);
    expect(rows.map((r) => r.Month)).toEqual([
      'December 2025', 'January 2026', 'February 2026', 'March 2026', 'April 2026', 'May 2026', 'June 2026', 'July 2026',
      'August 2026', 'September 2026', 'October 2026', 'November 2026',
    ]);
    const mine = snapshots.filter((s) => s.key === key);
    expect(mine.length).toBe(12);
    expect(rows.map((r) => r.Value)).toEqual(mine.map((s) => (s.value === null ? '' : String(Number(s.value)))));
    expect(rows.at(-1)!['As at']).toBe('26 November 2026');

    const xlsx = await workbook((await admin.get(paths.csfTrendsExport(csf.id, 'xlsx', key))).rawPayload);
    expect(xlsx).toHaveLength(12);
    expect((xlsx[0]['As at'] as Date).toISOString().slice(0, 10)).toBe(mine[0].as_of);
    expect(xlsx.map((r) => (r.Value === '' ? null : r.Value))).toEqual(mine.map((s) => (s.value === null ? null : Number(s.value))));
    expect((await admin.get(paths.csf(csf.id))).body).toContain(`href="${paths.csfTrendsExport(csf.id, 'csv', key)}"`);

    // An indicator the CSF does not use, or a CSF that is not there, is 404.
    const unused = ['funded_places_used', 'learners_retained', 'verified_improvements'].find((k) => !csf.indicators.some((i) => i.key === k))!;
    expect((await admin.get(paths.csfTrendsExport(csf.id, 'csv', unused))).statusCode).toBe(404);
    expect((await admin.get(paths.csfTrendsExport('00000000-0000-4000-8000-000000000000', 'csv'))).statusCode).toBe(404);
  });

  it('keeps council staff out of the downloads (403 for the list, 404 for a CSF’s trends)', async () => {
    const [csf] = await apiCsfs('admin');
    for (const who of ['sro', 'specialist', 'learner'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.csfsExport('csv'))).statusCode, who).toBe(403);
      expect((await agent.get(paths.csfTrendsExport(csf.id, 'xlsx'))).statusCode, who).toBe(404);
    }
  });
});
