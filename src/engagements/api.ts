import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf, pageQuery } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import type { FastifyRequest } from 'fastify';
import { todayIso } from '../clock.ts';
import { ForbiddenError } from '../web/errors.ts';
import { isOverdue, type EngagementStatus } from './rules.ts';
import {
  actionSchema,
  actionUpdateSchema,
  apiActionSchema,
  apiEngagementSchema,
  apiTimeEntrySchema,
  engagementApiListQuery,
  engagementSchema,
  engagementStatusSchema,
  timeEntrySchema,
} from './schemas.ts';
import * as service from './service.ts';

const tag = 'Engagements';
const idParams = z.object({ id: z.uuid() });
const actionParams = z.object({ id: z.uuid(), actionId: z.uuid() });
const stale = 'Someone else changed the record since you read it (send the version you read), or the move is not allowed from its status';

const toApi = (e: service.EngagementRow): z.infer<typeof apiEngagementSchema> => ({
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
const toApiAction = (a: service.ActionRow, today: string) => ({
  id: a.id,
  title: a.title,
  maturityAreaKey: a.maturityAreaKey,
  ownerId: a.ownerId,
  ownerName: a.ownerName,
  dueDate: a.dueDate,
  status: a.status,
  rag: a.rag,
  overdue: isOverdue(a, today),
  version: a.version,
});

/** Engagements, their time and their action plans: the same service, scope and schemas as the pages. */
export async function engagementApi(app: FastifyInstance, { db, clock }: RouteDeps) {
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const getOne = async (request: FastifyRequest, id: string) => (await service.getEngagement(db, request.ctx(), scopeOf(request), id)).engagement;
  const authorise = async (params: Record<string, string>, request: FastifyRequest) => {
    await getOne(request, params.id);
  };
  /** Before the body is read: 404 outside scope, then 403 for those who see the engagement but may not make the change. */
  const mayDo = (what: 'manage' | 'logTime' | 'work', message: string) => async (params: Record<string, string>, request: FastifyRequest) => {
    const { access } = await service.getEngagement(db, request.ctx(), scopeOf(request), params.id);
    if (!access[what]) throw new ForbiddenError(message);
  };

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
      'Opens a transformation engagement for a council, planned: the lead specialist and the others must be active specialists assigned to the council, the end date the same as or after the start, and the planned days more than 0 with at most 2 decimal places (a day is 7.5 hours). Any other problem is a 422 naming the field.',
    summary: 'Open a transformation engagement for a council',
    tag,
    access: 'engagement:manage',
    body: engagementSchema,
    responses: { 201: { description: 'The engagement, planned', schema: apiEngagementSchema } },
    handler: async ({ body }, request, reply) => {
      const id = await service.createEngagement(db, request.ctx(), scopeOf(request), body);
      return reply.code(201).header('location', `/api/v1/engagements/${id}`).send(toApi(await getOne(request, id)));
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
    authorise: mayDo('logTime', 'Only the specialists on this engagement log time on it'),
    responses: { 201: { description: 'The time entry', schema: apiTimeEntrySchema } },
    handler: async ({ params, body }, request, reply) => {
      const entryId = await service.logTime(db, request.ctx(), scopeOf(request), params.id, body);
      const { rows } = await service.listTime(db, params.id);
      return reply.code(201).send(toApiTime(rows.find((r) => r.id === entryId)!));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}/actions',
    operationId: 'listEngagementActions',
    description: 'The actions of an engagement’s action plan by due date, each with its owner, status, RAG rating and whether it is overdue.',
    summary: 'List the actions of an engagement’s plan',
    tag,
    access: 'engagement:list',
    params: idParams,
    authorise,
    responses: { 200: { description: 'The actions', schema: z.object({ data: z.array(apiActionSchema).max(1000) }) } },
    handler: async ({ params }) => ({ data: (await service.listActions(db, params.id)).map((a) => toApiAction(a, todayIso(clock))) }),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/actions',
    operationId: 'addEngagementAction',
    description:
      'Adds an action to an engagement’s plan, not started: the owner must be an active person of the engagement’s council and the due date not before the engagement starts (422 otherwise). `maturityAreaKey` names a maturity framework area. The specialists on the engagement and the programme team may (403 for others who see it).',
    summary: 'Add an action to an engagement’s plan',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: actionSchema,
    problems: { 403: 'Only the specialists on the engagement and the programme team keep its action plan' },
    authorise: mayDo('work', 'Only the specialists on this engagement and the programme team keep its action plan'),
    responses: { 201: { description: 'The action', schema: apiActionSchema } },
    handler: async ({ params, body }, request, reply) => {
      const actionId = await service.addAction(db, request.ctx(), scopeOf(request), params.id, body);
      return reply.code(201).send(toApiAction(await service.actionOf(db, params.id, actionId), todayIso(clock)));
    },
  });

  apiRoute(app, {
    method: 'PATCH',
    url: '/engagements/{id}/actions/{actionId}',
    operationId: 'updateEngagementAction',
    description:
      'Changes an action’s fields and status: not started → in progress → done, or blocked (and back to in progress); done is final. An illegal move or a stale version is refused with 409, an owner from another council with 422.',
    summary: 'Change an action of an engagement’s plan; send the version you read',
    tag,
    access: 'engagement:list',
    params: actionParams,
    body: actionUpdateSchema,
    problems: { 403: 'Only the specialists on the engagement and the programme team keep its action plan', 409: stale },
    authorise: mayDo('work', 'Only the specialists on this engagement and the programme team keep its action plan'),
    responses: { 200: { description: 'The action, changed', schema: apiActionSchema } },
    handler: async ({ params, body }, request) => {
      await service.updateAction(db, request.ctx(), scopeOf(request), params.id, params.actionId, body);
      return toApiAction(await service.actionOf(db, params.id, params.actionId), todayIso(clock));
    },
  });
}
