import { sql, type SQL } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { enrolments } from '../db/schema.ts';
import { overdueCondition } from '../enrolments/attention.ts';
import { plannedEachTime } from '../db/statement-names.ts';

/** What narrows the dashboard to some councils, as the councils list's filters do (same names and values). */
export type DashboardFilters = { region?: string; type?: string; managingPartner?: string };

/** The councils the dashboard counts: the viewer's scope (policy), narrowed by the filters. */
export type CouncilView = { scope: CouncilScope; filters: DashboardFilters };

/** Whether a council (any SQL expression for its id) is in view. */
export function inView(view: CouncilView, councilId: SQL): SQL {
  const { region, type, managingPartner } = view.filters;
  const scoped = councilInScope(view.scope, councilId);
  if (!region && !type && !managingPartner) return scoped;
  const partner = managingPartner === 'none' ? sql`pa.managing_partner_id is null` : managingPartner ? sql`mp.code = ${managingPartner}` : sql`true`;
  return sql`${scoped} and ${councilId} in (
    select pa.council_id from participations pa join organisations c on c.id = pa.council_id left join organisations mp on mp.id = pa.managing_partner_id
    where ${region ? sql`c.region = ${region}` : sql`true`} and ${type ? sql`c.la_type = ${type}` : sql`true`} and ${partner})`;
}

/** Councils in view by programme status (counts only). */
export function councilsByStatus(db: DbOrTx, view: CouncilView) {
  return queryRows<{ status: string; councils: number }>(
    db,
    sql`select pa.status, count(*)::int as councils from participations pa
        where ${inView(view, sql`pa.council_id`)} group by pa.status`,
  );
}

/** Councils that have engaged (`engaged`: the service's list, any status but not engaged) by managing partner, with
 * how many take part (`takingPart` statuses) and are active; the partner is null when none is assigned yet. */
export function councilsByPartner(db: DbOrTx, view: CouncilView, engaged: readonly string[], takingPart: readonly string[]) {
  return queryRows<{ partner: string | null; councils: number; takingPart: number; active: number }>(
    db,
    sql`select o.name as partner, count(*)::int as councils,
          count(*) filter (where pa.status = any(${pgArray(takingPart)}::text[]))::int as "takingPart",
          count(*) filter (where pa.status = 'active')::int as active
        from participations pa left join organisations o on o.id = pa.managing_partner_id
        where pa.status = any(${pgArray(engaged)}::text[]) and ${inView(view, sql`pa.council_id`)}
        group by o.name order by o.name nulls last`,
  );
}

/**
 * Every council in view with its programme status and what the headline figures are broken down by: its managing
 * partner's name (null: none assigned yet), its region and its council type (null where the register has none).
 */
export function councilGroups(db: DbOrTx, view: CouncilView) {
  return queryRows<{ councilId: string; status: string; partner: string | null; region: string | null; type: string | null }>(
    db,
    sql`select pa.council_id as "councilId", pa.status, mp.name as partner, c.region, c.la_type_name as type
        from participations pa join organisations c on c.id = pa.council_id left join organisations mp on mp.id = pa.managing_partner_id
        where ${inView(view, sql`pa.council_id`)}`,
  );
}

/** Councils in view by region: how many there are, how many take part (`takingPart` statuses), how many are active. */
export function councilsByRegion(db: DbOrTx, view: CouncilView, takingPart: readonly string[]) {
  return queryRows<{ region: string | null; councils: number; takingPart: number; active: number }>(
    db,
    sql`select c.region, count(*)::int as councils, count(*) filter (where pa.status = any(${pgArray(takingPart)}::text[]))::int as "takingPart",
          count(*) filter (where pa.status = 'active')::int as active
        from participations pa join organisations c on c.id = pa.council_id
        where ${inView(view, sql`pa.council_id`)}
        group by c.region order by c.region nulls last`,
  );
}

/**
 * People by role and status (counts only). With the whole programme in view, unfiltered, partner staff are counted
 * too; otherwise only people in the councils in view.
 */
export function peopleByRole(db: DbOrTx, view: CouncilView) {
  const filtered = Object.values(view.filters).some(Boolean);
  const where = view.scope.kind === 'all' && !filtered ? sql`true` : inView(view, sql`p.organisation_id`);
  return queryRows<{ role: string; active: number; invited: number }>(
    db,
    sql`select r.role, count(*) filter (where p.status = 'active')::int as active, count(*) filter (where p.status = 'invited')::int as invited
        from people p cross join lateral unnest(p.roles) as r(role)
        where p.status <> 'deactivated' and ${where} group by r.role`,
  );
}

/** Enrolments in view by level and journey status, with how many of each are overdue at `cutoff` (see overdueCutoff). */
export function enrolmentsByStatus(db: DbOrTx, view: CouncilView, cutoff: string) {
  return queryRows<{ level: string; status: string; enrolments: number; overdue: number }>(
    db,
    sql`select ${enrolments.level} as level, ${enrolments.status} as status, count(*)::int as enrolments,
          count(*) filter (where ${overdueCondition(cutoff)})::int as overdue
        from ${enrolments} where ${inView(view, sql`${enrolments.councilId}`)} group by 1, 2`,
  );
}

