import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { can, seesExactCounts } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { disclosureRule } from '../dashboard/figures.ts';
import type { Count } from '../dashboard/figures.ts';
import * as repo from './repository.ts';
import { aggregate } from './results.ts';
import { apiResultsSchema, apiSurveySchema, surveyApiListQuery } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Surveys';
const idParams = z.object({ id: z.uuid() });
const apiCount = (c: Count) => ({ value: c.suppressed ? null : c.value, suppressed: c.suppressed });

/** Surveys over the API, read-only: the list and each survey's aggregated results, suppressed as on the page. */
export async function surveyApi(app: FastifyInstance, { db }: RouteDeps) {
  const toApi = (s: service.SurveyRow): z.infer<typeof apiSurveySchema> => ({
    id: s.id,
    title: s.title,
    level: s.level,
    audience: s.audience,
    anonymous: s.anonymous,
    closesOn: s.closesOn,
    status: s.status,
    questions: s.questions.map((q) => ({ key: q.key, text: q.text, type: q.type, options: q.options, required: q.required })),
    sent: s.sent,
    answered: s.answered,
    schedule: s.scheduleMonths === null ? null : { months: s.scheduleMonths, includeSros: s.scheduleIncludeSros, setOn: s.scheduleSetOn! },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/surveys',
    operationId: 'listSurveys',
    description: 'Lists the surveys, newest first, with their questions, status, schedule and how many were sent it and answered; `level` and `status` filter them. A bad page or filter is refused with 400.',
    summary: 'List surveys',
    tag,
    access: 'survey:results',
    query: surveyApiListQuery,
    responses: { 200: { description: 'A page of surveys', schema: listOf(apiSurveySchema) } },
    handler: async ({ query }) => {
      const { page, pageSize, level, status } = query;
      const { rows, total } = await service.listSurveys(db, { level, status }, { sort: 'created', order: 'desc' }, { page, pageSize });
      return { data: rows.map(toApi), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/surveys/{id}/results',
    operationId: 'getSurveyResults',
    description:
      'A survey’s results in aggregate: the response rate and, per question, the counts of each scale point or option and a scale’s mean. ' +
      'Counts from 1 to 4 are hidden for everyone, and others where they would give a small one away (`value` null, `suppressed` says why). ' +
      'Free-text answers only for programme staff, once 5 or more answered. 404 for an unknown survey.',
    summary: 'Get a survey’s aggregated results',
    tag,
    access: 'survey:results',
    params: idParams,
    responses: { 200: { description: 'The results', schema: apiResultsSchema } },
    handler: async ({ params }, request) => {
      const actor = requireActor(request);
      const survey = await service.surveyById(db, params.id);
      const r = aggregate(survey.questions, await repo.responses(db, survey.id), survey, can(actor, 'survey:manage') || seesExactCounts(actor));
      return {
        surveyId: survey.id,
        sent: r.sent,
        answered: r.answered,
        ratePercent: r.ratePercent,
        disclosureRule,
        questions: r.questions.map((q) => ({
          key: q.key,
          number: q.number,
          text: q.text,
          type: q.type,
          answered: apiCount(q.answered),
          counts: q.rows.map((row) => ({ answer: row.label, count: apiCount(row.count) })),
          mean: q.mean === null ? null : Number(q.mean),
          texts: q.texts,
        })),
      };
    },
  });
}
