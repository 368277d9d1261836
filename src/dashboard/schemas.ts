import { z } from 'zod';
import { councilApiListQuery, councilListQuery } from '../councils/schemas.ts';

/** The dashboard page's filters: the councils list's, by the same names and values (a bad value is ignored). */
export const dashboardQuery = councilListQuery.pick({ region: true, type: true, managingPartner: true });

/** The API's filters: the same, but a bad value is a 400. */
export const dashboardApiQuery = councilApiListQuery.pick({ region: true, type: true, managingPartner: true });

/** A count as the API gives it: the number, or null with why it is hidden; never the hidden number. */
const apiCount = z.object({
  value: z.number().int().nullable().meta({ description: 'The count, or null when it is hidden (see `suppressed`)' }),
  suppressed: z.enum(['small', 'secondary']).nullable().meta({
    description:
      'Why the count is hidden, for funders and observers: `small` (from 1 to threshold − 1), `secondary` (so that a small one cannot be worked out from the totals beside it); null when it is shown',
  }),
});

const apiTable = z.object({
  id: z.string().meta({ description: 'The table’s id, as on the page (`learners-by-status`)' }),
  caption: z.string(),
  rowHeader: z.string().meta({ description: 'What the rows are (Status, Region, Month …)' }),
  columns: z.array(z.string()).max(10).meta({ description: 'What each count of a row counts, in order' }),
  rows: z
    .array(z.object({ label: z.string(), hint: z.string().optional(), counts: z.array(apiCount).max(10) }))
    .max(100),
});

/** The dashboard's figures: what the page shows, in the same words, suppressed alike. */
export const apiDashboardSchema = z.object({
  asAt: z.string().meta({ format: 'date', description: 'The date every figure is as at (UK time), YYYY-MM-DD' }),
  scope: z.enum(['programme', 'managed-councils']).meta({ description: 'The whole programme, or the councils your organisation manages' }),
  filters: z
    .object({ region: z.string().optional(), type: z.string().optional(), managingPartner: z.string().optional() })
    .meta({ description: 'The filters that narrowed the councils counted, as asked for (none: every council in scope)' }),
  disclosureControl: z.object({
    applied: z.boolean().meta({ description: 'Whether small counts and those that would give them away are hidden from you' }),
    threshold: z.number().int().meta({ description: 'Counts from 1 up to this (not included) are small' }),
    rule: z.string().nullable().meta({ description: 'The rule in words, as the page states it beside the figures; null when it is not applied' }),
  }),
  headline: z
    .array(
      apiCount.extend({
        id: z.enum([
          'councilsTakingPart',
          'councilsEngaged',
          'councilsCompleted',
          'councilsWithdrawn',
          'councilsDeclined',
          'enrolmentsInProgress',
          'nominationsAwaitingDecision',
          'accreditationsAwarded',
          'practitionerAccreditations',
          'learnersStarted',
          'councilsMeasured',
          'councilsImproved',
        ]),
        label: z.string(),
        hint: z.string().optional(),
      }),
    )
    .max(20),
  trends: z
    .array(
      z.object({
        id: z.string().meta({ description: 'The trend’s id, as on the page (`trend-nominations`)' }),
        caption: z.string(),
        months: z.array(apiCount.extend({ month: z.string().meta({ pattern: '^\\d{4}-\\d{2}$', description: 'YYYY-MM' }) })).max(12),
      }),
    )
    .max(10),
  tables: z.array(apiTable).max(20).meta({
    description:
      'The breakdowns: the headline figures by managing partner, region and council type (`headline-by-partner`, `headline-by-region`, `headline-by-type`, each column adding up to its headline figure); ' +
      'councils by status, partner, region and council type; learners by status and level, accreditations by level, enrolments by cohort; funded places; people by role',
  }),
});
