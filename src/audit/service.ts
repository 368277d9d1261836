import type { Db } from '../db/client.ts';
import type { FieldErrors } from '../web/errors.ts';
import * as repo from './repository.ts';
import type { AuditListQuery } from './schemas.ts';

/** A day typed as 2026-11-26 or 26/11/2026, as an ISO date; null when it is not a real date. */
function parseDay(text: string): string | null {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : uk ? [uk[3], uk[2], uk[1]] : [];
  if (!y) return null;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const out = date.toISOString().slice(0, 10);
  // Date.UTC rolls 31 February over into March; a real date survives the round trip.
  return date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d) ? out : null;
}

/**
 * The page's filters as repository filters, with a message for each date that cannot be used (that date is
 * then ignored, so the reader still sees a list).
 */
export function auditFilters(query: AuditListQuery): { filters: repo.AuditFilters; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const day = (field: 'from' | 'to', label: string) => {
    const text = query[field];
    if (!text) return undefined;
    const iso = parseDay(text);
    if (!iso) errors[field] = `${label} must be a real date, like 2026-11-26`;
    return iso ?? undefined;
  };
  const from = day('from', 'Date from');
  let to = day('to', 'Date to');
  if (from && to && to < from) {
    errors.to = 'Date to must be the same as or after date from';
    to = undefined;
  }
  return {
    filters: { actor: query.person, recordType: query.recordType, recordId: query.recordId, action: query.action, from, to, order: query.order },
    errors,
  };
}

/** Events matching the filters, newest first unless asked otherwise. */
export const listAuditEvents = (db: Db, filters: repo.AuditFilters, page?: { page: number; pageSize: number }) =>
  repo.listAuditEvents(db, filters, page);

export const auditVocabulary = (db: Db) => repo.auditVocabulary(db);

const show = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return '(none)';
  if (Array.isArray(value)) return value.map(show).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/** Before → after as one row per field that appears in either, for people to read. */
export function describeChange(before: unknown, after: unknown): { field: string; before: string; after: string }[] {
  const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : v == null ? {} : { value: v });
  const b = asRecord(before);
  const a = asRecord(after);
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return fields.map((field) => ({ field, before: show(b[field]), after: show(a[field]) }));
}
