/**
 * Reading an uploaded spreadsheet: CSV (UTF-8, with or without a BOM, LF or CRLF) or XLSX (the first worksheet),
 * detected by content, not by the file's name. Headers are matched to the expected columns ignoring case, spaces,
 * underscores and hyphens. Problems with the whole file are a `FileError` (one or more messages); problems with a
 * cell (a formula, a value outside the header's columns) are row errors returned beside the rows. No I/O.
 */
import { isUtf8 } from 'node:buffer';
import { finished } from 'node:stream/promises';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import { sizeText } from './limits.ts';
import { measureUnzipped } from './unzipped-size.ts';
import { formatCount } from '../web/format.ts';
import { nextTurn } from '../db/batches.ts';

/** One expected column: its name in the templates, and whether its cells are dates (Excel date cells understood). */
export type ColumnSpec = { name: string; date?: boolean };

/** A problem with one cell or row: `row` is the spreadsheet row number (the header is row 1, the first data row 2). */
export type RowError = { row: number; column: string; message: string };

export type SheetRow = {
  /** Spreadsheet row number (header = 1). */
  row: number;
  /** Trimmed text per expected column (dates from Excel date cells or serial numbers already as YYYY-MM-DD). */
  values: Record<string, string>;
  /** The row's cells as text in the file's column order, for the error report. */
  cells: string[];
};

export type Sheet = {
  format: 'csv' | 'xlsx';
  /** The header row as written in the file (for the error report). */
  header: string[];
  rows: SheetRow[];
  errors: RowError[];
};

/** The whole file cannot be used; `messages` say why, in plain words. */
export class FileError extends Error {
  constructor(readonly messages: string[]) {
    super(messages[0]);
  }
}

/** A column the error report adds; uploading a fixed-up report again is allowed, so this column is ignored. */
export const reportErrorColumn = 'error';

export type ParseLimits = { maxBytes: number; maxRows: number };

/** "Council Code", "council-code" and "COUNCIL_CODE" all match council_code. */
export const headerKey = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, '');


/** Column letter(s) for a 1-based column number: 1 → A, 27 → AA. */
export function columnLetter(n: number): string {
  let out = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) out = String.fromCharCode(65 + ((c - 1) % 26)) + out;
  return out;
}

const isoOf = (y: number, m: number, d: number): string | null => {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || y > 9999 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
};

