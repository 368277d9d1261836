import { desc, eq, sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { people, reports } from '../db/schema.ts';
import { builderLimit } from '../db/paging.ts';

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
  const rows = await db.select(summary).from(reports).leftJoin(people, eq(people.id, reports.generatedById)).orderBy(desc(reports.generatedAt), desc(reports.id)).limit(builderLimit(page.limit)).offset(page.offset);
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

/** The end of a day (yyyy-mm-dd) in UK time, as a moment: midnight in London at the start of the next day. */
const endOfDay = (asOf: string) => sql`((${asOf}::date + 1)::timestamp at time zone 'Europe/London')`;

/**
 * Every council's programme status as at the end of `asOf` (UK time), from the status history (every move is
 * recorded with its time): the status the last move before then led to; before its first move, the status that move
 * left; a council never moved is at its status today (its first).
 */
export function councilStatusesAsOf(db: DbOrTx, asOf: string) {
  return queryRows<{ councilId: string; status: string }>(
    db,
    sql`select pa.council_id as "councilId", coalesce(
          (select h.to_status from participation_status_history h where h.council_id = pa.council_id and h.changed_at < ${endOfDay(asOf)}
            order by h.changed_at desc, h.id desc limit 1),
          (select h.from_status from participation_status_history h where h.council_id = pa.council_id and h.changed_at >= ${endOfDay(asOf)}
            order by h.changed_at, h.id limit 1),
          pa.status) as status
        from participations pa`,
  );
}

/**
 * Enrolments nominated on or before `asOf`, by their journey status on that day, from their events (each dated by the
 * day it happened): the status the last event on or before then led to; before the first event, the status it left
 * (nominated, for a nomination not yet decided); an enrolment with no event is at its status today.
 */
export function enrolmentStatusesAsOf(db: DbOrTx, asOf: string) {
  return queryRows<{ status: string; enrolments: number }>(
    db,
    // Each enrolment's last event on or before the day (its status then), else its first event after it (the status
    // it had before that); no event either side: its status now. One pass over the events each way (`distinct on`)
    // rather than two subqueries per enrolment (half the time at national scale, bench/evaluation.ts).
    sql`select coalesce(before.to_status, after.from_status, e.status) as status, count(*)::int as enrolments
        from enrolments e
        left join (select distinct on (ev.enrolment_id) ev.enrolment_id, ev.to_status from enrolment_events ev
                   where ev.occurred_on <= ${asOf}::date order by ev.enrolment_id, ev.occurred_on desc, ev.recorded_at desc, ev.id desc) before
          on before.enrolment_id = e.id
        left join (select distinct on (ev.enrolment_id) ev.enrolment_id, ev.from_status from enrolment_events ev
                   where ev.occurred_on > ${asOf}::date order by ev.enrolment_id, ev.occurred_on, ev.recorded_at, ev.id) after
          on after.enrolment_id = e.id
        where e.nominated_on <= ${asOf}::date
        group by 1`,
  );
}
