import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { formatDate, formatDateTime } from './format.ts';
import { nextTurn, type RowBatches } from '../db/batches.ts';

/**
 * One column of an exported list: its header and how to read it from a row. A column of dates says so with `date`:
 * `'date'` for calendar dates read as ISO "2026-11-26" strings, `'dateTime'` for moments (a Date). The CSV writes
 * them as the pages do ("26 November 2026", "26 November 2026 at 10:00am"); the workbook as date cells, so they sort
 * and filter as dates. Text is never guessed to be a date: a free-text cell holding "2026-11-26" stays text.
 */
export type ExportColumn<T> =
  | { header: string; date?: undefined; value: (row: T) => string | number | null | undefined }
  | { header: string; date: 'date'; value: (row: T) => string | null | undefined }
  | { header: string; date: 'dateTime'; value: (row: T) => Date | string | null | undefined };

/** How the workbook shows each kind of date (Excel number formats). */
export const xlsxDateFormats = { date: 'd mmm yyyy', dateTime: 'd mmm yyyy hh:mm' } as const;

/** The rows of an export: an array for a small list, or batches read from the database as the download goes. */
export type ExportRows<T> = Iterable<T> | RowBatches<T>;

/** An export's rows a batch at a time, whichever kind they come as: formatting then loops over arrays. */
async function* batchesOf<T>(rows: ExportRows<T>): AsyncGenerator<readonly T[]> {
  if ('batches' in rows) yield* rows.batches;
  else yield Array.isArray(rows) ? (rows as readonly T[]) : [...rows];
}

/**
 * Neutralises spreadsheet formulas (CSV injection): a text cell starting with = + - @ (or a tab / carriage
 * return) is prefixed with an apostrophe so Excel shows it as text instead of running it.
 */
function neutralise(value: string | number | null | undefined): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

type Cell = string | number | Date;

/** A cell of the CSV: dates as the pages write them, text neutralised. */
function csvCell<T>(column: ExportColumn<T>, row: T): string | number {
  if (column.date === 'date') return formatDate(column.value(row));
  if (column.date === 'dateTime') return formatDateTime(column.value(row));
  return neutralise(column.value(row));
}

const londonParts = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
  timeZone: 'Europe/London',
});

/**
 * A cell of the workbook: a date as a Date holding its UTC date (exceljs turns a Date into Excel's day number from
 * its UTC fields, and Excel cells have no time zone), a moment at its London wall-clock time, as the pages show it.
 * A value that is not a valid date is left empty rather than shown as a wrong one.
 */
function xlsxCell<T>(column: ExportColumn<T>, row: T): Cell {
  if (column.date === 'date') {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(column.value(row) ?? '');
    if (!match || !formatDate(match[0])) return '';
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  }
  if (column.date === 'dateTime') {
    const value = column.value(row);
    const moment = typeof value === 'string' ? new Date(value) : value;
    if (!moment || Number.isNaN(moment.getTime())) return '';
    const p = Object.fromEntries(londonParts.formatToParts(moment).map((part) => [part.type, Number(part.value)]));
    return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
  }
  return neutralise(column.value(row));
}

/** The header row, then each row's cells as `cell` writes them. */
async function* records<T, C>(rows: ExportRows<T>, columns: readonly ExportColumn<T>[], cell: (column: ExportColumn<T>, row: T) => C): AsyncGenerator<(string | C)[]> {
  yield columns.map((c) => c.header);
  for await (const batch of batchesOf(rows)) for (const r of batch) yield columns.map((c) => cell(c, r));
}

/**
 * UTF-8 with a BOM so Excel reads accents and Welsh characters correctly; CRLF as Excel writes it. csv-stringify
 * quotes a cell holding the record delimiter, but not one holding a lone line feed or carriage return, which Excel
 * and other readers take as the end of the row: `quoted_match` quotes those too.
 */
const csvOptions = { bom: true, record_delimiter: '\r\n', quoted_match: /[\r\n]/ } as const;
const csvOptionsAfterFirst = { ...csvOptions, bom: false } as const;

/** How many rows go into each piece of a CSV download (some 50–100 KB). */
const csvRowsPerPiece = 400;

