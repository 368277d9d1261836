import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { todayIso } from '../clock.ts';
import { isOverdue, milestoneOverdue } from './rules.ts';
import {
  actionNoteSchema,
  actionSchema,
  actionUpdateSchema,
  apiActionNoteSchema,
  apiActionSchema,
  apiEngagementSchema,
  apiEvidenceSchema,
  apiMilestoneSchema,
  evidenceLinkSchema,
  milestoneDoneSchema,
  milestoneSchema,
  signOffSchema,
} from './schemas.ts';
import { engagementApiAccess, idParams, stale, tag, workRefusal } from './api-access.ts';
import { toApi } from './api.ts';
import * as service from './service.ts';
import { evidenceFileApi } from '../files/evidence-api.ts';

const actionParams = z.object({ id: z.uuid(), actionId: z.uuid() });
const milestoneParams = z.object({ id: z.uuid(), milestoneId: z.uuid() });
const milestoneRefusal = 'Only the specialists on this engagement and the programme team keep its milestones';
/** At most this many of one engagement's milestones, actions, or one action's notes or evidence in one answer. */
const maxItems = 1000;

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
const toApiMilestone = (m: service.MilestoneRow, today: string) => ({ id: m.id, title: m.title, dueDate: m.dueDate, doneOn: m.doneOn, overdue: milestoneOverdue(m, today), version: m.version });
const toApiNote = (n: Awaited<ReturnType<typeof service.listNotes>>[number]) => ({ id: n.id, text: n.text, authorName: n.authorName, writtenAt: n.writtenAt.toISOString() });
const toApiEvidence = (e: Awaited<ReturnType<typeof service.listEvidence>>[number]) => ({ id: e.id, title: e.title, url: e.url, addedByName: e.addedByName, addedAt: e.addedAt.toISOString() });

