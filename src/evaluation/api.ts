import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import { councilScope, seesExactCounts } from '../auth/policy.ts';
import { todayIso } from '../clock.ts';
import { NotFoundError } from '../web/errors.ts';
import { indicatorByKey } from './catalogue.ts';
import { createCsf, csfOverview, deleteCsf, getCsf, updateCsf, type CsfView } from './csfs.ts';
import { indicatorTrend } from './snapshots.ts';
import { apiCsfSchema, apiCsfsSchema, apiIndicatorsSchema, csfDeleteQuery, csfIdParams, csfCreateSchema, csfUpdateSchema, apiSnapshotsSchema, indicatorKeyParams, snapshotsQuery } from './schemas.ts';
import { currentIndicators } from './service.ts';

/** A CSF as the API gives it: each indicator's value as the page shows it, target, amber threshold and RAG. */
const csfToApi = (c: CsfView) => ({
  id: c.id, name: c.name, description: c.description, position: c.position, version: c.version,
  indicators: c.indicators.map((i) => ({
    key: i.key, name: i.name, unit: i.unit, higherIsBetter: i.higherIsBetter, value: i.value, text: i.text,
    suppressed: i.suppressed, target: i.target, amber: i.amber, rag: i.rag,
  })),
});

const csfRules =
  'Send the fields of the page’s form: `name` (unique, whatever its case; 120 characters or fewer), `description`, `position` (1 to 999) and ' +
  '`indicators`, an object by indicator key, each with its `target` and `amber` threshold in the indicator’s unit (a percentage 0–100 and a count ' +
  'to one decimal place, money in pounds to two). A threshold outside the indicator’s range, an amber threshold not below the target, or no ' +
  'indicator is a 422 naming the field (`indicators.<key>.target` / `.amber`) with the page’s message; nothing is written.';

