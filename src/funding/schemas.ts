import { z } from 'zod';
import { dateField } from '../councils/schemas.ts';
import { poundsField, version } from '../contracts/schemas.ts';
import { levels } from '../enrolments/journey.ts';
import { pageQuery } from '../api/registry.ts';

export const nameMaxLength = 200;
export const conditionsMaxLength = 5000;
export const referenceMaxLength = 200;

export const lineKinds = ['training_places', 'support_days', 'networks', 'evaluation', 'programme_management'] as const;
export type LineKind = (typeof lineKinds)[number];
export const lineKindLabels: Record<LineKind, string> = {
  training_places: 'Training places',
  support_days: 'Transformation support days',
  networks: 'Networks',
  evaluation: 'Evaluation',
  programme_management: 'Programme management',
};

const text = (label: string, enter: string, max: number) =>
  z
    .string({ error: `Enter ${enter}` })
    .trim()
    .min(1, `Enter ${enter}`)
    .max(max, `${label} must be ${max} characters or fewer`);

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

/** A fund (page and API). The end on or after the start is the service's rule. */
export const fundSchema = z.object({
  source: text('Source organisation', 'the source organisation', nameMaxLength),
  name: text('Fund name', 'the fund name', nameMaxLength),
  amount: poundsField('Amount', 'the amount'),
  startDate: dateField('Start date', 'the start date'),
  endDate: dateField('End date', 'the end date'),
  conditions: z.preprocess((v) => v ?? '', z.string().trim().max(conditionsMaxLength, `Conditions must be ${conditionsMaxLength} characters or fewer`)),
});
export type FundInput = z.infer<typeof fundSchema>;

/** A budget line: a level and unit cost for training places, a day rate for support days, nothing more for the rest. */
export const lineSchema = z
  .object({
    kind: z.enum(lineKinds, { error: 'Select the kind of budget line' }),
    name: text('Line name', 'the line name', nameMaxLength),
    budget: poundsField('Budget', 'the budget'),
    level: z.preprocess(blankToUndefined, z.enum(levels, { error: 'Select the level of the training places' }).optional()),
    unitCost: z.preprocess(blankToUndefined, poundsField('Unit cost', 'the unit cost').optional()),
    dayRate: z.preprocess(blankToUndefined, poundsField('Day rate', 'the day rate').optional()),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'training_places') {
      if (!v.level) ctx.addIssue({ code: 'custom', path: ['level'], message: 'Select the level of the training places' });
      if (v.unitCost === undefined) ctx.addIssue({ code: 'custom', path: ['unitCost'], message: 'Enter the unit cost of a place' });
    }
    if (v.kind === 'support_days' && v.dayRate === undefined) ctx.addIssue({ code: 'custom', path: ['dayRate'], message: 'Enter the day rate' });
  });
export type LineInput = z.infer<typeof lineSchema>;

/** One item of actual spend against a line of the fund. The date within the fund is the service's rule. */
export const spendSchema = z.object({
  supplier: text('Supplier', 'the supplier', nameMaxLength),
  spentOn: dateField('Date', 'the date of the spend'),
  lineId: z.string({ error: 'Select the budget line' }).trim().min(1, 'Select the budget line'),
  amount: poundsField('Amount', 'the amount'),
  reference: z.preprocess((v) => v ?? '', z.string().trim().max(referenceMaxLength, `Reference must be ${referenceMaxLength} characters or fewer`)),
});
export type SpendInput = z.infer<typeof spendSchema>;

/** A change to a spend item: the same fields and the version read (a stale one is refused with 409). */
export const spendChangeSchema = spendSchema.extend({ version });
export type SpendChangeInput = z.infer<typeof spendChangeSchema>;

/** Removing a spend item: the version read. */
export const spendRemovalSchema = z.object({ version });

/** The columns of a spend upload, in template order (headers match ignoring case, spaces, underscores and hyphens). */
export const spendUploadColumns = [
  { name: 'supplier', description: 'Who was paid', example: 'Evaluators Ltd' },
  { name: 'date', date: true, description: 'The day of the spend, within the fund’s dates: 31/10/2024, 2024-10-31 or an Excel date', example: '31/10/2024' },
  { name: 'budget_line', description: 'The name of one of the fund’s budget lines, as on the fund’s page', example: 'Evaluation' },
  { name: 'amount', description: 'In pounds, more than £0, at most 2 decimal places (1250.50 or £1,250.50)', example: '1250.50' },
  { name: 'reference', description: 'The invoice or order reference (optional); unique within the fund', example: 'INV-0042' },
] as const;

