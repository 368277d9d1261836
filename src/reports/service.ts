/**
 * The quarterly funder report (issue 13 item 6) and the return on investment (item 4). A report is made from the
 * other features' own services, as a funder sees the programme (whole programme, small counts hidden), so it holds
 * aggregates only and the same figures as the dashboard, the evaluation page and the funding pages. Generating one
 * archives it as an immutable snapshot: the figures as JSON and the PDF and XLSX bytes, audited in one transaction.
 */
import type { Db, DbOrTx } from '../db/client.ts';
import type { Actor } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { fixedClock, todayIso, type Clock } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { NotFoundError, ValidationError } from '../web/errors.ts';
import { isUuid } from '../learners/service.ts';
import { getSetting } from '../settings/service.ts';
import { disclosureRule, type FigureTable } from '../dashboard/figures.ts';
import { headlineAsOf } from './headline.ts';
import { responseRates } from '../surveys/rates.ts';
import { surveyLevelLabels } from '../surveys/schemas.ts';
import { currentIndicators } from '../evaluation/service.ts';
import { lastCompleteQuarter, parseQuarter, quarterRefusal, type Quarter } from './quarter.ts';
import { computeRoi, fixedText, noCostText, roiMethod, type Roi } from './roi.ts';
import { reportPdf, reportXlsx } from './render.ts';
import * as repo from './repository.ts';

export type ColumnKind = 'text' | 'count' | 'pence';
/** A cell: text, a whole number, pence (a whole number in a pence column), or a hidden count's text ("fewer than 5"). */
export type ReportCell = string | number;
export type ReportTable = { id: string; title: string; columns: { header: string; kind: ColumnKind }[]; rows: ReportCell[][]; note?: string };
export type ReportSection = { id: string; title: string; paragraphs: string[]; tables: ReportTable[] };
export type ReportData = {
  title: string;
  quarter: string;
  quarterLabel: string;
  quarterStart: string;
  quarterEnd: string;
  /** The day the report was made (UK time); every figure is as at the quarter's end (see each section's words). */
  madeOn: string;
  madeOnText: string;
  sections: ReportSection[];
};

/**
 * Who a report is made for: a funder or observer, who sees the whole programme with small counts hidden. Whoever
 * generates it, the report holds what funders may read, so the archive can be given to any of its readers.
 */
const funderView: Actor = {
  personId: '00000000-0000-0000-0000-000000000000',
  name: 'Funder report',
  email: '',
  organisationId: '00000000-0000-0000-0000-000000000000',
  organisationKind: 'partner',
  roles: ['funder'],
};

/** A clock standing at noon (UTC) of a date: the other features' "today" is then that date. */
const clockAt = (iso: string): Clock => fixedClock(`${iso}T12:00:00Z`);

/** The return on investment as of a date (yyyy-mm-dd), for the whole programme. */
export async function roiAsOf(db: DbOrTx, asOf: string): Promise<Roi> {
  const [value, costPence, attributionPercent] = await Promise.all([repo.verifiedValue(db, asOf), repo.spendTo(db, asOf), getSetting(db, 'roiAttributionPercent')]);
  return computeRoi({ ...value, costPence, attributionPercent });
}

/** The ROI's two tables: benefits and cost in pence, then the return. */
export function roiTables(roi: Roi): ReportTable[] {
  return [
    {
      id: 'roi-benefits-and-cost',
      title: 'Benefits and cost',
      columns: [
        { header: 'Measure', kind: 'text' },
        { header: 'Amount', kind: 'pence' },
      ],
      rows: [
        ['Verified improvements: cashable value', roi.cashablePence],
        ['Verified improvements: non-cashable value', roi.nonCashablePence],
        ['Verified improvements: total value', roi.verifiedPence],
        [`Benefits credited to the programme (${roi.attributionPercent}% of the total)`, roi.benefitsPence],
        ['Programme cost (spend recorded)', roi.costPence],
        ['Net benefit (benefits − cost)', roi.netBenefitPence],
      ],
    },
    {
      id: 'roi-return',
      title: 'Return on investment',
      columns: [
        { header: 'Measure', kind: 'text' },
        { header: 'Value', kind: 'text' },
      ],
      rows: [
        ['Attribution factor', `${roi.attributionPercent}%`],
        ['Return on investment', roi.roiTenths === null ? noCostText : `${fixedText(roi.roiTenths, 1)}%`],
        ['Benefit-cost ratio', roi.ratioHundredths === null ? noCostText : `${fixedText(roi.ratioHundredths, 2)} : 1`],
      ],
    },
  ];
}

/**
 * The sections of the headline figures by managing partner, region and council type (the dashboard's breakdowns),
 * by their tables' ids, in the report's order. Reports archived before they were added do not have them.
 */
const breakdownSectionTitles: Record<string, string> = {
  'headline-by-partner': 'Figures by managing partner',
  'headline-by-region': 'Figures by region',
  'headline-by-type': 'Figures by council type',
};

