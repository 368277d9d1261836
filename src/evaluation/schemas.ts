import { z } from 'zod';
import { indicatorByKey, indicatorKeys, type Indicator, type IndicatorKey } from './catalogue.ts';

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

// ---- Critical success factors and snapshots ----

export const csfNameMaxLength = 120;
export const csfDescriptionMaxLength = 1000;
export const csfMaxPosition = 999;
/** The largest target a count or money indicator may have (a typo guard: no programme figure comes near it). */
export const maxThreshold = 1_000_000_000_000;

const raw = z.union([z.string(), z.number()]).optional();

/** A target or amber threshold in the indicator's unit: percent and counts to one decimal place, money in pounds (kept in pence). */
function parseThreshold(indicator: Indicator, value: string | number | undefined, what: 'Target' | 'Amber threshold'): { value: number } | { error: string } {
  const label = `${what} for ${indicator.name}`;
  const text = String(value ?? '').trim().replace(/,/g, '').replace(indicator.unit === 'pence' ? /^£/ : /%$/, '');
  if (text === '') return { error: `Enter ${what === 'Target' ? 'a target' : 'an amber threshold'} for ${indicator.name}` };
  if (!/^-?\d+(\.\d+)?$/.test(text)) return { error: `${label} must be a number, like ${indicator.unit === 'pence' ? '250000' : '75'}` };
  const n = Number(text);
  const { min, max } = indicator.range;
  const limit = max ?? (indicator.unit === 'pence' ? maxThreshold / 100 : maxThreshold);
  if (indicator.unit === 'percent' && (n < min || n > limit)) return { error: `${label} must be between ${min}% and ${limit}%` };
  if (indicator.unit === 'pence' && (n < min || n > limit)) return { error: `${label} must be between £${min} and £${limit.toLocaleString('en-GB')}` };
  if (n < min || n > limit) return { error: `${label} must be between ${min} and ${limit.toLocaleString('en-GB')}` };
  const decimals = text.split('.')[1]?.length ?? 0;
  if (indicator.unit === 'pence') {
    if (decimals > 2) return { error: `${label} must not have more than 2 decimal places` };
    return { value: Math.round(n * 100) };
  }
  if (decimals > 1) return { error: `${label} must not have more than 1 decimal place` };
  return { value: n };
}

/**
 * A CSF (page form; the API's body if it comes): its name, description and place in the list, and for each indicator
 * chosen its target and amber threshold in the indicator's unit (money in pounds). Each threshold must be possible for
 * its indicator (0–100 for a percentage, 0 or more for a count or money), and amber must sit below the target (above
 * it when lower is better). Errors name the field: `indicators.<key>.target` / `.amber`.
 */
const csfFields = z.object({
  name: z.string({ error: 'Enter a name' }).trim().min(1, 'Enter a name').max(csfNameMaxLength, `Name must be ${csfNameMaxLength} characters or fewer`),
  description: z.preprocess((v) => v ?? '', z.string().trim().max(csfDescriptionMaxLength, `Description must be ${csfDescriptionMaxLength} characters or fewer`)),
  position: z
    .union([z.string(), z.number()], { error: 'Enter the order, like 1' })
    .transform((v, ctx) => {
      const t = String(v).trim();
      if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > csfMaxPosition) {
        ctx.addIssue({ code: 'custom', message: t === '' ? 'Enter the order, like 1' : `Order must be a whole number from 1 to ${csfMaxPosition}` });
        return z.NEVER;
      }
      return Number(t);
    })
    .meta({ description: `Where the CSF sits in the list, 1 to ${csfMaxPosition} (lowest first)` }),
  indicators: z
    .partialRecord(z.enum(indicatorKeys), z.object({ target: raw, amber: raw }))
    .meta({ description: 'The indicators chosen, by key: each with its target and amber threshold in its unit (money in pounds)' }),
});

/** Each chosen indicator's target and amber threshold read in its unit, checked against each other. */
function withThresholds(data: z.output<typeof csfFields> & { version?: number }, ctx: z.core.$RefinementCtx<unknown>) {
  const chosen: { key: IndicatorKey; target: number; amber: number }[] = [];
  for (const key of indicatorKeys) {
    const pair = data.indicators[key];
    if (!pair) continue;
    const indicator = indicatorByKey.get(key)!;
    const target = parseThreshold(indicator, pair.target, 'Target');
    const amber = parseThreshold(indicator, pair.amber, 'Amber threshold');
    if ('error' in target) ctx.addIssue({ code: 'custom', path: ['indicators', key, 'target'], message: target.error });
    if ('error' in amber) ctx.addIssue({ code: 'custom', path: ['indicators', key, 'amber'], message: amber.error });
    if (!('value' in target) || !('value' in amber)) continue;
    if (indicator.higherIsBetter ? amber.value >= target.value : amber.value <= target.value) {
      ctx.addIssue({ code: 'custom', path: ['indicators', key, 'amber'], message: `Amber threshold for ${indicator.name} must be ${indicator.higherIsBetter ? 'below' : 'above'} the target` });
      continue;
    }
    chosen.push({ key, target: target.value, amber: amber.value });
  }
  if (Object.keys(data.indicators).length === 0) ctx.addIssue({ code: 'custom', path: ['indicators'], message: 'Select at least one indicator' });
  return { name: data.name, description: data.description, position: data.position, version: data.version, indicators: chosen };
}

