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
 * Each indicator as of `asOf` (a date, yyyy-mm-dd), council by council for the councils `inScope` admits: rows of
 * (`council_id`, `num`, `den`), integers, that add up across councils. A percentage or a rate is worked out from the
 * sums of both (`valueSql`), never by averaging councils' values; a count or a sum has `den` 0. So one definition gives
 * the value for any set of councils, now (indicatorValuesWhere) or from a month's stored parts (scopedSnapshots).
 */
function partsSql(key: IndicatorKey, inScope: (councilId: SQL) => SQL, asOf: string): SQL {
  switch (key) {
    case 'funded_places_used':
      return sql`select f.council_id, sum(f.taken) as num, sum(f.places) as den from funded_places f where ${inScope(sql`f.council_id`)} group by f.council_id`;
    case 'accredited_within_12_months':
      return sql`select e.council_id, count(*) filter (where a.awarded_on <= e.registered_on + interval '12 months' and a.awarded_on <= ${asOf}::date) as num, count(*) as den
        from enrolments e left join accreditations a on a.enrolment_id = e.id
        where e.registered_on is not null and e.registered_on <= ${asOf}::date - interval '12 months' and ${inScope(sql`e.council_id`)}
        group by e.council_id`;
    case 'learners_retained':
      return sql`select e.council_id, count(*) filter (where e.status <> 'withdrawn') as num, count(*) as den
        from enrolments e where e.registered_on is not null and e.registered_on <= ${asOf}::date and ${inScope(sql`e.council_id`)}
        group by e.council_id`;
    case 'network_attendance_per_council':
      // Attendances by each council's staff over whether the council is active (1 or 0).
      return sql`select council_id, sum(num) as num, sum(den) as den from (
          select p.organisation_id as council_id, count(*) as num, 0 as den
          from network_event_registrations r join network_events ev on ev.id = r.event_id join people p on p.id = r.person_id
          where r.attended and ev.starts_at::date <= ${asOf}::date and ${inScope(sql`p.organisation_id`)}
            and p.organisation_id in (select id from organisations where kind = 'council')
          group by p.organisation_id
          union all
          select pa.council_id, 0, count(*) from participations pa where pa.status = 'active' and ${inScope(sql`pa.council_id`)} group by pa.council_id
        ) n group by council_id`;
    case 'councils_baseline_and_follow_up':
    case 'councils_improved_maturity':
      return sql`select m.council_id, count(*) as num, 0 as den from (${maturityCouncilsSql(key, inScope, asOf)}) m group by m.council_id`;
    case 'verified_improvements':
      return sql`select i.council_id, count(*) as num, 0 as den from improvements i
        where i.status = 'verified' and i.improved_on <= ${asOf}::date and ${inScope(sql`i.council_id`)} group by i.council_id`;
    case 'verified_improvement_value':
      return sql`select i.council_id, coalesce(sum(i.value_pence), 0) as num, 0 as den from improvements i
        where i.status = 'verified' and i.improved_on <= ${asOf}::date and ${inScope(sql`i.council_id`)} group by i.council_id`;
  }
}

/** The value from the sums of a set of councils' parts (each `numeric`, 0 when there are none); null: nothing to measure. */
function valueSql(key: IndicatorKey, num: SQL, den: SQL): SQL {
  switch (key) {
    case 'funded_places_used':
    case 'accredited_within_12_months':
    case 'learners_retained':
      return percentOf(num, den);
    case 'network_attendance_per_council':
      return sql`case when ${den} = 0 then null else round(${num} / ${den}, 1)::float8 end`;
    default:
      return sql`(${num})::float8`;
  }
}

/** Every given indicator's parts as one relation: (`key`, `council_id`, `num`, `den`), all numeric. */
function allPartsSql(keys: readonly IndicatorKey[], inScope: (councilId: SQL) => SQL, asOf: string): SQL {
  return sql.join(
    keys.map((k) => sql`select ${k}::text as key, x.council_id, x.num::numeric as num, x.den::numeric as den from (${partsSql(k, inScope, asOf)}) x`),
    sql` union all `,
  );
}

/** An indicator's value over the rows of `parts` (a relation of allPartsSql's shape) for its key: a scalar subquery. */
const valueOverParts = (key: IndicatorKey, parts: SQL) =>
  sql`(select ${valueSql(key, sql`coalesce(sum(num), 0)`, sql`coalesce(sum(den), 0)`)} from ${parts} where key = ${key})`;

/** The values of the given indicators as of `asOf` for the councils in `scope`, in one query. */
export function indicatorValues(db: DbOrTx, keys: readonly IndicatorKey[], scope: CouncilScope, asOf: string) {
  return indicatorValuesWhere(db, keys, (councilId) => councilInScope(scope, councilId), asOf);
}

