import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';
import { pdfText } from './testing.ts';

/** The fixed clock of createTestApp is 26 November 2026: the last complete quarter is 2026-Q3. */
describe.each(backends)('quarterly funder reports (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let funder: Agent;
  let sro: Agent;
  const tokens: Record<string, string> = {};
  let reportId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const api = (who: string | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, partner, funder, sro] = await Promise.all(['admin', 'partnerLp', 'funder', 'sro'].map((who) => t.signIn(who)));
    for (const who of ['admin', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    // The demo's fund and its spend go: these tests build the funding they count, to the penny.
    await t.db.execute(sql`delete from fund_spend`);
    await t.db.execute(sql`delete from fund_budget_lines`);
    await t.db.execute(sql`delete from funds`);
  });
  afterAll(async () => t?.close());

  it('says the return on investment cannot be computed while no spend is recorded, and states the method', async () => {
    expect((await one<{ n: number }>(sql`select count(*)::int as n from fund_spend`)).n).toBe(0);
    const page = await funder.get(paths.reportRoi());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Cannot be computed: no programme spend is recorded yet');
    expect(page.body).not.toContain('id="roi"');
    expect(page.body).toContain('ROI % = (benefits − cost) ÷ cost × 100');
    expect(page.body).toContain('Only 50% of that value is counted');
  });

  it('generates, archives and shows the quarter’s report, with the quarter’s spend and the ROI against it', async () => {
    const fund = await one<{ id: string }>(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('CCS', 'CCS uplift', 200000000, '2026-04-01', '2027-03-31') returning id`);
    const line = await one<{ id: string }>(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${fund.id}, 'evaluation', 'Evaluation', 5000000) returning id`);
    // Two items in the quarter (£10,000.01 + £3,333.33 = £13,333.34), one before it and one after its end.
    await t.db.execute(sql`insert into fund_spend (line_id, supplier, spent_on, amount_pence) values
      (${line.id}, 'Evaluators Ltd', '2026-07-15', 1000001), (${line.id}, 'Survey Co', '2026-09-30', 333333),
      (${line.id}, 'Early Ltd', '2026-06-30', 100), (${line.id}, 'Late Ltd', '2026-10-01', 99999)`);
    const res = await admin.submit(paths.reports(), { quarter: '2026-Q3' });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    reportId = /\/reports\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
    const page = await admin.get(res.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Report generated and archived');
    expect(page.body).toContain('Quarterly report to funders: 2026-Q3');
    expect(page.body).toContain('made on 26 November 2026');
    expect(page.body).toContain('by Ann Admin'.replace('Ann Admin', (await one<{ name: string }>(sql`select name from people where email = ${demoAccounts.admin.email}`)).name));
    expect(page.body).toMatch(/CCS uplift[\s\S]*?£2,000,000[\s\S]*?£13,333\.34[\s\S]*?£13,334\.34/);
    const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'report.generated' and record_id = ${reportId}`);
    expect(audit.n).toBe(1);
    // The ROI as at the quarter's end: cost is the spend up to 30 September, £13,334.34.
    const value = await one<{ cashable: string; non: string }>(
      sql`select coalesce(sum(value_pence) filter (where cashable), 0)::text as cashable, coalesce(sum(value_pence) filter (where not cashable), 0)::text as non
          from improvements where status = 'verified' and improved_on <= '2026-09-30'`,
    );
    const data = (await api('admin', 'GET', `/api/v1/reports/${reportId}`)).json().data;
    const roi = data.sections.find((s: { id: string }) => s.id === 'roi').tables[0].rows as [string, number][];
    expect(roi.map((r) => r[1])).toEqual([
      Number(value.cashable),
      Number(value.non),
      Number(value.cashable) + Number(value.non),
      Math.round((Number(value.cashable) + Number(value.non)) / 2),
      1_333_434,
      Math.round((Number(value.cashable) + Number(value.non)) / 2) - 1_333_434,
    ]);
  });

  it('holds the figures a funder may see, and nothing personal', async () => {
    const data = (await api('funder', 'GET', `/api/v1/reports/${reportId}`)).json().data;
    const headline = data.sections[0].tables[0].rows as [string, number | string][];
    expect(data.sections[0].tables[0].title).toBe('Headline figures as at 30 September 2026');
    expect(headline.map((r) => r[0])).toEqual([
      'Councils taking part', 'Councils engaged', 'Councils that completed the programme', 'Councils that withdrew', 'Councils declined',
      'Learner enrolments in progress', 'Nominations awaiting a decision', 'Accreditations awarded', 'Foundation accreditations',
      'Practitioner accreditations (full accreditation)', 'Expert accreditations', 'Learners who have started',
      'Councils with a baseline and a follow-up maturity assessment', 'Councils whose contract management maturity improved',
    ]);
    // Each count is a number of 5 or more, 0, or a hidden count's text.
    for (const [, cell] of headline) expect(typeof cell === 'number' ? cell === 0 || cell >= 5 : ['fewer than 5', 'hidden'].includes(cell)).toBe(true);
    const text = JSON.stringify(data);
    expect(text).not.toMatch(/@/);
    const names = await queryRows<{ name: string }>(t.db, sql`select name from people where email in (${demoAccounts.admin.email}, ${demoAccounts.learner.email}, ${demoAccounts.sro.email})`);
    for (const { name } of names) expect(text).not.toContain(name);
    // The funder reads the archive but is not told who generated it.
    const page = await funder.get(paths.report(reportId));
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(names[0].name);
  });

  it('gives a PDF with the title, the dates and the headline figures', async () => {
    const res = await funder.get(paths.reportPdf(reportId));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const text = await pdfText(res.rawPayload);
    expect(text).toContain('Quarterly report to funders: 2026-Q3');
    expect(text).toContain('Report made on 26 November 2026');
    expect(text).toContain('1 July 2026 to 30 September 2026');
    const data = (await api('funder', 'GET', `/api/v1/reports/${reportId}`)).json().data;
    for (const [label, cell] of data.sections[0].tables[0].rows as [string, number | string][]) {
      expect(text).toContain(label.slice(0, 20));
      expect(text).toContain(typeof cell === 'number' ? cell.toLocaleString('en-GB') : cell);
    }
    expect(text).toContain('£13,333.34');
    expect(text).toContain('Headline figures as at 30 September 2026');
    expect(text).toContain('As at 30 September 2026, the end of the quarter');
    expect(text).toContain('a maturity score moderated after the quarter’s end counts with its moderated score');
  });

  it('gives an XLSX with a sheet per section whose money adds up to the penny', async () => {
    const res = await partner.get(paths.reportXlsx(reportId));
    expect(res.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((s) => s.name)).toEqual([
      'Report', 'Headline figures', 'Figures by managing partner', 'Figures by region', 'Figures by council type', 'Evaluation indicators', 'Survey response rates', 'Funding', 'Return on investment']);
    const sheet = workbook.getWorksheet('Funding')!;
    const rows: { n: number; cells: (string | number)[] }[] = [];
    sheet.eachRow((row, n) => rows.push({ n, cells: (row.values as (string | number)[]).slice(1) }));
    const header = rows.findIndex((r) => r.cells[0] === 'Fund');
    const inQuarter = rows[header].cells.indexOf('Spent in the quarter');
    const funds = rows.slice(header + 1).filter((r) => r.cells[0] !== 'All funds').map((r) => r.cells);
    const total = rows.find((r) => r.cells[0] === 'All funds')!.cells;
    expect(Math.round(funds.reduce((n, r) => n + Number(r[inQuarter]), 0) * 100)).toBe(1_333_334);
    expect(Math.round(Number(total[inQuarter]) * 100)).toBe(1_333_334);
    expect(sheet.getRow(rows[header].n + 1).getCell(inQuarter + 1).numFmt).toContain('£');
  });

  it('keeps an archived report as it was made: the same bytes later, whatever changed since, and no way to change it', async () => {
    const stored = await one<{ pdf: Uint8Array; xlsx: Uint8Array }>(sql`select pdf, xlsx from reports where id = ${reportId}`);
    const before = (await api('admin', 'GET', `/api/v1/reports/${reportId}`)).json().data;
    await t.db.execute(sql`insert into fund_spend (line_id, supplier, spent_on, amount_pence) select id, 'Later Ltd', '2026-08-01', 777 from fund_budget_lines limit 1`);
    t.clock.set('2026-11-26T10:10:00Z');
    try {
      const pdf = await admin.get(paths.reportPdf(reportId));
      expect(Buffer.compare(pdf.rawPayload, Buffer.from(stored.pdf))).toBe(0);
      const xlsx = await api('funder', 'GET', `/api/v1/reports/${reportId}/xlsx`);
      expect(xlsx.statusCode).toBe(200);
      expect(Buffer.compare(xlsx.rawPayload, Buffer.from(stored.xlsx))).toBe(0);
      expect((await api('admin', 'GET', `/api/v1/reports/${reportId}/pdf`)).rawPayload.equals(pdf.rawPayload)).toBe(true);
      expect((await api('admin', 'GET', `/api/v1/reports/${reportId}`)).json().data).toEqual(before);
    } finally {
      t.clock.set('2026-11-26T10:00:00Z');
    }
    // No route changes or deletes a report, and the database refuses to.
    expect((await api('admin', 'PUT', `/api/v1/reports/${reportId}`, {})).statusCode).toBe(405);
    expect((await api('admin', 'DELETE', `/api/v1/reports/${reportId}`)).statusCode).toBe(405);
    await expect(t.db.execute(sql`update reports set quarter = '2026-Q2' where id = ${reportId}`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from reports where id = ${reportId}`)).rejects.toThrow();
    expect((await one<{ quarter: string }>(sql`select quarter from reports where id = ${reportId}`)).quarter).toBe('2026-Q3');
  });

  it('lists the archive and gives each table and the open data as CSV, with hidden counts kept hidden', async () => {
    const list = await funder.get(paths.reports());
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(paths.report(reportId));
    expect(list.body).not.toContain('Generate and archive');
    const csv = await funder.get(paths.reportTableCsv(reportId, 'funding'));
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\n')[0]).toBe('Fund,Source,Budget,Spent in the quarter,Spent to the quarter’s end,Remaining');
    expect(csv.body).toContain('"£13,333.34"');
    expect((await funder.get(paths.reportTableCsv(reportId, 'nothing'))).statusCode).toBe(404);
    const open = await funder.get(paths.reportOpenData(reportId));
    expect(open.body.split('\n')[0]).toBe('Section,Table,Row,Column,Value,Unit,Quarter,Report made on');
    expect(open.body).toContain('Funding,Funds in 2026-Q3,All funds,Spent in the quarter,1333334,pence,2026-Q3,2026-11-26');
    const data = (await api('funder', 'GET', `/api/v1/reports/${reportId}`)).json().data;
    for (const [label, cell] of data.sections[0].tables[0].rows as [string, number | string][]) {
      if (typeof cell === 'string') expect(open.body).toContain(`${label},Count,${cell},text`);
    }
    const apiList = (await api('funder', 'GET', '/api/v1/reports')).json();
    expect(apiList.meta.total).toBe(1);
    expect(apiList.data[0]).toMatchObject({ id: reportId, quarter: '2026-Q3', links: { pdf: `/api/v1/reports/${reportId}/pdf` } });
  });

  it('shows the live quarterly report, printable, for the last complete quarter by default', async () => {
    const page = await funder.get(paths.reportQuarterly());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Quarterly report to funders: 2026-Q3');
    expect(page.body).not.toContain('id="generate"');
    expect(page.body).toContain('app-no-print');
    const q2 = await admin.get(paths.reportQuarterly('2026-Q2'));
    expect(q2.body).toContain('Quarterly report to funders: 2026-Q2');
    expect(q2.body).toContain('id="generate"');
  });

  it('refuses a quarter that is written wrongly or has not ended, and writes nothing', async () => {
    const count = async () => (await one<{ n: number }>(sql`select count(*)::int as n from reports`)).n;
    const before = await count();
    const page = await admin.submit(paths.reports(), { quarter: '2026-Q4' });
    expect(page.statusCode).toBe(400);
    expect(errorSummary(page.body)).toContain('Quarter must have ended: the last one that has is 2026-Q3');
    const live = await funder.get(paths.reportQuarterly('2026-13'));
    expect(live.statusCode).toBe(400);
    expect(errorSummary(live.body)).toContain('Enter the quarter as a year and quarter number, like 2026-Q3');
    for (const quarter of ['2026-13', '2020-Q1', '2027-Q1']) {
      const res = await api('admin', 'POST', '/api/v1/reports', { quarter });
      expect(res.statusCode, quarter).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors[0].field).toBe('quarter');
    }
    expect(await count()).toBe(before);
  });

  it('lets only admins generate, and keeps reports from council staff', async () => {
    expect((await funder.submit(paths.reports(), { quarter: '2026-Q3' })).statusCode).toBe(403);
    expect((await api('funder', 'POST', '/api/v1/reports', {})).statusCode).toBe(403);
    expect((await sro.get(paths.reports())).statusCode).toBe(403);
    expect((await sro.get(paths.report(reportId))).statusCode).toBe(404);
    expect((await sro.get(paths.reportPdf(reportId))).statusCode).toBe(404);
    expect((await api('sro', 'GET', '/api/v1/reports')).statusCode).toBe(403);
    expect((await api('sro', 'GET', `/api/v1/reports/${reportId}/pdf`)).statusCode).toBe(404);
    expect((await api(null, 'GET', '/api/v1/reports')).statusCode).toBe(401);
    expect((await api('funder', 'GET', '/api/v1/reports/00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    const created = await api('admin', 'POST', '/api/v1/reports', {});
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ quarter: '2026-Q3', data: { quarterEnd: '2026-09-30' } });
  });

  it('applies the attribution factor set on the settings pages, 0 to 100', async () => {
    const bad = await admin.submit(paths.settingsRoi(), { roiAttributionPercent: '101', reason: 'Evaluation advice' });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Attribution factor must be between 0 and 100');
    const ok = await admin.submit(paths.settingsRoi(), { roiAttributionPercent: '80', reason: 'Evaluation advice' });
    expect(ok.statusCode, errorSummary(ok.body)).toBe(302);
    const page = await partner.get(paths.reportRoi());
    expect(page.body).toContain('Only 80% of that value is counted');
    expect(page.body).toContain('id="roi"');
  });

  it('counts the headline figures as at the quarter’s last day, from the dates the records hold', async () => {
    const headline = async () => {
      const created = await api('admin', 'POST', '/api/v1/reports', { quarter: '2026-Q3' });
      expect(created.statusCode).toBe(201);
      const section = created.json().data.sections[0];
      return { rows: Object.fromEntries(section.tables[0].rows as [string, number | string][]), paragraphs: section.paragraphs as string[] };
    };
    const before = await headline();
    expect(before.paragraphs[0]).toMatch(/^As at 30 September 2026, the end of the quarter/);
    expect(before.paragraphs.some((p) => /^Share of councils improved|no share|not shown/.test(p))).toBe(true);
    const num = (v: number | string) => {
      expect(typeof v, String(v)).toBe('number');
      return v as number;
    };
    const taking = num(before.rows['Councils taking part']);
    const accredited = num(before.rows['Accreditations awarded']);
    const started = num(before.rows['Learners who have started']);

    // Councils active at the quarter's end: one withdrew at 23:30 on its last day (UK time), two after it; the first
    // stops taking part, the others still took part then.
    const active = await queryRows<{ id: string }>(t.db, sql`select council_id as id from participations where status = 'active' order by council_id limit 3`);
    expect(active).toHaveLength(3);
    const withdraw = async (id: string, at: string) => {
      await t.db.execute(sql`update participations set status = 'withdrawn' where council_id = ${id}`);
      await t.db.execute(sql`insert into participation_status_history (council_id, from_status, to_status, reason, changed_at) values (${id}, 'active', 'withdrawn', 'Test', ${at}::timestamptz)`);
    };
    await withdraw(active[0].id, '2026-09-30T22:30:00Z');
    await withdraw(active[1].id, '2026-09-30T23:30:00Z');
    await withdraw(active[2].id, '2026-11-20T10:00:00Z');
    // An accreditation of the quarter moved to after its end, and a learner who registered (all their levels) after it.
    const accreditation = await one<{ id: string }>(sql`select id from accreditations where awarded_on <= '2026-09-30' order by awarded_on desc, id limit 1`);
    await t.db.execute(sql`update accreditations set awarded_on = '2026-10-20' where id = ${accreditation.id}`);
    const learner = await one<{ person: string }>(sql`select person_id as person from enrolments where registered_on <= '2026-09-30' group by person_id order by person_id limit 1`);
    await t.db.execute(sql`update enrolments set registered_on = '2026-10-02' where person_id = ${learner.person} and registered_on is not null`);
    // Records after the quarter's end change today's dashboard, not the quarter's figures.
    await t.db.execute(sql`insert into participation_status_history (council_id, from_status, to_status, reason, changed_at)
      select council_id, status, status, 'No move', '2026-11-25T09:00:00Z'::timestamptz from participations where council_id = ${active[0].id}`);

    const after = await headline();
    expect(num(after.rows['Councils taking part'])).toBe(taking - 1);
    expect(num(after.rows['Accreditations awarded'])).toBe(accredited - 1);
    expect(num(after.rows['Learners who have started'])).toBe(started - 1);
    const level = await one<{ level: string }>(sql`select e.level from accreditations a join enrolments e on e.id = a.enrolment_id where a.id = ${accreditation.id}`);
    const levelRow = level.level === 'practitioner' ? 'Practitioner accreditations (full accreditation)' : `${level.level[0].toUpperCase()}${level.level.slice(1)} accreditations`;
    if (typeof before.rows[levelRow] === 'number' && typeof after.rows[levelRow] === 'number') expect(after.rows[levelRow]).toBe((before.rows[levelRow] as number) - 1);
  });

  it('gives the response rates of the surveys sent in the quarter, with small counts hidden', async () => {
    // A closed reaction survey of its own, sent to thirteen people: ten in the second quarter (five answered), three in
    // the first (two answered); the last day's evening (UK time) still counts for its quarter.
    const survey = await one<{ id: string; title: string }>(
      sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions)
          values ('Supplier workshop feedback', 'reaction', 'Everyone who attended the event', true, '2026-07-31', 'closed', '[]'::jsonb) returning id, title`,
    );
    const people = await queryRows<{ id: string }>(t.db, sql`select id from people order by email limit 13`);
    const sends: [string, boolean][] = [
      ...Array.from({ length: 4 }, (): [string, boolean] => ['2026-05-12T09:00:00Z', true]),
      ['2026-06-30T22:30:00Z', true],
      ...Array.from({ length: 5 }, (): [string, boolean] => ['2026-06-03T09:00:00Z', false]),
      ['2026-02-03T09:00:00Z', true],
      ['2026-02-03T09:00:00Z', true],
      ['2026-03-31T22:30:00Z', false],
    ];
    for (const [i, [at, answered]] of sends.entries()) {
      await t.db.execute(sql`insert into survey_recipients (survey_id, person_id, token_hash, sent_at, answered)
        values (${survey.id}, ${people[i].id}, ${`report-test-${i}`}, ${at}::timestamptz, ${answered})`);
    }
    const surveysTable = async (quarter: string) => {
      const made = await api('admin', 'POST', '/api/v1/reports', { quarter });
      expect(made.statusCode).toBe(201);
      return made.json().data.sections.find((s: { id: string }) => s.id === 'surveys').tables[0].rows;
    };
    const level = 'Reaction (after an event or workshop)';
    expect(await surveysTable('2026-Q2')).toEqual([
      [survey.title, level, 10, 5, '50.0%'],
      ['All surveys', '', 10, 5, '50.0%'],
    ]);
    const hidden = 'Not shown (a count is hidden)';
    expect(await surveysTable('2026-Q1')).toEqual([
      [survey.title, level, 'fewer than 5', 'fewer than 5', hidden],
      ['All surveys', '', 'fewer than 5', 'fewer than 5', hidden],
    ]);
    expect(await surveysTable('2025-Q4')).toEqual([['All surveys', '', 0, 0, 'None sent']]);
    await t.db.execute(sql`delete from survey_recipients where survey_id = ${survey.id}`);
    await t.db.execute(sql`delete from surveys where id = ${survey.id}`);
  });
});
