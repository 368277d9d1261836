import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { can, councilScope, type CouncilScope } from '../auth/policy.ts';
import { placesOverBudgetWarnings } from '../funding/service.ts';
import { budgetWarningsSchema } from '../funding/schemas.ts';
import { requireActor } from '../auth/session.ts';
import { apiEnrolmentDetailSchema, apiEnrolmentSchema, enrolmentApiListQuery, toApiDetail, toApiItem } from './list-schemas.ts';
import * as queries from './queries.ts';
import { journeyEventSchema, nominationCorrectionSchema, nominationSchema, nominationWithdrawalSchema } from './schemas.ts';
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

  /** An enrolment outside the caller's scope is 404 before the body is looked at, so a 422 cannot hint it exists. */
  const enrolmentInScope = async (params: Record<string, string>, request: FastifyRequest) => {
    await queries.getEnrolment(db, clock, scopeOf(request), params.id);
  };

  const detail = async (scope: CouncilScope, id: string) => {
    const { enrolment, history } = await queries.getEnrolmentWithHistory(db, clock, scope, id);
    return toApiDetail(enrolment, history);
  };

  apiRoute(app, {
    method: 'GET',
    url: '/enrolments',
    operationId: 'listEnrolments',
    description:
      'Lists enrolments (officers nominated for a level) in the councils you may see, with their status, funded place, whether their assessment is overdue and why they need attention (stuck at a step longer than the settings allow). Filter by part of the learner’s name or email address (q), council, level, status, cohort, period, overdue, attention (any or one reason) or accreditation upkeep (cpd, renewal), and sort. A bad filter or page is refused with 400.',
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
    description:
      'Nominates an officer of a council for a level and financial year: an existing person of the council (personId) or a new one (person: name, email address, job title), who is emailed an invitation. Someone already working towards the level (an active enrolment on it) or holding it (an accreditation that has not lapsed) answers 409. A new person whose email address is already someone’s in the council answers 409 naming them; send confirmExistingPerson: true to nominate that person. A council or person outside what you may see is refused without saying whether they exist.',
    summary:
      'Nominate an officer of a council for a level: an existing person (personId) or a new one (person), who is invited. 409 if they already hold or work towards the level, or if the address is someone’s already (confirmExistingPerson).',
    problems: {
      409: 'The officer already holds the level or is working towards it, or the new officer’s address is already someone’s in the council (send confirmExistingPerson: true to nominate them); nothing was written',
    },
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
    method: 'PATCH',
    url: '/enrolments/{id}',
    operationId: 'correctNomination',
    description:
      'Corrects the level, the period or both of a nomination that is waiting for a decision, with the rules of nominating: a council’s own staff may choose the current period or the next, the programme team any open period (422 otherwise), and the officer must not already hold or work towards the new level (409). A nomination already approved or declined answers 409, as does a stale version. The same values sent again change nothing. An enrolment outside what you may see answers 404.',
    summary: 'Correct a nomination’s level or period before it is decided (409 once decided, or for a level held or worked towards)',
    tag,
    access: 'enrolment:correct-nomination',
    params: idParams,
    authorise: enrolmentInScope,
    body: nominationCorrectionSchema,
    problems: { 409: 'The nomination was already decided, the officer already holds or works towards the new level, or someone changed it since you read it; nothing was written' },
    responses: { 200: { description: 'The enrolment, corrected', schema: apiEnrolmentDetailSchema } },
    handler: async ({ params }, request) => {
      const scope = scopeOf(request);
      await service.correctNomination(db, request.ctx(), scope, params.id, request.body);
      return detail(scope, params.id);
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/enrolments/{id}/withdrawal',
    operationId: 'withdrawNomination',
    description:
      'Withdraws a nomination that is waiting for a decision, with a reason, as of today: the council that made it, or programme staff. A nomination already approved or declined answers 409 (after approval, the programme team withdraw it as a journey step with POST /enrolments/{id}/events). An enrolment outside what you may see answers 404.',
    summary: 'Withdraw a nomination before it is decided (409 once decided)',
    tag,
    access: 'enrolment:withdraw-nomination',
    params: idParams,
    authorise: enrolmentInScope,
    body: nominationWithdrawalSchema,
    problems: { 409: 'The nomination was already decided, or someone changed it since you read it; nothing was written' },
    responses: { 200: { description: 'The enrolment, withdrawn', schema: apiEnrolmentDetailSchema } },
    handler: async ({ params }, request) => {
      const scope = scopeOf(request);
      await service.withdrawNomination(db, request.ctx(), scope, params.id, request.body);
      return detail(scope, params.id);
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/enrolments/{id}',
    operationId: 'getEnrolment',
    description:
      'Returns one enrolment with its history, oldest step first. An enrolment outside what you may see answers 404.',
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
    description:
      'Moves an enrolment one step along the learner journey (approve, decline, register, start learning, book an assessment, pass, not pass, defer, withdraw, resume) on a day from 1 November 2021 to today. Send the version you read to guard against a stale change. An enrolment outside what you may see answers 404. An approval that takes a training-places budget line over its budget is made all the same: budgetWarnings in the answer says which line and by how much (the approval page shows the same warning).',
    problems: {
      403: 'Your role may not record this type of step (approving and declining are the managing partner’s)',
      409: 'A step the journey does not allow from the enrolment’s status, no funded place left for the council, a full or finished cohort or a stale version; nothing was written',
    },
    summary:
      'Move an enrolment one step along the journey. 409 for a step the journey does not allow or when the council has no funded place left; 403 when your role may not record that type (approving and declining are the managing partner’s).',
    tag,
    access: 'enrolment:list',
    params: idParams,
    authorise: enrolmentInScope,
    body: eventBody,
    responses: { 200: { description: 'The enrolment, moved', schema: apiEnrolmentDetailSchema.extend({ budgetWarnings: budgetWarningsSchema }) } },
    handler: async ({ params, body }, request) => {
      const scope = scopeOf(request);
      // Worked out before the place is taken: the warning is about the place this approval adds.
      const { enrolment } = await queries.getEnrolment(db, clock, scope, params.id);
      const budgetWarnings =
        body.type === 'approved' && can(requireActor(request), 'fund:aggregate')
          ? await placesOverBudgetWarnings(db, [{ level: enrolment.level, period: enrolment.period, taken: 1, released: 0 }], 'approval')
          : [];
      await service.recordEvent(db, request.ctx(), scope, params.id, request.body);
      return { ...(await detail(scope, params.id)), budgetWarnings };
    },
  });
}
