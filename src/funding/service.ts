/**
 * Funding (issue 13 item 1): funds, their budget lines and actual spend, kept by the programme admins. Commitments
 * follow from the record (approved places × unit cost, planned engagement days × day rate); the summary adds spent,
 * remaining and a straight-line forecast to the fund's end. Money is integer pence throughout. One transaction per
 * command, each with its audit event (recordType `fund`, the fund's id; `name` in every snapshot so the log names it).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isUniqueViolation, violatedConstraint } from '../db/client.ts';
import { levelLabels, periodOf, type Level } from '../enrolments/journey.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso, type Clock } from '../clock.ts';
import { minutesPerDay } from '../engagements/rules.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { formatDate } from '../web/format.ts';
import { moneyText } from '../contracts/rules.ts';
import { isUuid } from '../learners/service.ts';
import type { Config } from '../config.ts';
import { importLimits } from '../imports/limits.ts';
import { FileError, readSpreadsheet, type RowError } from '../imports/parse.ts';
import { type LineKind, fundSchema, lineSchema, spendChangeSchema, spendRemovalSchema, spendSchema, spendUploadColumns, type SpendInput } from './schemas.ts';
import * as repo from './repository.ts';
import type { FundRow, LineRow } from './repository.ts';

export type { FundRow, LineRow, SpendFilters, SpendSort } from './repository.ts';

export async function listFunds(db: DbOrTx) {
  return repo.listFunds(db);
}

export async function getFund(db: DbOrTx, id: string): Promise<FundRow> {
  const fund = isUuid(id) ? await repo.findFund(db, id) : null;
  if (!fund) throw new NotFoundError();
  return fund;
}

export async function createFund(db: Db, ctx: RequestContext, input: unknown): Promise<string> {
  const data = parseOrThrow(fundSchema, input);
  if (data.endDate < data.startDate) throw new ValidationError({ endDate: 'End date must be the same as or after the start date' });
  if (await repo.findFundByName(db, data.name)) throw new ConflictError('There is already a fund with this name', 'name');
  const values = { source: data.source, name: data.name, amountPence: data.amount, startDate: data.startDate, endDate: data.endDate, conditions: data.conditions };
  try {
    return await db.transaction(async (tx) => {
      const id = await repo.insertFund(tx, { ...values, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
      await recordAudit(tx, ctx, { action: 'fund.created', recordType: 'fund', recordId: id, before: null, after: values });
      return id;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('There is already a fund with this name', 'name');
    throw err;
  }
}

export async function createLine(db: Db, ctx: RequestContext, fundId: string, input: unknown): Promise<string> {
  const fund = await getFund(db, fundId);
  const data = parseOrThrow(lineSchema, input);
  const values = {
    kind: data.kind,
    name: data.name,
    budgetPence: data.budget,
    level: data.kind === 'training_places' ? (data.level ?? null) : null,
    unitCostPence: data.kind === 'training_places' ? (data.unitCost ?? null) : null,
    dayRatePence: data.kind === 'support_days' ? (data.dayRate ?? null) : null,
  };
  try {
    return await db.transaction(async (tx) => {
      const id = await repo.insertLine(tx, { fundId: fund.id, ...values, createdAt: ctx.clock.now() });
      await recordAudit(tx, ctx, { action: 'fund.line_added', recordType: 'fund', recordId: fund.id, before: null, after: { name: fund.name, lineId: id, line: values } });
      return id;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // The commitment of places of a level, or of support days, is worked out once for the fund: one line shows it.
    const constraint = violatedConstraint(err);
    if (constraint === 'fund_budget_lines_one_places_line_a_level') {
      throw new ConflictError(`This fund already has a line for ${levelLabels[values.level as Level]} places: a fund’s places of a level are committed against one line`, 'level');
    }
    if (constraint === 'fund_budget_lines_one_support_days_line') {
      throw new ConflictError('This fund already has a line for transformation support days: a fund’s support days are committed against one line', 'kind');
    }
    throw new ConflictError('This fund already has a budget line with this name', 'name');
  }
}

/** Why a spend item cannot be recorded against this fund's lines, by field (empty when it can). */
export function spendRefusal(fund: Pick<FundRow, 'startDate' | 'endDate'>, lineIds: ReadonlySet<string>, data: SpendInput): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!lineIds.has(data.lineId)) fields.lineId = 'Select a budget line of this fund';
  if (data.amount <= 0) fields.amount = 'Amount must be more than £0';
  if (data.spentOn < fund.startDate || data.spentOn > fund.endDate) fields.spentOn = `Date must be within the fund, from ${formatDate(fund.startDate)} to ${formatDate(fund.endDate)}`;
  return fields;
}