/** The page's form, adding or changing a CSF: a change sends the version it read (a stale one is refused with 409). */
export const csfSchema = csfFields
  .extend({ version: z.coerce.number().int().positive().optional().meta({ description: 'The version you read; a stale one is refused with 409' }) })
  .transform(withThresholds);

/**
 * Adding a CSF (the page's form and the API's body): the form's fields without a version, since a new CSF has none to
 * compare with. The API documents exactly what it reads; a `version` sent is ignored, as any other unknown field.
 */
export const csfCreateSchema = csfFields.transform(withThresholds);

/** The API's change of a CSF: the form's fields, every one sent, and the version read (required, as the form sends it). */
export const csfUpdateSchema = csfFields
  .extend({ version: z.number({ error: 'Send the version you read, as a number' }).int('Send the version you read, as a number').positive('Send the version you read, as a number').meta({ description: 'The version you read; a stale one is refused with 409' }) })
  .transform(withThresholds);
export type CsfInput = z.output<typeof csfSchema>;

const ragValues = ['green', 'amber', 'red'] as const;

/** The CSFs with each indicator's value as of today, its target and RAG status. */
export const apiCsfsSchema = z.object({
  asAt: z.string().meta({ format: 'date', description: 'The date every value is as at (UK time), YYYY-MM-DD' }),
  scope: z.enum(['programme', 'managed-councils']).meta({ description: 'The whole programme, or the councils your organisation manages' }),
  items: z.array(
    z.object({
      id: z.string().meta({ format: 'uuid' }),
      name: z.string(),
      description: z.string(),
      position: z.number().int(),
      version: z.number().int().meta({ description: 'The version: send it to change or delete the CSF (a stale one is refused with 409)' }),
      indicators: z.array(
        z.object({
          key: z.enum(indicatorKeys),
          name: z.string(),
          unit: z.enum(['count', 'percent', 'pence']),
          higherIsBetter: z.boolean(),
          value: z.number().nullable().meta({ description: 'The value as of asAt; null when there is nothing to measure yet or it is suppressed' }),
          text: z.string().meta({ description: 'The value as the page shows it' }),
          suppressed: z.enum(['small', 'secondary']).nullable(),
          target: z.number().meta({ description: 'The target, in the unit (money in pence)' }),
          amber: z.number().meta({ description: 'The amber threshold, in the unit (money in pence)' }),
          rag: z.enum(ragValues).nullable().meta({ description: 'green at or beyond the target, amber at or beyond the amber threshold, red otherwise; null with no value (none yet, or suppressed)' }),
        }),
      ),
    }),
  ),
});

/** One CSF as the API answers it (an item of apiCsfsSchema), with the date its values are as at. */
export const apiCsfSchema = apiCsfsSchema.shape.items.element.extend({ asAt: apiCsfsSchema.shape.asAt, scope: apiCsfsSchema.shape.scope });

export const csfIdParams = z.object({ id: z.uuid().meta({ description: 'The CSF’s id' }) });
/** A CSF is deleted only at the version the caller read (the confirmation page's rule). */
export const csfDeleteQuery = z.object({
  version: z.coerce.number({ error: 'Send the version you read, like ?version=3' }).int().positive().meta({ description: 'The version you read; a stale one is refused with 409' }),
});

/** An indicator's monthly snapshots, oldest first. */
export const apiSnapshotsSchema = z.object({
  key: z.enum(indicatorKeys),
  name: z.string(),
  unit: z.enum(['count', 'percent', 'pence']),
  scope: apiIndicatorsSchema.shape.scope,
  councilsFrom: z
    .string()
    .nullable()
    .meta({ pattern: '^\\d{4}-\\d{2}$', description: 'For the councils your organisation manages: the first month with their own values (YYYY-MM); null for the whole programme, or when none has been taken yet' }),
  items: z.array(
    z.object({
      month: z.string().meta({ pattern: '^\\d{4}-\\d{2}$', description: 'The month, YYYY-MM' }),
      value: z.number().nullable().meta({ description: 'The value that month for your scope; null when there was nothing to measure, no snapshot, no snapshot for your councils yet (`gap`), or it is suppressed' }),
      text: z.string(),
      suppressed: z.enum(['small', 'secondary']).nullable(),
      gap: z.enum(['no-snapshot', 'programme-only']).nullable().meta({ description: 'Why there is no value: no snapshot that month, or one taken for the whole programme only (before snapshots for your councils began)' }),
      asOf: z.string().nullable().meta({ format: 'date', description: 'The date the value is as at; null when the month has no value for your scope (`gap`)' }),
    }),
  ),
});

export const indicatorKeyParams = z.object({ key: z.string().meta({ description: 'The indicator’s key (see listIndicators)' }) });
export const snapshotsQuery = z.object({
  months: z.coerce.number().int().min(1).max(60).default(12).meta({ description: 'How many months, ending with the current one (1–60, default 12)' }),
});
