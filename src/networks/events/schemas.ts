import { z } from 'zod';
import { dateField } from '../../councils/schemas.ts';
import { pageQuery } from '../../api/registry.ts';
import { listPageNumber } from '../../web/list-query.ts';
import { formWholeNumber, parseWholeNumber } from '../../web/numbers.ts';
import { networkKeys } from '../networks.ts';
import { optionalPlainText, plainText } from '../plain-text.ts';
import { endOfLondonDay, londonInstant } from './london-time.ts';

export const eventFormats = ['online', 'in_person', 'hybrid'] as const;
export type EventFormat = (typeof eventFormats)[number];
export const eventFormatLabels: Record<EventFormat, string> = { online: 'Online', in_person: 'In person', hybrid: 'Hybrid (in person and online)' };

export const repeats = ['none', 'weekly', 'monthly'] as const;
export type Repeat = (typeof repeats)[number];
export const repeatLabels: Record<Repeat, string> = { none: 'Does not repeat', weekly: 'Every week', monthly: 'Every month, on the same date' };

export const maxTitle = 200;
export const maxDescription = 5000;
export const maxCapacity = 5000;
export const maxOccurrences = 24;

const optionalText = (label: string, max: number) =>
  optionalPlainText(label, max)
    .optional()
    .transform((v) => (v ? v : null));

/** "18:00", "9:30", "09.30" → "HH:MM" (24-hour), or the issue. */
const timeField = (label: string, enter: string) =>
  z
    .string({ error: `Enter ${enter}` })
    .trim()
    .min(1, `Enter ${enter}`)
    .transform((value, ctx) => {
      const m = /^(\d{1,2})[:.](\d{2})$/.exec(value);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
        ctx.addIssue({ code: 'custom', message: `${label} must be a real time in 24-hour format, like 18:00` });
        return z.NEVER;
      }
      return `${m[1].padStart(2, '0')}:${m[2]}`;
    });

const urlField = z
  .string()
  .trim()
  .max(2000, 'Joining link must be 2000 characters or fewer')
  .optional()
  .transform((v, ctx) => {
    if (!v) return null;
    const url = URL.canParse(v) ? new URL(v) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      ctx.addIssue({ code: 'custom', message: 'Joining link must start with https:// or http://, like https://meet.example.org/abc' });
      return z.NEVER;
    }
    return url.toString();
  });

/** Capacity as typed on the page (text) or sent as a number. */
const capacityField = z
  .unknown()
  .transform((raw) => (typeof raw === 'number' ? raw : formWholeNumber(raw)))
  .pipe(
    z
      .number({ error: 'Enter the number of places as a whole number, like 30' })
      .int('Enter the number of places as a whole number, like 30')
      .min(1, 'Number of places must be 1 or more')
      .max(maxCapacity, `Number of places must be ${maxCapacity} or fewer`),
  );

const occurrencesField = z
  .unknown()
  .optional()
  .transform((raw) => (raw === undefined || raw === '' ? undefined : typeof raw === 'number' ? raw : (parseWholeNumber(raw) ?? Number.NaN)));

/**
 * Creating or editing an event (the page's form). Times are London wall-clock times on the event's day, turned into
 * instants here; with `now`, an event that would start in the past is refused. `series` adds "repeat" and how many.
 */
