import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';

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

/** Filters on the log. `actor` is a person's id or part of their e-mail or name; dates are ISO days in UK time, inclusive. */
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
    conditions.push(uuidPattern.test(f.actor) ? sql`actor_id = ${f.actor}::uuid` : sql`actor_label ilike ${`%${f.actor.replace(/[\\%_]/g, '\\$&')}%`}`);
  }
  if (f.recordType) conditions.push(sql`record_type = ${f.recordType}`);
  if (f.recordId) conditions.push(sql`record_id = ${f.recordId}`);
  if (f.action) conditions.push(sql`action = ${f.action}`);
  // Bounds are computed once as instants, so the index on occurred_at still serves the range.
  if (f.from) conditions.push(sql`occurred_at >= (${f.from}::date::timestamp at time zone 'Europe/London')`);
  if (f.to) conditions.push(sql`occurred_at < ((${f.to}::date + 1)::timestamp at time zone 'Europe/London')`);
  return sql.join(conditions, sql` and `);
}

/** One page (or, for exports, all) of matching events, with the total. */
export async function listAuditEvents(db: DbOrTx, filters: AuditFilters, page?: { page: number; pageSize: number }) {
  const where = auditWhere(filters);
  const direction = filters.order === 'asc' ? sql`asc` : sql`desc`;
  const limit = page ? sql`limit ${page.pageSize} offset ${(page.page - 1) * page.pageSize}` : sql``;
  const rows = await queryRows<Omit<AuditRow, 'occurredAt'> & { occurredAt: string | Date }>(
    db,
    sql`select id, occurred_at as "occurredAt", actor_id as "actorId", actor_label as "actorLabel", action, record_type as "recordType",
          record_id as "recordId", before, after, request_id as "requestId", ip
        from audit_events where ${where} order by occurred_at ${direction}, id ${direction} ${limit}`,
  );
  const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from audit_events where ${where}`);
  // Raw queries give timestamps as strings on one driver and Dates on the other.
  return { rows: rows.map((r): AuditRow => ({ ...r, occurredAt: new Date(r.occurredAt) })), total };
}

/** The record types and actions that occur in the log, for the filter's options. */
export async function auditVocabulary(db: DbOrTx) {
  const types = await queryRows<{ value: string }>(db, sql`select distinct record_type as value from audit_events order by 1`);
  const actions = await queryRows<{ value: string }>(db, sql`select distinct action as value from audit_events order by 1`);
  return { recordTypes: types.map((r) => r.value), actions: actions.map((r) => r.value) };
}
