import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import type { Count } from './figures.ts';
import { apiDashboardSchema, dashboardApiQuery } from './schemas.ts';
import { filtersRefused, programmeFigures } from './service.ts';
import { trendMonthKeys } from './trends.ts';

type ApiDashboard = z.infer<typeof apiDashboardSchema>;
type HeadlineId = ApiDashboard['headline'][number]['id'];

/** A count for the API: its number only when it is shown, so a hidden one cannot leak through any field. */
const apiCount = (c: Count) => ({ value: c.suppressed ? null : c.value, suppressed: c.suppressed });
const withHint = (hint: string | undefined) => (hint ? { hint } : {});

/** The dashboard's figures as JSON: the same service as the page, so the same scope and the same suppression. */
export async function dashboardApi(app: FastifyInstance, { db, clock }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/dashboard',
    operationId: 'getDashboard',
    summary: 'The programme in figures, as at today: headline figures, monthly trends and breakdowns',
    description:
      'Gives the figures of the dashboard page, as at today (UK time): the headline figures, the last 12 months of each trend and the breakdowns, ' +
      'with the same captions and labels. Programme admins and funders see the whole programme; managing partner staff see the councils their ' +
      'organisation manages. For funders and observers, counts from 1 to 4 and the counts that would let a reader work them out from a total ' +
      'are hidden: `value` is null and `suppressed` says why (`disclosureControl` states the rule). Programme staff get exact counts. ' +
      'Programme staff may narrow the councils counted by `region`, `type` and `managingPartner`, as the councils list filters them; ' +
      'funders and observers may not (403), since two filtered views compared could give away a count each of them hides.',
    tag: 'Dashboard',
    access: 'dashboard:aggregate',
    query: dashboardApiQuery,
    problems: { 403: filtersRefused },
    responses: { 200: { description: 'The figures', schema: apiDashboardSchema } },
    handler: async ({ query }, request): Promise<ApiDashboard> => {
      const f = await programmeFigures(db, requireActor(request), clock, query);
      const months = trendMonthKeys(f.asAt);
      return {
        asAt: f.asAt,
        scope: f.wholeProgramme ? 'programme' : 'managed-councils',
        filters: f.filters,
        disclosureControl: { applied: f.suppress, threshold: f.threshold, rule: f.suppress ? f.disclosureRule : null },
        headline: f.headline.rows.map((r) => ({ id: r.id as HeadlineId, label: r.label, ...withHint(r.hint), ...apiCount(r.counts[0]) })),
        trends: f.trends.map(({ table }) => ({
          id: table.id,
          caption: table.caption,
          months: table.rows.map((r, i) => ({ month: months[i], ...apiCount(r.counts[0]) })),
        })),
        tables: f.breakdowns.map((t) => ({
          id: t.id,
          caption: t.caption,
          rowHeader: t.rowHeader,
          columns: [...t.columns],
          rows: t.rows.map((r) => ({ label: r.label, ...withHint(r.hint), counts: r.counts.map(apiCount) })),
        })),
      };
    },
  });
}
