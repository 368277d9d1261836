import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { listQuery } from '../web/list-query.ts';
import { eventTypes, isPeriod, levels, statuses } from './journey.ts';
import { enrolmentSortKeys } from './list-repository.ts';
import { periodMeta } from './schemas.ts';
import type { EnrolmentItem } from './queries.ts';
import type { HistoryRow } from './list-repository.ts';
import { attentionReasons } from './attention.ts';
import { upkeepFilters } from '../learners/upkeep-sql.ts';

/** A filter from a GET form: "" (the "Any" option) means no filter, and a hand-edited bad value is ignored. */
const lenient = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional()).catch(undefined);

/** The learners page's query string: search, sort, page and filters. */
export const enrolmentListQuery = listQuery(enrolmentSortKeys, 'name').extend({
  councilId: lenient(z.uuid()),
  level: lenient(z.enum(levels)),
  cohortId: lenient(z.uuid()),
  status: lenient(z.enum(statuses)),
  overdue: lenient(z.literal('yes')),
  period: lenient(z.string().refine(isPeriod)),
  attention: lenient(z.enum(['any', ...attentionReasons])),
  upkeep: lenient(z.enum(upkeepFilters)),
});
export type EnrolmentListQuery = z.infer<typeof enrolmentListQuery>;

/** The page query's filters as the repository reads them. */
export const pageFilters = (q: EnrolmentListQuery) => ({
  q: q.q,
  councilId: q.councilId,
  level: q.level,
  cohortId: q.cohortId,
  status: q.status,
  overdue: q.overdue === 'yes' ? true : undefined,
  period: q.period,
  attention: q.attention,
  upkeep: q.upkeep,
  sort: q.sort,
  order: q.order,
});

/** The API's list query: the same filters, but a bad value is a 400 rather than ignored. */
export const enrolmentApiListQuery = pageQuery.extend({
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional().describe('Part of the learner’s name or email address'),
  councilId: z.uuid({ error: 'councilId must be a council id (a UUID)' }).optional(),
  level: z.enum(levels, { error: `level must be one of ${levels.join(', ')}` }).optional(),
  status: z.enum(statuses, { error: `status must be one of ${statuses.join(', ')}` }).optional(),
  overdue: z
    .enum(['true', 'false'], { error: 'overdue must be true or false' })
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only enrolments past their assessment due date; false: only the others'),
  cohortId: z.uuid({ error: 'cohortId must be a cohort id (a UUID)' }).optional(),
  period: z.string().refine(isPeriod, 'period must be a financial year written like 2024-25').meta(periodMeta).optional(),
  attention: z
    .enum(['any', ...attentionReasons], { error: `attention must be one of any, ${attentionReasons.join(', ')}` })
    .optional()
    .describe('Only enrolments that have stayed at a step longer than the settings allow: for any reason, or for one'),
  upkeep: z
    .enum(upkeepFilters, { error: `upkeep must be one of ${upkeepFilters.join(', ')}` })
    .optional()
    .describe('Only enrolments whose accreditation is due soon or lapsed: cpd (CPD hours short) or renewal (Foundation renewal due)'),
  sort: z.enum(enrolmentSortKeys, { error: `sort must be one of ${enrolmentSortKeys.join(', ')}` }).default('name'),
  order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).default('asc'),
});

const isoDate = z.string().meta({ format: 'date', description: 'YYYY-MM-DD' });

/** An enrolment as the API answers it. */
export const apiEnrolmentSchema = z.object({
  id: z.uuid(),
  personId: z.uuid(),
  personName: z.string(),
  councilId: z.uuid(),
  councilName: z.string(),
  level: z.enum(levels),
  period: z.string().meta(periodMeta),
  status: z.enum(statuses),
  cohortId: z.uuid().nullable(),
  attempts: z.number().int().describe('Assessments sat (passed or not)'),
  overdue: z.boolean().describe('Registered, still owing an assessment, and past the due date'),
  assessmentDueOn: isoDate.nullable(),
  attention: z
    .object({
      reason: z.enum(attentionReasons),
      label: z.string(),
      since: isoDate.describe('The day the enrolment reached the step it is stuck at (for an overdue assessment, the day it was due)'),
    })
    .nullable()
    .describe('Why the enrolment needs attention, or null'),
  placeState: z.enum(['none', 'taken', 'released']).describe('The funded place: none yet, taken (held or spent), or given back'),
  version: z.number().int(),
});

/** One step of an enrolment's history. */
export const apiEnrolmentEventSchema = z.object({
  type: z.enum(['nominated', ...eventTypes]),
  fromStatus: z.enum(statuses).nullable(),
  toStatus: z.enum(statuses),
  date: isoDate,
  recordedAt: z.string().describe('When it was recorded (ISO 8601 date and time)'),
  reason: z.string().nullable(),
  certificateNumber: z.string().nullable(),
  cohortId: z.uuid().nullable(),
  actorId: z.uuid().nullable(),
  actorName: z.string().nullable(),
});

/** One enrolment in full, with its history. */
export const apiEnrolmentDetailSchema = apiEnrolmentSchema.extend({
  personEmail: z.string(),
  cohortName: z.string().nullable(),
  resumeStatus: z.enum(statuses).nullable().describe('The status a deferred enrolment returns to when resumed'),
  roleDescription: z.string().nullable(),
  contracts: z.string().nullable(),
  nominatedOn: isoDate,
  approvedOn: isoDate.nullable(),
  registeredOn: isoDate.nullable(),
  lastEventOn: isoDate,
  accreditation: z.object({ certificateNumber: z.string(), awardedOn: isoDate }).nullable(),
  events: z.array(apiEnrolmentEventSchema),
});

export function toApiItem(r: EnrolmentItem): z.infer<typeof apiEnrolmentSchema> {
  return {
    id: r.id,
    personId: r.personId,
    personName: r.personName,
    councilId: r.councilId,
    councilName: r.councilName,
    level: r.level,
    period: r.period,
    status: r.status,
    cohortId: r.cohortId,
    attempts: r.attempts,
    overdue: r.overdue,
    assessmentDueOn: r.assessmentDueOn,
    attention: r.attention,
    placeState: r.placeState,
    version: r.version,
  };
}

export function toApiDetail(
  r: EnrolmentItem & { accreditation: { certificateNumber: string; awardedOn: string } | null },
  history: HistoryRow[],
): z.infer<typeof apiEnrolmentDetailSchema> {
  return {
    ...toApiItem(r),
    personEmail: r.personEmail,
    cohortName: r.cohortName,
    resumeStatus: r.resumeStatus,
    roleDescription: r.roleDescription,
    contracts: r.contracts,
    nominatedOn: r.nominatedOn,
    approvedOn: r.approvedOn,
    registeredOn: r.registeredOn,
    lastEventOn: r.lastEventOn,
    accreditation: r.accreditation ? { certificateNumber: r.accreditation.certificateNumber, awardedOn: r.accreditation.awardedOn } : null,
    events: history.map((h) => ({
      type: h.type as z.infer<typeof apiEnrolmentEventSchema>['type'],
      fromStatus: h.fromStatus,
      toStatus: h.toStatus,
      date: h.occurredOn,
      recordedAt: new Date(h.recordedAt).toISOString(),
      reason: h.reason,
      certificateNumber: h.certificateNumber,
      cohortId: h.cohortId,
      actorId: h.actorId,
      actorName: h.actorName,
    })),
  };
}
