import { desc, eq, sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { people, reports } from '../db/schema.ts';

/** Verified improvements' value made on or before `asOf`, cashable and non-cashable apart, in pence (whole programme). */
export async function verifiedValue(db: DbOrTx, asOf: string) {
  const [row] = await queryRows<{ cashable: string | number; nonCashable: string | number }>(
    db,
    sql`select coalesce(sum(value_pence) filter (where cashable), 0)::text as cashable,
               coalesce(sum(value_pence) filter (where not cashable), 0)::text as "nonCashable"
        from improvements where status = 'verified' and improved_on <= ${asOf}::date and value_pence is not null`,
  );
  return { cashablePence: Number(row.cashable), nonCashablePence: Number(row.nonCashable) };
}

/** Actual spend recorded against every fund, dated on or before `asOf`, in pence. */
export async function spendTo(db: DbOrTx, asOf: string): Promise<number> {
  const [row] = await queryRows<{ spent: string }>(db, sql`select coalesce(sum(amount_pence), 0)::text as spent from fund_spend where spent_on <= ${asOf}::date`);
  return Number(row.spent);
}

export type FundQuarter = { name: string; source: string; startDate: string; endDate: string; budgetPence: number; inQuarterPence: number; toEndPence: number };

/** Each fund's budget, its spend dated within the quarter, and its spend up to the quarter's end. */
export async function fundsInQuarter(db: DbOrTx, start: string, end: string): Promise<FundQuarter[]> {
  const rows = await queryRows<{ name: string; source: string; startDate: string; endDate: string; budget: string; inQuarter: string; toEnd: string }>(
    db,
    sql`select f.name, f.source, to_char(f.start_date, 'YYYY-MM-DD') as "startDate", to_char(f.end_date, 'YYYY-MM-DD') as "endDate",
               f.amount_pence::text as budget,
               coalesce(sum(s.amount_pence) filter (where s.spent_on between ${start}::date and ${end}::date), 0)::text as "inQuarter",
               coalesce(sum(s.amount_pence) filter (where s.spent_on <= ${end}::date), 0)::text as "toEnd"
        from funds f left join fund_budget_lines l on l.fund_id = f.id left join fund_spend s on s.line_id = l.id
        group by f.id order by f.start_date, f.name`,
  );
  return rows.map((r) => ({ name: r.name, source: r.source, startDate: r.startDate, endDate: r.endDate, budgetPence: Number(r.budget), inQuarterPence: Number(r.inQuarter), toEndPence: Number(r.toEnd) }));
}

export type ReportRow = typeof reports.$inferSelect;

export async function insertReport(db: DbOrTx, values: typeof reports.$inferInsert): Promise<string> {
  const [row] = await db.insert(reports).values(values).returning({ id: reports.id });
  return row.id;
}

const summary = { id: reports.id, quarter: reports.quarter, generatedAt: reports.generatedAt, generatedById: reports.generatedById, generatedByName: people.name };

/** The archive, newest first, without the bytes. */
export async function listReports(db: DbOrTx, page: { limit: number; offset: number }) {
  const rows = await db.select(summary).from(reports).leftJoin(people, eq(people.id, reports.generatedById)).orderBy(desc(reports.generatedAt), desc(reports.id)).limit(page.limit).offset(page.offset);
  const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from reports`);
  return { rows, total: Number(total) };
}

export async function findReport(db: DbOrTx, id: string) {
  const [row] = await db.select({ ...summary, data: reports.data }).from(reports).leftJoin(people, eq(people.id, reports.generatedById)).where(eq(reports.id, id));
  return row ?? null;
}

/** One of the stored files of a report, as it was made. */
export async function reportFile(db: DbOrTx, id: string, file: 'pdf' | 'xlsx') {
  const [row] = await db.select({ quarter: reports.quarter, bytes: reports[file] }).from(reports).where(eq(reports.id, id));
  return row ? { quarter: row.quarter, bytes: Buffer.from(row.bytes) } : null;
}
