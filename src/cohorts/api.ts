import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { apiCohortSchema, cohortApiListQuery, cohortDatesSchema, cohortSchema } from './schemas.ts';
import { todayIso } from '../clock.ts';
import * as service from './service.ts';

const tag = 'Cohorts';
const idParams = z.object({ id: z.uuid() });

/** The cohorts API: the same service and schemas as the pages (placing learners is a journey event's `cohortId`). */
export async function cohortApi(app: FastifyInstance, { db, clock }: RouteDeps) {
  const toApi = (c: service.CohortRow) => service.toApiCohort(c, todayIso(clock));
  apiRoute(app, {
    method: 'GET',
    url: '/cohorts',
    operationId: 'listCohorts',
    description:
      'Lists training cohorts by start date, earliest first, optionally of one level, with their dates, status (upcoming, running or finished, from the dates and today), capacity, learners placed and seats left. A bad filter or page is refused with 400.',
    summary: 'List cohorts, optionally of one level, by start date (earliest first), with their capacity and seats left',
    tag,
    access: 'cohort:list',
    query: cohortApiListQuery,
    responses: { 200: { description: 'A page of cohorts', schema: listOf(apiCohortSchema) } },
    handler: async ({ query }) => {
      const { page, pageSize, level } = query;
      const { rows, total } = await service.listCohorts(db, { level, order: 'asc' }, { limit: pageSize, offset: (page - 1) * pageSize });
      return { data: rows.map(toApi), meta: { total, page, pageSize } };
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
    handler: async ({ params }) => toApi(await service.getCohort(db, params.id)),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/cohorts',
    operationId: 'createCohort',
    description:
      'Creates a cohort of a level with its name, start date (not before 1 November 2021), end date (the same as or after the start), up to 12 workshop dates between them and capacity (1 to 500). A name another cohort already has, whatever its case, answers 409.',
    summary: 'Create a cohort (level, name, start and end dates, workshop dates, capacity); a name already used, whatever its case, is refused with 409',
    tag,
    access: 'cohort:manage',
    body: cohortSchema,
    responses: { 201: { description: 'The cohort, created', schema: apiCohortSchema } },
    handler: async ({ body }, request, reply) => {
      const cohort = await service.createCohort(db, request.ctx(), body);
      return reply.code(201).header('location', `/api/v1/cohorts/${cohort.id}`).send(toApi(cohort));
    },
  });

  apiRoute(app, {
    method: 'PATCH',
    url: '/cohorts/{id}',
    operationId: 'changeCohortDates',
    description:
      'Changes a cohort’s start date, end date and workshop dates (all three are sent; the workshops must fall between the start and the end). The dates cannot exclude what has happened: the start cannot move after the first day a learner placed in the cohort started learning, nor the end before the last such day (422). Send the version you read: if someone changed the cohort since, the answer is 409 and nothing is written. The same dates sent again change nothing.',
    summary: 'Change a cohort’s start, end and workshop dates; send the version you read (409 if someone changed it since)',
    tag,
    access: 'cohort:reschedule',
    params: idParams,
    body: cohortDatesSchema,
    problems: { 409: 'Someone else changed the cohort since you read it' },
    responses: { 200: { description: 'The cohort, with its dates changed', schema: apiCohortSchema } },
    handler: async ({ params, body }, request) => toApi(await service.changeDates(db, request.ctx(), params.id, body)),
  });
}
