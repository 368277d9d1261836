import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { dateField } from '../councils/schemas.ts';
import { listQuery } from '../web/list-query.ts';
import { flagKeys, ratings, tiers } from './rules.ts';

export const nameMaxLength = 200;
export const targetMaxLength = 500;
export const noteMaxLength = 2000;
/** £10bn: more than any council contract, and far inside what a bigint of pence holds. */
export const maxPounds = 10_000_000_000;

const text = (label: string, enter: string, max: number) =>
  z
    .string({ error: `Enter ${enter}` })
    .trim()
    .min(1, `Enter ${enter}`)
    .max(max, `${label} must be ${max} characters or fewer`);

/**
 * An amount of money in pounds, from a form's text ("1,250,000.50", "£400") or a JSON number or string, as whole
 * pence. Refused with GOV.UK wording when it is not a number, negative, or has more than 2 decimal places.
 * Parsed as text, never through a float, so 0.1 + 0.2 problems cannot reach the database.
 */
export function poundsField(label: string, enter: string) {
  return z
    .union([z.number(), z.string()], { error: `Enter ${enter}` })
    .transform((raw, ctx) => {
      const t = String(raw).trim().replace(/^£/, '').replace(/,/g, '');
      const fail = (message: string) => {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      if (t === '') return fail(`Enter ${enter}`);
      if (/^-/.test(t) && /^-£?[\d.,]+$/.test(t)) return fail(`${label} must be £0 or more`);
      if (!/^\d+(\.\d+)?$/.test(t)) return fail(`${label} must be an amount of money in pounds, like 250000 or 250000.50`);
      const [whole, fraction = ''] = t.split('.');
      if (fraction.length > 2) return fail(`${label} must not have more than 2 decimal places`);
      if (whole.length > 12 || Number(whole) > maxPounds) return fail(`${label} must be £${maxPounds.toLocaleString('en-GB')} or less`);
      return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
    })
    .meta({ description: `${label} in pounds: 0 or more, at most 2 decimal places (a number, or text like "1,250,000.50")` });
}

export const version = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .describe('The version you read; a stale one is refused with 409');

const optionalUuid = (message: string) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string({ error: message }).trim().uuid(message).optional());

/** A key contract (page, API and each upload row). The end after the start and the manager's council are the service's. */
export const contractSchema = z.object({
  name: text('Contract name', 'the contract name', nameMaxLength),
  supplier: text('Supplier', 'the supplier', nameMaxLength),
  annualValue: poundsField('Annual value', 'the annual value'),
  totalValue: poundsField('Total value', 'the total value'),
  startDate: dateField('Start date', 'the start date'),
  endDate: dateField('End date', 'the end date'),
  tier: z.enum(tiers, { error: 'Select the tier' }),
  managerId: optionalUuid('Select the contract manager from the list').describe('The contract manager: a person of the same council, or none'),
  hasPlan: z.boolean({ error: 'Select whether a contract management plan is in place' }),
  version: version.optional(),
});
export type ContractInput = z.infer<typeof contractSchema>;

/** Creating over the API names the council; the pages take it from the URL. */
export const contractCreateApiSchema = contractSchema.omit({ version: true }).extend({
  councilId: z.string({ error: 'Enter the council id' }).trim().uuid('councilId must be a council id (a UUID)'),
});

/** A KPI: its name and target. */
export const kpiSchema = z.object({
  name: text('KPI', 'the KPI', nameMaxLength),
  target: text('Target', 'the target', targetMaxLength),
  version: version.optional(),
});

/** A KPI's latest assessment: the rating, the day it was assessed (not in the future) and a note. */
export const assessmentSchema = z.object({
  rating: z.enum(ratings, { error: 'Select the rating' }),
  assessedOn: dateField('Date assessed', 'the date assessed'),
  note: z.string().trim().max(noteMaxLength, `Note must be ${noteMaxLength} characters or fewer`).optional(),
  version: version.optional(),
});

export const contractSortKeys = ['name', 'supplier', 'totalValue', 'endDate', 'tier'] as const;

/** The list page's query: bad filters fall back to none. */
export const contractListQuery = listQuery(contractSortKeys, 'endDate').extend({
  tier: z.enum(tiers).optional().catch(undefined),
  flag: z.enum(flagKeys).optional().catch(undefined),
});

/** The API's list query: a bad value is a 400. */
export const contractApiListQuery = pageQuery.extend({
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  tier: z.enum(tiers, { error: `tier must be one of ${tiers.join(', ')}` }).optional(),
  flag: z.enum(flagKeys, { error: `flag must be one of ${flagKeys.join(', ')}` }).optional(),
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional().describe('Part of the contract name or supplier'),
});

const isoDate = z.string().meta({ format: 'date' });

export const apiKpiSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  target: z.string(),
  rating: z.enum(ratings).nullable().describe('The latest assessment’s rating, or null before the first'),
  assessedOn: isoDate.nullable(),
  note: z.string().nullable(),
  version: z.number().int(),
});

export const apiContractSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  name: z.string(),
  supplier: z.string(),
  annualValuePence: z.number().int().describe('Annual value in pence'),
  totalValuePence: z.number().int().describe('Total value over the contract’s life in pence'),
  startDate: isoDate,
  endDate: isoDate,
  tier: z.enum(tiers),
  managerId: z.uuid().nullable(),
  managerName: z.string().nullable(),
  hasPlan: z.boolean().describe('Whether a contract management plan is in place'),
  flags: z.object({
    procurementAct: z.boolean().describe('Total value over the Procurement Act threshold (a setting, default £5m): s.52 KPI duties apply'),
    nextAssessmentDue: isoDate.nullable().describe('12 months after the latest KPI assessment; null with procurementAct true means due now'),
    assessmentOverdue: z.boolean(),
    tooFewKpis: z.boolean().describe('Over the Procurement Act threshold with fewer than 3 KPIs'),
    reprocure: z.boolean().describe('Ending within the re-procurement window (a setting, default 18 months): plan the re-procurement'),
    ended: z.boolean(),
  }),
  kpis: z.array(apiKpiSchema).max(1000),
  version: z.number().int().describe('Send it back with a change; a stale one is refused with 409'),
});
