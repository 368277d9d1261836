import { sql, type SQL } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { IndicatorKey } from './catalogue.ts';

/** A ratio as a percentage to one decimal place, or null when there is nothing to divide by. */
const percentOf = (part: SQL, whole: SQL) => sql`case when ${whole} = 0 then null else round(100.0 * ${part} / ${whole}, 1)::float8 end`;

/** A submitted assessment's score for an area: the specialist's moderated score where given. */
const areaScore = sql`coalesce(s.moderated_score, s.score)`;

/** The maturity indicators, which count councils. */
type MaturityIndicator = 'councils_baseline_and_follow_up' | 'councils_improved_maturity';

/**
 * The councils a maturity indicator counts as of `asOf`, as rows of `council_id` (one per council: a council has one
 * baseline): those with a submitted baseline and a submitted follow-up, and of those the ones whose latest follow-up
 * scores some area at least one level above the baseline. The indicators count these rows; the dashboard also counts
 * them by council (maturityByCouncil), so its breakdowns and its headline figures come from this one definition.
 */
function maturityCouncilsSql(key: MaturityIndicator, inScope: (councilId: SQL) => SQL, asOf: string): SQL {
  if (key === 'councils_baseline_and_follow_up') {
    return sql`select b.council_id from maturity_assessments b
      where b.kind = 'baseline' and b.status = 'submitted' and b.submitted_at::date <= ${asOf}::date and ${inScope(sql`b.council_id`)}
        and exists (select 1 from maturity_assessments f where f.council_id = b.council_id and f.kind = 'follow_up'
                      and f.status = 'submitted' and f.submitted_at::date <= ${asOf}::date)`;
  }
  return sql`select b.council_id from maturity_assessments b
    join lateral (select f.id from maturity_assessments f where f.council_id = b.council_id and f.kind = 'follow_up'
                    and f.status = 'submitted' and f.submitted_at::date <= ${asOf}::date
                  order by f.submitted_at desc limit 1) latest on true
    where b.kind = 'baseline' and b.status = 'submitted' and b.submitted_at::date <= ${asOf}::date and ${inScope(sql`b.council_id`)}
      and exists (select 1 from maturity_scores s join maturity_scores bs on bs.area_id = s.area_id and bs.assessment_id = b.id
                  where s.assessment_id = latest.id
                    and ${areaScore} >= coalesce(bs.moderated_score, bs.score) + 1)`;
}

/**
 * The two maturity indicators council by council as of `asOf`, for the councils `inScope` admits: `measured` (a
 * baseline and a follow-up) and `improved`, each 0 or 1; councils with neither are absent. Their sums are the
 * indicators' values.
 */
export function maturityByCouncil(db: DbOrTx, inScope: (councilId: SQL) => SQL, asOf: string) {
  return queryRows<{ councilId: string; measured: number; improved: number }>(
    db,
    sql`select m.council_id as "councilId", count(*) filter (where m.k = 'measured')::int as measured, count(*) filter (where m.k = 'improved')::int as improved
        from (select council_id, 'measured' as k from (${maturityCouncilsSql('councils_baseline_and_follow_up', inScope, asOf)}) a
              union all
              select council_id, 'improved' from (${maturityCouncilsSql('councils_improved_maturity', inScope, asOf)}) b) m
        group by m.council_id`,
  );
}

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
    case 'councils_improved_maturity':
      return sql`(select count(*)::float8 from (${maturityCouncilsSql(key, inScope, asOf)}) m)`;
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

// ---- Critical success factors ----

export type CsfIndicatorRow = { key: IndicatorKey; target: number; amber: number };
export type CsfRow = { id: string; name: string; description: string; position: number; version: number; indicators: CsfIndicatorRow[] };

/** Every CSF in its order (then by name), each with its indicators in the catalogue's order. */
export async function listCsfs(db: DbOrTx, id?: string): Promise<CsfRow[]> {
  const rows = await queryRows<Omit<CsfRow, 'indicators'> & { key: IndicatorKey | null; target: number | null; amber: number | null }>(
    db,
    sql`select c.id, c.name, c.description, c.position, c.version, i.indicator_key as key, i.target, i.amber
        from csfs c left join csf_indicators i on i.csf_id = c.id
        where ${id ? sql`c.id = ${id}::uuid` : sql`true`}
        order by c.position, lower(c.name), c.id, i.position`,
  );
  const byId = new Map<string, CsfRow>();
  for (const r of rows) {
    const csf = byId.get(r.id) ?? { id: r.id, name: r.name, description: r.description, position: Number(r.position), version: Number(r.version), indicators: [] };
    byId.set(r.id, csf);
    if (r.key) csf.indicators.push({ key: r.key, target: Number(r.target), amber: Number(r.amber) });
  }
  return [...byId.values()];
}

