import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { listQuery } from '../web/list-query.ts';

const optionalText = z.string().trim().max(200).optional().catch(undefined);
/** One box of a GOV.UK date input, kept as typed so the page can show it back (the service reads it). */
const dateBox = z.string().trim().max(20).optional().catch(undefined);

/** The audit log page's query string; newest first unless the reader turns it round. Dates are checked by the service. */
export const auditListQuery = listQuery(['occurred'], 'occurred').extend({
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
  person: optionalText,
  recordType: optionalText,
  recordId: optionalText,
  action: optionalText,
  'from-day': dateBox,
  'from-month': dateBox,
  'from-year': dateBox,
  'to-day': dateBox,
  'to-month': dateBox,
  'to-year': dateBox,
});
export type AuditListQuery = z.infer<typeof auditListQuery>;

const isoDate = (name: string) => z.iso.date(`${name} must be a date like 2026-11-26`).optional();

/** `GET /api/v1/audit-events`: strict, so a client learns about a mistyped filter (400). */
export const auditApiQuery = pageQuery.extend({
  actorId: z.uuid('actorId must be a UUID').optional(),
  recordType: z.string().trim().max(200).optional(),
  recordId: z.string().trim().max(200).optional(),
  action: z.string().trim().max(200).optional(),
  from: isoDate('from'),
  to: isoDate('to'),
});

/** An audit event as the API shows it. */
export const auditEventItem = z.object({
  id: z.number().int(),
  occurredAt: z.string().describe('ISO 8601 date and time'),
  actorId: z.uuid().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  recordType: z.string(),
  recordId: z.string(),
  // Snapshots are always objects of the fields concerned (recordAudit's callers pass objects), or null.
  before: z.record(z.string(), z.unknown()).nullable().describe('The fields that changed, as they were; null when the record is new'),
  after: z.record(z.string(), z.unknown()).nullable().describe('The fields that changed, as they became; null when nothing is recorded'),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  description: z.string().describe('What happened, as a sentence: who did what to which record, e.g. "Ann Admin changed the status of Adur District Council from Interested to Onboarding."'),
});
