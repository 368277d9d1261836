import { z } from 'zod';
import { levelField } from '../enrolments/schemas.ts';
import { levels } from '../enrolments/journey.ts';
import { dateField } from '../councils/schemas.ts';
import { programmeStartDate } from '../councils/rules.ts';
import { listQuery } from '../web/list-query.ts';
import { pageQuery } from '../api/registry.ts';
import { cohortStatuses } from './lifecycle.ts';
import { formatDate } from '../web/format.ts';

export const cohortSortKeys = ['startDate'] as const;

/** The cohort list's query string: level filter, sort by start date (newest first by default), page. */
export const cohortListQuery = listQuery(cohortSortKeys, 'startDate').extend({
  level: z.preprocess((v) => (v === '' ? undefined : v), z.enum(levels).optional()).catch(undefined),
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
});
export type CohortListQuery = z.infer<typeof cohortListQuery>;

/** The API's list query: a bad level is a 400 rather than ignored. */
export const cohortApiListQuery = pageQuery.extend({
  level: z.enum(levels, { error: `level must be one of ${levels.join(', ')}` }).optional(),
});

export const maxWorkshops = 12;

/** A day written 31/10/2023 (UK) or 2023-10-31 (ISO), as an ISO date; null when it is not a real date. */
export function parseDay(text: string): string | null {
  const uk = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const parts = uk ? [uk[3], uk[2], uk[1]] : iso ? [iso[1], iso[2], iso[3]] : null;
  if (!parts) return null;
  const [y, m, d] = parts;
  const value = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const parsed = new Date(`${value}T12:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value ? value : null;
}

/**
 * Workshop dates, one a line (a textarea) or a list (the API). Each line (or list item) is checked on its own and
 * every bad one is named in the message, so the user can fix them all at once. Answers the dates in order, without
 * repeats.
 */
export const workshopDatesField = z
  .union([z.string(), z.array(z.string())], { error: 'Enter the workshop dates, one a line' })
  .optional()
  // The API documents a list (the form's text, one a line, is accepted too) with the limit the transform enforces.
  .meta({
    type: 'array',
    maxItems: maxWorkshops,
    items: { type: 'string', format: 'date' },
    description: `Up to ${maxWorkshops} dates, each YYYY-MM-DD (31/10/2027 is understood too); the form sends them one a line`,
  })
  .transform((value, ctx) => {
    const item = Array.isArray(value) ? 'Date' : 'Line';
    const lines = (Array.isArray(value) ? value : (value ?? '').split(/\r?\n/)).map((l) => l.trim());
    const problems: string[] = [];
    const seen = new Set<string>();
    let count = 0;
    lines.forEach((line, i) => {
      if (!line) return;
      count += 1;
      const iso = parseDay(line);
      if (!iso) problems.push(`${item} ${i + 1}: “${line}” is not a real date – write it like 31/10/2023 or 2023-10-31`);
      else if (iso < programmeStartDate) problems.push(`${item} ${i + 1}: ${line} is before 1 November 2021, when the programme began`);
      else if (seen.has(iso)) problems.push(`${item} ${i + 1}: ${line} is already listed`);
      else seen.add(iso);
    });
    // A list counts every item, blank ones too, so the server holds the document's maxItems.
    const entered = Array.isArray(value) ? lines.length : count;
    if (entered > maxWorkshops) problems.unshift(`Enter ${maxWorkshops} workshop dates or fewer (you entered ${entered})`);
    if (problems.length) {
      ctx.addIssue({ code: 'custom', message: problems.join('. ') });
      return z.NEVER;
    }
    return [...seen].sort();
  });

/** A JSON number; the page turns the text typed into one with formWholeNumber. */
const capacityField = z
  .number({ error: 'Enter the capacity as a whole number, like 24' })
  .int('Capacity must be a whole number, like 24')
  .min(1, 'Capacity must be 1 or more')
  .max(500, 'Capacity must be 500 or fewer');

/** The rules between a cohort's dates: the end on or after the start, every workshop between them. */
function datesAgree(v: { startDate: string; endDate: string; workshopDates: string[] }, ctx: z.RefinementCtx) {
  if (v.endDate < v.startDate) ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'End date must be the same as or after the start date' });
  const outside = v.workshopDates.filter((d) => d < v.startDate || d > v.endDate);
  if (outside.length && v.endDate >= v.startDate) {
    ctx.addIssue({ code: 'custom', path: ['workshopDates'], message: `Workshop dates must be between the start date and the end date: ${outside.map((d) => formatDate(d)).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not` });
  }
}

const startDateField = dateField('Start date', 'the start date').describe('YYYY-MM-DD, not before 2021-11-01');
const endDateField = dateField('End date', 'the end date').describe('YYYY-MM-DD, the last day of delivery: the same as or after the start date');

/**
 * A new cohort (page and API body). The page joins the GOV.UK date input's parts as "year-month-day"; the API
 * sends the ISO date, which reads the same way.
 */
export const cohortSchema = z
  .object({
    level: levelField,
    name: z.string({ error: 'Enter the cohort name' }).trim().min(1, 'Enter the cohort name').max(100, 'Name must be 100 characters or fewer'),
    startDate: startDateField,
    endDate: endDateField,
    workshopDates: workshopDatesField,
    capacity: capacityField,
  })
  .superRefine(datesAgree);
export type CohortInput = z.infer<typeof cohortSchema>;

/** Changing a cohort's capacity. */
export const capacitySchema = z.object({
  capacity: capacityField,
  version: z.number({ error: 'version must be a whole number' }).int('version must be a whole number').min(1, 'version must be 1 or more').optional(),
});

/**
 * Changing a cohort's dates (page and API). What the cohort's learners have already done limits them further; the
 * service checks that against the database.
 */
export const cohortDatesSchema = z
  .object({
    startDate: startDateField,
    endDate: endDateField,
    workshopDates: workshopDatesField,
    version: z.number({ error: 'version must be a whole number' }).int('version must be a whole number').min(1, 'version must be 1 or more').optional().describe('The version you read; a stale one is refused with 409'),
  })
  .superRefine(datesAgree);
export type CohortDatesInput = z.infer<typeof cohortDatesSchema>;

/** Placing learners: the enrolments ticked on the cohort page. */
export const placementSchema = z.object({
  enrolmentIds: z
    .preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().trim().uuid('Select learners from the list')))
    .refine((ids) => ids.length > 0, 'Select at least one learner to place in the cohort')
    .refine((ids) => ids.length <= 500, 'Select 500 learners or fewer'),
});

/** A cohort as the API answers it. */
export const apiCohortSchema = z.object({
  id: z.uuid(),
  level: z.enum(levels),
  name: z.string(),
  startDate: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
  endDate: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
  status: z.enum(cohortStatuses).describe('From the dates and today: upcoming before the start date, running to the end date (both included), finished after it'),
  workshopDates: z.array(z.string().meta({ format: 'date', description: 'YYYY-MM-DD' })),
  capacity: z.number().int(),
  placed: z.number().int(),
  seatsLeft: z.number().int().describe('Seats left to place learners in; 0 once the cohort has finished'),
  version: z.number().int().describe('Send it back with a change; a stale one is refused with 409'),
});
export type ApiCohort = z.infer<typeof apiCohortSchema>;
