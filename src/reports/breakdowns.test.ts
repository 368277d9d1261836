import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, demoActor, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import type { Actor } from '../auth/policy.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { fixedClock } from '../clock.ts';
import { queryRows } from '../db/client.ts';
import { recordsChanged } from '../db/read-cache.ts';
import { addFixture, expected, fixture } from '../dashboard/breakdowns-fixture.ts';
import type { FigureTable } from '../dashboard/figures.ts';
import { programmeFigures } from '../dashboard/service.ts';
import { hiddenRanges, isHidden, rows as pageRows, type Shown } from '../dashboard/testing.ts';
import { paths } from '../web/paths.ts';
import { headlineAsOf } from './headline.ts';
import { cellText, reportPdf, reportXlsx } from './render.ts';
import { insertReport } from './repository.ts';
import type { ReportData, ReportTable } from './service.ts';
import { pdfText } from './testing.ts';

const tableIds = ['headline-by-partner', 'headline-by-region', 'headline-by-type'];
const sheets = ['Figures by managing partner', 'Figures by region', 'Figures by council type'];

/** The row of the report's headline figures each column of a breakdown adds up to. */
const totals = [
  'Councils engaged',
  'Learners who have started',
  'Practitioner accreditations (full accreditation)',
  'Accreditations awarded',
  'Councils with a baseline and a follow-up maturity assessment',
  'Councils whose contract management maturity improved',
];

/**
 * The fixture's rows as at 30 September 2026, the end of 2026-Q3, worked out by hand from breakdowns-fixture.ts. Two
 * things differ from today: C2 (North, partner B, Beta) moved from not engaged to onboarding on 5 October, so it was
 * not engaged yet; and P6's expert accreditation (C4: South, partner B, Alpha) was awarded on 20 November.
 */
const atQ3: Record<string, number[]> = {
  // engaged, started, practitioner, any level, with a follow-up, improved
  'Fixture Partner A': [2, 3, 1, 3, 1, 1], // C1 (P1, P2), C3 (P4): as today
  'Fixture Partner B': [1, 1, 0, 0, 1, 0], // C4 engaged, P6 started in May; C2's follow-up in July
  'Fixture North': [1, 2, 1, 2, 2, 1], // C1; C2 not engaged but its follow-up counts
  'Fixture South': [2, 2, 0, 1, 0, 0], // C3 (P4's foundation), C4 (P6 not yet accredited)
  'Fixture Alpha': [2, 3, 1, 2, 1, 1], // C1, C4
  'Fixture Beta': [1, 1, 0, 1, 1, 0], // C3 engaged; C2's follow-up
};
const fixtureLabels = [...fixture.partners, ...fixture.regions, ...fixture.types];

/** A breakdown's rows by label, each with its counts (exact where the reader sees exact counts). */
const exactRows = (tables: readonly FigureTable[], id: string) =>
  new Map(tables.find((tb) => tb.id === id)!.rows.map((r) => [r.label, r.counts.map((c) => c.value)]));

