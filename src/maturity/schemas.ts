import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';

export const assessmentKinds = ['baseline', 'follow_up'] as const;
export type AssessmentKind = (typeof assessmentKinds)[number];
export const assessmentKindLabels: Record<AssessmentKind, string> = { baseline: 'Baseline', follow_up: 'Follow-up' };
export const assessmentStatuses = ['draft', 'submitted'] as const;
export type AssessmentStatus = (typeof assessmentStatuses)[number];
export const assessmentStatusLabels: Record<AssessmentStatus, string> = { draft: 'Draft', submitted: 'Submitted' };
export const assessmentStatusTagClass: Record<AssessmentStatus, string> = { draft: 'govuk-tag--yellow', submitted: 'govuk-tag--green' };

export const evidenceMaxLength = 2000;
export const reasonMaxLength = 1000;
export const maxAreas = 50;

/**
 * One area's answers. The range (1 to 5) is checked by the service, which names the area in the message
 * ("Enter a score from 1 to 5 for Risk"); the schema refuses what is not a whole number or not text.
 */
const level = (what: string) =>
  z
    .number({ error: `${what} must be a whole number from 1 to 5` })
    .int(`${what} must be a whole number from 1 to 5`)
    .meta({ minimum: 1, maximum: 5 })
    .nullable()
    .optional();

export const areaAnswerSchema = z.object({
  area: z.string({ error: 'area must be an area key, like planning-and-governance' }).trim().min(1).max(100).describe('The area’s key (stable), like `planning-and-governance`'),
  score: level('score').describe('The council’s own level, 1 to 5 (null to clear it in a draft)'),
  evidence: z.string({ error: 'evidence must be text' }).max(evidenceMaxLength + 1000).nullable().optional().describe(`What shows the level (up to ${evidenceMaxLength} characters)`),
  target: level('target').describe('The level the council aims for, 1 to 5'),
});
export type AreaAnswer = z.infer<typeof areaAnswerSchema>;

/** Saving a draft (page and API): any subset of the areas; `version` guards against a stale edit when given. */
export const draftSchema = z.object({
  areas: z.array(areaAnswerSchema).max(maxAreas, `areas must have ${maxAreas} items or fewer`).default([]),
  version: z.number().int().min(1).optional().describe('The version you read; a stale one is refused with 409'),
});
export type DraftInput = z.infer<typeof draftSchema>;

/** Starting an assessment for a council (the API; the page starts one for the council it is on). */
export const startSchema = z.object({
  councilId: z.string({ error: 'Select the council' }).trim().uuid('councilId must be a council id (a UUID)'),
});

/** A specialist's moderation of one area of a submitted assessment. */
export const moderateSchema = z.object({
  area: z.string({ error: 'Select the area' }).trim().min(1, 'Select the area').max(100),
  score: z
    .number({ error: 'Enter the moderated score as a whole number from 1 to 5' })
    .int('The moderated score must be a whole number from 1 to 5')
    .min(1, 'The moderated score must be from 1 to 5')
    .max(5, 'The moderated score must be from 1 to 5'),
  reason: z
    .string({ error: 'Enter why the score is changed' })
    .trim()
    .min(1, 'Enter why the score is changed')
    .max(reasonMaxLength, `Reason must be ${reasonMaxLength} characters or fewer`),
});
export type ModerateInput = z.infer<typeof moderateSchema>;

export const apiAssessmentListQuery = pageQuery.extend({
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  status: z.enum(assessmentStatuses, { error: `status must be one of ${assessmentStatuses.join(', ')}` }).optional(),
  kind: z.enum(assessmentKinds, { error: `kind must be one of ${assessmentKinds.join(', ')}` }).optional(),
});

export const apiAreaScoreSchema = z.object({
  areaId: z.uuid(),
  area: z.string().describe('The area’s stable key'),
  areaName: z.string(),
  block: z.string(),
  score: z.number().int().nullable().describe('The council’s own score'),
  evidence: z.string().nullable(),
  target: z.number().int().nullable(),
  moderatedScore: z.number().int().nullable().describe('A specialist’s moderated score (the council’s own is kept)'),
  moderationReason: z.string().nullable(),
  moderatedByName: z.string().nullable(),
  moderatedAt: z.string().nullable().describe('ISO 8601 date and time'),
});

export const apiAssessmentSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  framework: z.string().describe('The framework’s key'),
  kind: z.enum(assessmentKinds),
  status: z.enum(assessmentStatuses),
  basedOnId: z.uuid().nullable().describe('The submitted assessment a follow-up started from'),
  createdAt: z.string().describe('ISO 8601 date and time'),
  updatedAt: z.string().describe('ISO 8601 date and time'),
  submittedAt: z.string().nullable().describe('ISO 8601 date and time'),
  submittedByName: z.string().nullable(),
  version: z.number().int(),
  areas: z.array(apiAreaScoreSchema),
});
export type ApiAssessment = z.infer<typeof apiAssessmentSchema>;
