import { z } from 'zod';
import { indicatorKeys } from './catalogue.ts';

/** The indicator catalogue with each value as of today, as the evaluation page shows it. */
export const apiIndicatorsSchema = z.object({
  asAt: z.string().meta({ format: 'date', description: 'The date every value is as at (UK time), YYYY-MM-DD' }),
  scope: z.enum(['programme', 'managed-councils']).meta({ description: 'The whole programme, or the councils your organisation manages' }),
  items: z.array(
    z.object({
      key: z.enum(indicatorKeys).meta({ description: 'The indicator’s key' }),
      name: z.string(),
      description: z.string(),
      unit: z.enum(['count', 'percent', 'pence']).meta({ description: 'What the value counts: percent to one decimal place; money in pence' }),
      computation: z.string().meta({ description: 'How the value is worked out' }),
      range: z.object({ min: z.number(), max: z.number().nullable().meta({ description: 'null: no upper bound' }) }),
      higherIsBetter: z.boolean(),
      value: z.number().nullable().meta({ description: 'The value as of asAt; null when there is nothing to measure yet or it is suppressed' }),
      text: z.string().meta({ description: 'The value as the page shows it' }),
      suppressed: z.enum(['small', 'secondary']).nullable().meta({ description: 'Why the value is hidden, if it is' }),
    }),
  ),
});
