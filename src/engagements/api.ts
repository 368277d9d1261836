import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf, pageQuery } from '../api/registry.ts';
import type { EngagementStatus } from './rules.ts';
import { apiEngagementSchema, apiTimeEntrySchema, engagementApiListQuery, engagementEditSchema, engagementSchema, engagementStatusSchema, timeEntrySchema } from './schemas.ts';
import { engagementApiAccess, idParams, stale, tag } from './api-access.ts';
import * as service from './service.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { budgetWarningsSchema } from '../funding/schemas.ts';

const timeParams = z.object({ id: z.uuid(), entryId: z.uuid() });
const timeRefusal = 'Only the specialists on this engagement log time on it';

export const toApi = (e: service.EngagementRow): z.infer<typeof apiEngagementSchema> => ({
  id: e.id,
  councilId: e.councilId,
  councilName: e.councilName,
  title: e.title,
  status: e.status as EngagementStatus,
  leadSpecialistId: e.leadSpecialistId,
  leadSpecialistName: e.leadSpecialistName,
  specialistIds: e.specialistIds,
  scope: e.scope,
  objectives: e.objectives,
  startDate: e.startDate,
  endDate: e.endDate,
  plannedDays: Math.round((e.plannedMinutes * 100) / 450) / 100,
  usedDays: Math.round((e.usedMinutes * 100) / 450) / 100,
  overdueActions: e.overdueActions,
  planSignedOffAt: e.planSignedOffAt?.toISOString() ?? null,
  completionSignedOffAt: e.completionSignedOffAt?.toISOString() ?? null,
  version: e.version,
});

const toApiTime = (t: service.TimeRow) => ({ id: t.id, personId: t.personId, personName: t.personName, date: t.date, minutes: t.minutes, unit: t.unit, activity: t.activity, note: t.note, version: t.version });

