import { asc, desc, eq, sql } from 'drizzle-orm';
import { fundBudgetLines, funds, fundSpend } from '../db/schema.ts';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { LineKind } from './schemas.ts';

export type FundRow = typeof funds.$inferSelect;
export type LineRow = typeof fundBudgetLines.$inferSelect;
export type SpendRow = { id: string; lineId: string; lineName: string; supplier: string; spentOn: string; amountPence: number; reference: string };

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
 * Approved funded places of a level whose period (the financial year "YYYY-YY") starts, on 1 April, within the fund's
 * dates: the places enrolments took (`taken`, late withdrawals included).
 */
export async function approvedPlaces(db: DbOrTx, level: string, startDate: string, endDate: string): Promise<number> {
  const [row] = await queryRows<{ taken: string | number }>(
    db,
    sql`select coalesce(sum(taken), 0)::bigint as taken from funded_places
        where level = ${level} and make_date(substr(period, 1, 4)::int, 4, 1) between ${startDate}::date and ${endDate}::date`,
  );
  return Number(row?.taken ?? 0);
}

/** Planned minutes of the engagements not closed whose dates overlap the fund's. */
export async function plannedEngagementMinutes(db: DbOrTx, startDate: string, endDate: string): Promise<number> {
  const [row] = await queryRows<{ minutes: string | number }>(
    db,
    sql`select coalesce(sum(planned_minutes), 0)::bigint as minutes from engagements
        where status <> 'closed' and start_date <= ${endDate}::date and end_date >= ${startDate}::date`,
  );
  return Number(row?.minutes ?? 0);
}

export type SpendSort = 'spentOn' | 'supplier' | 'amount';
export type SpendFilters = { lineId?: string; q?: string };

const spendOrder = { spentOn: fundSpend.spentOn, supplier: fundSpend.supplier, amount: fundSpend.amountPence } as const;

export async function listSpend(db: DbOrTx, fundId: string, filters: SpendFilters, sort: { sort: SpendSort; order: 'asc' | 'desc' }, page: { limit: number; offset: number } | null) {
  const where = sql`${fundBudgetLines.fundId} = ${fundId}
    ${filters.lineId ? sql`and ${fundSpend.lineId}::text = ${filters.lineId}` : sql``}
    ${filters.q ? sql`and (${fundSpend.supplier} ilike ${`%${filters.q}%`} or ${fundSpend.reference} ilike ${`%${filters.q}%`})` : sql``}`;
  const column = spendOrder[sort.sort];
  const query = db
    .select({
      id: fundSpend.id,
      lineId: fundSpend.lineId,
      lineName: fundBudgetLines.name,
      lineKind: fundBudgetLines.kind,
      supplier: fundSpend.supplier,
      spentOn: fundSpend.spentOn,
      amountPence: fundSpend.amountPence,
      reference: fundSpend.reference,
    })
    .from(fundSpend)
    .innerJoin(fundBudgetLines, eq(fundBudgetLines.id, fundSpend.lineId))
    .where(where)
    .orderBy(sort.order === 'asc' ? asc(column) : desc(column), asc(fundSpend.id))
    .$dynamic();
  const rows = page ? await query.limit(page.limit).offset(page.offset) : await query;
  const [{ total }] = await queryRows<{ total: number }>(
    db,
    sql`select count(*)::int as total from fund_spend join fund_budget_lines on fund_budget_lines.id = fund_spend.line_id where ${where}`,
  );
  return { rows: rows as (SpendRow & { lineKind: LineKind })[], total: Number(total) };
}