/** A count as a report's cell: the number, or a hidden count's text. */
const countCell = (c: { value: number | null; text: string }) => c.value ?? c.text;

/** One breakdown of the headline figures as a section of its own (a sheet of its own in the workbook). */
function breakdownSection(t: FigureTable, endText: string, madeOnText: string): ReportSection {
  const group = t.rowHeader.toLowerCase();
  return {
    id: t.id,
    title: breakdownSectionTitles[t.id],
    paragraphs: [
      `The headline figures for the councils of each ${group}, as at ${endText}, the end of the quarter, counted as the headline figures are. ` +
        'Each column adds up to its headline figure: a learner counts once, under the council where they first started, and an accreditation ' +
        `under the council of the enrolment it accredits. A ${group} with nothing to count is left out.`,
      `Each council’s ${group} is as recorded on ${madeOnText}, the day this report was made (the records keep no history of it); its programme status is as at the end of the quarter.`,
      disclosureRule,
    ],
    tables: [
      {
        id: t.id,
        title: `Headline figures by ${group} as at ${endText}`,
        columns: [{ header: t.rowHeader, kind: 'text' }, ...t.columns.map((header) => ({ header, kind: 'count' as const }))],
        rows: t.rows.map((r) => [r.label, ...r.counts.map(countCell)]),
        note: disclosureRule,
      },
    ],
  };
}

/**
 * What an archived report made before the breakdowns were part of the report says of them (null when it has them):
 * it stays as it was made, without them.
 */
