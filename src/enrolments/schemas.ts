import { z } from 'zod';
import { programmeStartDate } from '../councils/rules.ts';
import { eventTypes, isPeriod, levels, periodPattern } from './journey.ts';

const uuid = (message: string) => z.string({ error: message }).trim().uuid(message);

export const levelField = z.enum(levels, { error: `Select a level: ${levels.join(', ')}` });
/** How the OpenAPI document describes a period (the second year must follow the first, which a pattern cannot say). */
export const periodMeta = { pattern: periodPattern.source, description: 'A financial year (April to March), like 2024-25' };

export const periodField = z
  .string({ error: 'Enter the period, a financial year such as 2024-25' })
  .trim()
  .refine(isPeriod, 'Period must be a financial year written like 2024-25')
  .meta(periodMeta);

const longDate = (iso: string) => new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** A day something happened: a real ISO date, not before the programme began and not after today. */
export function pastDate(label: string, today: string) {
  return z
    .string({ error: `Enter the ${label.toLowerCase()}` })
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${label} must be a real date, like 2024-03-31`)
    .refine((iso) => {
      const d = new Date(`${iso}T12:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
    }, `${label} must be a real date, like 2024-03-31`)
    .refine((iso) => iso >= programmeStartDate, `${label} must be the same as or after ${longDate(programmeStartDate)}, when the programme began`)
    .refine((iso) => iso <= today, `${label} must be today or in the past`)
    .meta({ format: 'date' });
}

const freeText = (label: string, max: number) =>
  z.string().trim().max(max, `${label} must be ${max} characters or fewer`).optional().transform((v) => v || null);

/** A new officer named in a nomination; they are invited to Pioneer as a learner. */
export const newLearnerSchema = z.object({
  name: z.string({ error: 'Enter the officer’s full name' }).trim().min(1, 'Enter the officer’s full name').max(200, 'Name must be 200 characters or fewer'),
  email: z
    .string({ error: 'Enter the officer’s work email address' })
    .trim()
    .min(1, 'Enter the officer’s work email address')
    .max(254, 'Email address must be 254 characters or fewer')
    .email('Enter an email address in the correct format, like name@council.gov.uk'),
  jobTitle: freeText('Job title', 200),
});

/** A nomination (page, API and upload): an existing person of the council, or a new one. */
export const nominationSchema = z
  .object({
    councilId: uuid('Select the council'),
    level: levelField,
    period: periodField,
    personId: uuid('Select the officer').optional(),
    person: newLearnerSchema.optional(),
    roleDescription: freeText('Role', 500),
    contracts: freeText('Contracts managed', 2000),
    allowOutsideDomains: z
      .boolean({ error: 'allowOutsideDomains must be true or false' })
      .optional()
      .describe('Nominate a new person whose address is outside the council’s email domains (programme team only; audited)'),
    confirmExistingPerson: z
      .boolean({ error: 'confirmExistingPerson must be true or false' })
      .optional()
      .describe(
        'With person: the email address belongs to someone already in the council, and you confirm that they are the one to nominate (as they are: the name and job title sent are not used). Without it, such an address answers 409 naming them.',
      ),
  })
  .refine((v) => !!v.personId !== !!v.person, { path: ['personId'], message: 'Give either an existing person (personId) or a new person, not both' });
export type NominationInput = z.infer<typeof nominationSchema>;

const versionField = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .optional()
  .describe('The version you read; a stale one is refused with 409');

/** Correcting a nomination's level or period before the managing partner decides (page and API). */
export const nominationCorrectionSchema = z
  .object({ level: levelField.optional(), period: periodField.optional(), version: versionField })
  .refine((v) => v.level !== undefined || v.period !== undefined, { path: ['level'], message: 'Give the corrected level, period or both' });
export type NominationCorrectionInput = z.infer<typeof nominationCorrectionSchema>;

/** Withdrawing a nomination before the managing partner decides (page and API). */
export const nominationWithdrawalSchema = z.object({
  reason: z.string({ error: 'Enter why the nomination is withdrawn' }).trim().min(1, 'Enter why the nomination is withdrawn').max(2000, 'Reason must be 2000 characters or fewer'),
  version: versionField,
});

/** One move of the journey (page, API and results upload). */
export function journeyEventSchema(today: string) {
  return z.object({
    type: z.enum(eventTypes, { error: `Select what happened: one of ${eventTypes.join(', ')}` }),
    date: pastDate('Date', today),
    reason: freeText('Reason', 2000),
    certificateNumber: z
      .string()
      .trim()
      .max(50, 'Certificate number must be 50 characters or fewer')
      .regex(/^[A-Za-z0-9][A-Za-z0-9/-]*$/, 'Certificate number must contain only letters, numbers, hyphens and slashes')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    cohortId: uuid('Select a cohort').optional(),
    version: versionField,
  });
}
export type JourneyEventInput = z.infer<ReturnType<typeof journeyEventSchema>>;
