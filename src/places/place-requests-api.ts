import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { apiPlaceRequestSchema, grantSchema, placeRequestApiListQuery, placeRequestSchema, refuseSchema } from './place-requests-schemas.ts';
import * as requests from './place-requests-service.ts';

const tag = 'Funded places';
const idParams = z.object({ id: z.uuid() });
const alreadyDecided = 'The request was already granted or refused (by someone else, or by an earlier call): nothing was changed';

/** Requests for more funded places: the same service, scope and schemas as the pages. */
export async function placeRequestApi(app: FastifyInstance, { db }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/place-requests',
    operationId: 'listPlaceRequests',
    description:
      'Lists requests for more funded places for the councils you may see, oldest first, with who asked, why, and the decision. Filter by status (requested, granted, refused), council, level and period. A bad filter or page is refused with 400.',
    summary: 'List requests for more funded places, oldest first',
    tag,
    access: 'place-request:list',
    query: placeRequestApiListQuery,
    responses: { 200: { description: 'A page of requests', schema: listOf(apiPlaceRequestSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, status, councilId, level, period } = query;
      const { rows, total } = await requests.listRequests(db, councilScope(requireActor(request)), { status, councilId, level, period }, { page, pageSize });
      return { data: rows.map(requests.toApiPlaceRequest), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/place-requests',
    operationId: 'requestPlaces',
    description:
      'Asks the programme team for more funded places (1 to 100) for a council you manage, a level and an open financial year, with the reason. The council must be active or onboarding (else 422). Only one request waits per council, level and period: another is refused with 409.',
    summary: 'Ask for more funded places for a council, level and period',
    tag,
    access: 'place-request:create',
    body: placeRequestSchema,
    problems: { 409: 'A request for the same council, level and period is already waiting for a decision' },
    responses: { 201: { description: 'The request, waiting for a decision', schema: apiPlaceRequestSchema } },
    handler: async ({ body }, request, reply) => {
      const row = await requests.createRequest(db, request.ctx(), councilScope(requireActor(request)), body);
      return reply.code(201).send(requests.toApiPlaceRequest(row));
    },
  });

  /** Granting and refusing: the same path shape, policy, 409 and answer; only the body and the words differ. */
  const decisions = [
    {
      decision: 'grant',
      body: grantSchema,
      operationId: 'grantPlaceRequest',
      description:
        'Grants a waiting request: the council’s allocation for the level and period grows by the places asked for, in the same transaction, and the requester is told by email. A council that is no longer active or onboarding needs `confirmInactiveCouncil: true` (else 422). A request already decided is refused with 409 and nothing changes.',
      summary: 'Grant a request for places, adding them to the allocation',
      answer: 'The request, granted',
    },
    {
      decision: 'refuse',
      body: refuseSchema,
      operationId: 'refusePlaceRequest',
      description:
        'Refuses a waiting request with a note (required, up to 1,000 characters), which is emailed to the requester. A request already decided is refused with 409 and nothing changes.',
      summary: 'Refuse a request for places, with a note to the requester',
      answer: 'The request, refused',
    },
  ] as const;
  for (const { decision, body, operationId, description, summary, answer } of decisions) {
    apiRoute(app, {
      method: 'POST',
      url: `/place-requests/{id}/${decision}`,
      operationId,
      description,
      summary,
      tag,
      access: 'place-request:decide',
      params: idParams,
      body,
      problems: { 409: alreadyDecided },
      responses: { 200: { description: answer, schema: apiPlaceRequestSchema } },
      handler: async ({ params, body: input }, request) =>
        requests.toApiPlaceRequest(await requests.decide(db, request.ctx(), councilScope(requireActor(request)), params.id, decision, input)),
    });
  }
}
