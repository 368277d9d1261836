import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { levelField, periodField, periodMeta } from '../enrolments/schemas.ts';
import { isPeriod, levels } from '../enrolments/journey.ts';

export const placeRequestStatuses = ['requested', 'granted', 'refused'] as const;
export type PlaceRequestStatus = (typeof placeRequestStatuses)[number];
export const placeRequestStatusLabels: Record<PlaceRequestStatus, string> = { requested: 'Waiting', granted: 'Granted', refused: 'Refused' };
export const placeRequestStatusTagClass: Record<PlaceRequestStatus, string> = { requested: 'govuk-tag--yellow', granted: 'govuk-tag--green', refused: 'govuk-tag--red' };

/** The most places one request may ask for: a top-up, not a new programme (a bigger change is an allocation). */
export const maxRequestedPlaces = 100;
export const reasonMaxLength = 1000;
export const noteMaxLength = 1000;

/** Asking for more places for a council, level and period (page and API). */
export const placeRequestSchema = z.object({
  councilId: z.string({ error: 'Select the council' }).trim().uuid('Select the council'),
  level: levelField,
  period: periodField,
  places: z
    .number({ error: 'Enter the number of places as a whole number, like 2' })
    .int('Places must be a whole number, like 2')
    .min(1, 'Places must be 1 or more')
    .max(maxRequestedPlaces, `Places must be ${maxRequestedPlaces} or fewer`),
  reason: z
    .string({ error: 'Enter why the council needs more places' })
    .trim()
    .min(1, 'Enter why the council needs more places')
    .max(reasonMaxLength, `Reason must be ${reasonMaxLength} characters or fewer`),
});
export type PlaceRequestInput = z.infer<typeof placeRequestSchema>;

/** Granting a request (page and API): confirmation is needed only for a council that is not active or onboarding. */
export const grantSchema = z.object({
  confirmInactiveCouncil: z.boolean({ error: 'confirmInactiveCouncil must be true or false' }).optional(),
});

/** Refusing a request: the requester is told why. */
export const refuseSchema = z.object({
  note: z
    .string({ error: 'Enter why the request is refused' })
    .trim()
    .min(1, 'Enter why the request is refused')
    .max(noteMaxLength, `Note must be ${noteMaxLength} characters or fewer`),
});

/** The queue page's query: a hand-edited bad status shows the waiting requests. */
export const placeRequestListQuery = z.object({
  status: z.enum([...placeRequestStatuses, 'all']).catch('requested').default('requested'),
  page: pageQuery.shape.page.catch(1),
});

/** The API's list query: a bad value is a 400. */
export const placeRequestApiListQuery = pageQuery.extend({
  status: z.enum(placeRequestStatuses, { error: `status must be one of ${placeRequestStatuses.join(', ')}` }).optional(),
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  level: z.enum(levels, { error: `level must be one of ${levels.join(', ')}` }).optional(),
  period: z.string().trim().refine(isPeriod, 'period must be a financial year written like 2024-25').meta(periodMeta).optional(),
});

/** A request for places as the API shows it. */
export const apiPlaceRequestSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  level: z.enum(levels),
  period: z.string().meta(periodMeta),
  places: z.number().int(),
  reason: z.string(),
  status: z.enum(placeRequestStatuses),
  requestedById: z.uuid().nullable(),
  requestedByName: z.string().nullable(),
  requestedAt: z.string().describe('When it was asked for (ISO 8601 date and time)'),
  decidedById: z.uuid().nullable(),
  decidedByName: z.string().nullable(),
  decidedAt: z.string().nullable().describe('When it was granted or refused (ISO 8601 date and time)'),
  decisionNote: z.string().nullable(),
});
export type ApiPlaceRequest = z.infer<typeof apiPlaceRequestSchema>;
