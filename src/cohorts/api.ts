import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { apiCohortSchema, cohortApiListQuery, cohortSchema } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Cohorts';
const idParams = z.object({ id: z.uuid() });

/** The cohorts API: the same service and schemas as the pages (placing learners is a journey event's `cohortId`). */
export async function cohortApi(app: FastifyInstance, { db }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/cohorts',
    operationId: 'listCohorts',
    description:
      'Lists training cohorts by start date, earliest first, optionally of one level, with their workshop dates, capacity, learners placed and seats left. A bad filter or page is refused with 400.',
    summary: 'List cohorts, optionally of one level, by start date (earliest first), with their capacity and seats left',
    tag,
    access: 'cohort:list',
    query: cohortApiListQuery,
    responses: { 200: { description: 'A page of cohorts', schema: listOf(apiCohortSchema) } },
    handler: async ({ query }) => {
      const { page, pageSize, level } = query;
      const { rows, total } = await service.listCohorts(db, { level, order: 'asc' }, { limit: pageSize, offset: (page - 1) * pageSize });
      return { data: rows.map(service.toApiCohort), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/cohorts/{id}',
    operationId: 'getCohort',
    description:
      'Returns one cohort with its workshop dates, capacity, learners placed and seats left. An unknown cohort answers 404.',
    summary: 'One cohort, with its capacity and seats left',
    tag,
    access: 'cohort:list',
    params: idParams,
    responses: { 200: { description: 'The cohort', schema: apiCohortSchema } },
    handler: async ({ params }) => service.toApiCohort(await service.getCohort(db, params.id)),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/cohorts',
    operationId: 'createCohort',
    description:
      'Creates a cohort of a level with its name, start date (not before 1 November 2021), up to 12 workshop dates and capacity (1 to 500). A name another cohort already has, whatever its case, answers 409.',
    summary: 'Create a cohort (level, name, start date, workshop dates, capacity); a name already used, whatever its case, is refused with 409',
    tag,
    access: 'cohort:manage',
    body: cohortSchema,
    responses: { 201: { description: 'The cohort, created', schema: apiCohortSchema } },
    handler: async ({ body }, request, reply) => {
      const cohort = await service.createCohort(db, request.ctx(), body);
      return reply.code(201).header('location', `/api/v1/cohorts/${cohort.id}`).send(service.toApiCohort(cohort));
    },
  });
}