/** An Excel serial day number (1900 date system, as Excel counts it) as YYYY-MM-DD. */
export function excelSerialToIso(serial: number): string | null {
  if (!Number.isFinite(serial) || serial < 1 || serial >= 2_958_466) return null;
  const ms = Date.UTC(1899, 11, 30) + Math.floor(serial) * 86_400_000;
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * A date as people and spreadsheets write it: UK `31/10/2023` (or `31-10-2023`, `31.10.2023`), ISO `2023-10-31`
 * (a time after it is ignored), or an Excel serial number. Null when it is not a real date.
 */
export function parseDateText(text: string): string | null {
  const s = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (m) return isoOf(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (m) return isoOf(Number(m[3]), Number(m[2]), Number(m[1]));
  if (/^\d{1,7}(\.\d+)?$/.test(s)) return excelSerialToIso(Number(s));
  return null;
}

/** Matches the header row to the expected columns: each header's column index, or the file-level problems. */
function matchHeader(header: string[], columns: readonly ColumnSpec[]): (string | null)[] {
  const wanted = new Map(columns.map((c) => [headerKey(c.name), c.name]));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const unknown: string[] = [];
  const mapping = header.map((h, i) => {
    const key = headerKey(h);
    if (!key) {
      return null;
    }
    if (key === headerKey(reportErrorColumn)) return null;
    const name = wanted.get(key);
    if (!name) {
      unknown.push(h.trim());
      return null;
    }
    if (seen.has(name)) {
      problems.push(`The column ${name} appears twice (columns ${columnLetter(seen.get(name)! + 1)} and ${columnLetter(i + 1)}): keep one`);
      return null;
    }
    seen.set(name, i);
    return name;
  });
  const missing = columns.map((c) => c.name).filter((n) => !seen.has(n));
  if (missing.length) problems.push(`The file is missing the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (unknown.length) {
    problems.push(`The file has ${unknown.length > 1 ? 'columns' : 'a column'} Pioneer does not recognise: ${unknown.map((u) => `“${u}”`).join(', ')}`);
  }
  if (problems.length) {
    problems.push(`The header row must have exactly these columns: ${columns.map((c) => c.name).join(', ')} (download the template)`);
    throw new FileError(problems);
  }
  return mapping;
}

const notSpreadsheet = 'The selected file must be a CSV or Excel (.xlsx) spreadsheet';

/** What kind of file this is, from its first bytes. */
export function sniff(buffer: Buffer): 'xlsx' | 'csv' {
  if (buffer.length >= 4 && buffer[0] === 0x50 && buffer[1] === 0x4b && buffer[2] === 0x03 && buffer[3] === 0x04) return 'xlsx';
  if (buffer.length >= 4 && buffer.readUInt32BE(0) === 0xd0cf11e0) {
    throw new FileError(['The selected file is an old Excel workbook (.xls): save it as .xlsx or as CSV UTF-8 and upload it again']);
  }
  if (buffer.subarray(0, 5).toString('latin1') === '%PDF-') throw new FileError([`${notSpreadsheet}; this file is a PDF`]);
  if (buffer.subarray(0, 8192).includes(0)) throw new FileError([notSpreadsheet]);
  return 'csv';
}

/** Reads a CSV or XLSX upload against the expected columns. */
export async function readSpreadsheet(buffer: Buffer, columns: readonly ColumnSpec[], limits: ParseLimits): Promise<Sheet> {
  if (buffer.length === 0) throw new FileError(['The selected file is empty']);
  if (buffer.length > limits.maxBytes) throw new FileError([`The selected file must be smaller than ${sizeText(limits.maxBytes)}`]);
  const format = sniff(buffer);
  const grid = format === 'xlsx' ? await xlsxGrid(buffer, columns, limits) : await csvGrid(buffer, limits);
  return toSheet(format, grid, columns, limits);
}

/** Cells as read, before the header is matched: text, or a problem found in the cell itself. */
type Grid = { rows: { row: number; cells: string[]; problems: { col: number; message: string }[] }[] };

const tooManyRows = (max: number) =>
  new FileError([`The file has more than ${formatCount(max)} rows: split it into files of ${formatCount(max)} rows or fewer`]);

/** Bytes of a CSV parsed at a time: csv-parse takes ~100 ms for a 20,000-row file read at once, holding the event loop. */
const csvChunkBytes = 256 * 1024;

async function csvGrid(buffer: Buffer, limits: ParseLimits): Promise<Grid> {
  // Bytes that are not UTF-8 are refused (Excel's plain "CSV" is Windows-1252); checked without decoding the file.
  if (!isUtf8(buffer)) {
    throw new FileError(['The file is not saved as UTF-8: in Excel choose Save As, then “CSV UTF-8 (Comma delimited)”, and upload it again']);
  }
  const records: string[][] = [];
  const parser = parseCsv({ bom: true, relax_column_count: true, relax_quotes: false });
  parser.on('data', (record: string[]) => records.push(record));
  const parsed = finished(parser);
  // A failed chunk rejects this too; it is reported once, from the write below.
  parsed.catch(() => {});
  try {
    // A chunk at a time, with a turn of the event loop between, so others' requests go in between; the parser keeps
    // a record (or a character) that a chunk cuts in two until the next chunk.
    for (let at = 0; at < buffer.length && records.length <= limits.maxRows + 1; at += csvChunkBytes) {
      await new Promise<void>((resolve, reject) => parser.write(buffer.subarray(at, at + csvChunkBytes), (err) => (err ? reject(err) : resolve())));
      await nextTurn();
    }
    parser.end();
    await parsed;
  } catch (err) {
    parser.destroy();
    const line = (err as { lines?: number }).lines;
    throw new FileError([`The file could not be read as CSV${line ? ` (near line ${line})` : ''}: check that quotes (") are paired`]);
  }
  if (records.length > limits.maxRows + 1) throw tooManyRows(limits.maxRows);
  return { rows: records.map((cells, i) => ({ row: i + 1, cells, problems: [] })) };
}

type CellValue = ExcelJS.CellValue;

function richText(value: { richText: { text: string }[] }) {
  return value.richText.map((r) => r.text).join('');
}

/** One XLSX cell as text; a date column's Excel date or serial number as YYYY-MM-DD. */
function cellText(value: CellValue, isDate: boolean): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10);
  }
  if (typeof value === 'number') return isDate ? (excelSerialToIso(value) ?? String(value)) : String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'string') return value;
  if ('richText' in value) return richText(value);
  if ('hyperlink' in value) {
    const t = (value as { text?: unknown }).text;
    return typeof t === 'string' ? t : t && typeof t === 'object' && 'richText' in t ? richText(t as { richText: { text: string }[] }) : '';
  }
  return '';
}