/** An engagement's plan through the API: milestones, actions with their notes and evidence, and the SRO's sign-offs. */
export async function engagementPlanApi(app: FastifyInstance, { db, clock, storage, config }: RouteDeps) {
  const { scopeOf, getOne, authorise, mayDo } = engagementApiAccess(db);
  /** The action in the path, of the engagement in the path (404 otherwise), after the engagement's own checks. */
  const actionIn = (check: (params: Record<string, string>, request: Parameters<typeof getOne>[0]) => Promise<void>) => async (params: Record<string, string>, request: Parameters<typeof getOne>[0]) => {
    await check(params, request);
    await service.actionOf(db, params.id, params.actionId);
  };
  const milestoneIn = (check: typeof authorise) => async (params: Record<string, string>, request: Parameters<typeof getOne>[0]) => {
    await check(params, request);
    await service.milestoneOf(db, params.id, params.milestoneId);
  };

  // ---- Milestones ----

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}/milestones',
    operationId: 'listEngagementMilestones',
    description: 'The milestones of an engagement by due date, each with the day it was done and whether it is overdue.',
    summary: 'List the milestones of an engagement',
    tag,
    access: 'engagement:list',
    params: idParams,
    authorise,
    responses: { 200: { description: 'The milestones', schema: z.object({ data: z.array(apiMilestoneSchema).max(maxItems) }) } },
    handler: async ({ params }) => ({ data: (await service.listMilestones(db, params.id)).map((m) => toApiMilestone(m, todayIso(clock))) }),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/milestones',
    operationId: 'addEngagementMilestone',
    description: 'Adds a milestone with a due date not before the engagement starts (422 otherwise). The specialists on the engagement and the programme team may (403 for others who see it).',
    summary: 'Add a milestone to an engagement',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: milestoneSchema,
    problems: { 403: milestoneRefusal },
    authorise: mayDo('work', milestoneRefusal),
    responses: { 201: { description: 'The milestone', schema: apiMilestoneSchema } },
    handler: async ({ params, body }, request, reply) => {
      const milestoneId = await service.addMilestone(db, request.ctx(), scopeOf(request), params.id, body);
      return reply.code(201).send(toApiMilestone(await service.milestoneOf(db, params.id, milestoneId), todayIso(clock)));
    },
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/engagements/{id}/milestones/{milestoneId}',
    operationId: 'updateEngagementMilestone',
    description: 'Replaces a milestone’s title and due date (not before the engagement starts; 422 otherwise). A stale version is refused with 409.',
    summary: 'Change a milestone; send the version you read',
    tag,
    access: 'engagement:list',
    params: milestoneParams,
    body: milestoneSchema,
    problems: { 403: milestoneRefusal, 409: stale },
    authorise: milestoneIn(mayDo('work', milestoneRefusal)),
    responses: { 200: { description: 'The milestone, changed', schema: apiMilestoneSchema } },
    handler: async ({ params, body }, request) => {
      await service.editMilestone(db, request.ctx(), scopeOf(request), params.id, params.milestoneId, body);
      return toApiMilestone(await service.milestoneOf(db, params.id, params.milestoneId), todayIso(clock));
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/milestones/{milestoneId}/done',
    operationId: 'markEngagementMilestone',
    description: '`{ "done": true }` marks a milestone done today; `false` marks it not done again. Marking it as it already is changes nothing. A stale version is refused with 409.',
    summary: 'Mark a milestone done, or not done again',
    tag,
    access: 'engagement:list',
    params: milestoneParams,
    body: milestoneDoneSchema,
    problems: { 403: milestoneRefusal, 409: stale },
    authorise: milestoneIn(mayDo('work', milestoneRefusal)),
    responses: { 200: { description: 'The milestone', schema: apiMilestoneSchema } },
    handler: async ({ params, body }, request) => {
      await service.markMilestone(db, request.ctx(), scopeOf(request), params.id, params.milestoneId, body);
      return toApiMilestone(await service.milestoneOf(db, params.id, params.milestoneId), todayIso(clock));
    },
  });

  // ---- Actions ----

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
    authorise: mayDo('work', workRefusal),
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
    authorise: mayDo('work', workRefusal),
    responses: { 200: { description: 'The action, changed', schema: apiActionSchema } },
    handler: async ({ params, body }, request) => {
      await service.updateAction(db, request.ctx(), scopeOf(request), params.id, params.actionId, body);
      return toApiAction(await service.actionOf(db, params.id, params.actionId), todayIso(clock));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}/actions/{actionId}/notes',
    operationId: 'listEngagementActionNotes',
    description: 'The progress notes on an action, oldest first, with who wrote them and when.',
    summary: 'List the progress notes on an action',
    tag,
    access: 'engagement:list',
    params: actionParams,
    authorise: actionIn(authorise),
    responses: { 200: { description: 'The notes', schema: z.object({ data: z.array(apiActionNoteSchema).max(maxItems) }) } },
    handler: async ({ params }) => ({ data: (await service.listNotes(db, params.actionId)).map(toApiNote) }),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/actions/{actionId}/notes',
    operationId: 'addEngagementActionNote',
    description: 'Adds a progress note to an action (notes are kept, never changed). An empty or too long note is 422.',
    summary: 'Add a progress note to an action',
    tag,
    access: 'engagement:list',
    params: actionParams,
    body: actionNoteSchema,
    problems: { 403: workRefusal },
    authorise: actionIn(mayDo('work', workRefusal)),
    responses: { 201: { description: 'The action’s notes, the new one last', schema: z.object({ data: z.array(apiActionNoteSchema).max(maxItems) }) } },
    handler: async ({ params, body }, request, reply) => {
      await service.addNote(db, request.ctx(), scopeOf(request), params.id, params.actionId, body);
      return reply.code(201).send({ data: (await service.listNotes(db, params.actionId)).map(toApiNote) });
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/engagements/{id}/actions/{actionId}/evidence',
    operationId: 'listEngagementActionEvidence',
    description: 'The evidence linked to an action, oldest first.',
    summary: 'List the evidence for an action',
    tag,
    access: 'engagement:list',
    params: actionParams,
    authorise: actionIn(authorise),
    responses: { 200: { description: 'The evidence', schema: z.object({ data: z.array(apiEvidenceSchema).max(maxItems) }) } },
    handler: async ({ params }) => ({ data: (await service.listEvidence(db, params.actionId)).map(toApiEvidence) }),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/actions/{actionId}/evidence',
    operationId: 'addEngagementActionEvidence',
    description: 'Links evidence to an action: a title and an https:// link (422 otherwise).',
    summary: 'Link evidence to an action',
    tag,
    access: 'engagement:list',
    params: actionParams,
    body: evidenceLinkSchema,
    problems: { 403: workRefusal },
    authorise: actionIn(mayDo('work', workRefusal)),
    responses: { 201: { description: 'The action’s evidence, the new link last', schema: z.object({ data: z.array(apiEvidenceSchema).max(maxItems) }) } },
    handler: async ({ params, body }, request, reply) => {
      await service.addEvidence(db, request.ctx(), scopeOf(request), params.id, params.actionId, body);
      return reply.code(201).send({ data: (await service.listEvidence(db, params.actionId)).map(toApiEvidence) });
    },
  });

  // ---- Evidence files (src/files/evidence-api.ts): the pages' rules ----
  const fileDeps = { db, storage, maxBytes: config.resourceMaxBytes };
  evidenceFileApi(app, {
    db,
    maxBytes: config.resourceMaxBytes,
    tag,
    access: 'engagement:list',
    path: '/engagements/{id}/actions/{actionId}',
    params: actionParams,
    operationNoun: 'EngagementActionEvidenceFile',
    record: 'an action of an engagement',
    mayRead: actionIn(authorise),
    mayChange: mayDo('work', workRefusal),
    refusal: workRefusal,
    removeConflict: 'Once the action is done and the engagement’s completion signed off, its evidence cannot be changed',
    ownerOf: (params) => ({ actionId: params.actionId }),
    add: (request, params, file) => service.addEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, params.actionId, file),
    remove: (request, params, fileId) => service.removeEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, params.actionId, fileId),
    open: (request, params, fileId) => service.openEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, params.actionId, fileId),
  });

  // ---- Sign-off ----

  apiRoute(app, {
    method: 'POST',
    url: '/engagements/{id}/sign-offs',
    operationId: 'signOffEngagement',
    description:
      '`{ "what": "plan" }` signs off the action plan (it needs at least one action); `{ "what": "completion" }` its completion (after the plan, with every action done). Each is recorded once: a second, or one out of order, is 409. Only the council’s SRO may (403 for others who see it).',
    summary: 'Sign off an engagement’s action plan or its completion (the council’s SRO)',
    tag,
    access: 'engagement:list',
    params: idParams,
    body: signOffSchema,
    problems: { 403: 'Only the council’s SRO signs off the action plan', 409: 'Already signed off, or not ready to be' },
    authorise: mayDo('signOff', 'Only the council’s SRO signs off the action plan'),
    responses: { 200: { description: 'The engagement, signed off', schema: apiEngagementSchema } },
    handler: async ({ params, body }, request) => {
      await service.signOff(db, request.ctx(), scopeOf(request), params.id, body);
      return toApi(await getOne(request, params.id));
    },
  });
}