/** The same for the councils `inScope` admits (a condition on a council id): the dashboard's filtered view. */
export async function indicatorValuesWhere(db: DbOrTx, keys: readonly IndicatorKey[], inScope: (councilId: SQL) => SQL, asOf: string) {
  if (keys.length === 0) return new Map<IndicatorKey, number | null>();
  const columns = sql.join(
    keys.map((k, i) => sql`${valueOverParts(k, sql`parts`)} as ${sql.raw(`"v${i}"`)}`),
    sql`, `,
  );
  const [row] = await queryRows<Record<string, number | null>>(db, sql`with parts as (${allPartsSql(keys, inScope, asOf)}) select ${columns}`);
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
 * Writes the month's snapshot of `keys` as at `asOf` in one statement, from one computation of every council's parts:
 * each indicator's whole-programme value (the sums of all councils' parts) and the parts themselves, council by
 * council. A key whose row is there is worked out again when `replace`, or when it was taken without its parts (before
 * they existed); otherwise it is left as it is (so a second writer at the same moment adds nothing). The caller only
 * ever passes the current month. Returns how many indicators and councils were written.
 */
export async function writeSnapshots(tx: DbOrTx, keys: readonly IndicatorKey[], month: string, asOf: string, computedAt: Date, replace: boolean): Promise<{ indicators: number; councils: number }> {
  if (keys.length === 0) return { indicators: 0, councils: 0 };
  const values = sql.join(
    keys.map((k) => sql`select ${k}::text as key, ${valueOverParts(k, sql`parts`)} as value`),
    sql` union all `,
  );
  const [row] = await queryRows<{ indicators: number; councils: number }>(
    tx,
    sql`with parts as (${allPartsSql(keys, () => sql`true`, asOf)}),
        computed as (${values}),
        written as (
          insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at, council_parts)
          select key, ${month}::date, value, ${asOf}::date, ${computedAt.toISOString()}::timestamptz, true from computed
          on conflict (indicator_key, month) do update set value = excluded.value, as_of = excluded.as_of, computed_at = excluded.computed_at, council_parts = true
            where ${replace ? sql`true` : sql`not indicator_snapshots.council_parts`}
          returning id, indicator_key),
        -- A council with nothing to count any more loses its part; the others' are overwritten (one statement, so no
        -- row is deleted and added again).
        stale as (
          delete from indicator_snapshot_parts p using written w
          where p.snapshot_id = w.id and not exists (select 1 from parts x where x.key = w.indicator_key and x.council_id = p.council_id)),
        added as (
          insert into indicator_snapshot_parts (snapshot_id, council_id, numerator, denominator)
          select w.id, x.council_id, x.num::bigint, x.den::bigint from written w join parts x on x.key = w.indicator_key
          on conflict (snapshot_id, council_id) do update set numerator = excluded.numerator, denominator = excluded.denominator
          returning council_id)
        select (select count(*)::int from written) as indicators, (select count(distinct council_id)::int from added) as councils`,
  );
  return row;
}

/** The keys whose snapshot for the month is complete: there, with its council parts. */
export async function snapshotKeys(db: DbOrTx, month: string): Promise<{ complete: Set<string>; any: Set<string> }> {
  const rows = await queryRows<{ key: string; parts: boolean }>(db, sql`select indicator_key as key, council_parts as parts from indicator_snapshots where month = ${month}::date`);
  return { complete: new Set(rows.filter((r) => r.parts).map((r) => r.key)), any: new Set(rows.map((r) => r.key)) };
}

/** The snapshots of the indicators from the month `from` (its first day) on, oldest first: the whole programme's values. */
export async function listSnapshots(db: DbOrTx, keys: readonly IndicatorKey[], from: string): Promise<SnapshotRow[]> {
  if (keys.length === 0) return [];
  const rows = await queryRows<{ key: IndicatorKey; month: string; value: number | null; asOf: string; computedAt: Date | string }>(
    db,
    sql`select indicator_key as key, to_char(month, 'YYYY-MM-DD') as month, value, to_char(as_of, 'YYYY-MM-DD') as "asOf", computed_at as "computedAt"
        from indicator_snapshots where indicator_key = any(${pgArray(keys)}::text[]) and month >= ${from}::date order by month, indicator_key`,
  );
  return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value), computedAt: new Date(r.computedAt) }));
}

/**
 * An indicator's snapshots from the month `from` on for the councils in `scope` (in it now), oldest first: each
 * month's value worked out from the sums of those councils' parts. A month taken before parts existed has
 * `value` null and `councilParts` false: it holds the whole programme's value only, which is not theirs.
 */
export async function scopedSnapshots(db: DbOrTx, key: IndicatorKey, scope: CouncilScope, from: string): Promise<(SnapshotRow & { councilParts: boolean })[]> {
  const rows = await queryRows<{ month: string; value: number | null; asOf: string; computedAt: Date | string; councilParts: boolean }>(
    db,
    sql`select to_char(s.month, 'YYYY-MM-DD') as month, to_char(s.as_of, 'YYYY-MM-DD') as "asOf", s.computed_at as "computedAt", s.council_parts as "councilParts",
          case when s.council_parts then ${valueSql(key, sql`coalesce(sum(p.numerator), 0)::numeric`, sql`coalesce(sum(p.denominator), 0)::numeric`)} end as value
        from indicator_snapshots s left join indicator_snapshot_parts p on p.snapshot_id = s.id and ${councilInScope(scope, sql`p.council_id`)}
        where s.indicator_key = ${key} and s.month >= ${from}::date
        group by s.id order by s.month`,
  );
  return rows.map((r) => ({ ...r, key, value: r.value === null ? null : Number(r.value), computedAt: new Date(r.computedAt) }));
}
