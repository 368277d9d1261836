/**
 * A report's figures as files: the PDF (pdfkit, ADR 0016), the XLSX workbook (a sheet per section), a CSV per table
 * and the open-data CSV of every figure. Each is made from the report's stored figures alone, so the archive's copy
 * is the report as it was made.
 */
import PDFDocument from 'pdfkit';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify/sync';
import { moneyText } from '../contracts/rules.ts';
import { formatCount } from '../web/format.ts';
import type { ColumnKind, ReportCell, ReportData, ReportTable } from './service.ts';

/** A cell as a page, the PDF and the CSVs show it: money as £, counts with thousands separators, text as it is. */
export function cellText(cell: ReportCell, kind: ColumnKind): string {
  if (typeof cell === 'string') return cell;
  return kind === 'pence' ? moneyText(cell) : formatCount(cell);
}

/** The standard PDF fonts encode WinAnsi only: the minus sign (U+2212) has no glyph there, a hyphen does. */
const pdfText = (text: string) => text.replace(/\u2212/g, '-');

/**
 * The width of a table's number columns in the PDF: 90 points, narrower for a table with many (the breakdowns' six)
 * so that they leave the text columns 15% of the line (a header word such as “accreditations” still fits).
 */
function numberWidth(doc: PDFKit.PDFDocument, table: ReportTable): number {
  const line = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  return Math.min(90, Math.floor((line * 0.85) / table.columns.filter((c) => c.kind !== 'text').length));
}

/** The report as a PDF: title, the quarter and the dates, then each section's words and tables. */
export function reportPdf(data: ReportData, generatedAt: Date): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: data.title, Author: 'Pioneer', CreationDate: generatedAt }, lang: 'en-GB', displayTitle: true });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(18).text(pdfText(data.title));
  doc.moveDown(0.3).font('Helvetica').fontSize(11).text(`Quarter: ${data.quarterLabel}`).text(`Report made on ${data.madeOnText}`);
  doc.text('Figures only, for the whole programme: no personal data.');
  for (const section of data.sections) {
    doc.moveDown(1).font('Helvetica-Bold').fontSize(14).text(pdfText(section.title), doc.page.margins.left);
    doc.font('Helvetica').fontSize(10);
    for (const p of section.paragraphs) doc.moveDown(0.3).text(pdfText(p));
    for (const table of section.tables) {
      doc.moveDown(0.6).font('Helvetica-Bold').fontSize(11).text(pdfText(table.title));
      doc.moveDown(0.3).font('Helvetica').fontSize(9);
      doc.table({
        columnStyles: table.columns.map((c) => (c.kind === 'text' ? '*' : numberWidth(doc, table))),
        data: [
          table.columns.map((c) => ({ text: pdfText(c.header), type: 'TH' as const, font: { src: 'Helvetica-Bold' }, align: c.kind === 'text' ? undefined : { x: 'right' as const } })),
          ...table.rows.map((row) => row.map((cell, i) => ({ text: pdfText(cellText(cell, table.columns[i].kind)), align: table.columns[i].kind === 'text' ? undefined : { x: 'right' as const } }))),
        ],
      });
      doc.x = doc.page.margins.left;
    }
  }
  doc.end();
  return done;
}

/** A sheet name of at most 31 characters, as Excel requires. */
const sheetName = (title: string) => title.slice(0, 31);

/**
 * The report as a workbook: a "Report" sheet with the title and dates, then a sheet per section with its tables one
 * under another. Money is in pounds as numbers formatted £ (pence ÷ 100: exact to the penny at these sizes), counts
 * as numbers, hidden counts as their text.
 */
export async function reportXlsx(data: ReportData, generatedAt: Date): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Pioneer';
  workbook.created = generatedAt;
  workbook.modified = generatedAt;
  const cover = workbook.addWorksheet('Report');
  cover.addRows([[data.title], ['Quarter', data.quarterLabel], ['Report made on', data.madeOnText], ['Figures only, for the whole programme: no personal data.']]);
  cover.getRow(1).font = { bold: true, size: 14 };
  cover.getColumn(1).width = 24;
  for (const section of data.sections) {
    const sheet = workbook.addWorksheet(sheetName(section.title));
    sheet.addRow([section.title]).font = { bold: true, size: 14 };
    for (const p of section.paragraphs) sheet.addRow([p]);
    for (const table of section.tables) {
      sheet.addRow([]);
      sheet.addRow([table.title]).font = { bold: true };
      sheet.addRow(table.columns.map((c) => c.header)).font = { bold: true };
      for (const row of table.rows) {
        const added = sheet.addRow(row.map((cell, i) => (typeof cell === 'number' && table.columns[i].kind === 'pence' ? cell / 100 : cell)));
        table.columns.forEach((c, i) => {
          if (c.kind === 'pence') added.getCell(i + 1).numFmt = '£#,##0.00;-£#,##0.00';
        });
      }
    }
    sheet.getColumn(1).width = 48;
    const columns = Math.max(6, ...section.tables.map((t) => t.columns.length));
    for (let i = 2; i <= columns; i++) sheet.getColumn(i).width = 22;
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A text cell that would start a formula is prefixed with an apostrophe (as src/web/export.ts does). */
const neutral = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/** One table as CSV: its headers, then its rows as the page shows them (money as £, hidden counts as their text). */
export function tableCsv(table: ReportTable): string {
  return stringify([table.columns.map((c) => c.header), ...table.rows.map((row) => row.map((cell, i) => neutral(cellText(cell, table.columns[i].kind))))]);
}

/**
 * Every figure of the report, one per line, for open data: section, table, row, column, the value (a number, pence
 * as pence, or a hidden count's text), its unit and the dates. The disclosure rule was applied when the report was
 * made, so nothing hidden in the report is shown here.
 */
export function openDataCsv(data: ReportData): string {
  const lines: (string | number)[][] = [['Section', 'Table', 'Row', 'Column', 'Value', 'Unit', 'Quarter', 'Report made on']];
  for (const section of data.sections) {
    for (const table of section.tables) {
      for (const row of table.rows) {
        table.columns.forEach((c, i) => {
          if (i === 0) return;
          const cell = row[i];
          const unit = typeof cell === 'number' ? (c.kind === 'pence' ? 'pence' : 'count') : 'text';
          lines.push([section.title, table.title, String(row[0]), c.header, typeof cell === 'string' ? neutral(cell) : cell, unit, data.quarter, data.madeOn]);
        });
      }
    }
  }
  return stringify(lines);
}
