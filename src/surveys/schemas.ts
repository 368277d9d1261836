import { z } from 'zod';
import { dateField } from '../councils/schemas.ts';
import { pageQuery } from '../api/registry.ts';

export const surveyLevels = ['reaction', 'behaviour', 'results'] as const;
export type SurveyLevel = (typeof surveyLevels)[number];
export const surveyLevelLabels: Record<SurveyLevel, string> = {
  reaction: 'Reaction (after an event or workshop)',
  behaviour: 'Behaviour (3 to 6 months after accreditation)',
  results: 'Results (improvement and maturity)',
};
export const surveyStatuses = ['draft', 'open', 'closed'] as const;
export type SurveyStatus = (typeof surveyStatuses)[number];
export const surveyStatusLabels: Record<SurveyStatus, string> = { draft: 'Draft', open: 'Open', closed: 'Closed' };

export const questionTypes = ['scale', 'single', 'multiple', 'text'] as const;
export type QuestionType = (typeof questionTypes)[number];
export const questionTypeLabels: Record<QuestionType, string> = {
  scale: 'A scale from 1 to 5',
  single: 'Choose one option',
  multiple: 'Choose one or more options',
  text: 'Free text',
};

export const titleMaxLength = 200;
export const questionMaxLength = 500;
export const optionMaxLength = 200;
export const maxQuestions = 20;
export const maxOptions = 12;
export const answerMaxLength = 2000;

export const questionSchema = z
  .object({
    text: z.string({ error: 'Enter the question' }).trim().min(1, 'Enter the question').max(questionMaxLength, `The question must be ${questionMaxLength} characters or fewer`),
    type: z.enum(questionTypes, { error: 'Select the type of question' }),
    options: z
      .array(z.string().trim().max(optionMaxLength, `Each option must be ${optionMaxLength} characters or fewer`))
      .max(maxOptions, `A question can have ${maxOptions} options or fewer`)
      .default([])
      .transform((options) => options.filter((o) => o !== '')),
    required: z.boolean().default(false),
  })
  .superRefine((q, ctx) => {
    const choice = q.type === 'single' || q.type === 'multiple';
    if (choice && q.options.length < 2) ctx.addIssue({ code: 'custom', path: ['options'], message: 'Enter at least 2 options, one a line' });
    const seen = new Set<string>();
    const duplicate = q.options.find((o) => (seen.has(o.toLowerCase()) ? true : (seen.add(o.toLowerCase()), false)));
    if (choice && duplicate) ctx.addIssue({ code: 'custom', path: ['options'], message: `The option “${duplicate}” is there twice: each option must be different` });
    if (!choice && q.options.length) ctx.addIssue({ code: 'custom', path: ['options'], message: 'Only choice questions have options' });
  });
export type QuestionInput = z.infer<typeof questionSchema>;

/** The survey's version as read (API bodies and queries, the schedule form's hidden field). */
export const surveyVersion = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .describe('The survey’s version you read; a stale one is refused with 409');

/** Creating or changing a survey (page and API). That the closing date is not in the past is the service's check (the clock). */
export const surveySchema = z.object({
  title: z.string({ error: 'Enter a title' }).trim().min(1, 'Enter a title').max(titleMaxLength, `The title must be ${titleMaxLength} characters or fewer`),
  level: z.enum(surveyLevels, { error: 'Select the Kirkpatrick level' }),
  audience: z.string({ error: 'Describe who the survey is for' }).trim().min(1, 'Describe who the survey is for').max(500, 'The audience must be 500 characters or fewer'),
  anonymous: z.boolean({ error: 'Select whether the answers are anonymous' }),
  closesOn: dateField('Closing date', 'the closing date'),
  questions: z.array(questionSchema).min(1, 'Add at least one question').max(maxQuestions, `A survey can have ${maxQuestions} questions or fewer`),
  version: surveyVersion.optional(),
});
export type SurveyInput = z.infer<typeof surveySchema>;

/** Creating a survey over the API: the definition without a version (a new survey has none to send back). */
export const surveyCreateSchema = surveySchema.omit({ version: true });

/** The statuses a survey can be moved to (over the API; the page's buttons post `move=open|close`). */
export const surveyMoveSchema = z.object({
  status: z.enum(['open', 'closed'], { error: 'status must be open or closed' }).meta({ description: 'open (from draft, its closing date not passed) or closed (from open)' }),
  version: surveyVersion.optional(),
});

/** A stored question: its key names its answers. */
export type Question = QuestionInput & { key: string };

/** Who to send an open survey to, from the record. */
export const sendSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('event'),
    eventId: z.uuid({ error: 'Select an event' }),
    attendedOnly: z.boolean({ error: 'attendedOnly must be true or false' }).default(false),
  }),
  z.object({
    source: z.literal('accredited'),
    from: dateField('Accredited from', 'the first date'),
    to: dateField('Accredited to', 'the last date'),
    includeSros: z.boolean({ error: 'includeSros must be true or false' }).default(false),
  }),
], { error: 'Select who to send the survey to' });
export type SendInput = z.infer<typeof sendSchema>;

export const scheduleMonthsMessage = 'Enter the number of months as a whole number from 3 to 6';

/**
 * Sending a behaviour survey automatically N months after accreditation (page and API): the months, the SROs or not,
 * and the survey's version read (optional; a stale one is refused with 409).
 */
