import { z } from 'zod';
import { dateField } from '../councils/schemas.ts';
import { programmeStartDate } from '../councils/rules.ts';
import { isPeriod, nextPeriod, periodOf } from '../enrolments/journey.ts';

const reasonField = z
  .string({ error: 'Enter the reason for the change' })
  .trim()
  .min(1, 'Enter the reason for the change')
  .max(2000, 'Reason must be 2000 characters or fewer');

const beforeMessage = 'Select the partner for councils onboarded before the cut-over date';
const afterMessage = 'Select the partner for councils onboarded on or after the cut-over date';

/**
 * Changing the managing-partner rule: the cut-over date (from 1 November 2021, the programme's start, to today)
 * and the partner on each side of it, which must be partner organisations. `today` and `partnerCodes` come from the
 * service (the clock and the database), so every problem is reported in one go.
 */
export function managingPartnerRuleSchema(today: string, partnerCodes: readonly string[]) {
  const partner = (message: string) =>
    z
      .string({ error: message })
      .trim()
      .refine((code) => partnerCodes.includes(code), message);
  return z
    .object({
      cutover: dateField('Cut-over date', 'the cut-over date').refine((iso) => iso <= today, 'Cut-over date must be today or in the past'),
      partnerBefore: partner(beforeMessage),
      partnerAfter: partner(afterMessage),
      reason: reasonField,
    })
    .refine((v) => v.partnerBefore !== v.partnerAfter, {
      path: ['partnerAfter'],
      message: 'Select a different partner for councils onboarded on or after the cut-over date',
    });
}
export type ManagingPartnerRuleInput = z.infer<ReturnType<typeof managingPartnerRuleSchema>>;

/** How a number setting's messages name it: "Enter <enter>", "<name> must be between 1 and 10". */
export type NumberField<K extends string> = { key: K; name: string; enter: string; min: number; max: number };

/** A whole number in a range, from a form's text (or a number). */
function wholeNumber({ name, enter, min, max }: NumberField<string>) {
  const range = `${name} must be between ${min} and ${max}`;
  return z
    .union([z.number(), z.string()], { error: `Enter ${enter}` })
    .transform((raw, ctx) => {
      const text = String(raw).trim();
      if (text === '') {
        ctx.addIssue({ code: 'custom', message: `Enter ${enter}` });
        return z.NEVER;
      }
      if (!/^[+-]?\d+$/.test(text)) {
        ctx.addIssue({ code: 'custom', message: /^[+-]?(\d+\.\d*|\.\d+)$/.test(text) ? `${name} must be a whole number` : `${name} must be a number` });
        return z.NEVER;
      }
      const n = Number(text);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: range });
        return z.NEVER;
      }
      return n;
    });
}

/** A form of number settings (the learner-journey rules): each a whole number in its range, and a reason. */
export function numberSettingsSchema<K extends string>(fields: readonly NumberField<K>[]) {
  const shape = Object.fromEntries(fields.map((f) => [f.key, wholeNumber(f)])) as Record<K, ReturnType<typeof wholeNumber>>;
  return z.object({ ...shape, reason: reasonField });
}

/**
 * Changing the programme periods: the first period (not before 2021-22, when the programme began) and the last open
 * period, blank for "the year after the current one" (worked out from `today`), never before the first.
 */
export function programmePeriodsSchema(today: string) {
  const programmeFirst = periodOf(programmeStartDate);
  return z
    .object({
      firstPeriod: z
        .string({ error: 'Enter the first period, a financial year like 2021-22' })
        .trim()
        .min(1, 'Enter the first period, a financial year like 2021-22')
        .refine(isPeriod, 'First period must be a financial year written like 2021-22')
        .refine((p) => !isPeriod(p) || p >= programmeFirst, `First period must be ${programmeFirst} or later, when the programme began`),
      lastPeriod: z
        .string()
        .trim()
        .optional()
        .transform((p) => p ?? '')
        .refine((p) => p === '' || isPeriod(p), 'Last open period must be a financial year written like 2027-28, or blank for the year after the current one'),
      reason: reasonField,
    })
    .refine((v) => !isPeriod(v.firstPeriod) || (v.lastPeriod || nextPeriod(periodOf(today))) >= v.firstPeriod, {
      path: ['lastPeriod'],
      message: 'Last open period must be the same as or after the first period',
    });
}

/** An https address with a host name that has a dot (https://book.example.org/…): what a learner's browser can open. */
export function isBookingUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.hostname.includes('.') && !url.username && !url.password;
  } catch {
    return false;
  }
}

const maxContact = 300;
const maxBookingUrl = 2000;
const bookingUrlMessage = 'Enter the assessment booking link as a web address starting with https://, like https://www.example.org/book, or leave it blank';

/** How learners book their assessment: the provider's contact (free text) and the booking link, each may be blank. */
export const assessmentBookingSchema = z.object({
  contact: z
    .string()
    .trim()
    .max(maxContact, `Assessment provider contact must be ${maxContact} characters or fewer`)
    .refine((v) => !/[\r\n]/.test(v), 'Assessment provider contact must be on one line')
    .optional()
    .transform((v) => v ?? ''),
  bookingUrl: z
    .string()
    .trim()
    .max(maxBookingUrl, `Assessment booking link must be ${maxBookingUrl} characters or fewer`)
    .refine((v) => v === '' || isBookingUrl(v), bookingUrlMessage)
    .optional()
    .transform((v) => v ?? ''),
  reason: reasonField,
});
