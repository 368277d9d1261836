import type { z } from 'zod';
import { ConflictError, ValidationError, type FieldErrors } from './errors.ts';

/** A form whose hidden version could not be read (a damaged or hand-made post): refused, nothing changed. */
const unreadableVersionMessage = 'Nothing was changed: the form did not send the version this page gave it. Check what is shown below and try again';

/**
 * A failed command as a form shows it again: the fields in error (400), or a conflict on the form (409); anything else
 * is rethrown. A stale version (a ConflictError on `version`) is the whole form's problem, not a hidden field's, and is
 * flagged `stale` so the form can carry the version now stored: sending it again is then a deliberate choice. So is
 * a version that could not be read at all (400).
 */
export type FormFailure = { fields: FieldErrors; status: number; stale?: boolean };
export function failureOf(err: unknown): FormFailure {
  if (err instanceof ValidationError && err.fields.version) {
    // A hidden version that could not be read (a damaged or hand-made post) has no box to link to: it is the form's
    // problem, and like a stale one the form comes back carrying the version now stored. It is never read as "no
    // version", which would save over whatever someone else had saved meanwhile.
    const { version: _unreadable, ...fields } = err.fields;
    return { fields: { _form: unreadableVersionMessage, ...fields }, status: 400, stale: true };
  }
  if (err instanceof ValidationError) return { fields: err.fields, status: 400 };
  if (err instanceof ConflictError && err.field === 'version') return { fields: { _form: err.message }, status: 409, stale: true };
  if (err instanceof ConflictError) return { fields: { [err.field ?? '_form']: err.message }, status: 409 };
  throw err;
}

/**
 * The version a form shown again carries in its hidden field (`version`, or `field`): the one it sent, unless the save
 * was refused as stale (`failure.stale`); then `stored`, the record's version now. What was typed is shown again over
 * it, so sending the form again after checking is a deliberate choice that works, not a refusal over the version first
 * read for ever; and after any other refusal a corrected save is still checked against what the form was read at.
 */
export function shownVersion<V>(body: Readonly<Record<string, unknown>> | null | undefined, failure: FormFailure | undefined, stored: V, field = 'version'): string | undefined | V {
  if (!body || failure?.stale) return stored;
  const sent = body[field];
  return typeof sent === 'string' || Array.isArray(sent) ? first(sent as string | string[]) : undefined;
}

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
 * The view model the layout's error summary and the field macros read. A date field's error links to the first of
 * its boxes that is wrong (the day box when the whole date is), as the GOV.UK date input pattern asks; without the
 * posted `body`, to the day box.
 */
export function errorView(fields: FieldErrors, dateFields: readonly string[] = [], body?: FormBody | null) {
  const dateAnchor = (field: string) => `${field}-${body ? datePartsInError(dateInputValue(body, field, null))[0] : 'day'}`;
  const anchor = (field: string) => (field === '_form' ? 'main-content' : dateFields.includes(field) ? dateAnchor(field) : field);
  return {
    errors: fields,
    errorList: Object.entries(fields).map(([field, text]) => ({ text, href: `#${anchor(field)}` })),
  };
}

type FormBody = Record<string, string | string[] | undefined>;

/** A form field's value: the first when the field was sent more than once (checkboxes, a repeated name). */
export const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Every value a form field was sent with (checkboxes, hidden fields of one name), as a list; anything not text is left out. */
export const formValues = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** A GOV.UK date input's three boxes (`name-day`, `-month`, `-year`) as the "year-month-day" the date schemas read; undefined when all are empty. */
export function joinDateParts(body: FormBody, name: string): string | undefined {
  const parts = ['year', 'month', 'day'].map((p) => (first(body[`${name}-${p}`]) ?? '').trim());
  return parts.every((p) => !p) ? undefined : parts.join('-');
}

type DatePart = 'day' | 'month' | 'year';

/**
 * Which boxes of a date input in error to highlight: the empty ones when only some are filled in, else the ones that
 * cannot be a day (1–31), a month (1–12) or a four-digit year, else all three (a date that does not exist, or one
 * outside the allowed range, is wrong as a whole). GOV.UK: "only style the field that has an error".
 */
export function datePartsInError(value: { day?: string; month?: string; year?: string }): DatePart[] {
  const parts: DatePart[] = ['day', 'month', 'year'];
  const text = (p: DatePart) => (value[p] ?? '').trim();
  const empty = parts.filter((p) => !text(p));
  if (empty.length && empty.length < 3) return empty;
  const inRange = (t: string, max: number) => /^\d{1,2}$/.test(t) && Number(t) >= 1 && Number(t) <= max;
  const bad = parts.filter((p) => (p === 'year' ? !/^\d{4}$/.test(text(p)) : !inRange(text(p), p === 'day' ? 31 : 12)));
  return empty.length === 0 && bad.length && bad.length < 3 ? bad : parts;
}

/** What a date input shows: the boxes as posted (after a failed post), or the stored ISO date's parts. */
export function dateInputValue(body: FormBody | null, name: string, stored: string | null): { day?: string; month?: string; year?: string } {
  if (body) return { day: first(body[`${name}-day`]), month: first(body[`${name}-month`]), year: first(body[`${name}-year`]) };
  if (!stored) return {};
  const [year, month, day] = stored.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year };
}