export type SpendItem = { lineId: string; supplier: string; spentOn: string; amountPence: number; reference: string };

/** Records spend items (one from the form, many from an upload) in one transaction, with one audit event each. */
export async function recordSpend(db: Db, ctx: RequestContext, fund: FundRow, items: readonly SpendItem[], source: 'form' | 'upload'): Promise<string[]> {
  return db.transaction(async (tx) => {
    const ids = await repo.insertSpend(
      tx,
      items.map((i) => ({ ...i, recordedById: ctx.actor?.personId ?? null, createdAt: ctx.clock.now() })),
    );
    for (const [n, item] of items.entries()) {
      await recordAudit(tx, ctx, {
        action: 'fund.spend_recorded',
        recordType: 'fund',
        recordId: fund.id,
        before: null,
        after: { name: fund.name, spendId: ids[n], ...item, ...(source === 'upload' ? { upload: true } : {}) },
      });
    }
    return ids;
  });
}

/** References are unique within a fund (ignoring case), so an invoice uploaded twice is not counted twice. */
const referenceTaken = (reference: string) => `Reference ${reference} is already recorded on this fund`;

/** Refuses a reference another item of the fund already has (`except`: the item being changed). */
async function checkReference(db: DbOrTx, fundId: string, reference: string, except?: string) {
  if (!reference) return;
  const holder = (await repo.referencesTaken(db, fundId, [reference])).get(reference.toLowerCase());
  if (holder && holder !== except) throw new ConflictError(referenceTaken(reference), 'reference');
}

export async function createSpend(db: Db, ctx: RequestContext, fundId: string, input: unknown): Promise<string> {
  const fund = await getFund(db, fundId);
  const data = parseOrThrow(spendSchema, input);
  const lines = await repo.listLines(db, fund.id);
  const fields = spendRefusal(fund, new Set(lines.map((l) => l.id)), data);
  if (Object.keys(fields).length) throw new ValidationError(fields);
  await checkReference(db, fund.id, data.reference);
  const [id] = await recordSpend(db, ctx, fund, [{ lineId: data.lineId, supplier: data.supplier, spentOn: data.spentOn, amountPence: data.amount, reference: data.reference }], 'form');
  return id;
}

export type Figures = { budgetPence: number; committedPence: number; spentPence: number; remainingPence: number; forecastPence: number; overCommitted: boolean; overForecast: boolean };
export type LineSummary = LineRow & Figures & { basis: string };

const dayMs = 86_400_000;
const dayNumber = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / dayMs);

/**
 * Straight-line forecast of spend at the fund's end: spent so far ÷ days elapsed × the fund's length in days (both
 * counting the first day). Before the fund starts it is what was spent; after its end, the days elapsed are its length.
 */
export function forecast(spentPence: number, startDate: string, endDate: string, today: string): number {
  const length = dayNumber(endDate) - dayNumber(startDate) + 1;
  const elapsed = Math.min(length, dayNumber(today) - dayNumber(startDate) + 1);
  if (elapsed <= 0) return spentPence;
  return Math.round((spentPence * length) / elapsed);
}

function figures(budgetPence: number, committedPence: number, spentPence: number, forecastPence: number): Figures {
  return {
    budgetPence,
    committedPence,
    spentPence,
    remainingPence: budgetPence - Math.max(committedPence, spentPence),
    forecastPence,
    overCommitted: committedPence > budgetPence,
    overForecast: forecastPence > budgetPence,
  };
}

