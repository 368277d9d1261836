import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope, seesExactCounts, type Actor } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso, type Clock } from '../clock.ts';
import { errorView, failureOf, first, shownVersion, type FormFailure } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { indicatorByKey, indicators, type IndicatorKey } from './catalogue.ts';
import { csfOverview, createCsf, deleteCsf, getCsf, ragLabels, ragTagClasses, updateCsf, type CsfRow, type CsfView } from './csfs.ts';
import { indicatorTrend, trendChartSvg, trendStartHint, yourCouncils } from './snapshots.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { suppressionNotes } from '../dashboard/figures.ts';
import { NotFoundError } from '../web/errors.ts';
import type { Db } from '../db/client.ts';
import { exportValue, trendExportColumns, unitLabels } from './routes.ts';

type Body = Record<string, string | string[] | undefined>;
type CsfRequest = FastifyRequest<{ Params: { id: string } }>;

const flashes: Record<string, string> = { created: 'CSF added', changed: 'CSF changed', deleted: 'CSF deleted' };
const done = (request: FastifyRequest) => flashes[String((request.query as Record<string, unknown>).done ?? '')];

/** Each indicator's status as a GOV.UK tag: words and colour, and "No data" when there is no value to judge. */
const withTags = (csf: CsfView) => ({
  ...csf,
  indicators: csf.indicators.map((i) => ({
    ...i,
    ragText: ragText(i),
    ragClass: ragTagClasses[i.rag ?? 'none'],
  })),
});

/** The form's fields as the schema reads them: the indicators ticked, each with its target and amber threshold. */
function csfInput(body: Body) {
  const chosen = new Set([body.indicators ?? []].flat());
  const picked: Record<string, { target?: string; amber?: string }> = {};
  for (const i of indicators) {
    if (chosen.has(i.key)) picked[i.key] = { target: first(body[`indicators.${i.key}.target`]), amber: first(body[`indicators.${i.key}.amber`]) };
  }
  return { name: first(body.name), description: first(body.description), position: first(body.position), version: first(body.version) || undefined, indicators: picked };
}

/** A stored threshold as the form shows it: money in pounds, the rest as is. */
const formValue = (key: string, n: number) => (indicatorByKey.get(key)?.unit === 'pence' ? (n / 100).toFixed(2).replace(/\.00$/, '') : String(n));

/** A status in words, as the tag reads. */
const ragText = (i: { rag: CsfView['indicators'][number]['rag']; suppressed: string | null }) => (i.rag ? ragLabels[i.rag] : i.suppressed ? 'Not shown' : 'No data yet');

type CsfExportRow = { csf: CsfView; indicator: CsfView['indicators'][number] };

/** The CSFs' download: one line per CSF and indicator, values and thresholds in the indicator's unit (money in pence). */
function csfExportColumns(asAt: string): ExportColumn<CsfExportRow>[] {
  return [
    { header: 'Critical success factor', value: (r) => r.csf.name },
    { header: 'Order', value: (r) => r.csf.position },
    { header: 'Indicator', value: (r) => r.indicator.name },
    { header: 'Unit', value: (r) => unitLabels[r.indicator.unit] },
    { header: 'Value', value: (r) => exportValue(r.indicator) },
    { header: 'Target', value: (r) => r.indicator.target },
    { header: 'Amber threshold', value: (r) => r.indicator.amber },
    { header: 'Status', value: (r) => ragText(r.indicator) },
    { header: 'As at', date: 'date', value: () => asAt },
    { header: 'Note', value: (r) => (r.indicator.suppressed ? suppressionNotes[r.indicator.suppressed] : '') },
  ];
}

/**
 * Each indicator's last 12 months for a CSF, for the reader's councils (the whole programme for admins and funders,
 * the managed councils for partner staff), with small counts of councils hidden from those who may not see exact
 * counts (funders). `scopedFrom`: the first month with the reader's councils' own values.
 */
async function csfTrends(db: Db, actor: Actor, clock: Clock, keys: readonly IndicatorKey[]) {
  const today = todayIso(clock);
  const scope = councilScope(actor);
  const suppress = !seesExactCounts(actor);
  const trends = [];
  for (const key of keys) {
    const indicator = indicatorByKey.get(key)!;
    trends.push({ key, name: indicator.name, unit: indicator.unit, ...(await indicatorTrend(db, indicator, scope, today, { suppress })) });
  }
  // Said once above the trends: months before the reader's councils' snapshots began have no value for them.
  const startHint = trendStartHint(trends, yourCouncils);
  return { trends, startHint };
}

