import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { backends, createTestApp, rowsOf, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { exportBatchSize } from '../db/batches.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { enrolmentSortKeys, listEnrolments, type EnrolmentFilters } from '../enrolments/list-repository.ts';
import { listDates } from '../enrolments/queries.ts';
import { learnerListRules } from '../settings/service.ts';
import { exportEnrolments, listEnrolments as listEnrolmentItems } from '../enrolments/queries.ts';
import { csvStream, toCsv, toXlsx, xlsxDateFormats, xlsxStream, type ExportColumn } from './export.ts';

const extraPeople = exportBatchSize + 500;

/** The rows of a CSV download, header first, without the BOM (the cells here hold no commas or quotes). */
const csvLines = (body: string) => body.replace(/^\uFEFF/, '').replace(/\r\n$/, '').split('\r\n');

async function readSheet(payload: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(payload as unknown as ArrayBuffer);
  return workbook.worksheets[0];
}

// Downloads stream from the database in batches: a list longer than a batch must still hold every row once, in
// the list's order, with the header, the formula neutralising, and only what the reader may see.
describe.each(backends)('streamed exports (%s)', (backend) => {
  let t: TestApp;
  let sroCouncil: string;
  /** The email addresses of the SRO's council, in the people list's order by name. */
  let expected: string[];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [{ id: sroCouncil }] = await queryRows<{ id: string }>(t.db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`);
    await queryRows(
      t.db,
      sql`insert into people (name, email, organisation_id, roles, status)
          select 'Bulk Officer ' || lpad(n::text, 5, '0'), 'bulk' || n || '@demo-council.example.gov.uk', ${sroCouncil}::uuid, '{learner}', 'active'
          from generate_series(1, ${extraPeople}) n`,
    );
    await queryRows(
      t.db,
      sql`insert into people (name, email, organisation_id, roles) values ('=HYPERLINK("http://evil")', 'formula@demo-council.example.gov.uk', ${sroCouncil}::uuid, '{learner}')`,
    );
    const rows = await queryRows<{ email: string }>(
      t.db,
      sql`select p.email from people p where p.organisation_id = ${sroCouncil}::uuid order by lower(p.name), p.id`,
    );
    expected = rows.map((r) => r.email);
  });
  afterAll(async () => t?.close());

  it('streams the people CSV of more than one batch: every row once, in order, only the SRO’s council', async () => {
    expect(expected.length).toBeGreaterThan(exportBatchSize + 1);
    const sro = await t.signIn('sro');
    const csv = await sro.get('/people/export.csv?sort=name');
    expect(csv.statusCode).toBe(200);
    expect(csv.body.startsWith('\uFEFFName,Email address,Organisation,Job title,Roles,Status\r\n')).toBe(true);
    const lines = csvLines(csv.body);
    const emails = lines.slice(1).map((l) => /,([^,]+@[^,]+),/.exec(l)?.[1]);
    expect(emails).toEqual(expected);
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")",formula@demo-council.example.gov.uk`);
    expect(csv.body).not.toContain(demoAccounts.admin.email);
  });

  it.each([
    ['br', zlib.brotliDecompressSync],
    ['gzip', zlib.gunzipSync],
  ] as const)('sends a download compressed (%s) when the browser accepts it, the same CSV unpacked', async (encoding, unpack) => {
    const sro = await t.signIn('sro');
    const plain = await sro.get('/people/export.csv?sort=name');
    const packed = await sro.get('/people/export.csv?sort=name', { 'accept-encoding': encoding });
    expect(packed.headers['content-encoding']).toBe(encoding);
    expect(packed.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(unpack(packed.rawPayload).toString('utf8')).toBe(plain.body);
  });

  it('writes the same list as XLSX with a bold frozen header row', async () => {
    const sro = await t.signIn('sro');
    const xlsx = await sro.get('/people/export.xlsx?sort=name');
    expect(xlsx.statusCode).toBe(200);
    const sheet = await readSheet(xlsx.rawPayload);
    expect(sheet.name).toBe('people');
    expect(sheet.getRow(1).values).toEqual([undefined, 'Name', 'Email address', 'Organisation', 'Job title', 'Roles', 'Status']);
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const emails: string[] = [];
    sheet.eachRow((row, n) => {
      if (n > 1) emails.push(String(row.getCell(2).value));
    });
    expect(emails).toEqual(expected);
    const formula = sheet.getRows(2, sheet.rowCount - 1)?.find((r) => r.getCell(2).value === 'formula@demo-council.example.gov.uk');
    expect(formula?.getCell(1).value).toBe(`'=HYPERLINK("http://evil")`);
  });

  it('honours the filters in every batch', async () => {
    const sro = await t.signIn('sro');
    const csv = await sro.get(`/people/export.csv?q=${encodeURIComponent('Bulk Officer 0000')}&sort=name&order=desc`);
    expect(csvLines(csv.body).slice(1).map((l) => l.split(',')[0])).toEqual(['Bulk Officer 00009', 'Bulk Officer 00008', 'Bulk Officer 00007', 'Bulk Officer 00006', 'Bulk Officer 00005', 'Bulk Officer 00004', 'Bulk Officer 00003', 'Bulk Officer 00002', 'Bulk Officer 00001']);
  });

  it.each(enrolmentSortKeys.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'reads the learners by %s %s in small batches as the whole list, in order',
    async (sort, order) => {
      const filters: EnrolmentFilters = { sort, order };
      const whole = await listEnrolments(t.db, { kind: 'all' }, filters, listDates(await learnerListRules(t.db), '2026-11-26'), null);
      expect(whole.rows.length).toBeGreaterThan(7);
      const ids = (await rowsOf(await exportEnrolments(t.db, t.clock, { kind: 'all' }, filters, 7))).map((r) => r.id);
      expect(ids).toEqual(whole.rows.map((r) => r.id));
    },
  );

  it('reads each learner as the list shows them, due date and attention included', async () => {
    const filters: EnrolmentFilters = { sort: 'dueDate', order: 'desc' };
    const page = await listEnrolmentItems(t.db, t.clock, { kind: 'all' }, filters, { page: 1, pageSize: 100_000 });
    const exported = await rowsOf(await exportEnrolments(t.db, t.clock, { kind: 'all' }, filters, 7));
    // The download leaves out the list's ids of person, council and cohort, and the version.
    expect(exported).toEqual(page.rows.map(({ personId: _p, councilId: _c, cohortId: _h, resumeStatus: _r, version: _v, ...row }) => row));
    expect(exported.some((r) => r.registeredOn && r.cohortName && r.jobTitle && r.assessmentDueOn)).toBe(true);
  });

  it('downloads only the SRO’s council’s learners, as CSV and XLSX alike', async () => {
    const sro = await t.signIn('sro');
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from enrolments where council_id = ${sroCouncil}::uuid`);
    const [{ name }] = await queryRows<{ name: string }>(t.db, sql`select name from organisations where id = ${sroCouncil}::uuid`);
    const lines = csvLines((await sro.get('/learners/export.csv')).body);
    expect(lines).toHaveLength(n + 1);
    const sheet = await readSheet((await sro.get('/learners/export.xlsx')).rawPayload);
    expect(sheet.name).toBe('learners');
    expect(sheet.rowCount).toBe(n + 1);
    const councils = new Set(sheet.getRows(2, n)?.map((r) => r.getCell(4).value));
    expect(n).toBeGreaterThan(0);
    expect([...councils]).toEqual([name]);
  });

  it('writes the learners’ dates as date cells in the workbook and as words in the CSV', async () => {
    const sro = await t.signIn('sro');
    const sheet = await readSheet((await sro.get('/learners/export.xlsx?sort=name')).rawPayload);
    const nominatedOn = (sheet.getRow(1).values as unknown[]).indexOf('Nominated on');
    const cell = sheet.getRow(2).getCell(nominatedOn);
    expect(cell.value).toBeInstanceOf(Date);
    expect(cell.numFmt).toBe('d mmm yyyy');
    const iso = (cell.value as Date).toISOString().slice(0, 10);
    const [csvHeader, csvFirst] = csvLines((await sro.get('/learners/export.csv?sort=name')).body);
    const csvCells = csvFirst.split(',');
    expect(csvHeader.split(',')[nominatedOn - 1]).toBe('Nominated on');
    expect(csvCells[nominatedOn - 1]).toMatch(/^\d{1,2} [A-Z][a-z]+ \d{4}$/);
    expect(new Date(`${csvCells[nominatedOn - 1]} UTC`).toISOString().slice(0, 10)).toBe(iso);
  });
});

describe('a CSV download streamed in pieces', () => {
  it('is byte for byte the file written at once: one BOM, one header, every row once and in order', async () => {
    // Most rows are written without csv-stringify (nothing to quote); any row with a cell to quote goes through it.
    const awkward = ['', null, 'plain', 'comma, here', 'a "quote"', 'line\nbreak', 'ends\r', 'a\r\nb', ' spaced ', 'Llŷr Ó Súilleabháin', '-1', '@x'];
    const rows = Array.from({ length: 1001 }, (_, i) => ({
      n: i % 5 ? i : -i / 4,
      text: i % 7 ? `row ${i}` : i % 3 ? `row "${i}", quoted` : `=SUM(A${i})`,
      other: awkward[i % awkward.length],
    }));
    const columns: ExportColumn<(typeof rows)[number]>[] = [
      { header: 'Number', value: (r) => r.n },
      { header: 'Text', value: (r) => r.text },
      { header: 'Other, awkward', value: (r) => r.other },
    ];
    async function* slowly() {
      for (let i = 0; i < rows.length; i += 300) yield rows.slice(i, i + 300);
    }
    const pieces: Buffer[] = [];
    for await (const piece of csvStream({ batches: slowly() }, columns)) pieces.push(piece as Buffer);
    expect(pieces.length).toBeGreaterThan(1);
    const streamed = Buffer.concat(pieces).toString('utf8');
    expect(streamed).toBe(toCsv(rows, columns));
    expect(streamed.match(/\uFEFF/g)).toHaveLength(1);
    expect(streamed).toContain(',"a\r\nb"\r\n');
  });

  it('quotes a cell holding a lone line feed or carriage return, so every reader sees one record a row', async () => {
    // csv-stringify quotes only the record delimiter (CRLF) by default: a cell with a lone LF (text from the API or
    // an upload) split its row in two for Excel and any RFC 4180 reader.
    const rows = [{ note: 'first line\nsecond line' }, { note: 'old Mac\rline' }, { note: 'plain' }, { note: 'both\r\nkinds\n' }];
    const columns: ExportColumn<(typeof rows)[number]>[] = [{ header: 'Note', value: (r) => r.note }];
    let streamed = '';
    for await (const piece of csvStream(rows, columns)) streamed += (piece as Buffer).toString('utf8');
    expect(streamed).toBe(toCsv(rows, columns));
    // Read as Excel reads it: a line feed, a carriage return or both end a record unless quoted.
    const records = parseCsv(streamed, { bom: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
    expect(records).toEqual([['Note'], ['first line\nsecond line'], ['old Mac\rline'], ['plain'], ['both\r\nkinds\n']]);
  });
});

describe('a download the reader cancels', () => {
  it.each(['CSV', 'XLSX'] as const)('stops reading rows and closes them (%s)', async (format) => {
    const total = 200_000;
    let read = 0;
    let closed = false;
    async function* batches() {
      try {
        while (read < total) {
          // Between batches, as the database's are: the writer gets a turn to notice the reader has gone.
          await new Promise((resolve) => setImmediate(resolve));
          const batch = [];
          for (; batch.length < 1000; read++) batch.push({ text: `row ${read} `.repeat(10) });
          yield batch;
        }
      } finally {
        closed = true;
      }
    }
    const columns = [{ header: 'text', value: (r: { text: string }) => r.text }];
    const out = format === 'CSV' ? csvStream({ batches: batches() }, columns) : xlsxStream({ batches: batches() }, columns, 'rows');
    let chunks = 0;
    await new Promise<void>((resolve) => out.on('data', () => ++chunks === 20 && resolve()));
    out.destroy();
    await vi.waitFor(() => expect(closed).toBe(true));
    const stoppedAt = read;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(read).toBe(stoppedAt);
    expect(read).toBeLessThan(total / 4);
  });
});

describe('dates in downloads', () => {
  type Row = { on: string | null; at: Date | null; note: string };
  const columns: ExportColumn<Row>[] = [
    { header: 'Nominated on', date: 'date', value: (r) => r.on },
    { header: 'When', date: 'dateTime', value: (r) => r.at },
    { header: 'Note', value: (r) => r.note },
  ];
  const rows: Row[] = [
    // 10:00 UTC in November is 10:00 in London; 09:30 UTC in July is 10:30 British Summer Time.
    { on: '2026-11-26', at: new Date('2026-11-26T10:00:00Z'), note: '2026-11-26' },
    { on: '2026-07-01', at: new Date('2026-07-01T09:30:00Z'), note: '=1+1' },
    { on: null, at: null, note: 'no dates' },
    { on: '2026-02-30', at: new Date('nonsense'), note: 'impossible dates' },
  ];

  it('writes declared date columns as Excel date cells with a date format', async () => {
    const sheet = await readSheet(await toXlsx(rows, columns, 'dates'));
    const [on, at] = [sheet.getRow(2).getCell(1), sheet.getRow(2).getCell(2)];
    expect(on.value).toEqual(new Date(Date.UTC(2026, 10, 26)));
    expect(on.numFmt).toBe(xlsxDateFormats.date);
    expect(on.type).toBe(ExcelJS.ValueType.Date);
    expect(at.value).toEqual(new Date(Date.UTC(2026, 10, 26, 10, 0)));
    expect(at.numFmt).toBe(xlsxDateFormats.dateTime);
    // The moment reads as the London clock showed it.
    expect(sheet.getRow(3).getCell(2).value).toEqual(new Date(Date.UTC(2026, 6, 1, 10, 30)));
    expect(sheet.getRow(3).getCell(1).value).toEqual(new Date(Date.UTC(2026, 6, 1)));
    // The header stays text; a missing or impossible date is an empty cell, not a wrong date.
    expect(sheet.getRow(1).getCell(1).value).toBe('Nominated on');
    for (const r of [4, 5]) for (const c of [1, 2]) expect(sheet.getRow(r).getCell(c).value ?? '').toBe('');
  });

  it('leaves text that looks like a date as text, and still neutralises formulas', async () => {
    const sheet = await readSheet(await toXlsx(rows, columns, 'dates'));
    expect(sheet.getRow(2).getCell(3).value).toBe('2026-11-26');
    expect(sheet.getRow(2).getCell(3).type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getRow(3).getCell(3).value).toBe(`'=1+1`);
  });

  it('writes the CSV dates as the pages do', () => {
    const lines = csvLines(toCsv(rows, columns));
    expect(lines).toEqual([
      'Nominated on,When,Note',
      '26 November 2026,26 November 2026 at 10:00am,2026-11-26',
      "1 July 2026,1 July 2026 at 10:30am,'=1+1",
      ',,no dates',
      ',,impossible dates',
    ]);
  });
});
