import { z } from 'zod';
import { dateField } from '../councils/schemas.ts';
import { levels, statuses } from '../enrolments/journey.ts';
import { periodMeta } from '../enrolments/schemas.ts';
import { pageQuery } from '../api/registry.ts';
import { upkeepStatuses } from './upkeep.ts';

/** Kinds of CPD activity a learner logs (the API's values; the page shows the labels). */
export const cpdActivities = [
  'training_course',
  'workshop_or_webinar',
  'network_event',
  'reading_or_research',
  'mentoring_or_coaching',
  'project_work',
  'other',
] as const;
export type CpdActivity = (typeof cpdActivities)[number];
export const cpdActivityLabels: Record<CpdActivity, string> = {
  training_course: 'Training course',
  workshop_or_webinar: 'Workshop or webinar',
  network_event: 'Network event',
  reading_or_research: 'Reading or research',
  mentoring_or_coaching: 'Mentoring or coaching',
  project_work: 'Project work',
  other: 'Other',
};

export const maxCpdHours = 24;
export const maxReflection = 2000;

/**
 * Hours for one CPD entry: a number more than 0 and at most 24, in quarter hours. The page posts text; the API takes a
 * JSON number only (as every number in a JSON body, see web/numbers.ts). Both are checked here so the messages match.
 */
function hoursField(from: 'form' | 'json') {
  const raw =
    from === 'json'
      ? z.number({ error: (issue) => (issue.input === undefined || issue.input === null ? 'Enter the number of hours' : 'Hours must be a number, like 1.5') })
      : z.union([z.number(), z.string()], { error: 'Enter the number of hours' });
  return (
    raw
      // The API documents a number, with the bounds the transform enforces.
      .meta({
        type: 'number',
        exclusiveMinimum: 0,
        maximum: maxCpdHours,
        multipleOf: 0.25,
        description: `Hours spent: more than 0, at most ${maxCpdHours}, in quarter hours (0.25, 1.5, 2.75)`,
      })
      .transform((value, ctx) => {
        const fail = (message: string) => {
          ctx.addIssue({ code: 'custom', message });
          return z.NEVER;
        };
        const text = typeof value === 'number' ? String(value) : value.trim();
        if (text === '') return fail('Enter the number of hours');
        if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return fail('Hours must be a number, like 1.5');
        const hours = Number(text);
        if (hours <= 0) return fail('Hours must be more than 0');
        if (hours > maxCpdHours) return fail(`Hours must be ${maxCpdHours} or fewer for one entry`);
        if (!Number.isInteger(hours * 4)) return fail('Hours must be in quarter hours, like 0.25, 1.5 or 2.75');
        return hours;
      })
  );
}

/**
 * One CPD entry (page and API): a past date since the programme began, hours, the kind of activity and a reflection.
 * Without `today` the date is not checked against the clock (the API's declared body; the service checks with it).
 * `from: 'json'` is the API's body, whose hours must be a JSON number.
 */
export function cpdEntrySchema(today?: string, from: 'form' | 'json' = 'form') {
  return z.object({
    date: dateField('Date of the activity', 'the date of the activity')
      .refine((iso) => !today || iso <= today, 'Date of the activity must be today or in the past')
      .describe('The day of the activity (YYYY-MM-DD), from 1 November 2021 to today'),
    hours: hoursField(from),
    activity: z.enum(cpdActivities, { error: 'Select the type of activity' }),
    reflection: z
      .string({ error: 'Enter what you learned and how you will use it' })
      .trim()
      .min(1, 'Enter what you learned and how you will use it')
      .max(maxReflection, `Reflection must be ${maxReflection} characters or fewer`),
  });
}
export type CpdEntryInput = z.infer<ReturnType<typeof cpdEntrySchema>>;

/**
 * Recording a Foundation renewal (page and API): the day it was renewed, from when the programme began to today.
 * Without `today` the date is not checked against the clock (the API's declared body; the service checks with it).
 * The award and last renewal dates are the record's, so the service checks those.
 */
export function renewalSchema(today?: string) {
  return z.object({
    date: dateField('Date renewed', 'the date the accreditation was renewed')
      .refine((iso) => !today || iso <= today, 'Date renewed must be today or in the past')
      .describe('The day the Foundation accreditation was renewed (YYYY-MM-DD): from 1 November 2021 to today, not before the award or the last renewal'),
  });
}

/** One accreditation with its upkeep, as the renewal operation answers. */
export const accreditationItem = z.object({
  id: z.uuid(),
  level: z.enum(levels),
  awardedOn: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
  renewedOn: z.string().meta({ format: 'date' }).nullable().describe('The last renewal (Foundation; YYYY-MM-DD), null until renewed'),
  certificateNumber: z.string(),
  status: z.enum(upkeepStatuses),
  dueOn: z.string().meta({ format: 'date', description: 'The next renewal (Foundation) or the end of the current accreditation year (YYYY-MM-DD)' }),
});

/** `GET /learners` filters. */
export const learnersApiQuery = pageQuery.extend({
  councilId: z.uuid('councilId must be a council id').optional(),
  level: z.enum(levels, { error: `level must be one of ${levels.join(', ')}` }).optional(),
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional(),
});
export type LearnerFilters = { councilId?: string; level?: string; q?: string };

export const learnerItem = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  councilId: z.uuid(),
  councilName: z.string(),
  jobTitle: z.string().nullable(),
  enrolments: z.array(
    z.object({
      id: z.uuid(),
      level: z.enum(levels),
      period: z.string().meta(periodMeta),
      status: z.enum(statuses),
      cohortId: z.uuid().nullable(),
      attempts: z.number().int(),
      overdue: z.boolean(),
    }),
  ),
  accreditations: z.array(
    z.object({
      id: z.uuid(),
      level: z.enum(levels),
      awardedOn: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
      certificateNumber: z.string(),
      status: z.enum(upkeepStatuses),
      dueOn: z.string().meta({ format: 'date', description: 'The next renewal (Foundation) or the end of the current accreditation year (YYYY-MM-DD)' }),
    }),
  ),
});

export const cpdItem = z.object({
  id: z.uuid(),
  date: z.string().meta({ format: 'date', description: 'YYYY-MM-DD' }),
  hours: z.number(),
  activity: z.enum(cpdActivities),
  reflection: z.string(),
});

export const cpdList = z.object({
  data: z.array(cpdItem),
  totals: z.object({
    entries: z.number().int(),
    hours: z.number().describe('All hours logged'),
  }),
});
