import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope, type CouncilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { apiEnrolmentDetailSchema, apiEnrolmentSchema, enrolmentApiListQuery, toApiDetail, toApiItem } from './list-schemas.ts';
import * as queries from './queries.ts';
import { journeyEventSchema, nominationSchema } from './schemas.ts';
import * as service from './service.ts';

const idParams = z.object({ id: z.uuid() });
const tag = 'Enrolments';

/**
 * The body of a journey event as documented and first checked. The date's "not in the future" rule depends on
 * the day, so the service checks the raw body again against today's schema.
 */
const eventBody = journeyEventSchema('9999-12-31');

/** The enrolments API: the same services, scope and schemas as the pages. */
export async function enrolmentApi(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));

  const detail = async (scope: CouncilScope, id: string) => {
    const { enrolment, history } = await queries.getEnrolmentWithHistory(db, clock, scope, id);
    return toApiDetail(enrolment, history);
  };

  apiRoute(app, {
    method: 'GET',
    url: '/enrolments',
    operationId: 'listEnrolments',
    summary: 'List the enrolments (learners on a level) you may see, filtered and paged',
    tag,
    access: 'enrolment:list',
    query: enrolmentApiListQuery,
    responses: { 200: { description: 'A page of enrolments', schema: listOf(apiEnrolmentSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, ...filters } = query;
      const { rows, total } = await queries.listEnrolments(db, clock, scopeOf(request), filters, { page, pageSize });
      return { data: rows.map(toApiItem), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/enrolments',
    operationId: 'nominate',
    summary:
      'Nominate an officer of a council for a level: an existing person (personId) or a new one (person), who is invited. 409 if they are already nominated for the level.',
    tag,
    access: 'enrolment:nominate',
    body: nominationSchema,
    responses: { 201: { description: 'The enrolment, nominated', schema: apiEnrolmentDetailSchema } },
    handler: async (_input, request, reply) => {
      const scope = scopeOf(request);
      // The service parses the body itself (the page posts the same shape).
      const created = await service.nominate(db, config, request.ctx(), scope, request.body);
      return reply.code(201).header('location', `/api/v1/enrolments/${created.id}`).send(await detail(scope, created.id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/enrolments/{id}',
    operationId: 'getEnrolment',
    summary: 'One enrolment with its history',
    tag,
    access: 'enrolment:list',
    params: idParams,
    responses: { 200: { description: 'The enrolment', schema: apiEnrolmentDetailSchema } },
    handler: async ({ params }, request) => detail(scopeOf(request), params.id),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/enrolments/{id}/events',
    operationId: 'recordEnrolmentEvent',
    summary:
      'Move an enrolment one step along the journey. 409 for a step the journey does not allow or when the council has no funded place left; 403 when your role may not record that type (approving and declining are the managing partner’s).',
    tag,
    access: 'enrolment:list',
    params: idParams,
    // An enrolment outside the caller's scope is 404 before its body is looked at.
    authorise: async (params, request) => {
      await queries.getEnrolment(db, clock, scopeOf(request), params.id);
    },
    body: eventBody,
    responses: { 200: { description: 'The enrolment, moved', schema: apiEnrolmentDetailSchema } },
    handler: async ({ params }, request) => {
      const scope = scopeOf(request);
      await service.recordEvent(db, request.ctx(), scope, params.id, request.body);
      return detail(scope, params.id);
    },
  });
}
