import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { allocationSchema, apiPlaceSchema, placeApiListQuery } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Funded places';

/** The funded places API: the same service, scope and schemas as the pages. */
export async function placeApi(app: FastifyInstance, { db }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/places',
    operationId: 'listPlaces',
    description:
      'Lists funded place allocations per council, level and financial year in the councils you may see, with the places taken, released and remaining. Filter by council, level and period (a financial year like 2024-25). A bad filter or page is refused with 400.',
    summary: 'List funded place allocations per council, level and period, with places taken, released and remaining',
    tag,
    access: 'place:list',
    query: placeApiListQuery,
    responses: { 200: { description: 'A page of allocations', schema: listOf(apiPlaceSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, councilId, level, period } = query;
      const { rows, total } = await service.listPlaces(
        db,
        councilScope(requireActor(request)),
        { councilId, level, period, sort: 'council', order: 'asc' },
        { page, pageSize },
      );
      return { data: rows.map(service.toApiPlace), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/places',
    operationId: 'allocatePlaces',
    description:
      'Sets the number of funded places for a council, level and financial year: creates the allocation (201) or changes it (200). It cannot go below the places already taken. A council that is not active or onboarding needs `confirmInactiveCouncil: true` (else 422). A council outside what you may see is refused without saying whether it exists.',
    summary: 'Create or change the allocation for a council, level and period (201 created, 200 changed); never below the places taken',
    tag,
    access: 'place:allocate',
    body: allocationSchema,
    responses: {
      200: { description: 'The allocation, changed', schema: apiPlaceSchema },
      201: { description: 'The allocation, created', schema: apiPlaceSchema },
    },
    handler: async ({ body }, request, reply) => {
      const { place, created } = await service.allocate(db, request.ctx(), councilScope(requireActor(request)), body);
      return reply.code(created ? 201 : 200).send(service.toApiPlace(place));
    },
  });
}
