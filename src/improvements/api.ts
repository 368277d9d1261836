import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ForbiddenError } from '../web/errors.ts';
import { evidenceLinkSchema } from './schemas.ts';
import { apiImprovementSchema, improvementApiListQuery, improvementSchema, reviewSchema } from './schemas.ts';
import * as service from './service.ts';
import { evidenceFileApi } from '../files/evidence-api.ts';

const tag = 'Improvements';
const idParams = z.object({ id: z.uuid() });
const stale = 'Someone else changed the improvement since you read it (send the version you read), or its status does not allow the change';

/** The improvements register over the API: the same service, scope and schemas as the pages. */
export async function improvementApi(app: FastifyInstance, { db, storage, config }: RouteDeps) {
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));

  type Evidence = Awaited<ReturnType<typeof service.evidenceOf>>;
  const toApi = (i: service.ImprovementRow, evidence: Evidence): z.infer<typeof apiImprovementSchema> => ({
    id: i.id,
    councilId: i.councilId,
    councilName: i.councilName,
    type: i.type,
    description: i.description,
    date: i.improvedOn,
    valuePence: i.valuePence,
    cashable: i.cashable,
    status: i.status,
    reviewNote: i.reviewNote,
    reviewedAt: i.reviewedAt?.toISOString() ?? null,
    learnerIds: i.learnerIds,
    contractIds: i.contractIds,
    evidence: evidence.map((e) => ({ id: e.id, title: e.title, url: e.url })),
    version: i.version,
  });
  const getOne = async (request: FastifyRequest, id: string) => {
    const { improvement } = await service.getImprovement(db, request.ctx(), scopeOf(request), id);
    return toApi(improvement, await service.evidenceOf(db, id));
  };
  /** Before the body is read: 404 outside scope, then 403 for those who see the improvement but may not make the change. */
  const mayDo = (what: 'edit' | 'review') => async (params: Record<string, string>, request: FastifyRequest) => {
    const { access } = await service.getImprovement(db, request.ctx(), scopeOf(request), params.id);
    if (!access[what]) throw new ForbiddenError(what === 'edit' ? 'Only the council’s SRO and lead change its improvements' : 'Only a specialist assigned to the council or the programme team verifies or queries an improvement');
  };

  apiRoute(app, {
    method: 'GET',
    url: '/improvements',
    operationId: 'listImprovements',
    description:
      'Lists the improvements of the councils you may see (a specialist: the councils assigned to them; council staff: their own council), newest first. Filter by type, status, council, cashable (cashable, non_cashable or none) and words in the description or council name. A bad filter or page is refused with 400.',
    summary: 'List improvements',
    tag,
    access: 'improvement:list',
    query: improvementApiListQuery,
    responses: { 200: { description: 'A page of improvements', schema: listOf(apiImprovementSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, type, status, councilId, cashable, q } = query;
      const { rows, total } = await service.listImprovements(db, scopeOf(request), { type, status, councilId, cashable, q }, { sort: 'date', order: 'desc' }, { page, pageSize });
      // Every row's evidence in one statement (one per row was 50 a page, queued on the pool).
      const evidence = await service.evidenceOfEach(db, rows.map((r) => r.id));
      return { data: rows.map((r) => toApi(r, evidence.get(r.id)!)), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/improvements',
    operationId: 'recordImprovement',
    description:
      'Records an improvement of your own council, submitted for verification. The date must be today or in the past; `value` is in pounds with at most 2 decimal places and goes with a `valueKind` of cashable or non_cashable (none: no value); `learnerIds` must be learners of your council and `contractIds` key contracts of your council. Any other problem is a 422 naming the field; the same type, date and description twice is a 409.',
    summary: 'Record an improvement of your council',
    tag,
    access: 'improvement:record',
    body: improvementSchema,
    problems: { 409: 'The council already has an improvement of the same type, date and description' },
    responses: { 201: { description: 'The improvement, submitted', schema: apiImprovementSchema } },
    // The service parses the body as sent (the schema turns pounds into pence, so its output would not parse again).
    handler: async (_valid, request, reply) => {
      const id = await service.recordImprovement(db, request.ctx(), request.body);
      return reply.code(201).header('location', `/api/v1/improvements/${id}`).send(await getOne(request, id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/improvements/{id}',
    operationId: 'getImprovement',
    description: 'One improvement of a council you may see, with its learners and evidence; 404 for one outside your councils.',
    summary: 'Get one improvement',
    tag,
    access: 'improvement:list',
    params: idParams,
    responses: { 200: { description: 'The improvement', schema: apiImprovementSchema } },
    handler: async ({ params }, request) => getOne(request, params.id),
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/improvements/{id}',
    operationId: 'updateImprovement',
    description:
      'Changes an improvement of your council with the same fields as recording it. A queried one is resubmitted; a verified one cannot be changed (409), nor can a stale version. Only the council’s SRO and lead may (403 for others who see it).',
    summary: 'Change an improvement; send the version you read',
    tag,
    access: 'improvement:list',
    params: idParams,
    body: improvementSchema,
    problems: { 403: 'Only the council’s SRO and lead change its improvements', 409: stale },
    authorise: mayDo('edit'),
    responses: { 200: { description: 'The improvement, changed', schema: apiImprovementSchema } },
    handler: async ({ params }, request) => {
      await service.updateImprovement(db, request.ctx(), scopeOf(request), params.id, request.body);
      return getOne(request, params.id);
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/improvements/{id}/review',
    operationId: 'reviewImprovement',
    description:
      'Verifies (`decision: verified`, a note if you wish) or queries (`decision: queried`, a note saying what the council must answer) a submitted improvement. One already verified or queried, or a stale version, is refused with 409. Specialists assigned to the council and the programme admins may (403 for others who see it).',
    summary: 'Verify or query an improvement; send the version you read',
    tag,
    access: 'improvement:list',
    params: idParams,
    body: reviewSchema,
    problems: { 403: 'Only a specialist assigned to the council or the programme team verifies or queries an improvement', 409: stale },
    authorise: mayDo('review'),
    responses: { 200: { description: 'The improvement, verified or queried', schema: apiImprovementSchema } },
    handler: async ({ params, body }, request) => {
      await service.reviewImprovement(db, request.ctx(), scopeOf(request), params.id, body);
      return getOne(request, params.id);
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/improvements/{id}/evidence',
    operationId: 'addImprovementEvidence',
    description: 'Adds an https link as evidence to an improvement of your council that is not yet verified (409 once verified). Only the council’s SRO and lead may (403 for others who see it).',
    summary: 'Add a link as evidence to an improvement',
    tag,
    access: 'improvement:list',
    params: idParams,
    body: evidenceLinkSchema,
    problems: { 403: 'Only the council’s SRO and lead change its improvements', 409: 'A verified improvement cannot be changed' },
    authorise: mayDo('edit'),
    responses: { 201: { description: 'The improvement with the evidence added', schema: apiImprovementSchema } },
    handler: async ({ params, body }, request, reply) => {
      await service.addEvidence(db, request.ctx(), scopeOf(request), params.id, body);
      return reply.code(201).send(await getOne(request, params.id));
    },
  });

  // ---- Evidence files (src/files/evidence-api.ts): the pages' rules ----
  const fileDeps = { db, storage, maxBytes: config.resourceMaxBytes };
  evidenceFileApi(app, {
    db,
    maxBytes: config.resourceMaxBytes,
    tag,
    access: 'improvement:list',
    path: '/improvements/{id}',
    params: idParams,
    operationNoun: 'ImprovementEvidenceFile',
    record: 'an improvement',
    mayRead: async (params, request) => {
      await service.getImprovement(db, request.ctx(), scopeOf(request), params.id);
    },
    mayChange: mayDo('edit'),
    refusal: 'Only the council’s SRO and lead change its improvements',
    addConflict: 'A verified improvement cannot be changed',
    removeConflict: 'A verified improvement cannot be changed',
    ownerOf: (params) => ({ improvementId: params.id }),
    add: (request, params, file) => service.addEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, file),
    remove: (request, params, fileId) => service.removeEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, fileId),
    open: (request, params, fileId) => service.openEvidenceFile(fileDeps, request.ctx(), scopeOf(request), params.id, fileId),
  });
}