export function eventSchema(now: Date | null, opts: { series: boolean }) {
  return z
    .object({
      title: plainText('Title', maxTitle, 'Enter a title'),
      description: plainText('Description', maxDescription, 'Enter a description'),
      date: dateField('Date', 'the date of the event'),
      startTime: timeField('Start time', 'the start time'),
      endTime: timeField('End time', 'the end time'),
      format: z.enum(eventFormats, { error: 'Select whether the event is online, in person or hybrid' }),
      location: optionalText('Location', 500),
      joiningUrl: urlField,
      capacity: capacityField,
      deadline: dateField('Registration deadline', 'the registration deadline').optional(),
      audience: z
        .array(z.enum(networkKeys, { error: 'Select who the event is for' }), { error: 'Select who the event is for' })
        .min(1, 'Select who the event is for')
        .max(2)
        .transform((a) => [...new Set(a)].sort()),
      repeat: opts.series ? z.enum(repeats, { error: 'Select whether the event repeats' }).default('none') : z.literal('none').optional().default('none'),
      occurrences: occurrencesField,
    })
    .transform((data, ctx) => {
      const issue = (path: string, message: string) => {
        ctx.addIssue({ code: 'custom', path: [path], message });
        return z.NEVER;
      };
      const startsAt = londonInstant(data.date, data.startTime);
      if (!startsAt) return issue('startTime', 'Start time does not exist on that day: the clocks go forward an hour. Choose another time');
      const endsAt = londonInstant(data.date, data.endTime);
      if (!endsAt) return issue('endTime', 'End time does not exist on that day: the clocks go forward an hour. Choose another time');
      if (endsAt <= startsAt) return issue('endTime', 'End time must be after the start time');
      if (now && startsAt <= now) return issue('date', 'The event must start in the future');
      if ((data.format === 'in_person' || data.format === 'hybrid') && !data.location) return issue('location', 'Enter where the event takes place');
      if ((data.format === 'online' || data.format === 'hybrid') && !data.joiningUrl) return issue('joiningUrl', 'Enter the joining link for an online or hybrid event');
      if (data.deadline && data.deadline > data.date) return issue('deadline', 'Registration deadline must be on or before the date of the event');
      let occurrences = 1;
      if (data.repeat !== 'none') {
        const n = data.occurrences;
        if (n === undefined) return issue('occurrences', 'Enter how many events the series has');
        if (!Number.isInteger(n) || n < 2 || n > maxOccurrences) return issue('occurrences', `Number of events must be a whole number from 2 to ${maxOccurrences}`);
        if (data.repeat === 'monthly' && Number(data.date.slice(8, 10)) > 28) return issue('date', 'For a monthly series, choose a date from the 1st to the 28th, so every month has it');
        occurrences = n;
      }
      return {
        title: data.title,
        description: data.description,
        date: data.date,
        startTime: data.startTime,
        endTime: data.endTime,
        startsAt,
        endsAt,
        format: data.format,
        location: data.format === 'online' ? null : data.location,
        joiningUrl: data.format === 'in_person' ? null : data.joiningUrl,
        capacity: data.capacity,
        deadline: data.deadline ?? null,
        registrationDeadline: data.deadline ? endOfLondonDay(data.deadline) : null,
        audience: data.audience,
        repeat: data.repeat,
        occurrences,
      };
    });
}
export type EventInput = z.infer<ReturnType<typeof eventSchema>>;

/** Recording attendance: the ids of those who attended (registered people, and walk-ins when chosen). */
export const attendanceSchema = z.object({
  attended: z
    .array(z.uuid('Select people from the list'))
    .max(maxCapacity)
    .default([]),
  walkInEmail: z.string().trim().max(320).optional().transform((v) => (v ? v : null)),
});

/** The events list page. */
export const eventsPageQuery = z.object({ page: listPageNumber, when: z.enum(['upcoming', 'past']).catch('upcoming').default('upcoming') });

/** `GET /network-events`. */
export const eventsApiQuery = pageQuery.extend({
  when: z.enum(['upcoming', 'past'], { error: 'when must be upcoming or past' }).optional().default('upcoming'),
  network: z.enum(networkKeys, { error: `network must be one of ${networkKeys.join(', ')}` }).optional(),
});

export const apiEventSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  description: z.string(),
  startsAt: z.string().meta({ format: 'date-time', description: 'The start (UTC); shown in UK time (Europe/London) on the pages' }),
  endsAt: z.string().meta({ format: 'date-time' }),
  format: z.enum(eventFormats),
  location: z.string().nullable(),
  joiningUrl: z.string().nullable().describe('Only for those registered for the event (null otherwise)'),
  capacity: z.number().int(),
  placesTaken: z.number().int(),
  waitlisted: z.number().int(),
  registrationDeadline: z.string().meta({ format: 'date-time' }).nullable().describe('Registration closes at this instant; null: when the event starts'),
  audience: z.array(z.enum(networkKeys)).max(2),
  seriesId: z.uuid().nullable(),
  status: z.enum(['scheduled', 'cancelled']),
  sequence: z.number().int().describe('The iCalendar SEQUENCE: goes up with every change'),
  myRegistration: z
    .object({ status: z.enum(['registered', 'waitlisted']), waitlistPlace: z.number().int().nullable() })
    .nullable()
    .describe('Your registration, if any (null when you have none, or cancelled it)'),
});

export const apiRegistrationSchema = z.object({
  eventId: z.uuid(),
  status: z.enum(['registered', 'waitlisted', 'cancelled']),
  waitlistPlace: z.number().int().nullable().describe('Your place on the waitlist (1 is next), when waitlisted'),
});
