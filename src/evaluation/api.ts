import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import { seesExactCounts } from '../auth/policy.ts';
import { todayIso } from '../clock.ts';
import { NotFoundError } from '../web/errors.ts';
import { indicatorByKey } from './catalogue.ts';
import { csfOverview } from './csfs.ts';
import { indicatorTrend } from './snapshots.ts';
import { apiCsfsSchema, apiIndicatorsSchema, apiSnapshotsSchema, indicatorKeyParams, snapshotsQuery } from './schemas.ts';
import { currentIndicators } from './service.ts';

/** The indicator catalogue with current values: the same service as the page, so the same scope and suppression. */
export async function evaluationApi(app: FastifyInstance, { db, clock }: RouteDeps) {
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
        items: o.csfs.map((c) => ({
          id: c.id, name: c.name, description: c.description, position: c.position,
          indicators: c.indicators.map((i) => ({
            key: i.key, name: i.name, unit: i.unit, higherIsBetter: i.higherIsBetter, value: i.value, text: i.text,
            suppressed: i.suppressed, target: i.target, amber: i.amber, rag: i.rag,
          })),
        })),
      };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/indicators/{key}/snapshots',
    operationId: 'listIndicatorSnapshots',
    summary: 'An indicator’s monthly snapshots',
    description:
      'Gives an indicator’s whole-programme value month by month, oldest first, ending with the current month (UK time): a past ' +
      'month’s as at its last day, the current month’s as at the day it was taken; a month without a snapshot has `value` and `asOf` null. ' +
      'For funders, a count of councils from 1 to 4 is hidden (`value` null, `suppressed` set). An unknown key is 404.',
    tag: 'Evaluation',
    access: 'evaluation:read',
    params: indicatorKeyParams,
    query: snapshotsQuery,
    responses: { 200: { description: 'The snapshots', schema: apiSnapshotsSchema } },
    handler: async ({ params, query }, request): Promise<z.infer<typeof apiSnapshotsSchema>> => {
      const indicator = indicatorByKey.get(params.key);
      if (!indicator) throw new NotFoundError();
      const months = await indicatorTrend(db, indicator, todayIso(clock), !seesExactCounts(requireActor(request)), query.months);
      return {
        key: indicator.key,
        name: indicator.name,
        unit: indicator.unit,
        items: months.map((m) => ({ month: m.month, value: m.value, text: m.text, suppressed: m.suppressed, asOf: m.asOf })),
      };
    },
  });
}
