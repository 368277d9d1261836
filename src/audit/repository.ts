import { sql, type SQL } from 'drizzle-orm';
import { keptTotal } from '../db/read-cache.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { exportBatchSize } from '../db/batches.ts';
import type { NamedRecord, RecordKind } from './describe.ts';
import { containsPattern } from '../db/search.ts';
import { limitClause, pageClause } from '../db/paging.ts';

export type AuditRow = {
  id: number;
  occurredAt: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  recordType: string;
  recordId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
};

/** Filters on the log. `actor` is a person's id or part of their email or name; dates are ISO days in UK time, inclusive. */
export type AuditFilters = {
  actor?: string;
  recordType?: string;
  recordId?: string;
  action?: string;
  from?: string;
  to?: string;
  order: 'asc' | 'desc';
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function auditWhere(f: AuditFilters): SQL {
  const conditions: SQL[] = [sql`true`];
  if (f.actor) {
    conditions.push(uuidPattern.test(f.actor) ? sql`actor_id = ${f.actor}::uuid` : sql`actor_label ilike ${containsPattern(f.actor)}`);
  }
  if (f.recordType) conditions.push(sql`record_type = ${f.recordType}`);
  if (f.recordId) conditions.push(sql`record_id = ${f.recordId}`);
  if (f.action) conditions.push(sql`action = ${f.action}`);
  // Bounds are computed once as instants, so the index on occurred_at still serves the range.
  if (f.from) conditions.push(sql`occurred_at >= (${f.from}::date::timestamp at time zone 'Europe/London')`);
  if (f.to) conditions.push(sql`occurred_at < ((${f.to}::date + 1)::timestamp at time zone 'Europe/London')`);
  return sql.join(conditions, sql` and `);
}

const auditColumns = sql`id, occurred_at as "occurredAt", actor_id as "actorId", actor_label as "actorLabel", action, record_type as "recordType",
  record_id as "recordId", before, after, request_id as "requestId", ip`;

type RawAuditRow = Omit<AuditRow, 'occurredAt'> & { occurredAt: string | Date };
// Raw queries give timestamps as strings on one driver and Dates on the other.
const toRow = (r: RawAuditRow): AuditRow => ({ ...r, occurredAt: new Date(r.occurredAt) });

/** One page of matching events, with the total. */
export async function listAuditEvents(db: DbOrTx, filters: AuditFilters, page: { page: number; pageSize: number }, countUpTo?: number) {
  const where = auditWhere(filters);
  const direction = filters.order === 'asc' ? sql`asc` : sql`desc`;
  // With `countUpTo`, counting stops there (the log grows without end: an exact count of two million events took 0.2 s).
  const counted = countUpTo ? sql`(select 1 from audit_events where ${where} limit ${limitClause(countUpTo + 1)}) c` : sql`audit_events where ${where}`;
  const [rows, [{ total }]] = await Promise.all([
    queryRows<RawAuditRow>(
      db,
      sql`select ${auditColumns} from audit_events where ${where}
          order by occurred_at ${direction}, id ${direction}${pageClause(page.pageSize, (page.page - 1) * page.pageSize)}`,
    ),
    keptTotal(db, countUpTo ? `audit.upTo${countUpTo}` : 'audit', null, filters, () => queryRows<{ total: number }>(db, sql`select count(*)::int as total from ${counted}`)),
  ]);
  return { rows: rows.map(toRow), total };
}

/**
 * Every matching event in the list's order, `batchSize` at a time (the downloads). Each batch starts after the last
 * event of the batch before (by time, then id): the log is read through its index, with no statement open while the
 * download is sent, and however long it is, a batch at a time is in memory.
 */
export async function* auditEventBatches(db: DbOrTx, filters: AuditFilters, batchSize = exportBatchSize): AsyncGenerator<AuditRow[]> {
  const where = auditWhere(filters);
  const asc = filters.order === 'asc';
  const direction = asc ? sql`asc` : sql`desc`;
  // The last event's time as the database wrote it (text keeps every microsecond a JavaScript Date would drop).
  let after: { at: string; id: number } | null = null;
  for (;;) {
    const cursor: SQL = after
      ? asc
        ? sql`and (occurred_at, id) > (${after.at}::timestamptz, ${after.id})`
        : sql`and (occurred_at, id) < (${after.at}::timestamptz, ${after.id})`
      : sql``;
    const rows: (RawAuditRow & { at: string })[] = await queryRows<RawAuditRow & { at: string }>(
      db,
      sql`select ${auditColumns}, occurred_at::text as at from audit_events where ${where} ${cursor}
          order by occurred_at ${direction}, id ${direction} limit ${limitClause(batchSize)}`,
    );
    if (!rows.length) return;
    yield rows.map(({ at: _at, ...r }) => toRow(r));
    const last = rows[rows.length - 1];
    after = { at: last.at, id: Number(last.id) };
    if (rows.length < batchSize) return;
  }
}

/**
 * Each table's rows for one kind of record, given the ids wanted, in the columns every kind shares (kind, id, name,
 * sort, level, period, ownerId).
 */
const namesOf: Readonly<Record<RecordKind, (ids: SQL) => SQL>> = {
  person: (ids) => sql`select 'person' as kind, p.id::text as id, p.name, null::text as sort, null::text as level, null::text as period, null::text as "ownerId"
    from people p where p.id = any(${ids}::uuid[])`,
  organisation: (ids) => sql`select 'organisation' as kind, o.id::text as id, o.name, o.kind as sort, null::text as level, null::text as period, null::text as "ownerId"
    from organisations o where o.id = any(${ids}::uuid[])`,
  enrolment: (ids) => sql`select 'enrolment' as kind, e.id::text as id, p.name, null::text as sort, e.level, e.period, e.person_id::text as "ownerId"
    from enrolments e join people p on p.id = e.person_id where e.id = any(${ids}::uuid[])`,
  cohort: (ids) => sql`select 'cohort' as kind, c.id::text as id, c.name, null::text as sort, c.level, null::text as period, null::text as "ownerId"
    from cohorts c where c.id = any(${ids}::uuid[])`,
  funded_places: (ids) => sql`select 'funded_places' as kind, f.id::text as id, o.name, null::text as sort, f.level, f.period, f.council_id::text as "ownerId"
    from funded_places f join organisations o on o.id = f.council_id where f.id = any(${ids}::uuid[])`,
  accreditation: (ids) => sql`select 'accreditation' as kind, a.id::text as id, p.name, null::text as sort, a.level, null::text as period, a.person_id::text as "ownerId"
    from accreditations a join people p on p.id = a.person_id where a.id = any(${ids}::uuid[])`,
  cpd_record: (ids) => sql`select 'cpd_record' as kind, r.id::text as id, p.name, null::text as sort, null::text as level, null::text as period, r.person_id::text as "ownerId"
    from cpd_records r join people p on p.id = r.person_id where r.id = any(${ids}::uuid[])`,
  import_run: (ids) => sql`select 'import_run' as kind, i.id::text as id, coalesce(i.file_name, 'an upload') as name, i.kind as sort, null::text as level, null::text as period, i.uploaded_by_id::text as "ownerId"
    from import_runs i where i.id = any(${ids}::uuid[])`,
  api_token: (ids) => sql`select 'api_token' as kind, t.id::text as id, '“' || t.name || '”' as name, null::text as sort, null::text as level, null::text as period, t.person_id::text as "ownerId"
    from api_tokens t where t.id = any(${ids}::uuid[])`,
};

/**
 * One statement's worth of names, for the ids the events' sentences mention: only the tables of the kinds mentioned.
 * With every table in the statement and most of their lists empty, PostgreSQL planned all nine parts on every request
 * (~1–2 ms of its time for the audit log's page: a plan kept for any lists looked dearer than one for these).
 */
export async function recordNames(db: DbOrTx, wanted: ReadonlyMap<RecordKind, ReadonlySet<string>>): Promise<NamedRecord[]> {
  const parts = (Object.keys(namesOf) as RecordKind[])
    .filter((kind) => wanted.get(kind)?.size)
    .map((kind) => namesOf[kind](pgArray([...wanted.get(kind)!])));
  if (!parts.length) return [];
  return queryRows<NamedRecord>(db, sql.join(parts, sql` union all `));
}

/**
 * The record types that occur in the log, for the filter's options. `select distinct` read every event (a third of a
 * second at two million); this walks the (record_type, record_id) index from one type to the next, a probe per type.
 */
export async function recordTypesInLog(db: DbOrTx): Promise<string[]> {
  const rows = await queryRows<{ value: string }>(
    db,
    sql`with recursive t(value) as (
          (select record_type from audit_events order by record_type limit 1)
          union all
          select (select record_type from audit_events where record_type > t.value order by record_type limit 1) from t where t.value is not null)
        select value from t where value is not null`,
  );
  return rows.map((r) => r.value);
}
