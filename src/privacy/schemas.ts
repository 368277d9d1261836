import { z } from 'zod';

export const reasonMaxLength = 1000;

/** Erasing a person: the reason is kept in the audit log (never the erased data). Shared by the page and the API. */
export const erasureSchema = z.object({
  reason: z
    .string({ error: 'Enter why this person is being erased' })
    .trim()
    .min(1, 'Enter why this person is being erased')
    .max(reasonMaxLength, `The reason must be ${reasonMaxLength} characters or fewer`),
});

/** What the API answers after an erasure. */
export const erasureResult = z.object({
  id: z.uuid(),
  name: z.string().meta({ description: 'The placeholder the person’s records are now attached to, like "Erased person 417"' }),
  erasedAt: z.string().meta({ format: 'date-time' }),
});
