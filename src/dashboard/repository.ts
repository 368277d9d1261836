import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { enrolments } from '../db/schema.ts';
import { overdueCondition } from '../enrolments/list-repository.ts';

/** Councils in the scope by programme status (counts only). */
export function councilsByStatus(db: DbOrTx, scope: CouncilScope) {
  return queryRows<{ status: string; councils: number }>(
    db,
    sql`select pa.status, count(*)::int as councils from participations pa
        where ${councilInScope(scope, sql`pa.council_id`)} group by pa.status`,
  );
}

/** Councils taking part (any status but not engaged) by managing partner; null when none is assigned yet. */
export function councilsByPartner(db: DbOrTx, scope: CouncilScope) {
  return queryRows<{ partner: string | null; councils: number; active: number }>(
    db,
    sql`select o.name as partner, count(*)::int as councils, count(*) filter (where pa.status = 'active')::int as active
        from participations pa left join organisations o on o.id = pa.managing_partner_id
        where pa.status <> 'not_engaged' and ${councilInScope(scope, sql`pa.council_id`)}
        group by o.name order by o.name nulls last`,
  );
}

/** Councils in the scope by region: how many there are, how many take part, how many are active. */
export function councilsByRegion(db: DbOrTx, scope: CouncilScope) {
  return queryRows<{ region: string | null; councils: number; participating: number; active: number }>(
    db,
    sql`select c.region, count(*)::int as councils, count(*) filter (where pa.status <> 'not_engaged')::int as participating,
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
