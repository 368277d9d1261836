import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { councilDashboard, type CouncilFigure } from './council-figures.ts';

type CouncilRequest = FastifyRequest<{ Params: { id: string } }>;

/** The download: one line per figure of the page, with the date the figures are as at. */
const exportColumns = (asAt: string): ExportColumn<CouncilFigure>[] => [
  { header: 'Section', value: (r) => r.section },
  { header: 'Figure', value: (r) => r.figure },
  { header: 'Value', value: (r) => r.number ?? '' },
  { header: 'As at', date: 'date', value: () => asAt },
];

/** A council's dashboard for its SRO, lead and the programme staff who look after it, and its figures as CSV and XLSX. */
export async function councilDashboardRoutes(app: FastifyInstance, { db, clock, config }: RouteDeps) {
  const rules = { includeLeads: config.sroNetworkIncludesLeads };

  app.get('/councils/:id/dashboard', { config: { access: 'council:view' } }, async (request: CouncilRequest, reply) => {
    const figures = await councilDashboard(db, clock, requireActor(request), request.params.id, rules);
    return reply.view('dashboard/views/council.njk', {
      title: `${figures.council.name}: dashboard`,
      ...figures,
      councilHref: paths.council(figures.council.id),
      maturityHref: paths.councilMaturity(figures.council.id),
      improvementsHref: `${paths.improvements()}?${new URLSearchParams({ councilId: figures.council.id })}`,
      learnersHref: `${paths.learners()}?${new URLSearchParams({ councilId: figures.council.id })}`,
      exportHref: (format: 'csv' | 'xlsx') => paths.councilDashboardExport(figures.council.id, format),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/councils/:id/dashboard/export.${format}`, { config: { access: 'council:view' } }, async (request: CouncilRequest, reply) => {
      const figures = await councilDashboard(db, clock, requireActor(request), request.params.id, rules);
      return sendExport(reply, format, 'council-dashboard', figures.asAt, figures.figures, exportColumns(figures.asAt));
    });
  }
}
