import { z } from 'zod';

/**
 * Decimal digits and nothing else. `Number()` and `z.coerce.number()` also read " 5", "5.0", "1e3", "0x10" and
 * "-1" as numbers, so a client's typo would silently become another page or another size.
 */
const decimalDigits = /^[0-9]{1,15}$/;

/** A whole number written in decimal digits ("42") as a number; undefined for anything else. */
export function parseWholeNumber(text: unknown): number | undefined {
  return typeof text === 'string' && decimalDigits.test(text) ? Number(text) : undefined;
}

/**
 * A whole number typed into a form box, for a schema that takes a JSON number: the digits (spaces around them and
 * a minus sign allowed, as people type, so that "-1" is told the range rather than "enter a number") become a
 * number, a blank box becomes undefined, and anything else is passed on as text for the schema to refuse with its
 * own message.
 */
export function formWholeNumber(text: unknown): number | string | undefined {
  const trimmed = typeof text === 'string' ? text.trim() : undefined;
  if (!trimmed) return undefined;
  const negative = trimmed.startsWith('-');
  const n = parseWholeNumber(negative ? trimmed.slice(1) : trimmed);
  return n === undefined ? trimmed : negative ? -n : n;
}

/**
 * A whole number in an API query string, refused (400, naming the parameter) unless it is decimal digits from
 * `min` to `max`. The OpenAPI document shows it as an integer.
 */
export function queryWholeNumber(name: string, { min, max, fallback }: { min: number; max: number; fallback: number }) {
  const notDigits = `${name} must be a whole number written in digits, like ${fallback}`;
  return z
    .string({ error: notDigits })
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return fallback;
      const n = parseWholeNumber(raw);
      if (n === undefined) ctx.addIssue({ code: 'custom', message: notDigits });
      else if (n < min || n > max) ctx.addIssue({ code: 'custom', message: `${name} must be between ${min} and ${max}` });
      return n ?? fallback;
    })
    .meta({ type: 'integer', minimum: min, maximum: max, description: `${min} to ${max}; ${fallback} when not given` });
}

/** A page number in a page's URL: a hand-edited or mistyped one shows the first page rather than an error. */
export const pageNumber = z.unknown().optional().transform((raw) => {
  const n = parseWholeNumber(raw);
  return n !== undefined && n >= 1 && n <= 100_000 ? n : 1;
});
