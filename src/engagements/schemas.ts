import { z } from 'zod';
import { contractManagementAreas } from '../maturity/framework.ts';
import { pageQuery } from '../api/registry.ts';
import { dateField } from '../councils/schemas.ts';
import { actionStatuses, activityTypes, engagementStatuses, rags, timeUnits } from './rules.ts';

export const titleMaxLength = 200;
export const textMaxLength = 5000;
export const noteMaxLength = 2000;
/** The most days an engagement may plan: about four working years. */
export const maxPlannedDays = 1000;
export const maxTeam = 20;

/** An amount checked by `hundredthsField` as a whole number of hundredths (exact: it has at most 2 decimal places). */
export const hundredths = (amount: number) => Math.round(amount * 100);

const text = (label: string, enter: string, max: number) =>
  z
    .string({ error: `Enter ${enter}` })
    .trim()
    .min(1, `Enter ${enter}`)
    .max(max, `${label} must be ${max} characters or fewer`);

const uuidOf = (message: string) => z.string({ error: message }).trim().uuid(message);

/**
 * A positive amount with at most two decimal places, from a JSON number or a form's text. The value stays the
 * number given (so the API's parse and the service's agree); `hundredths()` turns it into a whole number of
 * hundredths ("2.5" → 250) before anything is stored or summed, so no float is.
 */
export function hundredthsField(name: string, enter: string, max: number) {
  return z
    .union([z.number(), z.string()], { error: `Enter ${enter}` })
    .transform((raw, ctx) => {
      const t = String(raw).trim();
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (t === '') return fail(`Enter ${enter}`);
      if (!/^-?\d+(\.\d+)?$/.test(t) && !/^-?\.\d+$/.test(t)) return fail(`${name} must be a number, like 1.5`);
      if (t.startsWith('-')) return fail(`${name} must be more than 0`);
      const [whole, fraction = ''] = t.split('.');
      if (fraction.length > 2) return fail(`${name} must have no more than 2 decimal places`);
      const hundredths = Number(whole || '0') * 100 + Number(fraction.padEnd(2, '0'));
      if (hundredths <= 0) return fail(`${name} must be more than 0`);
      if (hundredths > max * 100) return fail(`${name} must be ${max} or fewer`);
      return Number(t);
    })
    .meta({ description: `${name}: a number greater than 0 with at most 2 decimal places, up to ${max}` });
}

const version = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .describe('The version you read; a stale one is refused with 409');

/** Opening an engagement (page and API). Dates in order and the lead on the council are checked by the service. */
export const engagementSchema = z.object({
  councilId: uuidOf('Select the council'),
  title: text('Title', 'a title for the engagement', titleMaxLength),
  leadSpecialistId: uuidOf('Select the lead specialist'),
  specialistIds: z.array(uuidOf('Select specialists from the list')).max(maxTeam, `Select ${maxTeam} specialists or fewer`).default([]),
  scope: text('Scope', 'the scope of the engagement', textMaxLength),
  objectives: text('Objectives', 'the objectives of the engagement', textMaxLength),
  startDate: dateField('Start date', 'the start date'),
  endDate: dateField('End date', 'the end date'),
  plannedDays: hundredthsField('Planned days', 'the planned days', maxPlannedDays),
});
export type EngagementInput = z.infer<typeof engagementSchema>;

/** Changing an engagement's details: the same fields but the council, and the version read. */
export const engagementEditSchema = engagementSchema.omit({ councilId: true }).extend({ version: version.optional() });
export type EngagementEditInput = z.infer<typeof engagementEditSchema>;

/** Moving an engagement to another status. */
export const engagementStatusSchema = z.object({
  status: z.enum(engagementStatuses, { error: 'Select the new status' }),
  version: version.optional(),
});

/** Logging time (page and API); an edit sends the version it read. */
export const timeEntrySchema = z.object({
  date: dateField('Date', 'the date of the work'),
  unit: z.enum(timeUnits, { error: 'Select days or hours' }),
  amount: hundredthsField('Time', 'the time spent', 24),
  activity: z.enum(activityTypes, { error: 'Select the type of activity' }),
  note: z.string().trim().max(noteMaxLength, `Note must be ${noteMaxLength} characters or fewer`).optional(),
  version: version.optional(),
});
export type TimeEntryInput = z.infer<typeof timeEntrySchema>;

export const milestoneSchema = z.object({
  title: text('Milestone', 'the milestone', titleMaxLength),
  dueDate: dateField('Due date', 'the due date'),
  version: version.optional(),
});

