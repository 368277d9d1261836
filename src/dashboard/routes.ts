import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { downloadValue, suppressionNotes, type FigureLine } from './figures.ts';
import { programmeFigures } from './service.ts';

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
  app.get(paths.dashboard(), { config: { access: 'dashboard:aggregate' } }, async (request, reply) =>
    reply.view('dashboard/views/dashboard.njk', { title: 'Programme dashboard', ...(await programmeFigures(db, requireActor(request), clock)) }),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.dashboardExport(format), { config: { access: 'dashboard:aggregate' } }, async (request, reply) => {
      const figures = await programmeFigures(db, requireActor(request), clock);
      return sendExport(reply, format, 'programme-dashboard', figures.asAt, figures.lines, exportColumns);
    });
  }
}
