import type { Db } from '../db/client.ts';
import type { RowBatches } from '../db/batches.ts';
import { describedActions, describeEvent, nameKey, referencedRecords, type Description } from './describe.ts';
import { cachedRead } from '../db/read-cache.ts';
import * as repo from './repository.ts';
import type { AuditListQuery } from './schemas.ts';

export type DatePart = 'day' | 'month' | 'year';

/** A date filter's problem: the message, and the boxes that are wrong (only those are highlighted). */
export type DateProblem = { message: string; parts: DatePart[] };

const partNames: readonly DatePart[] = ['day', 'month', 'year'];

/**
 * A GOV.UK date input's three boxes as an ISO date, or what is wrong with them (GOV.UK's wording, naming the boxes
 * at fault); undefined when all three are empty, which is no filter.
 */
export function readDateParts(boxes: Partial<Record<DatePart, string>>, label: string): { iso?: string; problem?: DateProblem } {
  const v = { day: boxes.day?.trim() ?? '', month: boxes.month?.trim() ?? '', year: boxes.year?.trim() ?? '' };
  const missing = partNames.filter((p) => !v[p]);
  if (missing.length === 3) return {};
  if (missing.length) return { problem: { message: `${label} must include a ${missing.join(' and ')}`, parts: missing } };
  const day = /^\d{1,2}$/.test(v.day) ? Number(v.day) : NaN;
  const month = /^\d{1,2}$/.test(v.month) ? Number(v.month) : NaN;
  const year = /^\d{4}$/.test(v.year) ? Number(v.year) : NaN;
  if (Number.isNaN(year)) return { problem: { message: `${label} year must include 4 numbers`, parts: ['year'] } };
  const wrong: DatePart[] = [];
  if (!(day >= 1 && day <= 31)) wrong.push('day');
  if (!(month >= 1 && month <= 12)) wrong.push('month');
  // 31 June, 29 February 2027: the day does not exist in that month.
  if (!wrong.length && day > new Date(Date.UTC(year, month, 0)).getUTCDate()) wrong.push('day');
  if (wrong.length) return { problem: { message: `${label} must be a real date`, parts: wrong } };
  return { iso: `${v.year}-${v.month.padStart(2, '0')}-${v.day.padStart(2, '0')}` };
}

const dateBoxes = (query: AuditListQuery, name: 'from' | 'to') => ({ day: query[`${name}-day`], month: query[`${name}-month`], year: query[`${name}-year`] });

/**
 * The page's filters as repository filters, with the problem of each date that cannot be used (that date is then
 * ignored, so the reader still sees a list). A "to" before the "from" is the "to" box's problem.
 */
export function auditFilters(query: AuditListQuery): { filters: repo.AuditFilters; problems: Partial<Record<'from' | 'to', DateProblem>> } {
  const problems: Partial<Record<'from' | 'to', DateProblem>> = {};
  const from = readDateParts(dateBoxes(query, 'from'), 'From date');
  const to = readDateParts(dateBoxes(query, 'to'), 'To date');
  if (from.problem) problems.from = from.problem;
  if (to.problem) problems.to = to.problem;
  if (from.iso && to.iso && to.iso < from.iso) {
    problems.to = { message: 'To date must be the same as or after the from date', parts: [...partNames] };
    to.iso = undefined;
  }
  return {
    filters: { actor: query.person, recordType: query.recordType, recordId: query.recordId, action: query.action, from: from.iso, to: to.iso, order: query.order },
    problems,
  };
}

/**
 * The audit page counts matching events up to this many and then says "more than": the log only grows, and an exact
 * count reads every matching event. Its pages reach the newest (or, sorted the other way, the oldest) this many; the
 * dates narrow it further, and the downloads and the API hold every event.
 */
export const pageCountLimit = 10_000;

/**
 * A page of events matching the filters, newest first unless asked otherwise, each with its sentence. With
 * `countUpTo` the total stops there and `more` says whether there were more.
 */
export async function listAuditEvents(db: Db, filters: repo.AuditFilters, page: { page: number; pageSize: number }, countUpTo?: number) {
  const { rows, total } = await repo.listAuditEvents(db, filters, page, countUpTo);
  const more = countUpTo !== undefined && total > countUpTo;
  return { rows: await described(db, rows), total: more ? countUpTo : total, more };
}

/** Every event matching the filters, in batches, each with its sentence (the downloads). */
export function exportAuditEvents(db: Db, filters: repo.AuditFilters): RowBatches<DescribedRow> {
  return {
    batches: (async function* () {
      for await (const batch of repo.auditEventBatches(db, filters)) yield await described(db, batch);
    })(),
  };
}

export type DescribedRow = repo.AuditRow & { description: Description };

/** The events with their sentences, the records they name read in one statement. */
async function described(db: Db, rows: repo.AuditRow[]): Promise<DescribedRow[]> {
  const names = new Map((await repo.recordNames(db, referencedRecords(rows))).map((r) => [nameKey(r.kind, r.id), r]));
  return rows.map((e) => ({ ...e, description: describeEvent(e, names) }));
}

/**
 * The filter's options: the record types in the log (kept between changes, db/read-cache.ts) and every action the
 * service records (those with a sentence, src/audit/describe.ts), rather than reading which occur from every event.
 */
export async function auditVocabulary(db: Db) {
  const recordTypes = await cachedRead(db, 'audit.recordTypes', () => repo.recordTypesInLog(db));
  return { recordTypes, actions: [...describedActions].sort() };
}

const show = (value: unknown): string => {
  if (value === undefined || value === null || value === '') return '(none)';
  if (Array.isArray(value)) return value.map(show).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

/**
 * Before → after as one row per field that reads differently after the event, for people to read. Services record
 * a record's whole state on each side (an enrolment's step keeps its unchanged cohort and attempts, and a reason of
 * none), so the fields that read the same on both sides are left out: "4 fields" under an event means four changed.
 * The API and the downloads keep everything recorded.
 */
export function describeChange(before: unknown, after: unknown): { field: string; before: string; after: string }[] {
  const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : v == null ? {} : { value: v });
  const b = asRecord(before);
  const a = asRecord(after);
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return fields.map((field) => ({ field, before: show(b[field]), after: show(a[field]) })).filter((c) => c.before !== c.after);
}
