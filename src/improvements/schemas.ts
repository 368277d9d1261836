import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { dateField } from '../councils/schemas.ts';
import { improvementStatuses, improvementTypes, parsePounds, reviewDecisions } from './rules.ts';

export { evidenceLinkSchema } from '../engagements/schemas.ts';

export const descriptionMaxLength = 2000;
export const noteMaxLength = 2000;
export const maxLearners = 50;
export const maxContracts = 50;
export const valueKinds = ['none', 'cashable', 'non_cashable'] as const;
export type ValueKind = (typeof valueKinds)[number];

const version = z
  .number({ error: 'version must be a whole number' })
  .int('version must be a whole number')
  .min(1, 'version must be 1 or more')
  .describe('The version you read; a stale one is refused with 409');

/** Pounds from a form's box or a JSON number or string, as whole pence (null for an empty box). */
const poundsInput = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((raw, ctx) => {
    const typed = raw === null || raw === undefined ? '' : String(raw).trim();
    if (!typed) return null;
    const parsed = parsePounds(typed, 'Financial value');
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    return parsed.pence;
  })
  .meta({ description: 'The financial value in pounds, more than 0 with at most 2 decimal places (like 1250.50); only with a cashable or non-cashable valueKind' });

/**
 * Recording or changing an improvement (page and API). The value is whole pence once parsed (`valuePence`); the date
 * not being in the future and the learners being the council's are the service's checks (they need the clock and
 * the database).
 */
export const improvementSchema = z
  .object({
    type: z.enum(improvementTypes, { error: 'Select the type of improvement' }),
    description: z
      .string({ error: 'Enter a description of the improvement' })
      .trim()
      .min(1, 'Enter a description of the improvement')
      .max(descriptionMaxLength, `Description must be ${descriptionMaxLength} characters or fewer`),
    date: dateField('Date', 'the date of the improvement'),
    valueKind: z.enum(valueKinds, { error: 'Select whether the improvement has a financial value' }),
    value: poundsInput,
    learnerIds: z
      .array(z.string().trim().uuid('Select learners from the list'), { error: 'Select learners from the list' })
      .max(maxLearners, `Select ${maxLearners} learners or fewer`)
      .default([]),
    // Checked as a whole (not item by item) so a bad id's message sits beside the boxes, not on "contractIds.0".
    contractIds: z
      .array(z.string().trim().meta({ format: 'uuid' }), { error: 'Select contracts of the council from the list' })
      .max(maxContracts, `Select ${maxContracts} contracts or fewer`)
      .refine((ids) => ids.every((id) => z.uuid().safeParse(id).success), 'Select contracts of the council from the list')
      .default([])
      .describe('Key contracts of the same council the improvement concerns (src/contracts)'),
    version: version.optional(),
  })
  .transform((data, ctx) => {
    if (data.valueKind === 'none' && data.value !== null) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'Select cashable or non-cashable for the financial value, or leave it empty' });
    } else if (data.valueKind !== 'none' && data.value === null) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'Enter the financial value in pounds' });
    }
    const { value, ...rest } = data;
    return { ...rest, valuePence: value, cashable: data.valueKind === 'none' ? null : data.valueKind === 'cashable' };
  });
export type ImprovementInput = z.infer<typeof improvementSchema>;

/** A reviewer's decision: verify (a note if they wish) or query (a note saying what to answer). */
export const reviewSchema = z
  .object({
    decision: z.enum(reviewDecisions, { error: 'Select verify or query' }),
    note: z.string().trim().max(noteMaxLength, `Note must be ${noteMaxLength} characters or fewer`).optional(),
    version: version.optional(),
  })
  .superRefine((data, ctx) => {
    if (data.decision === 'queried' && !data.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'Enter what the council needs to answer or change' });
  });

/** The list's sort keys (page and download). */
export const improvementSortKeys = ['date', 'value', 'council', 'status'] as const;
export const cashableFilters = ['cashable', 'non_cashable', 'none'] as const;

/** The API's list query: a bad value is a 400. */
export const improvementApiListQuery = pageQuery.extend({
  type: z.enum(improvementTypes, { error: `type must be one of ${improvementTypes.join(', ')}` }).optional(),
  status: z.enum(improvementStatuses, { error: `status must be one of ${improvementStatuses.join(', ')}` }).optional(),
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  cashable: z.enum(cashableFilters, { error: `cashable must be one of ${cashableFilters.join(', ')}` }).optional(),
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional().describe('Words in the description or the council’s name'),
});

export const apiImprovementSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  type: z.enum(improvementTypes),
  description: z.string(),
  date: z.string().meta({ format: 'date' }),
  valuePence: z.number().int().nullable().describe('The financial value in whole pence, or null for none'),
  cashable: z.boolean().nullable().describe('Whether the value is cashable; null when there is no value'),
  status: z.enum(improvementStatuses),
  reviewNote: z.string().nullable(),
  reviewedAt: z.string().nullable().describe('When it was verified or queried (ISO 8601)'),
  learnerIds: z.array(z.uuid()).max(maxLearners),
  contractIds: z.array(z.uuid()).max(maxContracts).describe('The key contracts of the council it points at'),
  evidence: z.array(z.object({ id: z.uuid(), title: z.string(), url: z.string() })).max(1000),
  version: z.number().int().describe('Send it back with a change; a stale one is refused with 409'),
});