/** Funded places in view for one period, by level: allocated, taken and released. */
export function placesByLevel(db: DbOrTx, view: CouncilView, period: string) {
  return queryRows<{ level: string; places: number; taken: number; released: number }>(
    db,
    sql`select f.level, sum(f.places)::int as places, sum(f.taken)::int as taken, sum(f.released)::int as released
        from funded_places f where f.period = ${period} and ${inView(view, sql`f.council_id`)} group by f.level`,
  );
}

/** The series of the monthly trends, each counted by the date that records it (see docs/dashboard.md). */
export type TrendSeries = 'councilsJoined' | 'nominations' | 'approvals' | 'accreditations';

/**
 * How many of each series fell in each month ("2026-11") from `from` to `to` (ISO dates, both included), in the
 * scope: councils by onboarding date, nominations by the day nominated, approvals by the day approved, and
 * accreditations by the day awarded. Months with none are absent. Planned for its dates each time: a kept plan cannot
 * see that the range is a year of rows and took 118 ms where the plan for the dates took 82 (national scale, warm; the
 * figures are kept between changes, so it runs once per change, not per page).
 */
export function monthlyCounts(db: DbOrTx, view: CouncilView, from: string, to: string) {
  const month = (column: string) => sql.raw(`to_char(${column}, 'YYYY-MM')`);
  const within = (column: string) => sql`${sql.raw(column)} between ${from}::date and ${to}::date`;
  return queryRows<{ series: TrendSeries; month: string; n: number }>(
    db,
    sql`${sql.raw(plannedEachTime)}select 'councilsJoined' as series, ${month('pa.onboarding_date')} as month, count(*)::int as n from participations pa
          where ${within('pa.onboarding_date')} and ${inView(view, sql`pa.council_id`)} group by 2
        union all
        select 'nominations', ${month('e.nominated_on')}, count(*)::int from enrolments e
          where ${within('e.nominated_on')} and ${inView(view, sql`e.council_id`)} group by 2
        union all
        select 'approvals', ${month('e.approved_on')}, count(*)::int from enrolments e
          where ${within('e.approved_on')} and ${inView(view, sql`e.council_id`)} group by 2
        union all
        select 'accreditations', ${month('a.awarded_on')}, count(*)::int from accreditations a join enrolments e on e.id = a.enrolment_id
          where ${within('a.awarded_on')} and ${inView(view, sql`e.council_id`)} group by 2`,
  );
}

/** Councils in view by council type (engaged = any status but not engaged), with how many take part and are active. */
export function councilsByType(db: DbOrTx, view: CouncilView, takingPart: readonly string[]) {
  return queryRows<{ type: string | null; councils: number; takingPart: number; active: number }>(
    db,
    sql`select c.la_type_name as type, count(*)::int as councils, count(*) filter (where pa.status = any(${pgArray(takingPart)}::text[]))::int as "takingPart",
          count(*) filter (where pa.status = 'active')::int as active
        from participations pa join organisations c on c.id = pa.council_id
        where ${inView(view, sql`pa.council_id`)}
        group by c.la_type_name order by c.la_type_name nulls last`,
  );
}

/** Enrolments in view by cohort (null: not yet in one), newest cohort first: all of them, and those accredited. */
export function enrolmentsByCohort(db: DbOrTx, view: CouncilView) {
  return queryRows<{ cohort: string | null; level: string | null; enrolments: number; accredited: number }>(
    db,
    sql`select co.name as cohort, co.level, count(*)::int as enrolments, count(*) filter (where e.status = 'accredited')::int as accredited
        from enrolments e left join cohorts co on co.id = e.cohort_id
        where ${inView(view, sql`e.council_id`)}
        group by co.id, co.name, co.level, co.start_date order by co.start_date desc nulls last, co.name`,
  );
}

/**
 * The accreditations the dashboard counts: those awarded on or before `today` to learners of councils in view, each
 * under the council of the enrolment it accredits, counted by council and level: the headline figures (the
 * dashboard's and the quarterly report's) add them up, and their breakdowns by managing partner, region and council
 * type group them.
 */
const accreditationsFrom = (view: CouncilView, today: string) =>
  sql`from accreditations a join enrolments e on e.id = a.enrolment_id where a.awarded_on <= ${today}::date and ${inView(view, sql`e.council_id`)}`;

/** Those accreditations by council and level. */
export function accreditationsByCouncil(db: DbOrTx, view: CouncilView, today: string) {
  return queryRows<{ councilId: string; level: string; n: number }>(
    db,
    sql`select e.council_id as "councilId", e.level, count(*)::int as n ${accreditationsFrom(view, today)} group by e.council_id, e.level`,
  );
}

/**
 * Learners in view who have started: people with an enrolment registered with the provider on or before `today`,
 * each once, under the council of the first enrolment they started (then the first recorded), so that the councils'
 * counts add up to the programme's even for a learner who has moved council.
 */
const learnersStartedSql = (view: CouncilView, today: string) =>
  sql`select distinct on (e.person_id) e.person_id, e.council_id from enrolments e
      where e.registered_on <= ${today}::date and ${inView(view, sql`e.council_id`)}
      order by e.person_id, e.registered_on, e.created_at, e.id`;

/** Those learners by the council each is counted under (the headline figure is their sum). */
export function learnersStartedByCouncil(db: DbOrTx, view: CouncilView, today: string) {
  return queryRows<{ councilId: string; n: number }>(
    db,
    sql`select s.council_id as "councilId", count(*)::int as n from (${learnersStartedSql(view, today)}) s group by s.council_id`,
  );
}
