import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { fundBudgetLines, funds, fundSpend } from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { LineKind } from './schemas.ts';
import { containsPattern } from '../db/search.ts';
import { builderLimit } from '../db/paging.ts';

export type FundRow = typeof funds.$inferSelect;
export type LineRow = typeof fundBudgetLines.$inferSelect;
export type SpendRow = { id: string; fundId: string; fundName: string; lineId: string; lineName: string; supplier: string; spentOn: string; amountPence: number; reference: string; version: number };

export function listFunds(db: DbOrTx) {
  return db.select().from(funds).orderBy(asc(funds.startDate), asc(funds.name));
}

export async function findFund(db: DbOrTx, id: string): Promise<FundRow | null> {
  const [row] = await db.select().from(funds).where(eq(funds.id, id));
  return row ?? null;
}

export async function findFundByName(db: DbOrTx, name: string) {
  const [row] = await db.select({ id: funds.id }).from(funds).where(sql`lower(${funds.name}) = lower(${name})`);
  return row ?? null;
}

export async function insertFund(db: DbOrTx, values: typeof funds.$inferInsert): Promise<string> {
  const [row] = await db.insert(funds).values(values).returning({ id: funds.id });
  return row.id;
}

export function listLines(db: DbOrTx, fundId: string) {
  return db.select().from(fundBudgetLines).where(eq(fundBudgetLines.fundId, fundId)).orderBy(asc(fundBudgetLines.createdAt), asc(fundBudgetLines.name));
}

export async function insertLine(db: DbOrTx, values: typeof fundBudgetLines.$inferInsert): Promise<string> {
  const [row] = await db.insert(fundBudgetLines).values(values).returning({ id: fundBudgetLines.id });
  return row.id;
}

export async function insertSpend(db: DbOrTx, values: (typeof fundSpend.$inferInsert)[]): Promise<string[]> {
  if (!values.length) return [];
  const rows = await db.insert(fundSpend).values(values).returning({ id: fundSpend.id });
  return rows.map((r) => r.id);
}

/** Spent so far on each line of a fund, in pence. */
export async function spentByLine(db: DbOrTx, fundId: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ lineId: string; spent: string | number }>(
    db,
    sql`select s.line_id as "lineId", coalesce(sum(s.amount_pence), 0)::bigint as spent
        from fund_spend s join fund_budget_lines l on l.id = s.line_id where l.fund_id = ${fundId} group by s.line_id`,
  );
  return new Map(rows.map((r) => [r.lineId, Number(r.spent)]));
}

/**
 * Approved funded places of a level in the given periods (financial years "YYYY-YY", those a fund counts: `fundPeriods`
 * in service.ts): the places enrolments took (`taken`, late withdrawals included).
 */
export async function approvedPlaces(db: DbOrTx, level: string, periods: readonly string[]): Promise<number> {
  if (!periods.length) return 0;
  const [row] = await queryRows<{ taken: string | number }>(
    db,
    sql`select coalesce(sum(taken), 0)::bigint as taken from funded_places where level = ${level} and period = any(${pgArray(periods)}::text[])`,
  );
  return Number(row?.taken ?? 0);
}

/**
 * Locks every support-days line until the transaction ends, so saves that check engagements against those budgets
 * take turns: each works out the commitment with the others' planned days already committed. `no key update` is
 * the weakest lock that two such saves still wait on; spend recorded against a line (its foreign key's share lock)
 * never waits for it.
 */
export async function lockSupportDaysLines(tx: DbOrTx): Promise<void> {
  await tx.select({ id: fundBudgetLines.id }).from(fundBudgetLines).where(eq(fundBudgetLines.kind, 'support_days')).for('no key update');
}

/** Planned minutes of the engagements not closed whose dates overlap the fund's. */
export async function plannedEngagementMinutes(db: DbOrTx, startDate: string, endDate: string): Promise<number> {
  // Each engagement's share: its planned minutes × the days of its dates inside the fund's ÷ all its days (see
  // `plannedMinutesWithin`, the same rule for an engagement not yet saved).
  const [row] = await queryRows<{ minutes: string | number }>(
    db,
    sql`select coalesce(sum(planned_minutes::numeric * (least(end_date, ${endDate}::date) - greatest(start_date, ${startDate}::date) + 1)
          / (end_date - start_date + 1)), 0)::float8 as minutes from engagements
        where status <> 'closed' and start_date <= ${endDate}::date and end_date >= ${startDate}::date`,
  );
  return Number(row?.minutes ?? 0);
}

export type SpendSort = 'spentOn' | 'supplier' | 'amount' | 'fund';
export type SpendFilters = { lineId?: string; lineKind?: LineKind; q?: string; from?: string; to?: string };