export const scheduleSchema = z.object({
  months: z
    .preprocess(
      (v) => (typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v) ? Number(v) : v),
      z.number({ error: scheduleMonthsMessage }).int(scheduleMonthsMessage).min(3, scheduleMonthsMessage).max(6, scheduleMonthsMessage),
    )
    // The API documents a whole number; the form's text is read by the preprocess.
    .meta({ type: 'integer', minimum: 3, maximum: 6, description: 'Sent to learners this many months after their accreditation date: a whole number from 3 to 6' }),
  includeSros: z.boolean({ error: 'Select whether to send it to the SROs too' }).default(false).meta({ description: 'Send it to the learners’ councils’ SROs too' }),
  version: surveyVersion.optional(),
});
export type ScheduleInput = z.infer<typeof scheduleSchema>;

/**
 * Stopping a behaviour survey's schedule on the page: the survey's version read (optional, as over the API; a stale one
 * is refused with 409, and one that is not a whole number from 1 with 400, never taken as no version at all).
 */
export const scheduleStopSchema = z.object({ version: surveyVersion.optional() });

/** `?version=` when clearing a schedule over the API: the version read, in decimal digits (optional). */
export const scheduleRemovalQuery = z.object({
  version: z
    .string()
    .regex(/^[0-9]{1,9}$/, 'version must be a whole number written in digits, like 3')
    .transform(Number)
    .pipe(z.number().int().min(1, 'version must be 1 or more'))
    .optional()
    .meta({ type: 'integer', minimum: 1, description: 'The survey’s version you read; a stale one is refused with 409' }),
});

// ---------------------------------------------------------------------------------------------- API

const apiCount = z.object({
  value: z.number().int().nullable().meta({ description: 'The count, or null when it is hidden (see `suppressed`)' }),
  suppressed: z.enum(['small', 'secondary']).nullable().meta({
    description: 'Why the count is hidden, for everyone: `small` (1 to 4), `secondary` (so that a small one cannot be worked out from the total beside it); null when it is shown',
  }),
});

export const apiSurveySchema = z.object({
  id: z.uuid(),
  title: z.string(),
  level: z.enum(surveyLevels),
  audience: z.string(),
  anonymous: z.boolean(),
  closesOn: z.string().meta({ format: 'date' }),
  status: z.enum(surveyStatuses),
  questions: z
    .array(z.object({ key: z.string(), text: z.string(), type: z.enum(questionTypes), options: z.array(z.string()).max(maxOptions), required: z.boolean() }))
    .max(maxQuestions),
  version: z.number().int().meta({ description: 'Changes with each edit, opening, closing and schedule change: send it back to refuse a stale change (409)' }),
  sent: z.number().int().meta({ description: 'How many people it was sent to' }),
  answered: z.number().int().meta({ description: 'How many of them answered' }),
  schedule: z
    .object({
      months: z.number().int().min(3).max(6).meta({ description: 'Sent to learners this many months after their accreditation date' }),
      includeSros: z.boolean().meta({ description: 'Sent to the learners’ councils’ SROs too' }),
      setOn: z.string().meta({ format: 'date', description: 'The day the schedule was set: learners accredited up to six months before it are covered' }),
    })
    .nullable()
    .meta({ description: 'A behaviour survey that sends itself after accreditation (the periodic job); null when it is sent by hand only' }),
});

/** What sending a survey over the API answers: how many the record gave, how many of them were new, and the survey. */
export const apiSendingSchema = z.object({
  chosen: z.number().int().meta({ description: 'How many people the record gave' }),
  sent: z.number().int().meta({ description: 'How many of them were sent it now: those sent it before are not sent it again' }),
  survey: apiSurveySchema,
});

/** What reminding answers: how many were sent a fresh link, and the survey. */
export const apiReminderSchema = z.object({
  reminded: z.number().int().meta({ description: 'How many who had not answered were sent a reminder with a fresh link' }),
  survey: apiSurveySchema,
});

/** The API list's query: a page, and the level and status to filter by. */
export const surveyApiListQuery = pageQuery.extend({
  level: z.enum(surveyLevels, { error: `level must be one of ${surveyLevels.join(', ')}` }).optional(),
  status: z.enum(surveyStatuses, { error: `status must be one of ${surveyStatuses.join(', ')}` }).optional(),
});

export const apiResultsSchema = z.object({
  surveyId: z.uuid(),
  sent: z.number().int(),
  answered: z.number().int(),
  ratePercent: z.number().nullable().meta({ description: 'answered ÷ sent as a percentage to one decimal place; null when not sent' }),
  disclosureRule: z.string(),
  questions: z.array(
    z.object({
      key: z.string(),
      number: z.number().int(),
      text: z.string(),
      type: z.enum(questionTypes),
      answered: apiCount,
      counts: z.array(z.object({ answer: z.string(), count: apiCount })).meta({ description: 'Per scale point (1 to 5) or option; empty for free text' }),
      mean: z.number().nullable().meta({ description: 'A scale’s mean to one decimal place; null when any of its counts is hidden, or not a scale' }),
      texts: z.array(z.string()).nullable().meta({ description: 'Free-text answers: programme staff only, once 5 or more answered; null otherwise' }),
    }),
  ),
});
