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

/** The view model the layout's error summary and the field macros read. */
export function errorView(fields: FieldErrors) {
  return {
    errors: fields,
    errorList: Object.entries(fields).map(([field, text]) => ({ text, href: `#${field === '_form' ? 'main-content' : field}` })),
  };
}
