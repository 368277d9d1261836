import type { z } from 'zod';
import { ValidationError, type FieldErrors } from './errors.ts';

/** zod issues → one message per field (the first), as the GOV.UK error pattern shows them. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_form';
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

/** Parses input with a schema or throws a ValidationError carrying every field's message. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

/**
 * The view model the layout's error summary and the field macros read. A date field's error links to its day box,
 * as the GOV.UK date input pattern asks.
 */
export function errorView(fields: FieldErrors, dateFields: readonly string[] = []) {
  const anchor = (field: string) => (field === '_form' ? 'main-content' : dateFields.includes(field) ? `${field}-day` : field);
  return {
    errors: fields,
    errorList: Object.entries(fields).map(([field, text]) => ({ text, href: `#${anchor(field)}` })),
  };
}

type FormBody = Record<string, string | string[] | undefined>;

/** A form field's value: the first when the field was sent more than once (checkboxes, a repeated name). */
export const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** A GOV.UK date input's three boxes (`name-day`, `-month`, `-year`) as the "year-month-day" the date schemas read; undefined when all are empty. */
export function joinDateParts(body: FormBody, name: string): string | undefined {
  const parts = ['year', 'month', 'day'].map((p) => (first(body[`${name}-${p}`]) ?? '').trim());
  return parts.every((p) => !p) ? undefined : parts.join('-');
}

/** What a date input shows: the boxes as posted (after a failed post), or the stored ISO date's parts. */
export function dateInputValue(body: FormBody | null, name: string, stored: string | null): { day?: string; month?: string; year?: string } {
  if (body) return { day: first(body[`${name}-day`]), month: first(body[`${name}-month`]), year: first(body[`${name}-year`]) };
  if (!stored) return {};
  const [year, month, day] = stored.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year };
}