/** A spend item as the pages and API read it, with its line's name and kind. */
const spendColumns = {
  id: fundSpend.id,
  fundId: funds.id,
  fundName: funds.name,
  lineId: fundSpend.lineId,
  lineName: fundBudgetLines.name,
  lineKind: fundBudgetLines.kind,
  supplier: fundSpend.supplier,
  spentOn: fundSpend.spentOn,
  amountPence: fundSpend.amountPence,
  reference: fundSpend.reference,
  version: fundSpend.version,
};

const spendOrder = { spentOn: fundSpend.spentOn, supplier: fundSpend.supplier, amount: fundSpend.amountPence, fund: funds.name } as const;

/** The spend items of a fund (every fund's with null) matching the list's filters (a WHERE over fund_spend joined to its lines). */
function spendWhere(fundId: string | null, filters: SpendFilters) {
  return sql`${fundId ? sql`${fundBudgetLines.fundId} = ${fundId}` : sql`true`}
    ${filters.lineKind ? sql`and ${fundBudgetLines.kind} = ${filters.lineKind}` : sql``}
    ${filters.lineId ? sql`and ${fundSpend.lineId}::text = ${filters.lineId}` : sql``}
    ${filters.q ? sql`and (${fundSpend.supplier} ilike ${containsPattern(filters.q)} or ${fundSpend.reference} ilike ${containsPattern(filters.q)})` : sql``}
    ${filters.from ? sql`and ${fundSpend.spentOn} >= ${filters.from}::date` : sql``}
    ${filters.to ? sql`and ${fundSpend.spentOn} <= ${filters.to}::date` : sql``}`;
}

export async function listSpend(db: DbOrTx, fundId: string | null, filters: SpendFilters, sort: { sort: SpendSort; order: 'asc' | 'desc' }, page: { limit: number; offset: number } | null) {
  const where = spendWhere(fundId, filters);
  const column = spendOrder[sort.sort];
  const query = db
    .select(spendColumns)
    .from(fundSpend)
    .innerJoin(fundBudgetLines, eq(fundBudgetLines.id, fundSpend.lineId))
    .innerJoin(funds, eq(funds.id, fundBudgetLines.fundId))
    .where(where)
    .orderBy(sort.order === 'asc' ? asc(column) : desc(column), desc(fundSpend.spentOn), asc(fundSpend.id))
    .$dynamic();
  const rows = page ? await query.limit(builderLimit(page.limit)).offset(page.offset) : await query;
  const [{ total, amount }] = await queryRows<{ total: number; amount: string | number }>(
    db,
    sql`select count(*)::int as total, coalesce(sum(fund_spend.amount_pence), 0)::bigint as amount
        from fund_spend join fund_budget_lines on fund_budget_lines.id = fund_spend.line_id join funds on funds.id = fund_budget_lines.fund_id where ${where}`,
  );
  return { rows: rows as (SpendRow & { lineKind: LineKind })[], total: Number(total), amountPence: Number(amount) };
}

/** One spend item of a fund (null when it is not one of this fund's). */
export async function findSpend(db: DbOrTx, fundId: string, spendId: string): Promise<(SpendRow & { lineKind: LineKind }) | null> {
  const [row] = await db
    .select(spendColumns)
    .from(fundSpend)
    .innerJoin(fundBudgetLines, eq(fundBudgetLines.id, fundSpend.lineId))
    .innerJoin(funds, eq(funds.id, fundBudgetLines.fundId))
    .where(and(eq(fundSpend.id, spendId), eq(fundBudgetLines.fundId, fundId)));
  return row ?? null;
}

/** Changes a spend item if it is still at `version`; false when someone changed or removed it first. */
export async function updateSpend(db: DbOrTx, id: string, version: number, values: Omit<typeof fundSpend.$inferInsert, 'id'>): Promise<boolean> {
  const rows = await db
    .update(fundSpend)
    .set({ ...values, version: sql`${fundSpend.version} + 1` })
    .where(and(eq(fundSpend.id, id), eq(fundSpend.version, version)))
    .returning({ id: fundSpend.id });
  return rows.length === 1;
}

/** Removes a spend item if it is still at `version`. */
export async function deleteSpend(db: DbOrTx, id: string, version: number): Promise<boolean> {
  const rows = await db.delete(fundSpend).where(and(eq(fundSpend.id, id), eq(fundSpend.version, version))).returning({ id: fundSpend.id });
  return rows.length === 1;
}

/** The references (lower case) among `references` already recorded on the fund, with the item holding each. */
export async function referencesTaken(db: DbOrTx, fundId: string, references: readonly string[]): Promise<Map<string, string>> {
  if (!references.length) return new Map();
  const rows = await queryRows<{ reference: string; id: string }>(
    db,
    sql`select lower(s.reference) as reference, s.id from fund_spend s join fund_budget_lines l on l.id = s.line_id
        where l.fund_id = ${fundId} and lower(s.reference) = any(${pgArray(references.map((r) => r.toLowerCase()))}::text[])`,
  );
  return new Map(rows.map((r) => [r.reference, r.id]));
}
