/**
 * The learners list's upkeep filters in SQL: enrolments whose accreditation is due soon or lapsed by `upkeepOf`'s
 * rules (upkeep.ts) — Foundation holders by their renewal date, Practitioner and Expert holders by their CPD hours.
 * The same rules as the pure function, in PostgreSQL's date arithmetic (adding years to 29 February gives 28 February,
 * as `addMonths` does); upkeep-sql.test.ts checks the two agree.
 */
import { sql, type SQL } from 'drizzle-orm';
import { enrolments } from '../db/schema.ts';
import type { UpkeepRules } from './upkeep.ts';

export const upkeepFilters = ['cpd', 'renewal'] as const;
export type UpkeepFilter = (typeof upkeepFilters)[number];
export const upkeepFilterLabels: Record<UpkeepFilter, string> = {
  cpd: 'CPD hours short (due soon or lapsed)',
  renewal: 'Foundation renewal due (due soon or lapsed)',
};

/** `awarded + n years` as a date. */
const yearsAfter = (from: SQL, years: SQL) => sql`(${from} + make_interval(years => ${years}))::date`;

/** CPD hours the accreditation's holder logged from `from` (inclusive) to `to` (exclusive). */
const hoursBetween = (from: SQL, to: SQL) =>
  sql`coalesce((select sum(c.hours) from cpd_records c where c.person_id = a.person_id and c.activity_date >= ${from} and c.activity_date < ${to}), 0)`;

/** The enrolment's accreditation is due soon or lapsed today, for the kind of upkeep asked. */
export function upkeepCondition(kind: UpkeepFilter, rules: UpkeepRules, today: string): SQL {
  const t = sql`${today}::date`;
  if (kind === 'renewal') {
    const dueOn = yearsAfter(sql`coalesce(a.renewed_on, a.awarded_on)`, sql`${rules.foundationRenewalYears}::int`);
    return sql`${enrolments.id} in (select a.enrolment_id from accreditations a where a.level = 'foundation'
      and ${t} >= ${dueOn} - ${rules.dueSoonDays}::int)`;
  }
  // y.k: whole accreditation years completed today. age() counts them, except that it calls 28 February 2025 less
  // than a year after 29 February 2024, where adding a year gives 28 February (as addMonths does): one more check.
  const counted = sql`greatest(extract(year from age(${t}, a.awarded_on))::int, 0)`;
  const years = sql`${counted} + (${yearsAfter(sql`a.awarded_on`, sql`${counted} + 1`)} <= ${t})::int`;
  const yearStart = yearsAfter(sql`a.awarded_on`, sql`y.k`);
  const yearEnd = yearsAfter(sql`a.awarded_on`, sql`y.k + 1`);
  const lastYearStart = yearsAfter(sql`a.awarded_on`, sql`y.k - 1`);
  const needed = sql`${rules.cpdHoursPerYear}::numeric`;
  // A semi-join on the accreditations (a few thousand), not a subquery per enrolment (tens of thousands). The two sums
  // stay apart on purpose: the current year's is read only for the holders near its end (one sum over both years
  // for every holder read 98k buffers against 72k, EXPLAIN ANALYZE at national scale).
  return sql`${enrolments.id} in (select a.enrolment_id from accreditations a
    cross join lateral (select ${years} as k) y
    where a.level <> 'foundation'
      and ((y.k > 0 and ${hoursBetween(lastYearStart, yearStart)} < ${needed})
        or (${t} >= ${yearEnd} - ${rules.dueSoonDays}::int and ${hoursBetween(yearStart, yearEnd)} < ${needed})))`;
}
