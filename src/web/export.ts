import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

/** One column of an exported list: its header and how to read it from a row. */
export type ExportColumn<T> = { header: string; value: (row: T) => string | number | null | undefined };

/**
 * Neutralises spreadsheet formulas (CSV injection): a text cell starting with = + - @ (or a tab / carriage
 * return) is prefixed with an apostrophe so Excel shows it as text instead of running it.
 */
function neutralise(value: string | number | null | undefined): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** CSV with a header row, UTF-8 with a BOM so Excel reads accents and Welsh characters correctly. */
export function toCsv<T>(rows: readonly T[], columns: readonly ExportColumn<T>[]): string {
  const records = rows.map((r) => columns.map((c) => neutralise(c.value(r))));
  return '\uFEFF' + stringify([columns.map((c) => c.header), ...records], { record_delimiter: '\r\n' });
}

/** An XLSX workbook of one sheet with a bold, frozen header row. */
export async function toXlsx<T>(rows: readonly T[], columns: readonly ExportColumn<T>[], sheetName: string): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Pioneer';
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({ header: c.header, width: Math.max(12, c.header.length + 2) }));
  sheet.getRow(1).font = { bold: true };
  for (const r of rows) sheet.addRow(columns.map((c) => neutralise(c.value(r))));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const mediaTypes = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/** Sends a list as a CSV or XLSX download named `<name>-<date>.<format>`. */
export async function sendExport<T>(
  reply: FastifyReply,
  format: 'csv' | 'xlsx',
  name: string,
  date: string,
  rows: readonly T[],
  columns: readonly ExportColumn<T>[],
) {
  const body = format === 'csv' ? toCsv(rows, columns) : await toXlsx(rows, columns, name);
  return reply
    .header('content-type', mediaTypes[format])
    .header('content-disposition', `attachment; filename="${name}-${date}.${format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}
