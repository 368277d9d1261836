import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import { apiIndicatorsSchema } from './schemas.ts';
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
}