export function missingSectionsNote(data: ReportData): string | null {
  const have = new Set(data.sections.map((s) => s.id));
  const missing = Object.entries(breakdownSectionTitles).filter(([id]) => !have.has(id)).map(([, title]) => `“${title}”`);
  if (!missing.length) return null;
  const list = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}` : missing[0];
  return `This report was made before ${list} ${missing.length > 1 ? 'were' : 'was'} part of the quarterly report, so it does not have ${missing.length > 1 ? 'them' : 'it'}.`;
}

/** A response rate as the report prints it: hidden with its counts (src/surveys/rates.ts). */
const rateText = (r: { sent: { value: number | null }; ratePercent: number | null }) =>
  r.ratePercent !== null ? `${r.ratePercent.toFixed(1)}%` : r.sent.value === 0 ? 'None sent' : 'Not shown (a count is hidden)';

/** The report's figures for a quarter that has ended, made on `today`. */
export async function buildReport(db: Db, clock: Clock, quarter: Quarter): Promise<ReportData> {
  const madeOn = todayIso(clock);
  const end = quarter.end;
  const endText = formatDate(end);
  const headline = await headlineAsOf(db, funderView, end);
  const indicators = await currentIndicators(db, funderView, clockAt(end));
  const funds = await repo.fundsInQuarter(db, quarter.start, end);
  const roi = await roiAsOf(db, end);
  const rates = await responseRates(db, { from: quarter.start, to: end });
  const total = (key: 'budgetPence' | 'inQuarterPence' | 'toEndPence') => funds.reduce((n, f) => n + f[key], 0);
  return {
    title: `Quarterly report to funders: ${quarter.key}`,
    quarter: quarter.key,
    quarterLabel: quarter.label,
    quarterStart: quarter.start,
    quarterEnd: end,
    madeOn,
    madeOnText: formatDate(madeOn),
    sections: [
      {
        id: 'headline',
        title: 'Headline figures',
        paragraphs: [
          `As at ${endText}, the end of the quarter, for the whole programme, counted from the dates the records hold: councils’ programme ` +
            'status from their status history, enrolments’ status from their journey events (each dated by the day it happened), ' +
            'accreditations by the day awarded, learners by the day they registered with the training provider, and maturity by the day ' +
            'assessments were submitted.',
          'One part cannot be dated from the records: a maturity score moderated after the quarter’s end counts with its moderated score, ' +
            `as it stood on ${formatDate(madeOn)}, the day this report was made (a moderation replaces the score it changes).`,
          headline.share,
          disclosureRule,
        ],
        tables: [
          {
            id: 'headline',
            title: `Headline figures as at ${endText}`,
            columns: [
              { header: 'Figure', kind: 'text' },
              { header: 'Count', kind: 'count' },
            ],
            rows: headline.table.rows.map((r) => [r.label, countCell(r.counts[0])]),
            note: disclosureRule,
          },
        ],
      },
      ...headline.breakdowns.map((t) => breakdownSection(t, endText, formatDate(madeOn))),
      {
        id: 'indicators',
        title: 'Evaluation indicators',
        paragraphs: [`Each indicator as at ${endText}, the end of the quarter, worked out from the records as the evaluation page does.`],
        tables: [
          {
            id: 'indicators',
            title: `Indicators as at ${endText}`,
            columns: [
              { header: 'Indicator', kind: 'text' },
              { header: 'Value', kind: 'text' },
              { header: 'How it is worked out', kind: 'text' },
            ],
            rows: indicators.rows.map((i) => [i.name, i.text, i.computation]),
          },
        ],
      },
      {
        id: 'surveys',
        title: 'Survey response rates',
        paragraphs: [
          `The surveys sent in the quarter (${quarter.label}), by the day each person was first sent one: how many were sent each ` +
            `survey then, and how many of them had answered by ${formatDate(madeOn)}, the day this report was made (an anonymous ` +
            'survey keeps no time of answering, so answers cannot be counted as at the quarter’s end).',
          ...(rates.surveys.length ? [] : ['No surveys were sent in the quarter.']),
        ],
        tables: [
          {
            id: 'surveys',
            title: `Survey response rates, ${quarter.key}`,
            columns: [
              { header: 'Survey', kind: 'text' },
              { header: 'Level', kind: 'text' },
              { header: 'Sent', kind: 'count' },
              { header: 'Answered', kind: 'count' },
              { header: 'Response rate', kind: 'text' },
            ],
            rows: [
              ...rates.surveys.map((r) => [r.title, surveyLevelLabels[r.level], countCell(r.sent), countCell(r.answered), rateText(r)]),
              ['All surveys', '', countCell(rates.total.sent), countCell(rates.total.answered), rateText(rates.total)],
            ],
            note: rates.disclosureRule,
          },
        ],
      },
      {
        id: 'funding',
        title: 'Funding',
        paragraphs: [
          `Each fund’s budget, the spend recorded against it dated within the quarter (${quarter.label}) and up to its end, and what remains of the budget after that spend.`,
          ...(funds.length ? [] : ['No funds are recorded yet.']),
        ],
        tables: [
          {
            id: 'funding',
            title: `Funds in ${quarter.key}`,
            columns: [
              { header: 'Fund', kind: 'text' },
              { header: 'Source', kind: 'text' },
              { header: 'Budget', kind: 'pence' },
              { header: 'Spent in the quarter', kind: 'pence' },
              { header: 'Spent to the quarter’s end', kind: 'pence' },
              { header: 'Remaining', kind: 'pence' },
            ],
            rows: [
              ...funds.map((f) => [f.name, f.source, f.budgetPence, f.inQuarterPence, f.toEndPence, f.budgetPence - f.toEndPence]),
              ['All funds', '', total('budgetPence'), total('inQuarterPence'), total('toEndPence'), total('budgetPence') - total('toEndPence')],
            ],
          },
        ],
      },
      {
        id: 'roi',
        title: 'Return on investment',
        paragraphs: [`As at ${endText}, the end of the quarter.`, ...roiMethod(roi.attributionPercent), ...(roi.costPence === 0 ? [noCostText] : [])],
        tables: roiTables(roi),
      },
    ],
  };
}

/** The quarter asked for, or the last complete one when none is; a quarter that cannot be reported on is refused. */
export function chooseQuarter(key: string | undefined, today: string): Quarter {
  if (key === undefined || key.trim() === '') return lastCompleteQuarter(today);
  const refusal = quarterRefusal(key, today);
  if (refusal) throw new ValidationError({ quarter: refusal });
  return parseQuarter(key)!;
}

/**
 * Generates the report for a quarter and archives it, with its PDF and XLSX, in one transaction with its audit event
 * (`report.generated`). Returns the archived report's id.
 */
export async function generateReport(db: Db, ctx: RequestContext, quarterKey: string | undefined): Promise<string> {
  const quarter = chooseQuarter(quarterKey, todayIso(ctx.clock));
  const data = await buildReport(db, ctx.clock, quarter);
  const generatedAt = ctx.clock.now();
  const [pdf, xlsx] = [await reportPdf(data, generatedAt), await reportXlsx(data, generatedAt)];
  return db.transaction(async (tx) => {
    const id = await repo.insertReport(tx, { quarter: quarter.key, generatedAt, generatedById: ctx.actor?.personId ?? null, data, pdf, xlsx });
    await recordAudit(tx, ctx, { action: 'report.generated', recordType: 'report', recordId: id, before: null, after: { quarter: quarter.key } });
    return id;
  });
}

export function listReports(db: DbOrTx, page: { page: number; pageSize: number }) {
  return repo.listReports(db, { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

/** An archived report with its figures; not found for an id that names none. */
export async function getReport(db: DbOrTx, id: string) {
  const report = isUuid(id) ? await repo.findReport(db, id) : null;
  if (!report) throw new NotFoundError();
  return { ...report, data: report.data as ReportData };
}

/** A stored file of an archived report, byte for byte as it was made. */
export async function getReportFile(db: DbOrTx, id: string, file: 'pdf' | 'xlsx') {
  const found = isUuid(id) ? await repo.reportFile(db, id, file) : null;
  if (!found) throw new NotFoundError();
  return found;
}
