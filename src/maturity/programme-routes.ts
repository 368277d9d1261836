import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { todayIso } from '../clock.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { minimumPeerGroup, percent, programmeFigures, type AreaFigures } from './programme.ts';

/** The download of the programme table: one line per area. */
const exportColumns: ExportColumn<AreaFigures>[] = [
  { header: 'Block', value: (r) => r.blockName },
  { header: 'Area', value: (r) => r.name },
  ...[1, 2, 3, 4, 5].map((level): ExportColumn<AreaFigures> => ({ header: `Councils at level ${level}`, value: (r) => r.distribution[level - 1] })),
  { header: 'Councils scored', value: (r) => r.scored },
  { header: 'Councils with a follow-up', value: (r) => r.measured },
  { header: 'Improved by 1 level or more', value: (r) => r.improved },
  { header: 'Share improved (%)', value: (r) => (r.shareImproved === null ? '' : Math.round(r.shareImproved * 100)) },
];

/** The programme view of maturity (admins, partner staff, funders): aggregates only, no council named. */
export async function programmeRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.maturityProgramme(), { config: { access: 'maturity:programme' } }, async (_request, reply) => {
    const figures = await programmeFigures(db);
    return reply.view('maturity/views/programme.njk', {
      title: 'Contract management maturity across the programme',
      ...figures,
      areas: figures.areas.map((a) => ({ ...a, share: percent(a.shareImproved), bars: a.distribution.map((n) => ({ n, width: a.scored ? Math.round((n / a.scored) * 100) : 0 })) })),
      byType: figures.byType.map((g) => ({ ...g, share: percent(g.shareImproved) })),
      byRegion: figures.byRegion.map((g) => ({ ...g, share: percent(g.shareImproved) })),
      minimumPeerGroup,
      csvHref: paths.maturityProgrammeExport('csv'),
      xlsxHref: paths.maturityProgrammeExport('xlsx'),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.maturityProgrammeExport(format), { config: { access: 'maturity:programme' } }, async (_request, reply) => {
      const figures = await programmeFigures(db);
      return sendExport(reply, format, 'maturity-by-area', todayIso(clock), figures.areas, exportColumns);
    });
  }
}
