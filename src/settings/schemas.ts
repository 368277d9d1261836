import { z } from 'zod';
import { dateField } from '../councils/schemas.ts';

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
      reason: z
        .string({ error: 'Enter the reason for the change' })
        .trim()
        .min(1, 'Enter the reason for the change')
        .max(2000, 'Reason must be 2000 characters or fewer'),
    })
    .refine((v) => v.partnerBefore !== v.partnerAfter, {
      path: ['partnerAfter'],
      message: 'Select a different partner for councils onboarded on or after the cut-over date',
    });
}
export type ManagingPartnerRuleInput = z.infer<ReturnType<typeof managingPartnerRuleSchema>>;
