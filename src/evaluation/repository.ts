import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { IndicatorKey } from './catalogue.ts';

/** A ratio as a percentage to one decimal place, or null when there is nothing to divide by. */
const percentOf = (part: SQL, whole: SQL) => sql`case when ${whole} = 0 then null else round(100.0 * ${part} / ${whole}, 1)::float8 end`;

/** A submitted assessment's score for an area: the specialist's moderated score where given. */
const areaScore = sql`coalesce(s.moderated_score, s.score)`;

/**
 * Each indicator's value as of `asOf` (a date, yyyy-mm-dd) for the councils in `scope`, as one SQL expression
 * returning a number or null (nothing to measure yet).
 */
function indicatorSql(key: IndicatorKey, inScope: (councilId: SQL) => SQL, asOf: string): SQL {
  switch (key) {
    case 'funded_places_used':
      return sql`(select ${percentOf(sql`coalesce(sum(f.taken), 0)`, sql`coalesce(sum(f.places), 0)`)} from funded_places f where ${inScope(sql`f.council_id`)})`;
    case 'accredited_within_12_months':
      return sql`(select ${percentOf(
        sql`count(*) filter (where a.awarded_on <= e.registered_on + interval '12 months' and a.awarded_on <= ${asOf}::date)`,
        sql`count(*)`,
      )} from enrolments e left join accreditations a on a.enrolment_id = e.id
        where e.registered_on is not null and e.registered_on <= ${asOf}::date - interval '12 months' and ${inScope(sql`e.council_id`)})`;
    case 'learners_retained':
      return sql`(select ${percentOf(sql`count(*) filter (where e.status <> 'withdrawn')`, sql`count(*)`)}
        from enrolments e where e.registered_on is not null and e.registered_on <= ${asOf}::date and ${inScope(sql`e.council_id`)})`;
    case 'network_attendance_per_council':
      return sql`(select case when c.n = 0 then null else round(a.n::numeric / c.n, 1)::float8 end
        from (select count(*) as n from network_event_registrations r join network_events ev on ev.id = r.event_id
                join people p on p.id = r.person_id
              where r.attended and ev.starts_at::date <= ${asOf}::date and ${inScope(sql`p.organisation_id`)}
                and p.organisation_id in (select id from organisations where kind = 'council')) a,
             (select count(*) as n from participations pa where pa.status = 'active' and ${inScope(sql`pa.council_id`)}) c)`;
    case 'councils_baseline_and_follow_up':
      return sql`(select count(*)::float8 from maturity_assessments b
        where b.kind = 'baseline' and b.status = 'submitted' and b.submitted_at::date <= ${asOf}::date and ${inScope(sql`b.council_id`)}
          and exists (select 1 from maturity_assessments f where f.council_id = b.council_id and f.kind = 'follow_up'
                        and f.status = 'submitted' and f.submitted_at::date <= ${asOf}::date))`;
    case 'councils_improved_maturity':
      return sql`(select count(*)::float8 from maturity_assessments b
        join lateral (select f.id from maturity_assessments f where f.council_id = b.council_id and f.kind = 'follow_up'
                        and f.status = 'submitted' and f.submitted_at::date <= ${asOf}::date
                      order by f.submitted_at desc limit 1) latest on true
        where b.kind = 'baseline' and b.status = 'submitted' and b.submitted_at::date <= ${asOf}::date and ${inScope(sql`b.council_id`)}
          and exists (select 1 from maturity_scores s join maturity_scores bs on bs.area_id = s.area_id and bs.assessment_id = b.id
                      where s.assessment_id = latest.id
                        and ${areaScore} >= coalesce(bs.moderated_score, bs.score) + 1))`;
    case 'verified_improvements':
      return sql`(select count(*)::float8 from improvements i where i.status = 'verified' and i.improved_on <= ${asOf}::date and ${inScope(sql`i.council_id`)})`;
    case 'verified_improvement_value':
      return sql`(select coalesce(sum(i.value_pence), 0)::float8 from improvements i
        where i.status = 'verified' and i.improved_on <= ${asOf}::date and ${inScope(sql`i.council_id`)})`;
  }
}

/** The values of the given indicators as of `asOf` for the councils in `scope`, in one query. */
export function indicatorValues(db: DbOrTx, keys: readonly IndicatorKey[], scope: CouncilScope, asOf: string) {
  return indicatorValuesWhere(db, keys, (councilId) => councilInScope(scope, councilId), asOf);
}

/** The same for the councils `inScope` admits (a condition on a council id): the dashboard's filtered view. */
export async function indicatorValuesWhere(db: DbOrTx, keys: readonly IndicatorKey[], inScope: (councilId: SQL) => SQL, asOf: string) {
  if (keys.length === 0) return new Map<IndicatorKey, number | null>();
  const columns = sql.join(
    keys.map((k, i) => sql`${indicatorSql(k, inScope, asOf)} as ${sql.raw(`"v${i}"`)}`),
    sql`, `,
  );
  const [row] = await queryRows<Record<string, number | null>>(db, sql`select ${columns}`);
  return new Map(keys.map((k, i) => [k, row[`v${i}`] === null ? null : Number(row[`v${i}`])]));
}