/** Marking a milestone done (or not done again). */
export const milestoneDoneSchema = z.object({ done: z.boolean({ error: 'done must be true or false' }), version: version.optional() });

/** The key of an area of the contract-management maturity framework (src/maturity/framework.ts), or none. */
const maturityAreaKey = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.enum(contractManagementAreas.map((a) => a.key) as [string, ...string[]], { error: 'Select a maturity area from the list' }).optional(),
);

/** Adding an action to the plan (page and API). */
export const actionSchema = z.object({
  title: text('Action', 'the action', titleMaxLength),
  maturityAreaKey,
  ownerId: uuidOf('Select the owner'),
  dueDate: dateField('Due date', 'the due date'),
  rag: z.enum(rags, { error: 'Select the RAG rating' }).default('green'),
});

/** Changing an action: any of its fields, its status, and the version read. */
export const actionUpdateSchema = actionSchema.partial().extend({
  status: z.enum(actionStatuses, { error: 'Select the status' }).optional(),
  version: version.optional(),
});

export const actionNoteSchema = z.object({ text: text('Progress note', 'the progress note', noteMaxLength) });

export const evidenceLinkSchema = z.object({
  title: text('Title', 'a title for the evidence', titleMaxLength),
  url: z
    .string({ error: 'Enter the link' })
    .trim()
    .min(1, 'Enter the link')
    .max(2000, 'Link must be 2000 characters or fewer')
    .refine((u) => {
      try {
        return new URL(u).protocol === 'https:';
      } catch {
        return false;
      }
    }, 'Enter a link starting with https://')
    .meta({ format: 'uri', pattern: '^https://' }),
});

export const signOffSchema = z.object({ what: z.enum(['plan', 'completion'], { error: 'Select what to sign off' }) });

/** The list page's query: bad filters fall back to none. */
export const engagementSortKeys = ['council', 'startDate', 'endDate', 'status'] as const;

/** The API's list query: a bad value is a 400. */
export const engagementApiListQuery = pageQuery.extend({
  status: z.enum(engagementStatuses, { error: `status must be one of ${engagementStatuses.join(', ')}` }).optional(),
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  specialistId: z.string().trim().uuid('specialistId must be a person id (a UUID)').optional(),
});

const isoDate = z.string().meta({ format: 'date' });

export const apiEngagementSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  title: z.string(),
  status: z.enum(engagementStatuses),
  leadSpecialistId: z.uuid(),
  leadSpecialistName: z.string(),
  specialistIds: z.array(z.uuid()).max(maxTeam),
  scope: z.string(),
  objectives: z.string(),
  startDate: isoDate,
  endDate: isoDate,
  plannedDays: z.number().describe('Planned days (a day is 7.5 hours)'),
  usedDays: z.number().describe('Days logged so far'),
  overdueActions: z.number().int(),
  planSignedOffAt: z.string().nullable().describe('When the SRO signed off the action plan (ISO 8601)'),
  completionSignedOffAt: z.string().nullable().describe('When the SRO signed off its completion (ISO 8601)'),
  version: z.number().int().describe('Send it back with a change; a stale one is refused with 409'),
});

export const apiTimeEntrySchema = z.object({
  id: z.uuid(),
  personId: z.uuid(),
  personName: z.string(),
  date: isoDate,
  minutes: z.number().int().describe('The time in whole minutes (a day is 450)'),
  unit: z.enum(timeUnits),
  activity: z.enum(activityTypes),
  note: z.string().nullable(),
  version: z.number().int(),
});

export const apiActionSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  maturityAreaKey: z.string().nullable(),
  ownerId: z.uuid(),
  ownerName: z.string(),
  dueDate: isoDate,
  status: z.enum(actionStatuses),
  rag: z.enum(rags),
  overdue: z.boolean(),
  version: z.number().int(),
});

export const apiMilestoneSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  dueDate: isoDate,
  doneOn: isoDate.nullable().describe('The day it was marked done; null while it is not'),
  overdue: z.boolean().describe('Not done and due before today'),
  version: z.number().int(),
});

export const apiActionNoteSchema = z.object({
  id: z.uuid(),
  text: z.string(),
  authorName: z.string().nullable(),
  writtenAt: z.string().describe('ISO 8601'),
});

export const apiEvidenceSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  url: z.string().meta({ format: 'uri' }),
  addedByName: z.string().nullable(),
  addedAt: z.string().describe('ISO 8601'),
});