/** Critical success factors: the list with RAG, a CSF with its trends, and the admins' forms. */
export async function csfRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.csfs(), { config: { access: 'evaluation:read' } }, async (request, reply) => {
    const actor = requireActor(request);
    const overview = await csfOverview(db, actor, clock);
    return reply.view('evaluation/views/csfs.njk', { title: 'Critical success factors', ...overview, csfs: overview.csfs.map(withTags), canManage: can(actor, 'csf:manage'), flash: done(request) });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.csfsExport(format), { config: { access: 'evaluation:read' } }, async (request, reply) => {
      const overview = await csfOverview(db, requireActor(request), clock);
      const rows = overview.csfs.flatMap((csf) => csf.indicators.map((indicator) => ({ csf, indicator })));
      return sendExport(reply, format, 'critical-success-factors', overview.asAt, rows, csfExportColumns(overview.asAt));
    });

    // Each indicator's trend (?indicator=<key>), or all the CSF's; an indicator the CSF does not use is 404.
    app.get(`/evaluation/csfs/:id/trends.${format}`, { config: { access: 'evaluation:read' } }, async (request: CsfRequest, reply) => {
      const csf = await getCsf(db, request.params.id);
      const only = (request.query as Record<string, unknown>).indicator;
      const indicators = only === undefined ? csf.indicators : csf.indicators.filter((i) => i.key === only);
      if (indicators.length === 0) throw new NotFoundError();
      const { trends } = await csfTrends(db, requireActor(request), clock, indicators.map((i) => i.key));
      const rows = trends.flatMap((t) => t.months.map((month) => ({ name: t.name, unit: t.unit, month })));
      const slug = typeof only === 'string' ? `${only.replace(/_/g, '-')}-trend` : 'csf-trends';
      return sendExport(reply, format, slug, todayIso(clock), rows, trendExportColumns(yourCouncils));
    });
  }

  const showForm = (reply: FastifyReply, csf: CsfRow | null, body: Body | null, failure?: FormFailure) => {
    const stored = csf ? new Map(csf.indicators.map((i) => [i.key, i])) : new Map();
    const posted = body ? new Set([body.indicators ?? []].flat()) : null;
    const rows = indicators.map((i) => {
      const s = stored.get(i.key);
      return {
        ...i,
        chosen: posted ? posted.has(i.key) : Boolean(s),
        target: body ? (first(body[`indicators.${i.key}.target`]) ?? '') : s ? formValue(i.key, s.target) : '',
        amber: body ? (first(body[`indicators.${i.key}.amber`]) ?? '') : s ? formValue(i.key, s.amber) : '',
      };
    });
    const values = body ? { name: first(body.name), description: first(body.description), position: first(body.position) } : csf ? { name: csf.name, description: csf.description, position: String(csf.position) } : {};
    return reply.code(failure?.status ?? 200).view('evaluation/views/csf-form.njk', {
      title: csf ? `Change ${csf.name}` : 'Add a critical success factor',
      csf,
      version: shownVersion(body, failure, csf?.version),
      values,
      rows,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(paths.csfNew(), { config: { access: 'csf:manage' } }, async (_request, reply) => showForm(reply, null, null));

  app.post(paths.csfNew(), { config: { access: 'csf:manage' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const id = await createCsf(db, request.ctx(), csfInput(body));
      return reply.redirect(`${paths.csf(id)}?done=created`);
    } catch (err) {
      return showForm(reply, null, body, failureOf(err));
    }
  });

  app.get('/evaluation/csfs/:id', { config: { access: 'evaluation:read' } }, async (request: CsfRequest, reply) => {
    const actor = requireActor(request);
    const csf = await getCsf(db, request.params.id);
    const overview = await csfOverview(db, actor, clock, csf);
    const view = withTags(overview.csfs[0]);
    const { trends: found, startHint } = await csfTrends(db, actor, clock, view.indicators.map((i) => i.key));
    const trends = found.map((t) => ({
      ...t,
      chartSvg: trendChartSvg(indicatorByKey.get(t.key)!, t.months),
      gaps: t.months.some((m) => m.value === null),
      csvHref: paths.csfTrendsExport(csf.id, 'csv', t.key),
      xlsxHref: paths.csfTrendsExport(csf.id, 'xlsx', t.key),
    }));
    return reply.view('evaluation/views/csf.njk', { title: csf.name, ...overview, csf: view, trends, startHint, canManage: can(actor, 'csf:manage'), flash: done(request) });
  });

  app.get('/evaluation/csfs/:id/edit', { config: { access: 'csf:manage' } }, async (request: CsfRequest, reply) => showForm(reply, await getCsf(db, request.params.id), null));

  app.post('/evaluation/csfs/:id/edit', { config: { access: 'csf:manage' } }, async (request: CsfRequest, reply) => {
    const csf = await getCsf(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      await updateCsf(db, request.ctx(), csf.id, csfInput(body));
      return reply.redirect(`${paths.csf(csf.id)}?done=changed`);
    } catch (err) {
      const failure = failureOf(err);
      // A version that cannot be read is the form's problem, not a hidden field's.
      if ('version' in failure.fields) failure.fields = { _form: failure.fields.version };
      // A stale edit: the form again with what was typed, over the CSF as it is now (its version too).
      return showForm(reply, failure.stale ? await getCsf(db, csf.id) : csf, body, failure);
    }
  });

  const showDelete = async (request: CsfRequest, reply: FastifyReply, failure?: FormFailure) => {
    const csf = await getCsf(db, request.params.id);
    return reply.code(failure?.status ?? 200).view('evaluation/views/csf-delete.njk', { title: `Delete ${csf.name}`, csf, ...(failure ? errorView(failure.fields) : { errors: {} }) });
  };

  app.get('/evaluation/csfs/:id/delete', { config: { access: 'csf:manage' } }, (request: CsfRequest, reply) => showDelete(request, reply));

  app.post('/evaluation/csfs/:id/delete', { config: { access: 'csf:manage' } }, async (request: CsfRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await deleteCsf(db, request.ctx(), request.params.id, first(body.version));
      return reply.redirect(`${paths.csfs()}?done=deleted`);
    } catch (err) {
      const failure = failureOf(err);
      if ('version' in failure.fields) failure.fields = { _form: failure.fields.version };
      return showDelete(request, reply, failure);
    }
  });
}
