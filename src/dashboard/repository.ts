import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { enrolments } from '../db/schema.ts';
import { overdueCondition } from '../enrolments/attention.ts';

/** Councils in the scope by programme status (counts only). */
export function councilsByStatus(db: DbOrTx, scope: CouncilScope) {
  return queryRows<{ status: string; councils: number }>(
    db,
    sql`select pa.status, count(*)::int as councils from participations pa
        where ${councilInScope(scope, sql`pa.council_id`)} group by pa.status`,
  );
}

/** Councils that have engaged (any status but not engaged) by managing partner, with how many take part and are
 * active; the partner is null when none is assigned yet. `takingPart` is the service's list of statuses. */
export function councilsByPartner(db: DbOrTx, scope: CouncilScope, takingPart: readonly string[]) {
  return queryRows<{ partner: string | null; councils: number; takingPart: number; active: number }>(
    db,
    sql`select o.name as partner, count(*)::int as councils,
          count(*) filter (where pa.status = any(${pgArray(takingPart)}::text[]))::int as "takingPart",
          count(*) filter (where pa.status = 'active')::int as active
        from participations pa left join organisations o on o.id = pa.managing_partner_id
        where pa.status <> 'not_engaged' and ${councilInScope(scope, sql`pa.council_id`)}
        group by o.name order by o.name nulls last`,
  );
}

/** Councils in the scope by region: how many there are, how many take part (`takingPart` statuses), how many are active. */
export function councilsByRegion(db: DbOrTx, scope: CouncilScope, takingPart: readonly string[]) {
  return queryRows<{ region: string | null; councils: number; takingPart: number; active: number }>(
    db,
    sql`select c.region, count(*)::int as councils, count(*) filter (where pa.status = any(${pgArray(takingPart)}::text[]))::int as "takingPart",
          count(*) filter (where pa.status = 'active')::int as active
        from participations pa join organisations c on c.id = pa.council_id
        where ${councilInScope(scope, sql`pa.council_id`)}
        group by c.region order by c.region nulls last`,
  );
}

/**
 * People by role and status (counts only). With the whole programme in view partner staff are counted too;
 * otherwise only people in the councils of the scope.
 */
export function peopleByRole(db: DbOrTx, scope: CouncilScope) {
  const where = scope.kind === 'all' ? sql`true` : councilInScope(scope, sql`p.organisation_id`);
  return queryRows<{ role: string; active: number; invited: number }>(
    db,
    sql`select r.role, count(*) filter (where p.status = 'active')::int as active, count(*) filter (where p.status = 'invited')::int as invited
        from people p cross join lateral unnest(p.roles) as r(role)
        where p.status <> 'deactivated' and ${where} group by r.role`,
  );
}

/** Enrolments in the scope by level and journey status, with how many of each are overdue at `cutoff` (see overdueCutoff). */
export function enrolmentsByStatus(db: DbOrTx, scope: CouncilScope, cutoff: string) {
  return queryRows<{ level: string; status: string; enrolments: number; overdue: number }>(
    db,
    sql`select ${enrolments.level} as level, ${enrolments.status} as status, count(*)::int as enrolments,
          count(*) filter (where ${overdueCondition(cutoff)})::int as overdue
        from ${enrolments} where ${councilInScope(scope, sql`${enrolments.councilId}`)} group by 1, 2`,
  );
}

/** Funded places in the scope for one period, by level: allocated, taken and released. */
export function placesByLevel(db: DbOrTx, scope: CouncilScope, period: string) {
  return queryRows<{ level: string; places: number; taken: number; released: number }>(
    db,
    sql`select f.level, sum(f.places)::int as places, sum(f.taken)::int as taken, sum(f.released)::int as released
        from funded_places f where f.period = ${period} and ${councilInScope(scope, sql`f.council_id`)} group by f.level`,
  );
}

/** Accreditations awarded on or before `today` to learners of councils in the scope. */
export async function accreditationsAwarded(db: DbOrTx, scope: CouncilScope, today: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from accreditations a join enrolments e on e.id = a.enrolment_id
        where a.awarded_on <= ${today}::date and ${councilInScope(scope, sql`e.council_id`)}`,
  );
  return row.n;
}

/** The series of the monthly trends, each counted by the date that records it (see docs/dashboard.md). */
export type TrendSeries = 'councilsJoined' | 'nominations' | 'approvals' | 'accreditations';

/**
 * How many of each series fell in each month ("2026-11") from `from` to `to` (ISO dates, both included), in the
 * scope: councils by onboarding date, nominations by the day nominated, approvals by the day approved, and
 * accreditations by the day awarded. Months with none are absent.
 */
export function monthlyCounts(db: DbOrTx, scope: CouncilScope, from: string, to: string) {
  const month = (column: string) => sql.raw(`to_char(${column}, 'YYYY-MM')`);
  const within = (column: string) => sql`${sql.raw(column)} between ${from}::date and ${to}::date`;
  return queryRows<{ series: TrendSeries; month: string; n: number }>(
    db,
    sql`select 'councilsJoined' as series, ${month('pa.onboarding_date')} as month, count(*)::int as n from participations pa
          where ${within('pa.onboarding_date')} and ${councilInScope(scope, sql`pa.council_id`)} group by 2
        union all
        select 'nominations', ${month('e.nominated_on')}, count(*)::int from enrolments e
          where ${within('e.nominated_on')} and ${councilInScope(scope, sql`e.council_id`)} group by 2
        union all
        select 'approvals', ${month('e.approved_on')}, count(*)::int from enrolments e
          where ${within('e.approved_on')} and ${councilInScope(scope, sql`e.council_id`)} group by 2
        union all
        select 'accreditations', ${month('a.awarded_on')}, count(*)::int from accreditations a join enrolments e on e.id = a.enrolment_id
          where ${within('a.awarded_on')} and ${councilInScope(scope, sql`e.council_id`)} group by 2`,
  );
}