/** A cell csv-stringify writes as it is with `csvOptions`: no delimiter, quote or line-break character to quote. */
const plainCell = /^[^",\r\n]*$/;

/**
 * A CSV download's pieces: rows are formatted `csvRowsPerPiece` at a time, the BOM and header row (csv-stringify's)
 * in the first piece. csv-stringify's stream API moved each record through a stream of its own and, with the
 * response's gzip (@fastify/compress), a thread-pool job per write: more than the formatting itself. Calendar dates
 * repeat across rows (a few thousand days in a national list), so each is formatted once a download.
 */
async function* csvPieces<T>(rows: ExportRows<T>, columns: readonly ExportColumn<T>[]): AsyncGenerator<Buffer> {
  const dates = new Map<string, string>();
  const cell = (column: ExportColumn<T>, row: T): string | number => {
    if (column.date !== 'date') return csvCell(column, row);
    const iso = column.value(row);
    if (!iso) return '';
    let text = dates.get(iso);
    if (text === undefined) dates.set(iso, (text = formatDate(iso)));
    return text;
  };
  /**
   * One record as csv-stringify writes it after the first (`csvOptionsAfterFirst`). Most records hold only plain
   * cells (numbers, and text with nothing to quote), which it writes joined by commas; those are joined here as they
   * are read, and a record with any other cell goes through csv-stringify itself. Its per-cell work was most of a
   * learners download's formatting. One array holds each row's cells in turn: a string built cell by cell left
   * garbage per cell, an array per row garbage per row.
   */
  const cells: (string | number)[] = new Array(columns.length);
  const record = (row: T): string => {
    for (let i = 0; i < columns.length; i++) {
      const value = cell(columns[i], row);
      if (typeof value === 'string' && !plainCell.test(value)) return stringifySync([columns.map((c) => cell(c, row))], csvOptionsAfterFirst);
      cells[i] = value;
    }
    return `${cells.join(',')}\r\n`;
  };
  let piece = stringifySync([columns.map((c) => c.header)], csvOptions);
  let n = 0;
  for await (const batch of batchesOf(rows)) {
    for (const row of batch) {
      piece += record(row);
      if (++n % csvRowsPerPiece === 0) {
        yield Buffer.from(piece);
        piece = '';
      }
    }
  }
  if (piece) yield Buffer.from(piece);
}

/** CSV with a header row, as a stream: rows are read from `rows` only as fast as the reader takes them. */
export function csvStream<T>(rows: ExportRows<T>, columns: readonly ExportColumn<T>[]): Readable {
  return Readable.from(csvPieces(rows, columns), { objectMode: false });
}

/** The same CSV as one string, for a small list (a template, an error report). */
export function toCsv<T>(rows: readonly T[], columns: readonly ExportColumn<T>[]): string {
  return stringifySync([columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => csvCell(c, r)))], csvOptions);
}

/** How many rows go into the workbook between checks that the reader keeps up (the zip buffers the rest). */
const xlsxRowsPerCheck = 500;

/**
 * Writes an XLSX workbook of one sheet with a bold, frozen header row into `out` with exceljs's streaming writer:
 * each row is committed (turned into XML and zipped) as it comes, so only the rows not yet sent are in memory.
 * Without shared strings, since their table would hold every distinct text until the end.
 */
async function writeXlsx<T>(rows: ExportRows<T>, columns: readonly ExportColumn<T>[], sheetName: string, out: PassThrough): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Pioneer';
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({ width: Math.max(c.date === 'dateTime' ? 18 : 12, c.header.length + 2) }));
  const dateFormats = columns.map((c) => (c.date ? xlsxDateFormats[c.date] : undefined));
  let n = 0;
  for await (const cells of records(rows, columns, xlsxCell)) {
    // The reader went away (download cancelled): stop reading the database. Leaving the loop closes `rows`.
    if (out.destroyed) return;
    const row = sheet.addRow(cells);
    if (n === 0) row.font = { bold: true };
    else
      dateFormats.forEach((numFmt, i) => {
        if (numFmt) row.getCell(i + 1).numFmt = numFmt;
      });
    row.commit();
    // Let the zip drain into the response when the reader is slower than the database.
    if (++n % xlsxRowsPerCheck === 0) {
      await nextTurn();
      if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), once(out, 'close')]);
    }
  }
  sheet.commit();
  await workbook.commit();
}

/** The XLSX workbook as a stream. */
export function xlsxStream<T>(rows: ExportRows<T>, columns: readonly ExportColumn<T>[], sheetName: string): Readable {
  const out = new PassThrough();
  writeXlsx(rows, columns, sheetName, out).catch((err: Error) => out.destroy(err));
  return out;
}

/** The same workbook in one buffer, for a small list (a template, the councils file of the CLI). */
export async function toXlsx<T>(rows: readonly T[], columns: readonly ExportColumn<T>[], sheetName: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of xlsxStream(rows, columns, sheetName)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const mediaTypes = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/**
 * Sends a list as a CSV or XLSX download named `<name>-<date>.<format>`, streamed: `rows` may be an array or an
 * async iterable reading the database in batches, so a download of any length holds a batch at a time. A
 * failure half-way (database gone) cuts the response short, which the browser reports as a failed download.
 */
export async function sendExport<T>(
  reply: FastifyReply,
  format: 'csv' | 'xlsx',
  name: string,
  date: string,
  rows: ExportRows<T>,
  columns: readonly ExportColumn<T>[],
) {
  const body = format === 'csv' ? csvStream(rows, columns) : xlsxStream(rows, columns, name);
  return reply
    .header('content-type', mediaTypes[format])
    .header('content-disposition', `attachment; filename="${name}-${date}.${format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}