/** The fixed clock of createTestApp is 26 November 2026: the last complete quarter is 2026-Q3. */
describe.each(backends)('quarterly report: headline figures by managing partner, region and council type (%s)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let funder: Agent;
  let reportId: string;
  let data: ReportData;
  const table = (d: ReportData, id: string) => d.sections.flatMap((s) => s.tables).find((tb) => tb.id === id);
  const headlineRow = (d: ReportData, label: string) => table(d, 'headline')!.rows.find((r) => r[0] === label)![1];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await addFixture(t);
    const [c2] = await queryRows<{ id: string }>(t.db, sql`select id from organisations where code = 'FX2'`);
    await t.db.execute(sql`insert into participation_status_history (council_id, from_status, to_status, reason, changed_at)
      values (${c2.id}, 'not_engaged', 'onboarding', 'Fixture', '2026-10-05T09:00:00Z'::timestamptz)`);
    recordsChanged();
    admin = await demoActor(t.db, 'admin');
    funder = await t.signIn('funder');
    const made = await (await t.signIn('admin')).submit(paths.reports(), { quarter: '2026-Q3' });
    expect(made.statusCode, errorSummary(made.body)).toBe(302);
    reportId = /\/reports\/([0-9a-f-]{36})/.exec(made.headers.location as string)![1];
    const [row] = await queryRows<{ data: ReportData }>(t.db, sql`select data from reports where id = ${reportId}`);
    data = row.data;
  });
  afterAll(async () => t?.close());

  it('breaks the headline figures down as at the quarter’s end, as worked out by hand', async () => {
    const { breakdowns } = await headlineAsOf(t.db, admin, '2026-09-30');
    for (const [n, labels] of [fixture.partners, fixture.regions, fixture.types].entries()) {
      const found = exactRows(breakdowns, tableIds[n]);
      for (const label of labels) expect(found.get(label), `${tableIds[n]} ${label}`).toEqual(atQ3[label]);
    }
    // Today, the same figures are the dashboard test's (C2 engaged, P6 accredited).
    const today = await headlineAsOf(t.db, admin, '2026-11-26');
    expect(exactRows(today.breakdowns, 'headline-by-partner').get('Fixture Partner B')).toEqual(expected['Fixture Partner B']);
    expect(exactRows(today.breakdowns, 'headline-by-region').get('Fixture North')).toEqual(expected['Fixture North']);
  });

  it('gives the dashboard’s breakdowns for the same day', async () => {
    const report = await headlineAsOf(t.db, admin, '2026-11-26');
    const dashboard = await programmeFigures(t.db, admin, t.clock);
    for (const id of tableIds) {
      const shown = exactRows(report.breakdowns, id);
      expect(shown.size).toBeGreaterThan(2);
      expect(shown, id).toEqual(exactRows(dashboard.breakdowns, id));
    }
    // The dated figures as at the quarter's end are the dashboard's on that day too (its councils are at today's
    // status, so engaged councils are compared today only).
    const onThatDay = await programmeFigures(t.db, admin, fixedClock('2026-09-30T12:00:00Z'));
    const q3 = await headlineAsOf(t.db, admin, '2026-09-30');
    for (const id of tableIds) {
      const [ours, theirs] = [exactRows(q3.breakdowns, id), exactRows(onThatDay.breakdowns, id)];
      for (const label of fixtureLabels.filter((l) => ours.has(l))) expect(ours.get(label)!.slice(1), `${id} ${label}`).toEqual(theirs.get(label)!.slice(1));
    }
  });

  it('adds each column up to its headline figure', async () => {
    const exact = await headlineAsOf(t.db, admin, '2026-09-30');
    const headline = new Map(exact.table.rows.map((r) => [r.label, r.counts[0].value]));
    for (const id of tableIds) {
      const rows = [...exactRows(exact.breakdowns, id).values()];
      totals.forEach((label, i) => expect(rows.reduce((n, r) => n + r[i]!, 0), `${id} ${label}`).toBe(headline.get(label)));
    }
    // In the report as funders read it, a column with nothing hidden adds up, and no hidden count can be worked out
    // to one value from the counts shown beside it and its headline figure.
    let secondary = 0;
    for (const id of tableIds) {
      const rows = table(data, id)!.rows;
      totals.forEach((label, i) => {
        const parts = rows.map((r) => r[i + 1] as Shown);
        const total = headlineRow(data, label) as Shown;
        if (![...parts, total].some(isHidden)) expect(parts.reduce((n: number, p) => n + (p as number), 0), `${id} ${label}`).toBe(total);
        for (const range of hiddenRanges(parts, total)) expect(range.hi - range.lo, `${id} ${label}`).toBeGreaterThanOrEqual(1);
        secondary += parts.filter((p) => p === 'hidden').length;
      });
    }
    expect(secondary).toBeGreaterThan(0);
  });

  it('hides small counts from funders in the page, the PDF, the workbook and the CSVs alike', async () => {
    const exact = await headlineAsOf(t.db, admin, '2026-09-30');
    for (const id of tableIds) {
      const t1 = table(data, id)!;
      const truth = exactRows(exact.breakdowns, id);
      expect(t1.rows.map((r) => r[0])).toEqual([...truth.keys()]);
      for (const [label, ...cells] of t1.rows) {
        const real = truth.get(label as string)!;
        cells.forEach((c, i) => {
          if (c === 'fewer than 5') expect(real[i]).toBeGreaterThanOrEqual(1);
          if (c === 'fewer than 5') expect(real[i]).toBeLessThanOrEqual(4);
          else if (c === 'hidden') expect(real[i]).toBeGreaterThanOrEqual(5);
          else expect(c, `${id} ${label} ${i}`).toBe(real[i]);
        });
      }
    }
    // The fixture's counts are all under 5: shown only as 0 or “fewer than 5”.
    const byPartner = table(data, 'headline-by-partner')!;
    for (const label of fixture.partners) {
      expect(byPartner.rows.find((r) => r[0] === label)!.slice(1)).toEqual(atQ3[label].map((n) => (n === 0 ? 0 : 'fewer than 5')));
    }

    const texts = (tb: ReportTable) => tb.rows.map((r) => r.map((c, i) => cellText(c, tb.columns[i].kind)));
    const page = await funder.get(paths.report(reportId));
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('id="missing-sections"');
    const pdf = await pdfText((await funder.get(paths.reportPdf(reportId))).rawPayload);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await funder.get(paths.reportXlsx(reportId))).rawPayload as unknown as ArrayBuffer);
    const open = parse((await funder.get(paths.reportOpenData(reportId))).body, { columns: true }) as Record<string, string>[];
    for (const [n, id] of tableIds.entries()) {
      const tb = table(data, id)!;
      // The page: a captioned table whose rows are the report's.
      expect(page.body).toContain(`id="table-${id}"`);
      expect(page.body).toMatch(new RegExp(`<caption[^>]*>\\s*${tb.title}\\s*</caption>`));
      const onPage = pageRows(page.body, `table-${id}`);
      expect([...onPage.entries()]).toEqual(tb.rows.map((r) => [r[0], r.slice(1)]));
      // The PDF: each row's label followed by its cells as the page shows them.
      expect(pdf).toContain(tb.title);
      for (const row of texts(tb)) expect(pdf, row.join(' ')).toContain(row.join(' '));
      // The workbook: a sheet of its own, each row with its cells (counts as numbers, hidden counts as text).
      const sheet = workbook.getWorksheet(sheets[n])!;
      const sheetRows: unknown[][] = [];
      sheet.eachRow((r) => sheetRows.push((r.values as unknown[]).slice(1)));
      const header = sheetRows.findIndex((r) => r[0] === tb.columns[0].header);
      expect(sheetRows[header]).toEqual(tb.columns.map((c) => c.header));
      expect(sheetRows.slice(header + 1, header + 1 + tb.rows.length)).toEqual(tb.rows);
      // The table's CSV and the open data.
      const csv = await funder.get(paths.reportTableCsv(reportId, id));
      expect(csv.statusCode).toBe(200);
      expect(parse(csv.body)).toEqual([tb.columns.map((c) => c.header), ...texts(tb)]);
      const lines = open.filter((l) => l.Table === tb.title);
      expect(lines).toHaveLength(tb.rows.length * 6);
      for (const l of lines) {
        const cell = tb.rows.find((r) => r[0] === l.Row)![tb.columns.findIndex((c) => c.header === l.Column)];
        expect([l.Value, l.Unit]).toEqual([String(cell), typeof cell === 'number' ? 'count' : 'text']);
      }
    }
    // The headline figures have the councils engaged, hidden as their breakdowns require.
    expect(texts(table(data, 'headline')!).find((r) => r[0] === 'Councils engaged')).toBeDefined();
  });

  it('shows the breakdowns on the live quarterly page, captioned as at the quarter’s end', async () => {
    const page = await funder.get(paths.reportQuarterly('2026-Q3'));
    expect(page.statusCode).toBe(200);
    for (const [n, id] of tableIds.entries()) {
      expect(page.body).toContain(`id="table-${id}"`);
      expect(page.body).toContain(`<h2 class="govuk-heading-m" id="section-${id}">${sheets[n]}</h2>`);
    }
    expect(page.body).toContain('Headline figures by managing partner as at 30 September 2026');
    expect(pageRows(page.body, 'table-headline-by-partner').get('Fixture Partner B')).toEqual(['fewer than 5', 'fewer than 5', 0, 0, 'fewer than 5', 0]);
  });

  it('still opens and downloads a report archived before the breakdowns were part of it', async () => {
    // A report as made before: no breakdown sections and no Councils engaged among the headline figures.
    const old: ReportData = {
      ...data,
      sections: data.sections
        .filter((s) => !tableIds.includes(s.id))
        .map((s) => (s.id === 'headline' ? { ...s, tables: s.tables.map((tb) => ({ ...tb, rows: tb.rows.filter((r) => r[0] !== 'Councils engaged') })) } : s)),
    };
    const generatedAt = new Date('2026-10-02T09:00:00Z');
    const id = await insertReport(t.db, { quarter: '2026-Q3', generatedAt, generatedById: null, data: old, pdf: await reportPdf(old, generatedAt), xlsx: await reportXlsx(old, generatedAt) });
    const page = await funder.get(paths.report(id));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="table-headline"');
    expect(page.body).not.toContain('id="table-headline-by-partner"');
    expect(page.body).toMatch(
      /id="missing-sections"[\s\S]*This report was made before “Figures by managing partner”, “Figures by region” and “Figures by council type” were part of the quarterly report, so it does not have them\./,
    );
    expect((await funder.get(paths.reportTableCsv(id, 'headline-by-partner'))).statusCode).toBe(404);
    expect((await funder.get(paths.reportTableCsv(id, 'headline'))).statusCode).toBe(200);
    const open = await funder.get(paths.reportOpenData(id));
    expect(open.statusCode).toBe(200);
    expect(open.body).not.toContain('Headline figures by');
    const pdf = await funder.get(paths.reportPdf(id));
    expect(pdf.statusCode).toBe(200);
    expect(await pdfText(pdf.rawPayload)).not.toContain('Figures by managing partner');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await funder.get(paths.reportXlsx(id))).rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((s) => s.name)).not.toContain('Figures by region');
    const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.funder.email}`);
    const token = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    const api = async (reportId: string) => t.app.inject({ method: 'GET', url: `/api/v1/reports/${reportId}`, headers: { authorization: `Bearer ${token}` } });
    const oldApi = await api(id);
    expect(oldApi.statusCode).toBe(200);
    expect(oldApi.json().data).toEqual(old);
    const newApi = (await api(reportId)).json().data as ReportData;
    expect(newApi.sections.map((s) => s.id).slice(0, 4)).toEqual(['headline', ...tableIds]);
    const list = await funder.get(paths.reports());
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(paths.report(id));
  });
});
