import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, seesExactCounts } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { errorView, failureOf, first, type FormFailure } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { indicatorByKey, indicators } from './catalogue.ts';
import { csfOverview, createCsf, deleteCsf, getCsf, ragLabels, ragTagClasses, updateCsf, type CsfRow, type CsfView } from './csfs.ts';
import { indicatorTrend, trendChartSvg } from './snapshots.ts';

type Body = Record<string, string | string[] | undefined>;
type CsfRequest = FastifyRequest<{ Params: { id: string } }>;

const flashes: Record<string, string> = { created: 'CSF added', changed: 'CSF changed', deleted: 'CSF deleted' };
const done = (request: FastifyRequest) => flashes[String((request.query as Record<string, unknown>).done ?? '')];

/** Each indicator's status as a GOV.UK tag: words and colour, and "No data" when there is no value to judge. */
const withTags = (csf: CsfView) => ({
  ...csf,
  indicators: csf.indicators.map((i) => ({
    ...i,
    ragText: i.rag ? ragLabels[i.rag] : i.suppressed ? 'Not shown' : 'No data yet',
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

/** Critical success factors: the list with RAG, a CSF with its trends, and the admins' forms. */
export async function csfRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.csfs(), { config: { access: 'evaluation:read' } }, async (request, reply) => {
    const actor = requireActor(request);
    const overview = await csfOverview(db, actor, clock);
    return reply.view('evaluation/views/csfs.njk', { title: 'Critical success factors', ...overview, csfs: overview.csfs.map(withTags), canManage: can(actor, 'csf:manage'), flash: done(request) });
  });

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
      version: body ? first(body.version) : csf?.version,
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
    const today = todayIso(clock);
    const suppress = !seesExactCounts(actor);
    const view = withTags(overview.csfs[0]);
    const trends = [];
    for (const i of view.indicators) {
      const months = await indicatorTrend(db, indicatorByKey.get(i.key)!, today, suppress);
      trends.push({ key: i.key, name: i.name, months, chartSvg: trendChartSvg(i, months), gaps: months.some((m) => m.value === null) });
    }
    return reply.view('evaluation/views/csf.njk', { title: csf.name, ...overview, csf: view, trends, canManage: can(actor, 'csf:manage'), flash: done(request) });
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
      // A stale edit is the form's problem, not one field's.
      if ('version' in failure.fields) failure.fields = { _form: failure.fields.version };
      return showForm(reply, csf, body, failure);
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
