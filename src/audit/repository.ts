import { sql, type SQL } from 'drizzle-orm';
import { keptTotal } from '../db/read-cache.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { exportBatchSize } from '../db/batches.ts';
import type { NamedRecord, RecordKind } from './describe.ts';
import { containsPattern } from '../db/search.ts';

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
  const counted = countUpTo ? sql`(select 1 from audit_events where ${where} limit ${countUpTo + 1}) c` : sql`audit_events where ${where}`;
  const [rows, [{ total }]] = await Promise.all([
    queryRows<RawAuditRow>(
      db,
      sql`select ${auditColumns} from audit_events where ${where}
          order by occurred_at ${direction}, id ${direction} limit ${page.pageSize} offset ${(page.page - 1) * page.pageSize}`,
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
          order by occurred_at ${direction}, id ${direction} limit ${batchSize}`,
    );
    if (!rows.length) return;
    yield rows.map(({ at: _at, ...r }) => toRow(r));
    const last = rows[rows.length - 1];
    after = { at: last.at, id: Number(last.id) };
    if (rows.length < batchSize) return;
  }
}

/** One statement's worth of each table's names, for the ids the events' sentences mention. */
export async function recordNames(db: DbOrTx, wanted: ReadonlyMap<RecordKind, ReadonlySet<string>>): Promise<NamedRecord[]> {
  const ids = (kind: RecordKind) => pgArray([...(wanted.get(kind) ?? [])]);
  if (![...wanted.values()].some((set) => set.size)) return [];
  return queryRows<NamedRecord>(
    db,
    sql`select 'person' as kind, p.id::text as id, p.name, null as sort, null as level, null as period, null as "ownerId"
          from people p where p.id = any(${ids('person')}::uuid[])
        union all
        select 'organisation', o.id::text, o.name, o.kind, null, null, null from organisations o where o.id = any(${ids('organisation')}::uuid[])
        union all
        select 'enrolment', e.id::text, p.name, null, e.level, e.period, e.person_id::text
          from enrolments e join people p on p.id = e.person_id where e.id = any(${ids('enrolment')}::uuid[])
        union all
        select 'cohort', c.id::text, c.name, null, c.level, null, null from cohorts c where c.id = any(${ids('cohort')}::uuid[])
        union all
        select 'funded_places', f.id::text, o.name, null, f.level, f.period, f.council_id::text
          from funded_places f join organisations o on o.id = f.council_id where f.id = any(${ids('funded_places')}::uuid[])
        union all
        select 'accreditation', a.id::text, p.name, null, a.level, null, a.person_id::text
          from accreditations a join people p on p.id = a.person_id where a.id = any(${ids('accreditation')}::uuid[])
        union all
        select 'cpd_record', r.id::text, p.name, null, null, null, r.person_id::text
          from cpd_records r join people p on p.id = r.person_id where r.id = any(${ids('cpd_record')}::uuid[])
        union all
        select 'import_run', i.id::text, coalesce(i.file_name, 'an upload'), i.kind, null, null, i.uploaded_by_id::text
          from import_runs i where i.id = any(${ids('import_run')}::uuid[])
        union all
        select 'api_token', t.id::text, '“' || t.name || '”', null, null, null, t.person_id::text
          from api_tokens t where t.id = any(${ids('api_token')}::uuid[])`,
  );
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
