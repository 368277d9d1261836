import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { seesExactCounts } from '../auth/policy.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { downloadValue, suppressionNotes, type FigureLine } from './figures.ts';
import { programmeFigures } from './service.ts';
import { dashboardQuery } from './schemas.ts';
import { listFilterOptions } from '../councils/service.ts';
import { filterSelects } from '../councils/routes.ts';
import { figureTableParams } from './figure-table.ts';

/** The download: one line per count of the page, with the date the figures are as at. */
const exportColumns: ExportColumn<FigureLine>[] = [
  { header: 'Figure', value: (r) => r.figure },
  { header: 'Category', value: (r) => r.category },
  { header: 'Measure', value: (r) => r.measure },
  { header: 'Count', value: (r) => downloadValue(r.count) },
  { header: 'As at', date: 'date', value: (r) => r.asAt },
  // Why a count is hidden, beside it, so a download read on its own states the rule.
  { header: 'Note', value: (r) => (r.count.suppressed ? suppressionNotes[r.count.suppressed] : '') },
];

/** The aggregate dashboard for funders, partner staff and admins, and its figures as CSV and XLSX. */
export async function dashboardRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.dashboard(), { config: { access: 'dashboard:aggregate' } }, async (request, reply) => {
    const actor = requireActor(request);
    // Funders and observers are offered no filters, and a filter in their address is not applied (service.ts says why).
    const exact = seesExactCounts(actor);
    const filters = exact ? dashboardQuery.parse(request.query) : {};
    const figures = await programmeFigures(db, actor, clock, filters);
    const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    return reply.view('dashboard/views/dashboard.njk', {
      title: 'Programme dashboard',
      ...figures,
      // Partner staff see only their own organisation's councils: a managing partner filter would have one choice.
      filterSelects: exact
        ? filterSelects(filters, await listFilterOptions(db)).filter((f) => f.id !== 'status' && (f.id !== 'managingPartner' || figures.wholeProgramme))
        : [],
      exportQuery: query ? `?${query}` : '',
      figureTableParams,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.dashboardExport(format), { config: { access: 'dashboard:aggregate' } }, async (request, reply) => {
      const actor = requireActor(request);
      const figures = await programmeFigures(db, actor, clock, seesExactCounts(actor) ? dashboardQuery.parse(request.query) : {});
      return sendExport(reply, format, 'programme-dashboard', figures.asAt, figures.lines, exportColumns);
    });
  }
}