/** How many times the upload limit a workbook may hold once unzipped: generous for real sheets (XML compresses ~10×). */
export const unzippedSizeFactor = 20;

async function xlsxGrid(buffer: Buffer, columns: readonly ColumnSpec[], limits: ParseLimits): Promise<Grid> {
  // Measured by inflating, before exceljs (which inflates every part whole, in memory) is given the file.
  const unzipped = await measureUnzipped(buffer, limits.maxBytes * unzippedSizeFactor);
  if (unzipped === 'unreadable') throw new FileError([`${notSpreadsheet}; this file could not be opened as an Excel workbook`]);
  if (unzipped === 'too-large') {
    throw new FileError([
      `The workbook holds too much data once opened (more than ${sizeText(limits.maxBytes * unzippedSizeFactor)}): delete other sheets, pictures and formatting, or save it as CSV UTF-8 and upload that`,
    ]);
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ExcelJS.Buffer);
  } catch {
    throw new FileError([`${notSpreadsheet}; this file could not be opened as an Excel workbook`]);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.actualRowCount === 0) throw new FileError(['The selected file is empty']);
  if (sheet.actualRowCount > limits.maxRows + 1) throw tooManyRows(limits.maxRows);
  const headerRow = sheet.getRow(1);
  const width = Math.max(headerRow.cellCount, sheet.columnCount);
  const headerKeys = Array.from({ length: width }, (_, i) => headerKey(cellText(headerRow.getCell(i + 1).value, false)));
  const dateCols = new Set(columns.filter((c) => c.date).map((c) => headerKey(c.name)));
  const rows: Grid['rows'] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    const problems: { col: number; message: string }[] = [];
    const count = Math.max(row.cellCount, width);
    for (let c = 1; c <= count; c++) {
      const cell = row.getCell(c);
      if (cell.type === ExcelJS.ValueType.Formula) {
        problems.push({ col: c - 1, message: `Cell ${cell.address} contains a formula; paste values only` });
        cells.push('');
        continue;
      }
      const value = cell.value;
      if (value && typeof value === 'object' && 'error' in value) {
        problems.push({ col: c - 1, message: `Cell ${cell.address} contains an error (${String(value.error)})` });
        cells.push(String(value.error));
        continue;
      }
      cells.push(cellText(value, dateCols.has(headerKeys[c - 1] ?? '')).trim());
    }
    rows.push({ row: rowNumber, cells, problems });
  });
  return { rows };
}

const blank = (cells: string[]) => cells.every((c) => !c.trim());

function toSheet(format: 'csv' | 'xlsx', grid: Grid, columns: readonly ColumnSpec[], limits: ParseLimits): Sheet {
  const nonBlank = grid.rows.filter((r) => !blank(r.cells) || r.problems.length);
  if (nonBlank.length === 0) throw new FileError(['The selected file is empty']);
  const headerRow = nonBlank[0];
  if (headerRow.row !== 1) throw new FileError([`The header row must be the first row of the file; row 1 is empty`]);
  if (headerRow.problems.length) throw new FileError(['The header row must contain the column names as text, not formulas']);
  const header = headerRow.cells.map((c) => c.trim());
  while (header.length && !header[header.length - 1]) header.pop();
  const mapping = matchHeader(header, columns);
  const dataRows = nonBlank.slice(1);
  if (dataRows.length === 0) throw new FileError(['The file has a header row but no data rows: add a row for each record under the header']);
  if (dataRows.length > limits.maxRows) throw tooManyRows(limits.maxRows);
  const dates = new Set(columns.filter((c) => c.date).map((c) => c.name));
  const errors: RowError[] = [];
  const rows: SheetRow[] = dataRows.map((r) => {
    const values: Record<string, string> = {};
    for (const c of columns) values[c.name] = '';
    r.cells.forEach((raw, i) => {
      const text = raw.trim();
      const name = i < mapping.length ? mapping[i] : undefined;
      if (name) values[name] = dates.has(name) && text ? (parseDateText(text) ?? text) : text;
      else if (text && i >= header.length) {
        errors.push({ row: r.row, column: columnLetter(i + 1), message: `Row ${r.row} has a value in column ${columnLetter(i + 1)}, which has no header: remove it` });
      }
    });
    for (const p of r.problems) errors.push({ row: r.row, column: mapping[p.col] ?? columnLetter(p.col + 1), message: p.message });
    return { row: r.row, values, cells: r.cells.map((c) => c.trim()) };
  });
  return { format, header, rows, errors };
}