/** The indicator catalogue with current values: the same service as the page, so the same scope and suppression. */
export async function evaluationApi(app: FastifyInstance, { db, clock }: RouteDeps) {
  /** One CSF with its values as at today, as the caller may see them. */
  const oneCsf = async (request: FastifyRequest, id: string): Promise<z.infer<typeof apiCsfSchema>> => {
    const o = await csfOverview(db, requireActor(request), clock, await getCsf(db, id));
    return { asAt: o.asAt, scope: o.wholeProgramme ? 'programme' : 'managed-councils', ...csfToApi(o.csfs[0]) };
  };

  apiRoute(app, {
    method: 'GET',
    url: '/indicators',
    operationId: 'listIndicators',
    summary: 'The evaluation indicators with their values as at today',
    description:
      'Gives every indicator of the catalogue with how it is worked out, its unit and possible range, and its value as at today (UK time), ' +
      'recomputed on each request. Programme admins and funders get the whole programme; managing partner staff the councils their ' +
      'organisation manages. For funders, a count of councils from 1 to 4 is hidden: `value` is null and `suppressed` says why.',
    tag: 'Evaluation',
    access: 'evaluation:read',
    responses: { 200: { description: 'The indicators', schema: apiIndicatorsSchema } },
    handler: async (_input, request): Promise<z.infer<typeof apiIndicatorsSchema>> => {
      const f = await currentIndicators(db, requireActor(request), clock);
      return {
        asAt: f.asAt,
        scope: f.wholeProgramme ? 'programme' : 'managed-councils',
        items: f.rows.map((r) => ({
          key: r.key, name: r.name, description: r.description, unit: r.unit, computation: r.computation,
          range: r.range, higherIsBetter: r.higherIsBetter, value: r.value, text: r.text, suppressed: r.suppressed,
        })),
      };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/csfs',
    operationId: 'listCsfs',
    summary: 'The critical success factors with each indicator’s value, target and RAG status',
    description:
      'Gives every critical success factor in its order, with each of its indicators’ value as at today (the same values, scope and ' +
      'suppression as listIndicators), target, amber threshold and RAG status: green at or beyond the target, amber at or beyond the ' +
      'amber threshold, red otherwise. A value that is hidden (funders: a count of councils from 1 to 4) or not yet measurable has no status.',
    tag: 'Evaluation',
    access: 'evaluation:read',
    responses: { 200: { description: 'The CSFs', schema: apiCsfsSchema } },
    handler: async (_input, request): Promise<z.infer<typeof apiCsfsSchema>> => {
      const o = await csfOverview(db, requireActor(request), clock);
      return {
        asAt: o.asAt,
        scope: o.wholeProgramme ? 'programme' : 'managed-councils',
        items: o.csfs.map(csfToApi),
      };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/csfs',
    operationId: 'createCsf',
    summary: 'Add a critical success factor with its indicators’ targets and amber thresholds',
    description: `Adds a critical success factor, as the page’s form does. ${csfRules} A name another CSF has is a 409.`,
    tag: 'Evaluation',
    access: 'csf:manage',
    body: csfCreateSchema,
    problems: { 409: 'Another CSF has this name' },
    responses: { 201: { description: 'The CSF, added, with its values as at today', schema: apiCsfSchema } },
    // The service parses the body as sent (the schema turns pounds into pence, so its output would not parse again).
    handler: async (_input, request, reply) => {
      const id = await createCsf(db, request.ctx(), request.body);
      return reply.code(201).header('location', `/api/v1/csfs/${id}`).send(await oneCsf(request, id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/csfs/{id}',
    operationId: 'getCsf',
    summary: 'One critical success factor with each indicator’s value, target and RAG status',
    description: 'Gives one CSF as listCsfs does, with its version (send it to change or delete the CSF). An unknown id is 404.',
    tag: 'Evaluation',
    access: 'evaluation:read',
    params: csfIdParams,
    responses: { 200: { description: 'The CSF', schema: apiCsfSchema } },
    handler: async ({ params }, request) => oneCsf(request, params.id),
  });

  apiRoute(app, {
    method: 'PATCH',
    url: '/csfs/{id}',
    operationId: 'updateCsf',
    summary: 'Change a critical success factor; send the version you read (409 if someone changed it since)',
    description:
      `Changes a CSF, as the page’s form does: send every field (the indicators sent replace the CSF’s) and the \`version\` you read. ${csfRules} ` +
      'A name another CSF has, or a stale version, is a 409 and nothing is written. An unknown id is 404.',
    tag: 'Evaluation',
    access: 'csf:manage',
    params: csfIdParams,
    authorise: async (params) => void (await getCsf(db, params.id)),
    body: csfUpdateSchema,
    problems: { 409: 'Another CSF has this name, or someone changed the CSF since you read it' },
    responses: { 200: { description: 'The CSF, changed, with its values as at today', schema: apiCsfSchema } },
    handler: async ({ params }, request) => {
      await updateCsf(db, request.ctx(), params.id, request.body);
      return oneCsf(request, params.id);
    },
  });

  apiRoute(app, {
    method: 'DELETE',
    url: '/csfs/{id}',
    operationId: 'deleteCsf',
    summary: 'Delete a critical success factor at the version you read',
    description:
      'Deletes a CSF and its targets (the indicators and their snapshots stay), as the page’s confirmation does: send the `version` you read. ' +
      'Without it the answer is 400; a stale one is a 409 and nothing is deleted. An unknown id is 404.',
    tag: 'Evaluation',
    access: 'csf:manage',
    params: csfIdParams,
    query: csfDeleteQuery,
    authorise: async (params) => void (await getCsf(db, params.id)),
    problems: { 409: 'Someone changed the CSF since you read it' },
    responses: { 204: { description: 'The CSF, deleted' } },
    handler: async ({ params, query }, request, reply) => {
      await deleteCsf(db, request.ctx(), params.id, query.version);
      return reply.code(204).send();
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/indicators/{key}/snapshots',
    operationId: 'listIndicatorSnapshots',
    summary: 'An indicator’s monthly snapshots',
    description:
      'Gives an indicator’s value month by month, oldest first, ending with the current month (UK time): a past month’s as at its last ' +
      'day, the current month’s as at the day it was taken. Programme admins and funders get the whole programme’s; managing partner ' +
      'staff the councils their organisation manages, worked out from those councils’ parts of each month’s snapshot. A month without a ' +
      'snapshot, or (for managing partner staff) one taken before snapshots by council began, has `value` and `asOf` null and `gap` ' +
      'saying which; `councilsFrom` is the first month with their councils’ values. For funders, a count of councils from 1 to 4 is ' +
      'hidden (`value` null, `suppressed` set). An unknown key is 404.',
    tag: 'Evaluation',
    access: 'evaluation:read',
    params: indicatorKeyParams,
    query: snapshotsQuery,
    responses: { 200: { description: 'The snapshots', schema: apiSnapshotsSchema } },
    handler: async ({ params, query }, request): Promise<z.infer<typeof apiSnapshotsSchema>> => {
      const indicator = indicatorByKey.get(params.key);
      if (!indicator) throw new NotFoundError();
      const actor = requireActor(request);
      const trend = await indicatorTrend(db, indicator, councilScope(actor), todayIso(clock), { suppress: !seesExactCounts(actor), months: query.months });
      return {
        key: indicator.key,
        name: indicator.name,
        unit: indicator.unit,
        scope: trend.wholeProgramme ? 'programme' : 'managed-councils',
        councilsFrom: trend.scopedFrom,
        items: trend.months.map((m) => ({ month: m.month, value: m.value, text: m.text, suppressed: m.suppressed, gap: m.gap, asOf: m.asOf })),
      };
    },
  });
}