/** Engagements and their time: the same service, scope and schemas as the pages (their plans: plan-api.ts). */
export async function engagementApi(app: FastifyInstance, { db }: RouteDeps) {
  const { scopeOf, getOne, authorise, mayDo } = engagementApiAccess(db);
  /** A save over the API is never held back for the budget; those who read the funds' figures are told in the answer. */
  const budget = (request: FastifyRequest) => ({ budget: can(requireActor(request), 'fund:aggregate') ? ('report' as const) : undefined });
  const savedSchema = apiEngagementSchema.extend({ budgetWarnings: budgetWarningsSchema });
  const overBudget =
    ' Planned days that take a transformation support-days budget line over its budget are saved all the same: budgetWarnings in the answer says which line and by how much (the page asks to confirm instead).';

  apiRoute(app, {
    method: 'GET',
    url: '/engagements',
    operationId: 'listEngagements',
    description:
      'Lists the transformation engagements of the councils you may see (a specialist: the councils assigned to them; council staff: their own council), earliest start first, with planned and used days and the number of overdue actions. Filter by status, council and specialist (lead or team member). A bad filter or page is refused with 400.',
    summary: 'List transformation engagements',
    tag,
    access: 'engagement:list',
    query: engagementApiListQuery,
    responses: { 200: { description: 'A page of engagements', schema: listOf(apiEngagementSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, status, councilId, specialistId } = query;
      const { rows, total } = await service.listEngagements(db, request.ctx(), scopeOf(request), { status, councilId, specialistId }, { sort: 'startDate', order: 'asc' }, { page, pageSize });
      return { data: rows.map(toApi), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements',
    operationId: 'createEngagement',
    description:
      'Opens a transformation engagement for a council, planned: the lead specialist and the others must be active specialists assigned to the council, the end date the same as or after the start, and the planned days more than 0 with at most 2 decimal places (a day is 7.5 hours). Any other problem is a 422 naming the field.' + overBudget,
    summary: 'Open a transformation engagement for a council',
    tag,
    access: 'engagement:manage',
    body: engagementSchema,
    responses: { 201: { description: 'The engagement, planned', schema: savedSchema } },
    handler: async ({ body }, request, reply) => {
      const { id, budgetWarnings } = await service.createEngagement(db, request.ctx(), scopeOf(request), body, budget(request));
      return reply.code(201).header('location', `/api/v1/engagements/${id}`).send({ ...toApi(await getOne(request, id)), budgetWarnings });
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}',
    operationId: 'getEngagement',
    description: 'One engagement of a council you may see, with its planned and used days and overdue actions; 404 for one outside your councils.',
    summary: 'Get one transformation engagement',
    tag,
    access: 'engagement:list',
    params: idParams,
    responses: { 200: { description: 'The engagement', schema: apiEngagementSchema } },
    handler: async ({ params }, request) => toApi(await getOne(request, params.id)),
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/engagements/{id}',
    operationId: 'updateEngagement',
    description:
      'Replaces an engagement’s details (its council stays): title, lead and other specialists (active specialists assigned to the council), scope, objectives, dates and planned days, with the same rules as opening one (422 naming the field). A stale version is refused with 409. Only the programme team may (403 for others who see it).' + overBudget,
    summary: 'Change an engagement’s details; send the version you read',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: engagementEditSchema,
    problems: { 403: 'You see the engagement but only the programme team changes its details', 409: stale },
    authorise: mayDo('manage', 'Only the programme team changes an engagement’s details'),
    responses: { 200: { description: 'The engagement, changed', schema: savedSchema } },
    handler: async ({ params, body }, request) => {
      const { budgetWarnings } = await service.updateEngagement(db, request.ctx(), scopeOf(request), params.id, body, budget(request));
      return { ...toApi(await getOne(request, params.id)), budgetWarnings };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/status',
    operationId: 'changeEngagementStatus',
    description:
      'Moves an engagement along planned → active → closing → closed, or to paused (from planned or active) and back to active. Another move is refused with 409, as is a stale version. Only the programme team may (403 for others who see it).',
    summary: 'Change the status of an engagement; send the version you read',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: engagementStatusSchema,
    problems: { 403: 'You see the engagement but only the programme team changes its status', 409: stale },
    authorise: mayDo('manage', 'Only the programme team changes an engagement’s status'),
    responses: { 200: { description: 'The engagement, with its new status', schema: apiEngagementSchema } },
    handler: async ({ params, body }, request) => {
      await service.changeStatus(db, request.ctx(), scopeOf(request), params.id, body);
      return toApi(await getOne(request, params.id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}/time-entries',
    operationId: 'listEngagementTime',
    description: 'The time logged on an engagement, latest first, in whole minutes (a day is 450) with the unit it was entered in.',
    summary: 'List the time logged on an engagement',
    tag,
    access: 'engagement:list',
    params: idParams,
    authorise,
    query: pageQuery,
    responses: { 200: { description: 'A page of time entries', schema: listOf(apiTimeEntrySchema) } },
    handler: async ({ params, query }) => {
      const { rows, total } = await service.listTime(db, params.id, { limit: query.pageSize, offset: (query.page - 1) * query.pageSize });
      return { data: rows.map(toApiTime), meta: { total, page: query.page, pageSize: query.pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/time-entries',
    operationId: 'logEngagementTime',
    description:
      'Logs your time on an engagement you are on: a date within the engagement’s dates and not in the future, an amount in days (up to 1) or hours (up to 24) with at most 2 decimal places, and the activity. Others who see the engagement are refused with 403; a closed engagement with 409.',
    summary: 'Log time on an engagement you work on',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: timeEntrySchema,
    problems: { 403: 'Only the specialists on the engagement log time on it', 409: 'The engagement is closed' },
    authorise: mayDo('logTime', timeRefusal),
    responses: { 201: { description: 'The time entry', schema: apiTimeEntrySchema } },
    handler: async ({ params, body }, request, reply) => {
      const entryId = await service.logTime(db, request.ctx(), scopeOf(request), params.id, body);
      const { rows } = await service.listTime(db, params.id);
      return reply.code(201).send(toApiTime(rows.find((r) => r.id === entryId)!));
    },
  });

  /** A time entry of the engagement, as the API shows it. */
  const timeEntry = async (request: Parameters<typeof getOne>[0], engagementId: string, entryId: string) =>
    toApiTime(await service.ownTimeEntry(db, request.ctx(), engagementId, entryId));

  apiRoute(app, {
    method: 'PUT',
    url: '/engagements/{id}/time-entries/{entryId}',
    operationId: 'updateEngagementTime',
    description:
      'Replaces a time entry you logged, with the same rules as logging it (422 naming the field). Someone else’s entry is refused with 403; a stale version, or a closed engagement, with 409.',
    summary: 'Change time you logged on an engagement; send the version you read',
    tag,
    access: 'engagement:list',
    params: timeParams,
    body: timeEntrySchema,
    problems: { 403: 'Only the specialist who logged the time changes it', 409: `${stale}; or the engagement is closed` },
    authorise: mayDo('logTime', timeRefusal),
    responses: { 200: { description: 'The time entry, changed', schema: apiTimeEntrySchema } },
    handler: async ({ params, body }, request) => {
      await service.editTime(db, request.ctx(), scopeOf(request), params.id, params.entryId, body);
      return timeEntry(request, params.id, params.entryId);
    },
  });

  apiRoute(app, {
    method: 'DELETE',
    url: '/engagements/{id}/time-entries/{entryId}',
    operationId: 'deleteEngagementTime',
    description: 'Deletes a time entry you logged. Someone else’s entry is refused with 403; one already deleted is 404; a closed engagement’s time is kept (409).',
    summary: 'Delete time you logged on an engagement',
    tag,
    access: 'engagement:list',
    params: timeParams,
    problems: { 403: 'Only the specialist who logged the time deletes it', 409: 'The engagement is closed' },
    authorise: mayDo('logTime', timeRefusal),
    responses: { 200: { description: 'The time entry as it was, now deleted', schema: apiTimeEntrySchema } },
    handler: async ({ params }, request) => {
      const gone = await timeEntry(request, params.id, params.entryId);
      await service.deleteTime(db, request.ctx(), scopeOf(request), params.id, params.entryId);
      return gone;
    },
  });
}
