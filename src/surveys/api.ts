import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { can, seesExactCounts } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { disclosureRule } from '../dashboard/figures.ts';
import type { Count } from '../dashboard/figures.ts';
import * as repo from './repository.ts';
import { aggregate } from './results.ts';
import { ForbiddenError } from '../web/errors.ts';
import {
  apiReminderSchema,
  apiResultsSchema,
  apiSendingSchema,
  apiSurveySchema,
  scheduleRemovalQuery,
  scheduleSchema,
  sendSchema,
  surveyApiListQuery,
  surveyCreateSchema,
  surveyMoveSchema,
  surveySchema,
} from './schemas.ts';
import * as service from './service.ts';

const tag = 'Surveys';
const idParams = z.object({ id: z.uuid() });
const apiCount = (c: Count) => ({ value: c.suppressed ? null : c.value, suppressed: c.suppressed });

const programmeAdminsOnly = 'Only programme admins write, open, close, send, remind or schedule a survey: you may read surveys, not change them';

/**
 * Surveys over the API: the list, one survey, each survey's aggregated results (suppressed as on the page); writing,
 * opening, closing, sending and reminding, and a behaviour survey's schedule, with the pages' schemas and service.
 */
export async function surveyApi(app: FastifyInstance, { db, config, outbox }: RouteDeps) {
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
    version: s.version,
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
    method: 'POST',
    url: '/surveys',
    operationId: 'createSurvey',
    description:
      'Writes a new survey, a draft, as the page does: a title, the Kirkpatrick `level`, who it is for (`audience`), whether the answers are `anonymous`, the closing date ' +
      '(today or later) and 1 to 20 `questions` in order, each a 1–5 `scale`, a `single` or `multiple` choice (2 to 12 different `options`) or free `text`, `required` or not. ' +
      'Every problem is a 422 naming its field (`questions.1.options`), nothing written. Open it with POST /surveys/{id}/status. Audited.',
    summary: 'Write a survey (a draft)',
    tag,
    access: 'survey:manage',
    body: surveyCreateSchema,
    responses: { 201: { description: 'The survey, a draft', schema: apiSurveySchema } },
    handler: async ({ body }, request, reply) => {
      const id = await service.createSurvey(db, request.ctx(), body);
      return reply.code(201).header('location', `/api/v1/surveys/${id}`).send(toApi(await service.surveyById(db, id)));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/surveys/{id}',
    operationId: 'getSurvey',
    description:
      'One survey as the list gives it: its questions, status, how many were sent it and answered, its `version` and its `schedule` (null when it is sent by hand only). 404 for an unknown survey.',
    summary: 'Get a survey',
    tag,
    access: 'survey:results',
    params: idParams,
    responses: { 200: { description: 'The survey', schema: apiSurveySchema } },
    handler: async ({ params }) => toApi(await service.surveyById(db, params.id)),
  });

  /** Those who read surveys but may not manage them know the survey exists: 403 rather than 404. */
  const managesSurvey = async (params: Record<string, string>, request: FastifyRequest) => {
    await service.surveyById(db, params.id);
    if (!can(requireActor(request), 'survey:manage')) throw new ForbiddenError(programmeAdminsOnly);
  };
  /** What every change to a survey declares: its readers get as far as `managesSurvey`, which answers them 403. */
  const surveyWrite = { access: 'survey:results', params: idParams, authorise: managesSurvey, callers: 'survey:manage' } as const;
  apiRoute(app, {
    method: 'PUT',
    url: '/surveys/{id}',
    operationId: 'updateSurvey',
    description:
      'Replaces a draft survey’s definition (title, level, audience, anonymity, closing date and questions) with the rules of POST /surveys (422 naming each field). ' +
      'Send the `version` you read: a stale one is a 409, as is any change once the survey has been opened. Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Change a draft survey; send the version you read',
    tag,
    ...surveyWrite,
    body: surveySchema,
    problems: { 403: programmeAdminsOnly, 409: 'The survey has been opened (its questions no longer change), or the `version` sent is stale. Nothing was written' },
    responses: { 200: { description: 'The survey, changed', schema: apiSurveySchema } },
    handler: async ({ params, body }, request) => {
      await service.updateSurvey(db, request.ctx(), params.id, body);
      return toApi(await service.surveyById(db, params.id));
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/surveys/{id}/status',
    operationId: 'moveSurveyStatus',
    description:
      'Moves a survey along draft → open → closed, as the page’s buttons do: `open` a draft whose closing date has not passed (it can then be sent), or close an open one (its links stop taking answers). ' +
      'Any other move is a 409 saying why, as is a stale `version`. Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Open or close a survey',
    tag,
    ...surveyWrite,
    body: surveyMoveSchema,
    problems: { 403: programmeAdminsOnly, 409: 'The survey is not in the status the move starts from, its closing date has passed (opening), or the `version` sent is stale. Nothing was written' },
    responses: { 200: { description: 'The survey, with its new status', schema: apiSurveySchema } },
    handler: async ({ params, body }, request) => {
      await service.moveSurvey(db, request.ctx(), params.id, service.moveTo(body.status), body.version);
      return toApi(await service.surveyById(db, params.id));
    },
  });

  const notSendable = 'The survey is not open, or its closing date has passed. Nothing was sent';

  apiRoute(app, {
    method: 'POST',
    url: '/surveys/{id}/sendings',
    operationId: 'sendSurvey',
    description:
      'Sends an open survey, as the send page does, to the people a record gives: everyone registered for a network event (`source: event`, `attendedOnly` for those who attended), ' +
      'or learners accredited between two dates (`source: accredited`, with their councils’ SROs when `includeSros`). Each new recipient is emailed a single-use link (bulk, through the outbox); ' +
      'someone already sent it is not sent it again, so sending twice answers 200 with `sent` 0. An unknown event or a last date before the first is a 422. ' +
      'A draft, closed or past-its-closing-date survey is a 409. Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Send an open survey to the people a record gives',
    tag,
    ...surveyWrite,
    body: sendSchema,
    problems: { 403: programmeAdminsOnly, 409: notSendable },
    responses: { 200: { description: 'How many were chosen and sent it, and the survey', schema: apiSendingSchema } },
    handler: async ({ params, body }, request) => {
      const outcome = await service.sendSurvey(db, config, request.ctx(), params.id, body);
      await outbox.kick();
      return { ...outcome, survey: toApi(await service.surveyById(db, params.id)) };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/surveys/{id}/reminders',
    operationId: 'remindSurvey',
    description:
      'Reminds everyone sent an open survey who has not answered, as the page’s button does: each is emailed a fresh single-use link (the earlier one stops working). ' +
      'At most once a UK day: a second reminder the same day is a 409, as is a draft, closed or past-its-closing-date survey. Takes no body. ' +
      'Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Remind those who have not answered a survey',
    tag,
    ...surveyWrite,
    problems: { 403: programmeAdminsOnly, 409: 'The survey is not open, its closing date has passed, or a reminder was already sent today. Nothing was sent' },
    responses: { 200: { description: 'How many were reminded, and the survey', schema: apiReminderSchema } },
    handler: async ({ params }, request) => {
      const reminded = await service.remindSurvey(db, config, request.ctx(), params.id);
      await outbox.kick();
      return { reminded, survey: toApi(await service.surveyById(db, params.id)) };
    },
  });

  const notSchedulable = 'The survey is not an open behaviour survey whose closing date has not passed; or the `version` sent is stale. Nothing was written';

  apiRoute(app, {
    method: 'PUT',
    url: '/surveys/{id}/schedule',
    operationId: 'setSurveySchedule',
    description:
      'Sets an open behaviour survey to send itself, as the send page does: each run of the periodic job sends it to learners accredited `months` (3 to 6) months ago or earlier, ' +
      'and no earlier than six months before the day the schedule is set (today), with their councils’ SROs when `includeSros` is true; nobody is sent it twice. ' +
      'Replaces any schedule it had (the day it was set becomes today). Months that are not a whole number from 3 to 6 are a 422 naming `months`. ' +
      'A draft, closed or past-its-closing-date survey, or one of another level, is a 409; so is a stale `version`. Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Set a behaviour survey’s schedule',
    tag,
    ...surveyWrite,
    body: scheduleSchema,
    problems: { 403: programmeAdminsOnly, 409: notSchedulable },
    responses: { 200: { description: 'The survey with its schedule', schema: apiSurveySchema } },
    handler: async ({ params, body }, request) => {
      await service.scheduleSurvey(db, request.ctx(), params.id, body);
      return toApi(await service.surveyById(db, params.id));
    },
  });

  apiRoute(app, {
    method: 'DELETE',
    url: '/surveys/{id}/schedule',
    operationId: 'deleteSurveySchedule',
    description:
      'Stops an open behaviour survey sending itself, as the send page’s “Stop sending it automatically” does: it is then sent by hand only (those already sent it keep their links). ' +
      'A survey that is not an open behaviour survey is a 409; so is a stale `version`. Programme admins only: others who may read surveys get 403. Audited.',
    summary: 'Stop a behaviour survey sending itself',
    tag,
    ...surveyWrite,
    query: scheduleRemovalQuery,
    problems: { 403: programmeAdminsOnly, 409: notSchedulable },
    responses: { 200: { description: 'The survey, with no schedule', schema: apiSurveySchema } },
    handler: async ({ params, query }, request) => {
      await service.unscheduleSurvey(db, request.ctx(), params.id, { version: query.version });
      return toApi(await service.surveyById(db, params.id));
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