// ---- The API (src/funding/api.ts) ----

const isoDate = z.string().meta({ format: 'date' });
const isoDateQuery = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${name} must be a date written YYYY-MM-DD`)
    .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), `${name} must be a real date`)
    .optional();

/** `?page=&pageSize=&lineId=&q=&from=&to=` of a fund's spend. */
export const spendApiListQuery = pageQuery.extend({
  lineId: z.string().trim().uuid('lineId must be a budget line id (a UUID)').optional(),
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional().describe('Part of the supplier or the reference'),
  from: isoDateQuery('from').describe('Spend on or after this day (YYYY-MM-DD)'),
  to: isoDateQuery('to').describe('Spend on or before this day (YYYY-MM-DD)'),
});

/** The sort keys of the spend lists (pages and API): date, supplier, amount, fund. */
export const spendSortKeys = ['spentOn', 'supplier', 'amount', 'fund'] as const;

/**
 * `?…&fundId=&lineKind=&sort=&order=` of the spend across funds: a fund's filters, and the list across funds' own
 * (which fund, which kind of budget line) and order, as on its page; newest first when not given.
 */
export const spendAcrossFundsApiQuery = spendApiListQuery.extend({
  fundId: z.string().trim().uuid('fundId must be a fund id (a UUID)').optional(),
  lineKind: z.enum(lineKinds, { error: `lineKind must be one of ${lineKinds.join(', ')}` }).optional(),
  sort: z.enum(spendSortKeys, { error: `sort must be one of ${spendSortKeys.join(', ')}` }).default('spentOn').describe('spentOn (the default), supplier, amount or fund (its name)'),
  order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).default('desc').describe('desc (the default) or asc'),
});

const pence = (what: string) => z.number().int().describe(`${what}, in whole pence`);
const figuresSchema = z.object({
  budgetPence: pence('The budget'),
  committedPence: pence('What the records commit (approved places of the financial years whose middle, 1 October, lies within the fund’s dates × unit cost; planned days of the engagements not closed whose dates overlap the fund’s × day rate; for other lines, what was spent)'),
  spentPence: pence('What was spent'),
  remainingPence: pence('The budget less the greater of committed and spent (negative when over)'),
  forecastPence: pence('Spend at the fund’s end at the rate so far (straight line)'),
});

export const apiFundSchema = z.object({
  id: z.uuid(),
  source: z.string(),
  name: z.string(),
  amountPence: pence('The fund’s amount'),
  startDate: isoDate,
  endDate: isoDate,
  conditions: z.string(),
  totals: figuresSchema.describe('The whole fund'),
});

export const apiFundDetailSchema = apiFundSchema.extend({
  lines: z
    .array(
      figuresSchema.extend({
        id: z.uuid(),
        kind: z.enum(lineKinds),
        name: z.string(),
        level: z.enum(levels).nullable().describe('Training places: the level'),
        unitCostPence: z.number().int().nullable().describe('Training places: the cost of a place, in whole pence'),
        dayRatePence: z.number().int().nullable().describe('Transformation support days: the day rate, in whole pence'),
      }),
    )
    .max(1000),
});

export const apiSpendSchema = z.object({
  id: z.uuid(),
  lineId: z.uuid(),
  lineName: z.string(),
  supplier: z.string(),
  spentOn: isoDate,
  amountPence: pence('The amount'),
  reference: z.string(),
  version: z.number().int().describe('Changes on the pages are refused with 409 when stale'),
});

/** A spend item in the list across funds: its fund and the kind of its budget line beside it. */
export const apiSpendAcrossFundsSchema = apiSpendSchema.extend({
  fundId: z.uuid(),
  fundName: z.string(),
  lineKind: z.enum(lineKinds),
});

/**
 * `budgetWarnings` in the answers of the API operations that commit money (approving places, a results upload, an
 * engagement's planned days). They never refuse for it, as the pages ask to confirm: the answer says so instead.
 */
export const budgetWarningsSchema = z
  .array(z.string())
  .describe(
    'One sentence for each budget line whose commitment this change took over its budget, as the funds’ pages count commitments (approved places × unit cost; planned engagement days × day rate), with the amounts in pounds. The change was made all the same. Empty when no line went over, or when you may not read the funds’ figures.',
  );
