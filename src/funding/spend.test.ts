import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('funding, spend (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let funder: Agent;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const spendCount = async (fundId: string) =>
    (await one<{ n: number }>(sql`select count(*)::int as n from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId}`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, partner, funder] = await Promise.all(['admin', 'partnerLp', 'funder'].map((who) => t.signIn(who)));
  });
  afterAll(async () => t?.close());

  async function addFund() {
    const res = await admin.submit(paths.fundNew(), {
      source: 'CCS',
      name: `Capability ${Math.random().toString(36).slice(2, 8)}`,
      amount: '2,000,000',
      ...dateFields('startDate', '1', '10', '2023'),
      ...dateFields('endDate', '30', '4', '2026'),
    });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    const fundId = /\/funding\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
    for (const name of ['Evaluation', 'Programme management']) {
      const line = await admin.submit(paths.fundLineNew(fundId), { kind: name === 'Evaluation' ? 'evaluation' : 'programme_management', name, budget: '100000' });
      expect(line.statusCode, errorSummary(line.body)).toBe(302);
    }
    return fundId;
  }
  const lineId = async (fundId: string, name: string) => (await one<{ id: string }>(sql`select id from fund_budget_lines where fund_id = ${fundId} and name = ${name}`)).id;

  const upload = async (fundId: string, content: string | Buffer, name = 'spend.csv', agent = admin) => {
    const url = paths.fundSpendUpload(fundId);
    const token = await agent.csrf(paths.fund(fundId));
    const { payload, contentType } = multipartBody({ _csrf: token }, { name, content: typeof content === 'string' ? Buffer.from(content) : content });
    return t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  };
  const header = 'supplier,date,budget_line,amount,reference';
  const fundTotalSpent = (html: string) => /id="fund-total"[\s\S]*?data-label="Spent">([^<]+)</.exec(html)?.[1];

  it('uploads spend all or nothing, and the fund page adds it up to the penny', async () => {
    const fundId = await addFund();
    // Sums of tenths and hundredths that floating point gets wrong (0.1 + 0.2): the page must show £1,000.60 exactly.
    const rows = ['Evaluators Ltd,01/11/2023,Evaluation,0.10,INV-1', 'Evaluators Ltd,2023-11-02,evaluation,0.20,INV-2', '"Venue, Hall & Co",15/03/2026,Programme management,"£1,000.30",'];
    const good = await upload(fundId, [header, ...rows].join('\n'));
    expect(good.statusCode, errorSummary(good.body)).toBe(200);
    expect(good.body).toContain('3 items of spend recorded, £1,000.60 in all');
    const page = await admin.get(paths.fund(fundId));
    expect(fundTotalSpent(page.body)).toBe('£1,000.60');
    expect((await one<{ p: number }>(sql`select sum(s.amount_pence)::int as p from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId}`)).p).toBe(100060);

    // The same from a workbook: a date cell and a number cell.
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('spend');
    sheet.addRow(header.split(','));
    sheet.addRow(['Printers plc', new Date(Date.UTC(2024, 0, 31)), 'Evaluation', 1234.56, 'PO-77']);
    const xlsx = await upload(fundId, Buffer.from(await book.xlsx.writeBuffer()), 'spend.xlsx');
    expect(xlsx.statusCode, errorSummary(xlsx.body)).toBe(200);
    expect(fundTotalSpent((await admin.get(paths.fund(fundId))).body)).toBe('£2,235.16');
    expect((await admin.get(paths.audit())).body).toContain('recorded £1,234.56 spent with Printers plc');
  });

  it('refuses a file with any bad row, listing every row’s problem and writing nothing', async () => {
    const fundId = await addFund();
    const first = await upload(fundId, [header, 'Evaluators Ltd,01/11/2023,Evaluation,10,INV-9'].join('\n'));
    expect(first.statusCode, errorSummary(first.body)).toBe(200);
    const before = await spendCount(fundId);
    const bad = await upload(
      fundId,
      [
        header,
        'Good Ltd,01/12/2023,Evaluation,5.00,OK-1',
        'Neg Ltd,01/12/2023,Evaluation,-5,N-1',
        'Text Ltd,01/12/2023,Evaluation,lots,T-1',
        'Fine Ltd,01/12/2023,Evaluation,1.005,F-1',
        'Late Ltd,01/05/2026,Evaluation,5,L-1',
        'Who Ltd,01/12/2023,Catering,5,W-1',
        ',,,5,',
        'Twice Ltd,01/12/2023,Evaluation,5,OK-1',
        'Again Ltd,01/12/2023,Evaluation,5,inv-9',
      ].join('\n'),
    );
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('8 of 9 rows have errors. Nothing was uploaded');
    for (const message of [
      'Amount must be £0 or more',
      'Amount must be an amount of money in pounds',
      'Amount must not have more than 2 decimal places',
      'Date must be within the fund, from 1 October 2023 to 30 April 2026',
      '“Catering” is not a budget line of this fund',
      'Enter the supplier',
      'Enter the date of the spend',
      'Enter the budget line',
      'Reference OK-1 is also in row 2',
      'Reference inv-9 is already recorded on this fund',
    ]) {
      expect(bad.body).toContain(message);
    }
    expect(await spendCount(fundId)).toBe(before);

    const wrongColumns = await upload(fundId, 'supplier,amount\nA,1');
    expect(errorSummary(wrongColumns.body)).toContain('The file is missing the columns');
    expect((await upload(fundId, [header, 'A,01/12/2023,Evaluation,1,'].join('\n'), 'spend.csv', partner)).statusCode).toBe(404);
    expect(await spendCount(fundId)).toBe(before);
  });

  it('lists spend 50 a page with filters, sorting and downloads of numbers and dates', async () => {
    const fundId = await addFund();
    const rows = Array.from({ length: 55 }, (_, i) => `Supplier ${String(i).padStart(2, '0')},${String((i % 28) + 1).padStart(2, '0')}/01/2024,${i % 5 ? 'Evaluation' : 'Programme management'},${i + 1}.25,R-${i}`);
    rows.push('Acme Widgets,15/06/2025,Evaluation,999.99,ACME-1');
    expect((await upload(fundId, [header, ...rows].join('\n'))).statusCode).toBe(200);

    const list = await admin.get(paths.fundSpend(fundId));
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Showing 1 to 50 of 56 items of spend');
    // Newest first.
    expect(list.body).toContain('Acme Widgets');
    expect(list.body).not.toContain('Supplier 00');
    expect((await admin.get(`${paths.fundSpend(fundId)}?page=2`)).body).toContain('Showing 51 to 56 of 56');
    const last = await admin.get(`${paths.fundSpend(fundId)}?page=9`);
    expect(last.statusCode).toBe(302);

    const search = await admin.get(`${paths.fundSpend(fundId)}?q=acme`);
    expect(search.body).toContain('Showing 1 to 1 of 1 item of spend, £999.99 in all');
    const line = await lineId(fundId, 'Programme management');
    expect((await admin.get(`${paths.fundSpend(fundId)}?lineId=${line}`)).body).toContain('of 11 items');
    const dated = await admin.get(`${paths.fundSpend(fundId)}?from=1/6/2025&to=30/6/2025`);
    expect(dated.body).toContain('Showing 1 to 1 of 1 item');
    const badDate = await admin.get(`${paths.fundSpend(fundId)}?from=31/2/2025`);
    expect(badDate.statusCode).toBe(400);
    expect(errorSummary(badDate.body)).toContain('From date must be a real date');
    const backwards = await admin.get(`${paths.fundSpend(fundId)}?from=1/6/2025&to=1/1/2025`);
    expect(errorSummary(backwards.body)).toContain('To date must be the same as or after the from date');
    const byAmount = await admin.get(`${paths.fundSpend(fundId)}?sort=amount&order=asc`);
    expect(byAmount.body.indexOf('£1.25')).toBeLessThan(byAmount.body.indexOf('£2.25'));

    const csv = await admin.get(`${paths.fundSpendExport(fundId, 'csv')}?q=acme`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('Date,Supplier,Budget line,Amount (£),Reference');
    expect(csv.body).toContain('15 June 2025,Acme Widgets,Evaluation,999.99,ACME-1');
    const xlsx = await admin.get(`${paths.fundSpendExport(fundId, 'xlsx')}?q=acme`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const row = book.worksheets[0].getRow(2);
    expect(row.getCell(1).value).toBeInstanceOf(Date);
    expect((row.getCell(1).value as Date).toISOString().slice(0, 10)).toBe('2025-06-15');
    expect(row.getCell(4).value).toBe(999.99);

    // Partners read the list; funders see aggregates only.
    expect((await partner.get(paths.fundSpend(fundId))).body).toContain('Acme Widgets');
    expect((await partner.get(paths.fundSpend(fundId))).body).not.toContain('/remove');
    expect((await funder.get(paths.fundSpend(fundId))).statusCode).toBe(404);
    expect((await funder.get(paths.fundSpendExport(fundId, 'csv'))).statusCode).toBe(404);
  });

  it('after someone else’s change, a stale spend change comes back with what was typed over the version now stored, so saving it again works', async () => {
    const fundId = await addFund();
    expect((await upload(fundId, [header, 'Evaluators Ltd,01/11/2023,Evaluation,100,INV-1'].join('\n'))).statusCode).toBe(200);
    const item = await one<{ id: string }>(sql`select s.id from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId} and s.reference = 'INV-1'`);
    const evaluation = await lineId(fundId, 'Evaluation');
    const form = (amount: string, version: string) => ({ supplier: 'Evaluators Ltd', ...dateFields('spentOn', '1', '11', '2023'), lineId: evaluation, amount, reference: 'INV-1', version });
    const stored = () => one<{ amount: number; version: number }>(sql`select amount_pence::int as amount, version from fund_spend where id = ${item.id}`);
    const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;
    const read = formVersion((await admin.get(paths.fundSpendEdit(fundId, item.id))).body)!;
    // Someone else saves from the same read first.
    const other = await admin.submit(paths.fundSpendEdit(fundId, item.id), form('110', read));
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
    const before = await stored();
    const auditsBefore = await audits();

    const stale = await admin.submit(paths.fundSpendEdit(fundId, item.id), form('125.75', read));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed or removed this spend item');
    expect(stale.body).toContain('href="#main-content"');
    expect(stale.body).toMatch(/name="amount"[^>]*value="125.75"/);
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // It carries the version now stored: sent again as shown, it saves.
    expect(formVersion(stale.body)).toBe(String(before.version));
    const again = await admin.submit(paths.fundSpendEdit(fundId, item.id), form('125.75', formVersion(stale.body)!));
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await stored()).toEqual({ amount: 12575, version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('changes and removes spend after a confirmation page, refusing stale versions with 409', async () => {
    const fundId = await addFund();
    expect((await upload(fundId, [header, 'Evaluators Ltd,01/11/2023,Evaluation,100,INV-1', 'Other Ltd,01/11/2023,Evaluation,50,INV-2'].join('\n'))).statusCode).toBe(200);
    const item = await one<{ id: string }>(sql`select s.id from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId} and s.reference = 'INV-1'`);
    const evaluation = await lineId(fundId, 'Evaluation');
    const form = (extra: Record<string, string> = {}) => ({ supplier: 'Evaluators Ltd', ...dateFields('spentOn', '2', '11', '2023'), lineId: evaluation, amount: '120.50', reference: 'INV-1', version: '1', ...extra });

    const editPage = await admin.get(paths.fundSpendEdit(fundId, item.id));
    expect(editPage.statusCode).toBe(200);
    expect(editPage.body).toContain('value="100.00"');
    const dupRef = await admin.submit(paths.fundSpendEdit(fundId, item.id), form({ reference: 'inv-2' }));
    expect(dupRef.statusCode).toBe(409);
    expect(dupRef.body).toContain('Reference inv-2 is already recorded on this fund');
    const outside = await admin.submit(paths.fundSpendEdit(fundId, item.id), form(dateFields('spentOn', '1', '1', '2027')));
    expect(outside.statusCode).toBe(400);
    const changed = await admin.submit(paths.fundSpendEdit(fundId, item.id), form());
    expect(changed.statusCode, errorSummary(changed.body)).toBe(302);
    expect(fundTotalSpent((await admin.get(paths.fund(fundId))).body)).toBe('£170.50');
    const stale = await admin.submit(paths.fundSpendEdit(fundId, item.id), form({ amount: '1' }));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed or removed this spend item');
    expect(fundTotalSpent((await admin.get(paths.fund(fundId))).body)).toBe('£170.50');

    const confirm = await admin.get(paths.fundSpendRemove(fundId, item.id));
    expect(confirm.body).toContain('Are you sure you want to remove this spend?');
    expect(confirm.body).toContain('£120.50');
    expect((await admin.submit(paths.fundSpendRemove(fundId, item.id), { version: '1' })).statusCode).toBe(409);
    const removed = await admin.submit(paths.fundSpendRemove(fundId, item.id), { version: '2' });
    expect(removed.statusCode).toBe(302);
    expect(fundTotalSpent((await admin.get(paths.fund(fundId))).body)).toBe('£50');
    expect((await admin.get(paths.fundSpendEdit(fundId, item.id))).statusCode).toBe(404);
    const otherFund = await addFund();
    const other = await one<{ id: string }>(sql`select s.id from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId} limit 1`);
    expect((await admin.get(paths.fundSpendEdit(otherFund, other.id))).statusCode).toBe(404);
    expect((await partner.get(paths.fundSpendRemove(fundId, other.id))).statusCode).toBe(404);

    const audit = (await admin.get(paths.audit())).body;
    expect(audit).toContain('changed £100 spent with Evaluators Ltd');
    expect(audit).toContain('removed £120.50 spent with Evaluators Ltd');
  });

  it('lists every fund’s spend in one list, filtered by fund, budget line kind, supplier and dates, with downloads; funders get 403', async () => {
    const [fundA, fundB] = [await addFund(), await addFund()];
    const [nameA, nameB] = [
      (await one<{ name: string }>(sql`select name from funds where id = ${fundA}`)).name,
      (await one<{ name: string }>(sql`select name from funds where id = ${fundB}`)).name,
    ];
    expect((await upload(fundA, [header, 'Zeta Evaluators,10/01/2024,Evaluation,10,Z-1', 'Zeta Rooms,20/01/2024,Programme management,20,Z-2'].join('\n'))).statusCode).toBe(200);
    expect((await upload(fundB, [header, 'Zeta Evaluators,10/02/2024,Evaluation,30,Z-3'].join('\n'))).statusCode).toBe(200);

    const funding = await admin.get(paths.funding());
    expect(funding.body).toContain(`href="${paths.fundingSpend()}"`);
    const all = await admin.get(paths.fundingSpend());
    expect(all.statusCode).toBe(200);
    const everything = (await one<{ n: number }>(sql`select count(*)::int as n from fund_spend`)).n;
    expect(everything).toBeGreaterThan(50);
    expect(all.body).toContain(`Showing 1 to 50 of ${everything} items of spend`);
    expect((await admin.get(`${paths.fundingSpend()}?page=2`)).body).toContain(`Showing 51 to ${Math.min(100, everything)} of ${everything}`);

    const shown = (html: string) => /Showing 1 to \d+ of (\d+) items? of spend, (£[\d,.]+) in all/.exec(html)?.slice(1);
    const zeta = await admin.get(`${paths.fundingSpend()}?q=zeta`);
    expect(shown(zeta.body)).toEqual(['3', '£60']);
    expect(zeta.body).toContain(nameA);
    expect(zeta.body).toContain(nameB);
    expect(zeta.body).toContain(`href="${paths.fundSpendEdit(fundB, (await one<{ id: string }>(sql`select id from fund_spend where reference = 'Z-3'`)).id)}"`);
    expect(shown((await admin.get(`${paths.fundingSpend()}?q=zeta&fundId=${fundA}`)).body)).toEqual(['2', '£30']);
    expect(shown((await admin.get(`${paths.fundingSpend()}?q=zeta&lineKind=evaluation`)).body)).toEqual(['2', '£40']);
    expect(shown((await admin.get(`${paths.fundingSpend()}?q=zeta&from=1/2/2024&to=29/2/2024`)).body)).toEqual(['1', '£30']);
    expect((await admin.get(`${paths.fundingSpend()}?q=zeta&lineKind=networks`)).body).toContain('No spend matches');
    const byAmount = (await admin.get(`${paths.fundingSpend()}?q=zeta&sort=amount&order=asc`)).body;
    expect(byAmount.indexOf('£10')).toBeLessThan(byAmount.indexOf('£20'));
    expect(byAmount.indexOf('£20')).toBeLessThan(byAmount.indexOf('£30'));
    const byFund = (await admin.get(`${paths.fundingSpend()}?q=zeta&sort=fund&order=${nameA < nameB ? 'desc' : 'asc'}`)).body;
    expect(byFund.indexOf('Z-3')).toBeLessThan(byFund.indexOf('Z-1'));
    const badDate = await admin.get(`${paths.fundingSpend()}?to=31/2/2024`);
    expect(badDate.statusCode).toBe(400);
    expect(errorSummary(badDate.body)).toContain('To date must be a real date');

    const csv = await admin.get(`${paths.fundingSpendExport('csv')}?q=zeta&sort=amount&order=asc`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.replace(/^\ufeff/, '').split(/\r?\n/).filter(Boolean)).toEqual([
      'Date,Fund,Supplier,Budget line,Budget line kind,Amount (£),Reference',
      `10 January 2024,${nameA},Zeta Evaluators,Evaluation,Evaluation,10,Z-1`,
      `20 January 2024,${nameA},Zeta Rooms,Programme management,Programme management,20,Z-2`,
      `10 February 2024,${nameB},Zeta Evaluators,Evaluation,Evaluation,30,Z-3`,
    ]);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await admin.get(`${paths.fundingSpendExport('xlsx')}?q=zeta&lineKind=evaluation&sort=amount&order=asc`)).rawPayload as unknown as ArrayBuffer);
    const sheet = book.worksheets[0];
    expect(sheet.rowCount).toBe(3);
    expect((sheet.getRow(2).getCell(1).value as Date).toISOString().slice(0, 10)).toBe('2024-01-10');
    expect(sheet.getRow(3).getCell(2).value).toBe(nameB);
    expect(sheet.getRow(3).getCell(6).value).toBe(30);

    // Partner staff read it as they read each fund's list; funders, who see the funds' figures only, get 403.
    expect(shown((await partner.get(`${paths.fundingSpend()}?q=zeta`)).body)).toEqual(['3', '£60']);
    expect((await partner.get(`${paths.fundingSpend()}?q=zeta`)).body).not.toContain('/edit');
    expect((await funder.get(paths.funding())).body).not.toContain(`href="${paths.fundingSpend()}"`);
    for (const url of [paths.fundingSpend(), paths.fundingSpendExport('csv'), paths.fundingSpendExport('xlsx')]) {
      expect((await funder.get(url)).statusCode, url).toBe(403);
      expect((await (await t.signIn('sro')).get(url)).statusCode, url).toBe(403);
    }
  });
});