/** Per line and for the fund: budget, committed, spent, remaining and forecast, with the basis of each commitment. */
export async function fundSummary(db: DbOrTx, clock: Clock, fund: FundRow) {
  const today = todayIso(clock);
  const [lines, spent] = await Promise.all([repo.listLines(db, fund.id), repo.spentByLine(db, fund.id)]);
  const summaries: LineSummary[] = [];
  for (const line of lines) {
    const lineSpent = spent.get(line.id) ?? 0;
    let committed = lineSpent;
    let basis = 'Committed is what was spent';
    if (line.kind === 'training_places' && line.level && line.unitCostPence !== null) {
      const periods = fundPeriods(fund);
      const places = await repo.approvedPlaces(db, line.level, periods);
      committed = places * line.unitCostPence;
      basis = periods.length
        ? `${places} approved ${line.level} place${places === 1 ? '' : 's'} of ${periodsText(periods)}`
        : 'No places counted: the fund’s dates hold no 1 October, the middle of a financial year';
    } else if (line.kind === 'support_days' && line.dayRatePence !== null) {
      const minutes = await repo.plannedEngagementMinutes(db, fund.startDate, fund.endDate);
      committed = supportDaysPence(minutes, line.dayRatePence);
      const days = daysOf(minutes);
      basis = `${days} planned engagement day${days === 1 ? '' : 's'}`;
    }
    summaries.push({ ...line, ...figures(line.budgetPence, committed, lineSpent, forecast(lineSpent, fund.startDate, fund.endDate, today)), basis });
  }
  const sum = (key: 'committedPence' | 'spentPence') => summaries.reduce((total, l) => total + l[key], 0);
  const totalSpent = sum('spentPence');
  const total = figures(fund.amountPence, sum('committedPence'), totalSpent, forecast(totalSpent, fund.startDate, fund.endDate, today));
  return { lines: summaries, total, today };
}

export function listLines(db: DbOrTx, fundId: string) {
  return repo.listLines(db, fundId);
}

export type SpendItemRow = repo.SpendRow & { lineKind: LineKind };

