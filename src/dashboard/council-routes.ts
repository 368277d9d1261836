import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { councilScope } from '../auth/policy.ts';
import { todayIso } from '../clock.ts';
import { getCouncil } from '../councils/service.ts';
import { trendExportColumns } from '../evaluation/routes.ts';
import { trendChartSvg } from '../evaluation/snapshots.ts';
import { councilDashboard, councilSections, type CouncilFigure } from './council-figures.ts';
import { councilTrends, thisCouncil } from './council-trends.ts';

type CouncilRequest = FastifyRequest<{ Params: { id: string } }>;

/** The download: one line per figure of the page, with the date the figures are as at. */
const exportColumns = (asAt: string): ExportColumn<CouncilFigure>[] => [
  { header: 'Section', value: (r) => r.section },
  { header: 'Figure', value: (r) => r.figure },
  { header: 'Value', value: (r) => r.number ?? '' },
  { header: 'As at', date: 'date', value: () => asAt },
];

/** A council's dashboard for its SRO, lead and the programme staff who look after it, its figures and trends as CSV and XLSX. */
export async function councilDashboardRoutes(app: FastifyInstance, { db, clock, config }: RouteDeps) {
  const rules = { includeLeads: config.sroNetworkIncludesLeads };

  app.get('/councils/:id/dashboard', { config: { access: 'council:view' } }, async (request: CouncilRequest, reply) => {
    const actor = requireActor(request);
    const figures = await councilDashboard(db, clock, actor, request.params.id, rules);
    const changes = await councilTrends(db, clock, figures.council.id, figures.show);
    return reply.view('dashboard/views/council.njk', {
      title: `${figures.council.name}: dashboard`,
      ...figures,
      councilHref: paths.council(figures.council.id),
      maturityHref: paths.councilMaturity(figures.council.id),
      improvementsHref: `${paths.improvements()}?${new URLSearchParams({ councilId: figures.council.id })}`,
      learnersHref: `${paths.learners()}?${new URLSearchParams({ councilId: figures.council.id })}`,
      exportHref: (format: 'csv' | 'xlsx') => paths.councilDashboardExport(figures.council.id, format),
      ownCouncil: actor.organisationId === figures.council.id,
      changes: {
        ...changes,
        trends: changes.trends.map((t) => ({ ...t, chartSvg: trendChartSvg(t.indicator, t.months), gaps: t.months.some((m) => m.value === null) })),
        csvHref: paths.councilTrendsExport(figures.council.id, 'csv'),
        xlsxHref: paths.councilTrendsExport(figures.council.id, 'xlsx'),
      },
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/councils/:id/dashboard/export.${format}`, { config: { access: 'council:view' } }, async (request: CouncilRequest, reply) => {
      const figures = await councilDashboard(db, clock, requireActor(request), request.params.id, rules);
      return sendExport(reply, format, 'council-dashboard', figures.asAt, figures.figures, exportColumns(figures.asAt));
    });

    // "How your council has changed": one line per indicator and month, as the CSFs' trends download.
    app.get(`/councils/:id/dashboard/trends.${format}`, { config: { access: 'council:view' } }, async (request: CouncilRequest, reply) => {
      const actor = requireActor(request);
      const council = await getCouncil(db, councilScope(actor), request.params.id);
      const { trends } = await councilTrends(db, clock, council.id, councilSections(actor));
      const rows = trends.flatMap((t) => t.months.map((month) => ({ name: t.name, unit: t.unit, month })));
      return sendExport(reply, format, 'council-trends', todayIso(clock), rows, trendExportColumns(thisCouncil));
    });
  }
}
