import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { apiAssessmentListQuery, apiAssessmentSchema, draftSchema, moderateSchema, startSchema } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Maturity';
const idParams = z.object({ id: z.uuid() });
const submitted = 'The assessment is submitted and can no longer be changed, or the version given is stale: nothing was changed';

/** Maturity assessments over the API: the same service, scope and schemas as the pages. */
export async function maturityApi(app: FastifyInstance, { db }: RouteDeps) {
  const scopeOf = (request: Parameters<typeof requireActor>[0]) => councilScope(requireActor(request));
  /** A record outside the caller's scope is 404 before its body is looked at. */
  const authorise = async (params: Record<string, string>, request: Parameters<typeof requireActor>[0]) => {
    await service.getAssessment(db, scopeOf(request), params.id);
  };

  apiRoute(app, {
    method: 'GET',
    url: '/maturity-assessments',
    operationId: 'listMaturityAssessments',
    summary: 'List maturity assessments of the councils you may see, newest first',
    description:
      'Lists the maturity assessments (baselines and follow-ups, drafts first, then newest submitted first) of the councils you may see: your own council, the councils assigned to you, or all. Filter by council, status and kind. A bad filter or page is refused with 400.',
    tag,
    access: 'maturity:view',
    query: apiAssessmentListQuery,
    responses: { 200: { description: 'A page of assessments, each with its areas', schema: listOf(apiAssessmentSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, councilId, status, kind } = query;
      const { rows, total } = await service.listAssessments(db, scopeOf(request), { councilId, status, kind }, { page, pageSize });
      return { data: (await service.withAnswers(db, rows)).map(service.toApiAssessment), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/maturity-assessments',
    operationId: 'startMaturityAssessment',
    summary: 'Start a council’s next maturity assessment as a draft',
    description:
      'Starts the council’s baseline when it has none, else a follow-up pre-filled from its last submitted assessment (scores, moderated where moderated; evidence; targets). A council has one draft at a time: another is refused with 409. A council you may not see is 404.',
    tag,
    access: 'maturity:assess',
    body: startSchema,
    problems: { 409: 'The council already has a draft assessment' },
    responses: { 201: { description: 'The new draft', schema: apiAssessmentSchema } },
    handler: async ({ body }, request, reply) => reply.code(201).send(service.toApiAssessment(await service.startAssessment(db, request.ctx(), scopeOf(request), body))),
  });

  apiRoute(app, {
    method: 'GET',
    url: '/maturity-assessments/{id}',
    operationId: 'getMaturityAssessment',
    summary: 'Get one maturity assessment with its areas',
    description: 'One assessment with every area of its framework: the council’s score, evidence and target, and any moderated score with its reason. Another council’s assessment is 404.',
    tag,
    access: 'maturity:view',
    params: idParams,
    responses: { 200: { description: 'The assessment', schema: apiAssessmentSchema } },
    handler: async ({ params }, request) => service.toApiAssessment(await service.getAssessment(db, scopeOf(request), params.id)),
  });

  /** Saving a draft and submitting it: the same body, checks and answer; submitting also requires every answer. */
  const saves = [
    {
      method: 'PATCH',
      url: '/maturity-assessments/{id}',
      submit: false,
      operationId: 'updateMaturityAssessmentDraft',
      summary: 'Save answers to a draft maturity assessment',
      description:
        'Saves answers for any of the areas (by key) of a draft; a field left out keeps its value and null clears it. A score or target outside 1–5 or an unknown area is refused with 422, naming the area. A submitted assessment, or a stale `version`, is refused with 409.',
      answer: 'The draft, saved',
    },
    {
      method: 'POST',
      url: '/maturity-assessments/{id}/submit',
      submit: true,
      operationId: 'submitMaturityAssessment',
      summary: 'Submit a draft maturity assessment (with any last answers)',
      description:
        'Saves the answers given (if any), then submits the draft: every area needs a score, evidence and a target level, else 422 lists each missing answer and nothing is written. Once submitted the assessment cannot be changed (409 for any later edit).',
      answer: 'The assessment, submitted',
    },
  ] as const;
  for (const { method, url, submit, operationId, summary, description, answer } of saves) {
    apiRoute(app, {
      method,
      url,
      operationId,
      summary,
      description,
      tag,
      access: 'maturity:assess',
      params: idParams,
      authorise,
      body: draftSchema,
      problems: { 409: submitted },
      responses: { 200: { description: answer, schema: apiAssessmentSchema } },
      handler: async ({ params, body }, request) => service.toApiAssessment(await service.saveAssessment(db, request.ctx(), scopeOf(request), params.id, body, { submit })),
    });
  }

  apiRoute(app, {
    method: 'POST',
    url: '/maturity-assessments/{id}/moderations',
    operationId: 'moderateMaturityScore',
    summary: 'Moderate one area’s score of a submitted maturity assessment',
    description:
      'Records a specialist’s moderated score (1–5) for one area, with the reason. The council’s own score is kept beside it; the moderated one counts in the change and the programme figures. A draft is refused with 409; the same score as now with 422.',
    tag,
    access: 'maturity:moderate',
    params: idParams,
    authorise,
    body: moderateSchema,
    problems: { 409: 'The assessment is still a draft' },
    responses: { 200: { description: 'The assessment, with the moderated score', schema: apiAssessmentSchema } },
    handler: async ({ params, body }, request) => service.toApiAssessment(await service.moderate(db, request.ctx(), scopeOf(request), params.id, body)),
  });
}
