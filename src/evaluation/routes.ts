import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { suppressionNotes, suppressedMarker, secondaryText } from '../dashboard/figures.ts';
import { currentIndicators, type IndicatorValue } from './service.ts';
import { trendGapNote, type TrendMonth } from './snapshots.ts';
import type { IndicatorUnit } from './catalogue.ts';

export const unitLabels = { percent: 'Percent', count: 'Count', pence: 'Pence' } as const;

/** A value as the downloads write it: in its unit (pence for money), or the marker of why it is hidden. */
export const exportValue = (r: Pick<IndicatorValue, 'value' | 'suppressed'>) => (r.suppressed === 'small' ? suppressedMarker : r.suppressed === 'secondary' ? secondaryText : (r.value ?? ''));

export type TrendExportRow = { name: string; unit: IndicatorUnit; month: TrendMonth };

/**
 * A trend's download: one line per indicator and month, oldest first, with the date each value is as at, for a trend
 * of `whose` figures (the CSFs' pages and a council's dashboard).
 */
export const trendExportColumns = (whose: string): ExportColumn<TrendExportRow>[] => [
  { header: 'Indicator', value: (r) => r.name },
  { header: 'Unit', value: (r) => unitLabels[r.unit] },
  { header: 'Month', value: (r) => r.month.label },
  { header: 'Value', value: (r) => exportValue(r.month) },
  { header: 'As at', date: 'date', value: (r) => r.month.asOf },
  { header: 'Note', value: (r) => (r.month.suppressed ? suppressionNotes[r.month.suppressed] : r.month.gap ? trendGapNote(r.month.gap, whose) : '') },
];

/** The download: one line per indicator, its value in its unit (pence for money), the date it is as at. */
function exportColumns(asAt: string): ExportColumn<IndicatorValue>[] {
  return [
    { header: 'Indicator', value: (r) => r.name },
    { header: 'Unit', value: (r) => unitLabels[r.unit] },
    { header: 'Value', value: exportValue },
    { header: 'As at', date: 'date', value: () => asAt },
    { header: 'How it is worked out', value: (r) => r.computation },
    { header: 'Note', value: (r) => (r.suppressed ? suppressionNotes[r.suppressed] : '') },
  ];
}

/** The evaluation page: the indicator catalogue with each value as of today, for admins, partner staff and funders. */
export async function evaluationRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.evaluation(), { config: { access: 'evaluation:read' } }, async (request, reply) =>
    reply.view('evaluation/views/evaluation.njk', { title: 'Evaluation', ...(await currentIndicators(db, requireActor(request), clock)) }),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.evaluationExport(format), { config: { access: 'evaluation:read' } }, async (request, reply) => {
      const figures = await currentIndicators(db, requireActor(request), clock);
      return sendExport(reply, format, 'programme-evaluation', figures.asAt, figures.rows, exportColumns(figures.asAt));
    });
  }
}
