import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { columnLetter, excelSerialToIso, FileError, headerKey, parseDateText, readSpreadsheet, sniff, unzippedSizeFactor } from './parse.ts';
import { importColumns } from './columns.ts';
import { importLimits, sizeText } from './limits.ts';
import { testConfig } from '../../test/helpers.ts';
import { toCsv, toXlsx } from '../web/export.ts';
import { lyingZip } from '../../test/uploads.ts';
import { measureUnzipped } from './unzipped-size.ts';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/imports');
const fixture = (name: string) => fs.readFileSync(path.join(fixtures, name));
const nominations = importColumns.nominations;
const results = importColumns.results;
/** The limits a default configuration gives (5 MB, 25,000 rows). */
const defaults = importLimits(testConfig());

async function fileErrors(buffer: Buffer, columns = nominations, limits: { maxBytes: number; maxRows: number } = defaults): Promise<string[]> {
  try {
    await readSpreadsheet(buffer, columns, limits);
  } catch (err) {
    if (err instanceof FileError) return err.messages;
    throw err;
  }
  throw new Error('expected a FileError');
}

async function xlsx(rows: unknown[][], build?: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Sheet1');
  for (const r of rows) sheet.addRow(r);
  build?.(sheet);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe('dates', () => {
  it('reads UK, ISO and Excel serial dates, and refuses impossible ones', () => {
    expect(parseDateText('31/10/2023')).toBe('2023-10-31');
    expect(parseDateText('1/2/2024')).toBe('2024-02-01');
    expect(parseDateText('2023-10-31')).toBe('2023-10-31');
    expect(parseDateText('2023-10-31T00:00:00Z')).toBe('2023-10-31');
    expect(parseDateText('45230')).toBe('2023-10-31');
    expect(excelSerialToIso(45230)).toBe('2023-10-31');
    expect(excelSerialToIso(61)).toBe('1900-03-01');
    expect(parseDateText('31/02/2024')).toBeNull();
    expect(parseDateText('2024-13-01')).toBeNull();
    expect(parseDateText('next Tuesday')).toBeNull();
    expect(parseDateText('10/31/2023')).toBeNull();
  });

  it('names columns like Excel and matches headers loosely', () => {
    expect([1, 3, 26, 27, 52, 703].map(columnLetter)).toEqual(['A', 'C', 'Z', 'AA', 'AZ', 'AAA']);
    expect(headerKey(' Council Code ')).toBe(headerKey('council_code'));
    expect(headerKey('COUNCIL-CODE')).toBe('councilcode');
  });
});

describe('reading CSV', () => {
  it('reads the good fixture with apostrophes, accents and Welsh characters intact', async () => {
    const sheet = await readSpreadsheet(fixture('nominations-good.csv'), nominations, defaults);
    expect(sheet.format).toBe('csv');
    expect(sheet.rows.map((r) => r.row)).toEqual([2, 3, 4]);
    expect(sheet.rows.map((r) => r.values.name)).toEqual(['Siân O’Brien', 'Llŷr Ŵyn Jones', 'Zoë José O\'Brien']);
    expect(sheet.rows[2].values.job_title).toBe('Head of procurement, adults');
    expect(sheet.errors).toEqual([]);
  });

  it('accepts a BOM, Windows line endings and headers written differently', async () => {
    const buffer = fixture('nominations-bom-crlf.csv');
    expect([...buffer.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(buffer.toString('utf8')).toContain('\r\n');
    const sheet = await readSpreadsheet(buffer, nominations, defaults);
    expect(sheet.rows).toHaveLength(2);
    expect(sheet.rows[0].values).toMatchObject({ council_code: 'E06000053', name: 'Ffion Ŷr', email: 'ffion.yr@fixture-imports.example.gov.uk', level: 'expert', period: '2027-28' });
    expect(sheet.rows[1].values.job_title).toBe('');
  });

  it('refuses missing, extra, renamed and repeated columns, naming them', async () => {
    expect((await fileErrors(fixture('nominations-missing-column.csv'))).join(' ')).toContain('missing the column period');
    expect((await fileErrors(fixture('nominations-extra-column.csv'))).join(' ')).toContain('does not recognise: “notes”');
    const renamed = (await fileErrors(fixture('nominations-renamed-column.csv'))).join(' ');
    expect(renamed).toContain('missing the column council_code');
    expect(renamed).toContain('“council”');
    expect(renamed).toContain('exactly these columns: council_code, name, email, job_title, level, period');
    const twice = await fileErrors(Buffer.from('council_code,name,email,job_title,level,period,Level\n1,2,3,4,5,6,7\n'));
    expect(twice.join(' ')).toContain('The column level appears twice (columns E and G)');
  });

  it('ignores the error column of a downloaded error report', async () => {
    const sheet = await readSpreadsheet(Buffer.from('council_code,name,email,job_title,level,period,error\nE1,A,a@b.uk,,foundation,2027-28,level: wrong\n'), nominations, defaults);
    expect(sheet.rows[0].values.name).toBe('A');
  });

  it('refuses empty files, a header with no rows, and files that are not spreadsheets', async () => {
    expect(await fileErrors(fixture('empty.csv'))).toEqual(['The selected file is empty']);
    expect(await fileErrors(Buffer.from('\n\n  \n'))).toEqual(['The selected file is empty']);
    expect((await fileErrors(fixture('header-only.csv')))[0]).toContain('header row but no data rows');
    expect((await fileErrors(fixture('not-a-spreadsheet.pdf')))[0]).toContain('must be a CSV or Excel (.xlsx) spreadsheet');
    expect((await fileErrors(Buffer.from([0x00, 0x01, 0x02, 0x03, 0x41])))[0]).toContain('must be a CSV or Excel');
    expect((await fileErrors(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1])))[0]).toContain('old Excel workbook (.xls)');
    expect((await fileErrors(Buffer.from('PK\x03\x04 this is not a zip')))[0]).toContain('could not be opened as an Excel workbook');
    // Windows-1252 "é" (0xE9) is not UTF-8.
    expect((await fileErrors(Buffer.concat([Buffer.from('council_code,name\nE1,Ren'), Buffer.from([0xe9]), Buffer.from('\n')])))[0]).toContain('CSV UTF-8');
    expect((await fileErrors(Buffer.from('council_code,name\n"E1,unclosed\n')))[0]).toContain('could not be read as CSV');
  });

  it('refuses files over the size limit and over the row limit with a clear message', async () => {
    expect(await fileErrors(Buffer.alloc(2049, 'a'), nominations, { maxBytes: 2048, maxRows: 10 })).toEqual(['The selected file must be smaller than 2 KB']);
    const header = 'email,level,event,date,certificate_number\n';
    const rows = (n: number) => header + Array.from({ length: n }, (_, i) => `p${i}@x.uk,foundation,registered,01/01/2024,\n`).join('');
    expect((await readSpreadsheet(Buffer.from(rows(10)), results, { maxBytes: 1e6, maxRows: 10 })).rows).toHaveLength(10);
    expect((await fileErrors(Buffer.from(rows(11)), results, { maxBytes: 1e6, maxRows: 10 }))[0]).toBe(
      'The file has more than 10 rows: split it into files of 10 rows or fewer',
    );
  });

  it('refuses a generated 100,000-row file with the default limits', async () => {
    const header = 'email,level,event,date,certificate_number\n';
    const body = header + Array.from({ length: 100_000 }, (_, i) => `p${i}@x.uk,foundation,passed,1/1/2024,C${i}\n`).join('');
    expect(Buffer.byteLength(body)).toBeLessThan(5 * 1024 * 1024); // under the size limit, so the row limit speaks
    expect((await fileErrors(Buffer.from(body), results))[0]).toBe('The file has more than 25,000 rows: split it into files of 25,000 rows or fewer');
  });

  it('reads a file larger than a parsing chunk with every row intact, where a chunk cuts a quoted line break or a character in two', async () => {
    const header = 'council_code,name,email,job_title,level,period\n';
    // Two-byte and three-byte characters and quoted line breaks, so some of the 256 KB chunk boundaries fall inside them.
    const row = (i: number) => `E${i},"Siân Zając ’${i}’","a${i}@x.gov.uk","Head of\nprocurement, ${i}",foundation,2027-28\n`;
    const body = header + Array.from({ length: 12_000 }, (_, i) => row(i)).join('');
    expect(Buffer.byteLength(body)).toBeGreaterThan(3 * 256 * 1024);
    const sheet = await readSpreadsheet(Buffer.from(body), nominations, defaults);
    expect(sheet.rows).toHaveLength(12_000);
    sheet.rows.forEach((r, i) => {
      expect(r.values.name).toBe(`Siân Zając ’${i}’`);
      expect(r.values.job_title).toBe(`Head of\nprocurement, ${i}`);
    });
    // A quote left open far into the file is still refused, naming its line.
    expect((await fileErrors(Buffer.from(body + 'E1,"unclosed\n')))[0]).toMatch(/could not be read as CSV \(near line \d+\)/);
  });

  it('reports a value beyond the header as a row error', async () => {
    const sheet = await readSpreadsheet(Buffer.from('email,level,event,date,certificate_number\na@b.uk,foundation,passed,1/1/2024,C1,surprise\n'), results, defaults);
    expect(sheet.errors).toEqual([{ row: 2, column: 'F', message: 'Row 2 has a value in column F, which has no header: remove it' }]);
  });
});

describe('reading XLSX', () => {
  it('refuses a small workbook that would unzip to far more than the upload limit, before opening it', async () => {
    // 400 different rows of 5,000 repeated letters: ~2 MB of XML that zips to a few KB.
    const bomb = await xlsx([['email', 'level', 'event', 'date', 'certificate_number'], ...Array.from({ length: 400 }, (_, i) => [`${i}${'a'.repeat(5000)}`])]);
    const limits = { maxBytes: 64 * 1024, maxRows: 1000 };
    expect(bomb.length).toBeLessThan(limits.maxBytes);
    expect(await measureUnzipped(bomb, limits.maxBytes * unzippedSizeFactor)).toBe('too-large');
    expect(await fileErrors(bomb, results, limits)).toEqual([
      'The workbook holds too much data once opened (more than 1.3 MB): delete other sheets, pictures and formatting, or save it as CSV UTF-8 and upload that',
    ]);
    // The same workbook is read when the limit allows it.
    expect((await readSpreadsheet(bomb, results, { maxBytes: 1024 * 1024, maxRows: 1000 })).rows).toHaveLength(400);
  });

  const tooMuch = (limits: { maxBytes: number }) =>
    `The workbook holds too much data once opened (more than ${sizeText(limits.maxBytes * unzippedSizeFactor)}): delete other sheets, pictures and formatting, or save it as CSV UTF-8 and upload that`;

  it('refuses a workbook whose sheet declares 1,000 bytes but inflates to far more, stopping at the limit', async () => {
    const limits = { maxBytes: 64 * 1024, maxRows: 1000 };
    const bomb = await lyingZip({ declared: 1000, inflates: 50 * 1024 * 1024 });
    expect(bomb.length).toBeLessThan(limits.maxBytes);
    expect(await fileErrors(bomb, results, limits)).toEqual([tooMuch(limits)]);
  });

  it('refuses, as damaged, a part that inflates to more or less than it declares while staying under the limit', async () => {
    for (const inflates of [2000, 500]) {
      expect((await fileErrors(await lyingZip({ declared: 1000, inflates }), results))[0]).toContain('could not be opened as an Excel workbook');
    }
  });

  it('refuses a zip whose directory is missing or cut short', async () => {
    const good = await xlsx([['email'], ['a@b.uk']]);
    expect(await measureUnzipped(good, good.length * unzippedSizeFactor)).toBe('fits');
    expect((await fileErrors(good.subarray(0, good.length - 30), results))[0]).toContain('could not be opened as an Excel workbook');
  });

  it('detects XLSX by content, reads Excel dates, serial numbers, hyperlinks and rich text', async () => {
    const buffer = await xlsx([
      ['Email', 'Level', 'Event', 'Date', 'Certificate Number'],
      [{ text: 'sian@x.uk', hyperlink: 'mailto:sian@x.uk' }, 'Practitioner', 'passed', new Date(Date.UTC(2023, 9, 31)), 'C-1'],
      ['llyr@x.uk', 'foundation', 'registered', 45230, null],
      [{ richText: [{ text: 'zoe' }, { text: '@x.uk' }] }, 'foundation', 'registered', '31/10/2023', null],
      [],
      ['ana@x.uk', 'foundation', 'registered', '2023-10-31', 12345],
    ]);
    expect(sniff(buffer)).toBe('xlsx');
    const sheet = await readSpreadsheet(buffer, results, defaults);
    expect(sheet.format).toBe('xlsx');
    expect(sheet.rows.map((r) => [r.row, r.values.email, r.values.date])).toEqual([
      [2, 'sian@x.uk', '2023-10-31'],
      [3, 'llyr@x.uk', '2023-10-31'],
      [4, 'zoe@x.uk', '2023-10-31'],
      [6, 'ana@x.uk', '2023-10-31'],
    ]);
    expect(sheet.rows[3].values.certificate_number).toBe('12345');
  });

  it('reports a formula cell with its address', async () => {
    const buffer = await xlsx(
      [
        ['council_code', 'name', 'email', 'job_title', 'level', 'period'],
        ['E06000053', 'A', 'a@x.uk', 'Buyer', 'foundation', '2027-28'],
        ['E06000053', 'B', 'b@x.uk', 'Buyer', 'foundation', '2027-28'],
        ['E06000053', 'C', 'c@x.uk', 'Buyer', 'foundation', '2027-28'],
      ],
      (sheet) => {
        sheet.getCell('C4').value = { formula: 'LOWER("C@X.UK")', result: 'c@x.uk' } as ExcelJS.CellFormulaValue;
      },
    );
    const sheet = await readSpreadsheet(buffer, nominations, defaults);
    expect(sheet.errors).toEqual([{ row: 4, column: 'email', message: 'Cell C4 contains a formula; paste values only' }]);
  });

  it('keeps Welsh characters, accents and apostrophes through an XLSX and a CSV written by the exports', async () => {
    const names = ['Siân O’Brien', 'Llŷr Ŵyn', 'Zoë José', "Dafydd O'Neill"];
    const columns = nominations.map((c) => ({ header: c.name, value: (n: string) => (c.name === 'name' ? n : c.name === 'email' ? 'x@x.uk' : 'v') }));
    for (const buffer of [await toXlsx(names, columns, 'names'), Buffer.from(toCsv(names, columns))]) {
      const sheet = await readSpreadsheet(buffer, nominations, defaults);
      expect(sheet.rows.map((r) => r.values.name)).toEqual(names);
    }
  });
});