export async function findCsfByName(db: DbOrTx, name: string): Promise<{ id: string } | null> {
  const [row] = await queryRows<{ id: string }>(db, sql`select id from csfs where lower(name) = lower(${name})`);
  return row ?? null;
}

export async function insertCsf(tx: DbOrTx, values: { name: string; description: string; position: number; now: Date }): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into csfs (name, description, position, created_at, updated_at) values (${values.name}, ${values.description}, ${values.position}, ${values.now.toISOString()}::timestamptz, ${values.now.toISOString()}::timestamptz) returning id`,
  );
  return row.id;
}

/** Changes a CSF if it is still at `version`; false when someone else changed (or deleted) it first. */
export async function updateCsfIfVersion(tx: DbOrTx, id: string, version: number, values: { name: string; description: string; position: number; now: Date }): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update csfs set name = ${values.name}, description = ${values.description}, position = ${values.position}, updated_at = ${values.now.toISOString()}::timestamptz, version = version + 1
        where id = ${id}::uuid and version = ${version} returning id`,
  );
  return rows.length === 1;
}

export async function deleteCsfIfVersion(tx: DbOrTx, id: string, version: number): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(tx, sql`delete from csfs where id = ${id}::uuid and version = ${version} returning id`);
  return rows.length === 1;
}

/** Replaces a CSF's indicators with these, in this order. */
export async function replaceCsfIndicators(tx: DbOrTx, csfId: string, indicators: readonly CsfIndicatorRow[]): Promise<void> {
  await tx.execute(sql`delete from csf_indicators where csf_id = ${csfId}::uuid`);
  for (const [n, i] of indicators.entries()) {
    await tx.execute(sql`insert into csf_indicators (csf_id, indicator_key, target, amber, position) values (${csfId}::uuid, ${i.key}, ${i.target}, ${i.amber}, ${n + 1})`);
  }
}

// ---- Monthly snapshots ----

export type SnapshotRow = { key: IndicatorKey; month: string; value: number | null; asOf: string; computedAt: Date };

/**
 * Writes a month's values: `replace` overwrites that month's rows (the caller only ever passes the current month),
 * otherwise only missing ones are added. Returns how many rows were written.
 */
export async function writeSnapshots(tx: DbOrTx, month: string, asOf: string, values: ReadonlyMap<IndicatorKey, number | null>, computedAt: Date, replace: boolean): Promise<number> {
  let written = 0;
  for (const [key, value] of values) {
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at) values (${key}, ${month}::date, ${value}, ${asOf}::date, ${computedAt.toISOString()}::timestamptz)
          on conflict (indicator_key, month) do ${replace ? sql`update set value = excluded.value, as_of = excluded.as_of, computed_at = excluded.computed_at` : sql`nothing`}
          returning id`,
    );
    written += rows.length;
  }
  return written;
}

/** The keys that have a snapshot for the month. */
export async function snapshotKeys(db: DbOrTx, month: string): Promise<Set<string>> {
  const rows = await queryRows<{ key: string }>(db, sql`select indicator_key as key from indicator_snapshots where month = ${month}::date`);
  return new Set(rows.map((r) => r.key));
}

/** The snapshots of the indicators from the month `from` (its first day) on, oldest first. */
export async function listSnapshots(db: DbOrTx, keys: readonly IndicatorKey[], from: string): Promise<SnapshotRow[]> {
  if (keys.length === 0) return [];
  const rows = await queryRows<{ key: IndicatorKey; month: string; value: number | null; asOf: string; computedAt: Date | string }>(
    db,
    sql`select indicator_key as key, to_char(month, 'YYYY-MM-DD') as month, value, to_char(as_of, 'YYYY-MM-DD') as "asOf", computed_at as "computedAt"
        from indicator_snapshots where indicator_key = any(${pgArray(keys)}::text[]) and month >= ${from}::date order by month, indicator_key`,
  );
  return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value), computedAt: new Date(r.computedAt) }));
}