/** A fund's spend items, or every fund's with `fundId` null (the list across funds). */
export async function listSpend(db: DbOrTx, fundId: string | null, filters: repo.SpendFilters, sort: { sort: repo.SpendSort; order: 'asc' | 'desc' }, page: { page: number; pageSize: number } | null) {
  return repo.listSpend(db, fundId, filters, sort, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

export async function getSpend(db: DbOrTx, fund: FundRow, spendId: string) {
  const item = isUuid(spendId) ? await repo.findSpend(db, fund.id, spendId) : null;
  if (!item) throw new NotFoundError();
  return item;
}

const stale = () => new ConflictError('Someone else changed or removed this spend item after you opened it. Check it and try again', 'version');

/** Changes a spend item (same rules as recording one), if it is still at the version read. */
export async function changeSpend(db: Db, ctx: RequestContext, fundId: string, spendId: string, input: unknown): Promise<void> {
  const fund = await getFund(db, fundId);
  const item = await getSpend(db, fund, spendId);
  const data = parseOrThrow(spendChangeSchema, input);
  const lines = await repo.listLines(db, fund.id);
  const fields = spendRefusal(fund, new Set(lines.map((l) => l.id)), data);
  if (Object.keys(fields).length) throw new ValidationError(fields);
  await checkReference(db, fund.id, data.reference, item.id);
  const before = { lineId: item.lineId, supplier: item.supplier, spentOn: item.spentOn, amountPence: item.amountPence, reference: item.reference };
  const after = { lineId: data.lineId, supplier: data.supplier, spentOn: data.spentOn, amountPence: data.amount, reference: data.reference };
  await db.transaction(async (tx) => {
    if (!(await repo.updateSpend(tx, item.id, data.version, { ...after, updatedAt: ctx.clock.now() }))) throw stale();
    await recordAudit(tx, ctx, { action: 'fund.spend_changed', recordType: 'fund', recordId: fund.id, before: { name: fund.name, spendId: item.id, ...before }, after: { name: fund.name, spendId: item.id, ...after } });
  });
}

/** Removes a spend item, if it is still at the version read. */
export async function removeSpend(db: Db, ctx: RequestContext, fundId: string, spendId: string, input: unknown): Promise<void> {
  const fund = await getFund(db, fundId);
  const item = await getSpend(db, fund, spendId);
  const { version } = parseOrThrow(spendRemovalSchema, input);
  await db.transaction(async (tx) => {
    if (!(await repo.deleteSpend(tx, item.id, version))) throw stale();
    const before = { name: fund.name, spendId: item.id, lineId: item.lineId, supplier: item.supplier, spentOn: item.spentOn, amountPence: item.amountPence, reference: item.reference };
    await recordAudit(tx, ctx, { action: 'fund.spend_removed', recordType: 'fund', recordId: fund.id, before, after: { name: fund.name } });
  });
}

export type SpendUploadOutcome =
  | { ok: true; rows: number; totalPence: number }
  | { ok: false; rows: number; fileErrors: string[]; rowErrors: RowError[] };

/**
 * A spend upload (CSV or XLSX, columns `spendUploadColumns`), read with the uploads' parser and checked row by row
 * with the form's rules: every problem is reported against its row and column, and only a file without any is written,
 * in one transaction (all or nothing). Budget lines are named as on the fund's page (ignoring case); references are
 * unique within the fund, so a reference repeated in the file or already recorded is refused.
 */
export async function uploadSpend(db: Db, config: Pick<Config, 'uploadMaxBytes' | 'importMaxRows'>, ctx: RequestContext, fundId: string, buffer: Buffer): Promise<SpendUploadOutcome> {
  const fund = await getFund(db, fundId);
  let sheet;
  try {
    sheet = await readSpreadsheet(buffer, spendUploadColumns, importLimits(config));
  } catch (err) {
    if (err instanceof FileError) return { ok: false, rows: 0, fileErrors: err.messages, rowErrors: [] };
    throw err;
  }
  const errors: RowError[] = [...sheet.errors];
  const lines = new Map((await repo.listLines(db, fund.id)).map((l) => [l.name.trim().toLowerCase(), l]));
  const references = sheet.rows.map((r) => r.values.reference.trim()).filter(Boolean);
  const taken = await repo.referencesTaken(db, fund.id, references);
  const seen = new Map<string, number>();
  const items: SpendItem[] = [];
  for (const r of sheet.rows) {
    const v = r.values;
    const before = errors.length;
    const add = (column: string, message: string) => errors.push({ row: r.row, column, message });
    const line = lines.get(v.budget_line.trim().toLowerCase());
    if (!v.budget_line.trim()) add('budget_line', 'Enter the budget line');
    else if (!line) add('budget_line', `“${v.budget_line}” is not a budget line of this fund`);
    const date = /^\d{4}-\d{2}-\d{2}$/.test(v.date) ? v.date : null;
    if (!v.date) add('date', 'Enter the date of the spend, like 31/10/2024');
    else if (!date) add('date', `Date must be a real date, like 31/10/2024 or 2024-10-31, not “${v.date}”`);
    const parsed = spendSchema.safeParse({ supplier: v.supplier, spentOn: date ?? '2000-01-01', lineId: line?.id ?? '-', amount: v.amount, reference: v.reference });
    if (!parsed.success) {
      const columns: Record<string, string> = { supplier: 'supplier', amount: 'amount', reference: 'reference' };
      for (const issue of parsed.error.issues) {
        const column = columns[String(issue.path[0])];
        if (column && !errors.slice(before).some((e) => e.column === column)) add(column, issue.message);
      }
    } else if (line && date) {
      const refused = spendRefusal(fund, new Set([line.id]), parsed.data);
      if (refused.amount) add('amount', refused.amount);
      if (refused.spentOn) add('date', refused.spentOn);
    }
    const reference = v.reference.trim();
    if (reference) {
      const key = reference.toLowerCase();
      const earlier = seen.get(key);
      if (earlier !== undefined) add('reference', `Reference ${reference} is also in row ${earlier}`);
      else if (taken.has(key)) add('reference', referenceTaken(reference));
      else seen.set(key, r.row);
    }
    if (errors.length === before && parsed.success && line && date) {
      items.push({ lineId: line.id, supplier: parsed.data.supplier, spentOn: date, amountPence: parsed.data.amount, reference: parsed.data.reference });
    }
  }
  if (!sheet.rows.length) return { ok: false, rows: 0, fileErrors: ['The selected file has no rows of spend under its header'], rowErrors: [] };
  if (errors.length) return { ok: false, rows: sheet.rows.length, fileErrors: [], rowErrors: errors.sort((a, b) => a.row - b.row) };
  await recordSpend(db, ctx, fund, items, 'upload');
  return { ok: true, rows: items.length, totalPence: items.reduce((sum, i) => sum + i.amountPence, 0) };
}

/** Funded places an approval, or a results file, changes for one level and period: places taken, places given back. */
export type PlaceChange = { level: string; period: string; taken: number; released: number };

/**
 * The financial years (April to March) whose approved places a fund counts, oldest first: those whose middle, 1 October,
 * lies within the fund's dates. A year's places go to the fund that covers its middle: a fund that ends in April does
 * not take on the year just begun (a whole year of places it would fund for a month), one that starts in October takes
 * the year whose second half it pays for, and funds that follow one another count each year once, never twice or not
 * at all. None for a fund that covers no 1 October.
 */
export function fundPeriods(fund: Pick<FundRow, 'startDate' | 'endDate'>): string[] {
  const periods: string[] = [];
  for (let year = Number(fund.startDate.slice(0, 4)); year <= Number(fund.endDate.slice(0, 4)); year++) {
    const middle = `${year}-10-01`;
    if (middle >= fund.startDate && middle <= fund.endDate) periods.push(periodOf(middle));
  }
  return periods;
}

/** The periods a fund counts, as its page says them: "2024-25", "2023-24 to 2025-26". */
function periodsText(periods: readonly string[]) {
  return periods.length > 1 ? `${periods[0]} to ${periods[periods.length - 1]}` : (periods[0] ?? '');
}

/**
 * Before places are approved (one on the approval page or over the API, many in a results upload): the training-places
 * lines whose commitment the approvals would take over budget. The rule is the fund page's (`fundSummary`): approved
 * places of the line's level in the periods the fund counts × unit cost, here with the changes added (places a file
 * gives back by early withdrawals count against those it takes). A line whose commitment the changes do not add to is
 * not warned about. Each as a sentence for a GOV.UK warning, naming how many of the approvals count against the line;
 * approving is never refused for it.
 */
export async function placesOverBudgetWarnings(db: DbOrTx, changes: readonly PlaceChange[], source: 'approval' | 'upload'): Promise<string[]> {
  if (!changes.some((c) => c.taken > 0)) return [];
  const warnings: string[] = [];
  for (const fund of await repo.listFunds(db)) {
    const lines = (await repo.listLines(db, fund.id)).filter((l) => l.kind === 'training_places' && l.level !== null && l.unitCostPence !== null);
    const periods = fundPeriods(fund);
    for (const level of new Set(lines.map((l) => l.level!))) {
      const counted = changes.filter((c) => c.level === level && periods.includes(c.period));
      const taken = counted.reduce((n, c) => n + c.taken, 0);
      const added = taken - counted.reduce((n, c) => n + c.released, 0);
      if (added <= 0) continue;
      const places = (await repo.approvedPlaces(db, level, periods)) + added;
      for (const line of lines.filter((l) => l.level === level)) {
        const after = places * line.unitCostPence!;
        if (after <= line.budgetPence) continue;
        const over = `over its budget of ${moneyText(line.budgetPence)}.`;
        warnings.push(
          source === 'approval'
            ? `Approving this place takes the commitments on “${line.name}” of ${fund.name} to ${moneyText(after)}, ${over}`
            : `${taken === 1 ? 'The approval' : `The ${taken} approvals`} in this file that count${taken === 1 ? 's' : ''} against “${line.name}” of ${fund.name} take${taken === 1 ? 's' : ''} its commitments to ${moneyText(after)} (${places} approved ${level} place${places === 1 ? '' : 's'} at ${moneyText(line.unitCostPence!)}), ${over}`,
        );
      }
    }
  }
  return warnings;
}

/** Planned minutes as days, to the hundredth (a day is `minutesPerDay`). */
function daysOf(minutes: number) {
  return Math.round((minutes * 100) / minutesPerDay) / 100;
}

/** What planned minutes commit at a day rate, to the penny: the fund page and the engagement form's warning agree. */
function supportDaysPence(minutes: number, dayRatePence: number) {
  return Math.round((minutes * dayRatePence) / minutesPerDay);
}

/** An engagement's part in support-days commitments: its dates, planned minutes and whether it is closed. */
export type EngagementPlan = { startDate: string; endDate: string; plannedMinutes: number; closed: boolean };

/**
 * The planned minutes of an engagement a fund counts: none when it is closed or its dates miss the fund's; else its
 * minutes in proportion to its days inside the fund's dates (both ends included). So funds that follow one another
 * share an engagement that runs across them, and together count its days once.
 */
function plannedMinutesWithin(plan: EngagementPlan | null, fund: Pick<FundRow, 'startDate' | 'endDate'>): number {
  if (!plan || plan.closed || plan.startDate > fund.endDate || plan.endDate < fund.startDate) return 0;
  const inside = dayNumber(plan.endDate < fund.endDate ? plan.endDate : fund.endDate) - dayNumber(plan.startDate > fund.startDate ? plan.startDate : fund.startDate) + 1;
  return (plan.plannedMinutes * inside) / (dayNumber(plan.endDate) - dayNumber(plan.startDate) + 1);
}

/**
 * Whether a save's budget warnings are exactly those a person was shown and confirmed ("Save anyway", "Upload anyway"):
 * a confirmation holds only for the figures it was given for, so a save whose warnings differ by then is held again.
 */
export function sameWarnings(now: readonly string[], confirmed: readonly string[]): boolean {
  const [a, b] = [[...now].sort(), [...confirmed].sort()];
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

/**
 * Called first in the transaction of a save that checks support-days budgets: concurrent saves then take turns, each
 * checking with the others' planned days committed, so two engagements each under budget alone cannot both pass
 * unwarned when together they go over.
 */
export const lockSupportDaysBudgets = (tx: DbOrTx) => repo.lockSupportDaysLines(tx);

/**
 * Before an engagement is opened or changed: the support-days lines whose commitment the save would take (or take
 * further) over budget. The rule is the fund page's (`fundSummary`): planned minutes of the engagements not closed,
 * each in proportion to its days inside the fund's dates (`plannedMinutesWithin`), ÷ 450 × day rate. `before` is the engagement as recorded (null when opening one); a
 * save that does not add to a fund's planned minutes warns of nothing. Each as a sentence for a GOV.UK warning.
 */
export async function supportDaysOverBudgetWarnings(db: DbOrTx, plan: { after: EngagementPlan; before: EngagementPlan | null }): Promise<string[]> {
  const warnings: string[] = [];
  for (const fund of await repo.listFunds(db)) {
    const added = plannedMinutesWithin(plan.after, fund) - plannedMinutesWithin(plan.before, fund);
    if (added <= 0) continue;
    const lines = (await repo.listLines(db, fund.id)).filter((l) => l.kind === 'support_days' && l.dayRatePence !== null);
    if (!lines.length) continue;
    const minutes = (await repo.plannedEngagementMinutes(db, fund.startDate, fund.endDate)) + added;
    const days = daysOf(minutes);
    for (const line of lines) {
      const after = supportDaysPence(minutes, line.dayRatePence!);
      if (after > line.budgetPence) {
        warnings.push(
          `Saving this engagement takes the commitments on “${line.name}” of ${fund.name} to ${moneyText(after)} (${days} planned day${days === 1 ? '' : 's'} at ${moneyText(line.dayRatePence!)}), over its budget of ${moneyText(line.budgetPence)}.`,
        );
      }
    }
  }
  return warnings;
}
