import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { sroCouncil } from '../places/testing.ts';

/** The value in the row headed `label` of the table with this id, as the page prints it. */
function cell(html: string, tableId: string, label: string): string {
  const start = html.indexOf(`id="${tableId}"`);
  if (start < 0) throw new Error(`no table ${tableId}`);
  const table = html.slice(start, html.indexOf('</table>', start));
  const row = new RegExp(`<th scope="row" class="govuk-table__header">\\s*${label.replace(/[()£]/g, '\\$&')}\\s*</th>\\s*<td[^>]*>\\s*([^<]*?)\\s*</td>`).exec(table);
  if (!row) throw new Error(`no row ${label} in ${tableId}`);
  return row[1];
}

describe.each(backends)('a council’s dashboard (%s)', (backend) => {
  let t: TestApp;
  let council: { id: string; name: string };
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    council = await sroCouncil(t);
  });
  afterAll(async () => t?.close());

  it('shows the SRO their council’s figures, each counted from the records as the feature pages count them', async () => {
    const sro = await t.signIn('sro');
    const res = await sro.get(paths.councilDashboard(council.id));
    expect(res.statusCode).toBe(200);
    const html = res.body;
    expect(html).toContain('as at 26 November 2026');

    // Accreditations by level, counted here straight from the tables.
    const accredited = await rows<{ level: string; n: number }>(
      sql`select a.level, count(*)::int as n from accreditations a join enrolments e on e.id = a.enrolment_id where e.council_id = ${council.id}::uuid group by a.level`,
    );
    const byLevel = (level: string) => String(accredited.find((a) => a.level === level)?.n ?? 0);
    expect(cell(html, 'learners', 'Accreditations awarded: Practitioner')).toBe(byLevel('practitioner'));
    expect(cell(html, 'learners', 'Accreditations awarded: Foundation')).toBe(byLevel('foundation'));
    expect(html).toContain('Accreditations awarded to learners of');
    expect(html).toMatch(/<svg[^>]*role="img"/);

    const [enrolments] = await rows<{ n: number }>(sql`select count(*)::int as n from enrolments where council_id = ${council.id}::uuid`);
    expect(Number(cell(html, 'learners', 'Enrolments in all').replace(/,/g, ''))).toBe(enrolments.n);

    // Improvements by status, and the verified value in pounds and pence.
    const improvements = await rows<{ status: string; n: number; cashable: string; nonCashable: string }>(
      sql`select status, count(*)::int as n, coalesce(sum(value_pence) filter (where cashable), 0)::text as cashable,
            coalesce(sum(value_pence) filter (where not cashable), 0)::text as "nonCashable"
          from improvements where council_id = ${council.id}::uuid group by status`,
    );
    const status = (s: string) => improvements.find((i) => i.status === s);
    expect(cell(html, 'improvements', 'Improvements verified')).toBe(String(status('verified')?.n ?? 0));
    expect(cell(html, 'improvements', 'Improvements submitted')).toBe(String(status('submitted')?.n ?? 0));
    const pounds = (pence: string) => `£${Math.floor(Number(pence) / 100).toLocaleString('en-GB')}${Number(pence) % 100 ? `.${String(Number(pence) % 100).padStart(2, '0')}` : ''}`;
    expect(cell(html, 'improvements', 'Verified value, cashable (£)')).toBe(pounds(status('verified')?.cashable ?? '0'));

    // The SRO Network: the council's members (its SRO among them).
    const [members] = await rows<{ n: number }>(
      sql`select count(*)::int as n from people where organisation_id = ${council.id}::uuid and 'council_sro' = any(roles) and status <> 'deactivated' and erased_at is null`,
    );
    expect(Number(cell(html, 'network-sro', 'Members'))).toBeGreaterThanOrEqual(members.n);
    expect(members.n).toBeGreaterThan(0);
  });

  it('gives the same figures as CSV and XLSX, each line dated', async () => {
    const sro = await t.signIn('sro');
    const page = (await sro.get(paths.councilDashboard(council.id))).body;
    const csv = await sro.get(paths.councilDashboardExport(council.id, 'csv'));
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="council-dashboard-2026-11-26.csv"');
    const lines = parse(csv.body, { columns: true, bom: true }) as Record<string, string>[];
    const line = (figure: string) => lines.find((l) => l.Figure === figure)!;
    expect(line('Enrolments in all').Value).toBe(cell(page, 'learners', 'Enrolments in all').replace(/,/g, ''));
    expect(line('Enrolments in all').Section).toBe('Learners');
    expect(new Set(lines.map((l) => l['As at']))).toEqual(new Set(['26 November 2026']));

    const xlsx = await sro.get(paths.councilDashboardExport(council.id, 'xlsx'));
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0];
    expect(sheet.getRow(1).values).toEqual([undefined, 'Section', 'Figure', 'Value', 'As at']);
    expect(sheet.rowCount - 1).toBe(lines.length);
  });

  it('is 404 for a council outside the person’s own, and not there for learners and funders', async () => {
    const [other] = await rows<{ id: string }>(sql`select id from organisations where kind = 'council' and id <> ${council.id}::uuid order by name limit 1`);
    const sro = await t.signIn('sro');
    expect((await sro.get(paths.councilDashboard(other.id))).statusCode).toBe(404);
    expect((await sro.get(paths.councilDashboardExport(other.id, 'csv'))).statusCode).toBe(404);
    expect((await sro.get(paths.councilDashboard('not-a-uuid'))).statusCode).toBe(404);
    for (const who of ['learner', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect([403, 404], who).toContain((await agent.get(paths.councilDashboard(council.id))).statusCode);
    }
    // Programme admins see every council's.
    expect((await (await t.signIn('admin')).get(paths.councilDashboard(other.id))).statusCode).toBe(200);
  });

  it('is linked from the council’s page', async () => {
    const sro = await t.signIn('sro');
    expect((await sro.get(paths.council(council.id))).body).toContain(`href="${paths.councilDashboard(council.id)}"`);
  });
});
