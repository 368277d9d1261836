import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { levelField, periodField, periodMeta } from '../enrolments/schemas.ts';
import { isPeriod, levels } from '../enrolments/journey.ts';
import { listQuery } from '../web/list-query.ts';

export const placeSortKeys = ['council', 'level', 'period', 'allocated', 'remaining'] as const;

/** A filter from a GET form: "" (the "Any" option) means no filter, and a hand-edited bad value is ignored. */
const lenient = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional()).catch(undefined);

/**
 * The funded places page's query string. `period` is a financial year, `all`, or absent (the route then shows the
 * current financial year); a hand-edited bad value falls back to that default. `councilId` narrows to one council,
 * like the API's filter: one outside the viewer's scope matches nothing, as on every other list.
 */
export const placeListQuery = listQuery(placeSortKeys, 'council').extend({
  councilId: lenient(z.uuid()),
  period: lenient(z.string().refine((v) => v === 'all' || isPeriod(v))),
  level: lenient(z.enum(levels)),
  region: lenient(z.string().max(100)),
});
export type PlaceListQuery = z.infer<typeof placeListQuery>;

/** The API's list query: a bad value is a 400 rather than ignored. */
export const placeApiListQuery = pageQuery.extend({
  councilId: z.string().trim().uuid('councilId must be a council id (a UUID)').optional(),
  level: z.enum(levels, { error: `level must be one of ${levels.join(', ')}` }).optional(),
  period: z.string().trim().refine(isPeriod, 'period must be a financial year written like 2024-25').meta(periodMeta).optional(),
});

/** The most places (allocated, or asked for at once) a council may have for one level and period. */
export const maxPlaces = 10_000;

/** A JSON number; the page turns the text typed into one with formWholeNumber, so both get the same messages. */
const placesField = z
  .number({ error: 'Enter the number of places as a whole number, like 20' })
  .int('Places must be a whole number, like 20')
  .min(0, 'Places must be 0 or more')
  .max(maxPlaces, 'Places must be 10,000 or fewer');

/** Allocating places to a council for one level and period (page and API). */
export const allocationSchema = z.object({
  councilId: z.string({ error: 'Select the council' }).trim().uuid('Select the council'),
  level: levelField,
  period: periodField,
  places: placesField,
  /** Needed (true) to allocate to a council that is not active or onboarding: the form asks, the API must say so. */
  confirmInactiveCouncil: z.boolean({ error: 'confirmInactiveCouncil must be true or false' }).optional(),
});
export type AllocationInput = z.infer<typeof allocationSchema>;

/** A funded place allocation as the API shows it. */
export const apiPlaceSchema = z.object({
  id: z.uuid(),
  councilId: z.uuid(),
  councilName: z.string(),
  gssCode: z.string().nullable(),
  level: z.enum(levels),
  period: z.string().meta(periodMeta),
  places: z.number().int(),
  taken: z.number().int(),
  released: z.number().int(),
  remaining: z.number().int(),
});
export type ApiPlace = z.infer<typeof apiPlaceSchema>;
