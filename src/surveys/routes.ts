import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, seesExactCounts } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { addMonths } from '../enrolments/journey.ts';
import { formatDate } from '../web/format.ts';
import { disclosureRule } from '../dashboard/figures.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { listQuery, paginationView, selectItems } from '../web/list-query.ts';
import { z } from 'zod';
import { aggregate, resultRows } from './results.ts';
import * as repo from './repository.ts';
import { maxQuestions, questionTypeLabels, questionTypes, surveyLevelLabels, surveyLevels, surveyStatusLabels, surveyStatuses, type Question } from './schemas.ts';
import * as service from './service.ts';

type Body = Record<string, string | string[] | undefined>;

const pageSize = 50;

/** The list's query: filters by level and status, sorted newest first unless asked otherwise. */
const surveyListQuery = listQuery(repo.surveySortKeys, 'created').extend({
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
  level: z.enum(surveyLevels).optional().catch(undefined),
  status: z.enum(surveyStatuses).optional().catch(undefined),
});

/** The sortable columns, in the table's order (answered is not sortable; unsorted, the newest come first). */
const listColumns = [
  { key: 'title', text: 'Survey' },
  { key: 'closesOn', text: 'Closes' },
  { key: 'status', text: 'Status' },
] as const;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

const flashes: Record<string, string> = {
  created: 'Survey created',
  saved: 'Survey saved',
  opened: 'Survey opened: you can now send it',
  closed: 'Survey closed: its links no longer take answers',
  reminded: 'Reminders sent',
  scheduled: 'The survey will now send itself after accreditation',
  unscheduled: 'The survey no longer sends itself: send it by hand',
};

/** The form's question slots: filled ones become questions; empty ones (no text, no options) are left out. */
function definitionInput(body: Body) {
  const slots = Math.min(Number(first(body.slots)) || 0, maxQuestions + 5);
  const used: number[] = [];
  const questions = [];
  for (let i = 0; i < slots; i++) {
    const text = (first(body[`questions.${i}.text`]) ?? '').trim();
    const options = (first(body[`questions.${i}.options`]) ?? '').split(/\r?\n/).map((o) => o.trim()).filter(Boolean);
    if (!text && !options.length) continue;
    used.push(i);
    questions.push({ text, type: first(body[`questions.${i}.type`]), options, required: first(body[`questions.${i}.required`]) === 'yes' });
  }
  const anonymous = first(body.anonymous);
  const version = first(body.version);
  return {
    input: {
      title: first(body.title) ?? '',
      level: first(body.level),
      audience: first(body.audience) ?? '',
      anonymous: anonymous === 'yes' ? true : anonymous === 'no' ? false : undefined,
      closesOn: joinDateParts(body, 'closesOn'),
      questions,
      // Text that is not a whole number goes on to the schema, which refuses it: never read as "no version".
      version: formWholeNumber(version),
    },
    used,
  };
}

/** Errors of the n-th filled question named by the slot it was typed in, so each links to its box. */
const toSlots = (fields: FieldErrors, used: number[]): FieldErrors =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.replace(/^questions\.(\d+)\./, (_, n) => `questions.${used[Number(n)] ?? n}.`), v]));

export async function surveyRoutes(app: FastifyInstance, { db, config, outbox }: RouteDeps) {
  /** A behaviour survey's schedule in words; null for other levels. */
  const scheduleText = (s: repo.SurveyRow) =>
    s.level !== 'behaviour'
      ? null
      : s.scheduleMonths === null
        ? 'No: sent by hand'
        : `Yes: to learners ${s.scheduleMonths} months after their accreditation${s.scheduleIncludeSros ? ', and to their councils’ SROs' : ''}, while the survey is open (set on ${formatDate(s.scheduleSetOn!)}; learners accredited from ${formatDate(addMonths(s.scheduleSetOn!, -service.behaviourWindowMonths))})`;
  const rateText = (s: { sent: number; answered: number }) => (s.sent ? `${s.answered} of ${s.sent} (${Math.round((s.answered / s.sent) * 100)}%)` : 'Not sent yet');

  app.get(paths.surveys(), { config: { access: 'survey:results' } }, async (request, reply) => {
    const query = surveyListQuery.parse(request.query ?? {});
    const filters = { level: query.level, status: query.status };
    const { rows, total } = await service.listSurveys(db, filters, query, { page: query.page, pageSize });
    const linkQuery = { ...filters, sort: query.sort, order: query.order };
    const pagination = paginationView(paths.surveys(), linkQuery, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const any = (text: string) => ({ value: '', text });
    return reply.view('surveys/views/list.njk', {
      title: 'Surveys',
      canManage: can(requireActor(request), 'survey:manage'),
      rows: rows.map((s) => ({ ...s, levelLabel: surveyLevelLabels[s.level], statusLabel: surveyStatusLabels[s.status], rate: rateText(s) })),
      pagination,
      query,
      filtered: Boolean(filters.level || filters.status),
      levelItems: selectItems([any('Any level'), ...surveyLevels.map((l) => ({ value: l, text: surveyLevelLabels[l] }))], query.level),
      statusItems: selectItems([any('Any status'), ...surveyStatuses.map((st) => ({ value: st, text: surveyStatusLabels[st] }))], query.status),
      columns: listColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
    });
  });

  const showForm = (reply: FastifyReply, survey: repo.SurveyRow | null, body: Body | null, failure?: FormFailure) => {
    const stored = survey?.questions ?? [];
    const slots = Math.min(maxQuestions, Math.max(5, (body ? Number(first(body.slots)) || 0 : stored.length + 2)));
    const qs = Array.from({ length: slots }, (_, i) => {
      if (body) {
        return { text: first(body[`questions.${i}.text`]) ?? '', type: first(body[`questions.${i}.type`]) ?? 'scale', options: first(body[`questions.${i}.options`]) ?? '', required: first(body[`questions.${i}.required`]) === 'yes' };
      }
      const q: Question | undefined = stored[i];
      return q ? { text: q.text, type: q.type, options: q.options.join('\n'), required: q.required } : { text: '', type: 'scale', options: '', required: false };
    });
    const values = {
      title: body ? first(body.title) : survey?.title,
      level: body ? first(body.level) : survey?.level,
      audience: body ? first(body.audience) : survey?.audience,
      anonymous: body ? first(body.anonymous) : survey ? (survey.anonymous ? 'yes' : 'no') : undefined,
      closesOn: dateInputValue(body, 'closesOn', survey?.closesOn ?? null),
      version: shownVersion(body, failure, survey?.version),
    };
    return reply.code(failure?.status ?? 200).view('surveys/views/form.njk', {
      title: survey ? `Change ${survey.title}` : 'Create a survey',
      survey,
      action: survey ? paths.surveyEdit(survey.id) : paths.surveys(),
      values,
      slots,
      questions: qs.map((q, i) => ({
        ...q,
        index: i,
        typeItems: questionTypes.map((t) => ({ value: t, text: questionTypeLabels[t], selected: q.type === t })),
      })),
      levelItems: surveyLevels.map((l) => ({ value: l, text: surveyLevelLabels[l], checked: values.level === l })),
      anonymousItems: [
        { value: 'yes', text: 'Yes: answers are stored without the person', checked: values.anonymous === 'yes' },
        { value: 'no', text: 'No: answers are stored with the person who gave them', checked: values.anonymous === 'no' },
      ],
      ...(failure ? errorView(failure.fields, ['closesOn'], body) : { errors: {} }),
    });
  };

  app.get(paths.surveyNew(), { config: { access: 'survey:manage' } }, async (_request, reply) => showForm(reply, null, null));

  app.post(paths.surveys(), { config: { access: 'survey:manage' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const { input, used } = definitionInput(body);
    try {
      const id = await service.createSurvey(db, request.ctx(), input);
      return reply.redirect(`${paths.survey(id)}?done=created`, 303);
    } catch (err) {
      const f = failureOf(err);
      return showForm(reply, null, body, { ...f, fields: toSlots(f.fields, used) });
    }
  });

  app.get(`${paths.surveys()}/:id`, { config: { access: 'survey:results' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    const manage = can(requireActor(request), 'survey:manage');
    const { done } = request.query as { done?: string };
    return reply.view('surveys/views/show.njk', {
      title: survey.title,
      survey,
      levelLabel: surveyLevelLabels[survey.level],
      statusLabel: surveyStatusLabels[survey.status],
      rate: rateText(survey),
      typeLabels: questionTypeLabels,
      manage,
      acceptsAnswers: service.acceptsAnswers(survey, request.ctx()),
      scheduleText: scheduleText(survey),
      remindedToday: !!survey.lastRemindedAt && todayIso({ now: () => survey.lastRemindedAt! }) === todayIso(request.ctx().clock),
      flash: done ? flashes[done] : undefined,
    });
  });

  app.get(`${paths.surveys()}/:id/edit`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    if (survey.status !== 'draft') throw new ConflictError(service.notDraftMessage);
    return showForm(reply, survey, null);
  });

  app.post(`${paths.surveys()}/:id/edit`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    const { input, used } = definitionInput(body);
    try {
      await service.updateSurvey(db, request.ctx(), survey.id, input);
      return reply.redirect(`${paths.survey(survey.id)}?done=saved`, 303);
    } catch (err) {
      if (err instanceof ConflictError && survey.status !== 'draft') throw err;
      const f = failureOf(err);
      return showForm(reply, survey, body, { ...f, fields: toSlots(f.fields, used) });
    }
  });

  app.post(`${paths.surveys()}/:id/status`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    const move = first(((request.body ?? {}) as Body).move) ?? '';
    await service.moveSurvey(db, request.ctx(), request.params.id, move);
    return reply.redirect(`${paths.survey(request.params.id)}?done=${move === 'open' ? 'opened' : 'closed'}`, 303);
  });

  const showSend = async (
    reply: FastifyReply,
    survey: repo.SurveyRow,
    body: Body | null,
    failure?: FormFailure,
    outcome?: { chosen: number; sent: number },
    scheduleBody?: Body,
  ) => {
    const events = await service.eventOptions(db);
    const source = body ? first(body.source) : undefined;
    return reply.code(failure?.status ?? 200).view('surveys/views/send.njk', {
      title: `Send ${survey.title}`,
      survey,
      open: survey.status === 'open',
      schedulable: survey.level === 'behaviour' && survey.status === 'open',
      schedule: {
        months: scheduleBody ? (first(scheduleBody.months) ?? '') : survey.scheduleMonths ?? '',
        includeSros: scheduleBody ? first(scheduleBody.scheduleIncludeSros) === 'yes' : survey.scheduleIncludeSros,
        version: shownVersion(scheduleBody, failure, survey.version),
      },
      outcome,
      values: {
        source,
        eventId: body ? first(body.eventId) : '',
        attendedOnly: body ? first(body.attendedOnly) === 'yes' : false,
        includeSros: body ? first(body.includeSros) === 'yes' : false,
        from: dateInputValue(body, 'from', null),
        to: dateInputValue(body, 'to', null),
      },
      eventItems: [{ value: '', text: 'Select an event' }, ...events.map((e) => ({ value: e.id, text: `${e.title} (${new Date(e.startsAt).toISOString().slice(0, 10)})`, selected: body ? first(body.eventId) === e.id : false }))],
      ...(failure ? errorView(failure.fields, ['from', 'to'], body) : { errors: {} }),
    });
  };

  app.get(`${paths.surveys()}/:id/send`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    return showSend(reply, await service.surveyById(db, request.params.id), null);
  });

  app.post(`${paths.surveys()}/:id/send`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    const source = first(body.source);
    const input =
      source === 'event'
        ? { source, eventId: first(body.eventId) || undefined, attendedOnly: first(body.attendedOnly) === 'yes' }
        : source === 'accredited'
          ? { source, from: joinDateParts(body, 'from'), to: joinDateParts(body, 'to'), includeSros: first(body.includeSros) === 'yes' }
          : {};
    try {
      const outcome = await service.sendSurvey(db, config, request.ctx(), survey.id, input);
      await outbox.kick();
      return showSend(reply, await service.surveyById(db, survey.id), null, undefined, outcome);
    } catch (err) {
      const f = failureOf(err);
      return showSend(reply, survey, body, { ...f, fields: 'source' in f.fields || !source ? { source: f.fields.source ?? 'Select who to send the survey to', ...f.fields } : f.fields });
    }
  });

  app.post(`${paths.surveys()}/:id/schedule`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    const stop = first(body.stop) === 'yes';
    try {
      // Text that is not a whole number goes on to the schema, which refuses it (400): never read as "no version".
      const version = formWholeNumber(first(body.version));
      if (stop) await service.unscheduleSurvey(db, request.ctx(), survey.id, { version });
      else await service.scheduleSurvey(db, request.ctx(), survey.id, { months: first(body.months) ?? '', includeSros: first(body.scheduleIncludeSros) === 'yes', version });
      return reply.redirect(`${paths.survey(survey.id)}?done=${stop ? 'unscheduled' : 'scheduled'}`, 303);
    } catch (err) {
      // The form again with the survey as it is now, carrying the version it sent (a corrected schedule is still
      // refused if someone changed the survey since it was read), or after a stale or unreadable one the version now
      // stored (failureOf).
      const failure = failureOf(err);
      // After a failed stop the schedule's boxes show the schedule as stored (the stop button sends no months).
      return showSend(reply, await service.surveyById(db, survey.id), null, failure, undefined, stop ? undefined : body);
    }
  });

  app.post(`${paths.surveys()}/:id/remind`, { config: { access: 'survey:manage' } }, async (request: IdRequest, reply) => {
    await service.remindSurvey(db, config, request.ctx(), request.params.id);
    await outbox.kick();
    return reply.redirect(`${paths.survey(request.params.id)}?done=reminded`, 303);
  });

  const resultsOf = async (request: IdRequest, survey: repo.SurveyRow) => {
    const actor = requireActor(request);
    const showText = can(actor, 'survey:manage') || seesExactCounts(actor);
    return aggregate(survey.questions, await repo.responses(db, survey.id), survey, showText);
  };

  app.get(`${paths.surveys()}/:id/results`, { config: { access: 'survey:results' } }, async (request: IdRequest, reply) => {
    const survey = await service.surveyById(db, request.params.id);
    const results = await resultsOf(request, survey);
    return reply.view('surveys/views/results.njk', { title: `Results: ${survey.title}`, survey, results, disclosureRule, statusLabel: surveyStatusLabels[survey.status] });
  });

  app.get(`${paths.surveys()}/:id/results.:format`, { config: { access: 'survey:results' } }, async (request: FastifyRequest<{ Params: { id: string; format: string } }>, reply) => {
    const { format } = request.params;
    if (format !== 'csv' && format !== 'xlsx') throw new NotFoundError();
    const survey = await service.surveyById(db, request.params.id);
    const results = await resultsOf(request as IdRequest, survey);
    return sendExport(reply, format, 'survey-results', todayIso(request.ctx().clock), resultRows(results), [
      { header: 'Question', value: (r) => r.question },
      { header: 'Answer', value: (r) => r.answer },
      { header: 'Count', value: (r) => r.count },
    ]);
  });

  // ------------------------------------------------------------------------------------------ answering (public)

  const showAnswer = (reply: FastifyReply, token: string, survey: repo.SurveyRow, body: Body | null, failure?: { status: number; fields: FieldErrors }) => {
    const picked = (key: string) => (body ? (Array.isArray(body[key]) ? (body[key] as string[]) : typeof body[key] === 'string' ? [body[key] as string] : []) : []);
    return reply.code(failure?.status ?? 200).view('surveys/views/answer.njk', {
      title: survey.title,
      survey,
      action: paths.surveyAnswer(token),
      questions: survey.questions.map((q, i) => ({
        ...q,
        number: i + 1,
        value: picked(q.key)[0] ?? '',
        items: (q.type === 'scale' ? ['1', '2', '3', '4', '5'] : q.options).map((o) => ({
          value: o,
          text: q.type === 'scale' ? (o === '1' ? '1 (poor)' : o === '5' ? '5 (excellent)' : o) : o,
          checked: picked(q.key).includes(o),
        })),
      })),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };
  const linkPage = (reply: FastifyReply, status: number, title: string, message: string) => reply.code(status).view('surveys/views/link.njk', { title, message });
  const answeredMessage = 'You have already answered this survey, so your answers cannot be given again through this link. Thank you for taking part.';
  const closedMessage = 'This survey has closed, so it no longer takes answers. Thank you for your interest.';

  app.get('/survey-answers/:token', { config: { access: 'public' } }, async (request: TokenRequest, reply) => {
    const opened = await service.openLink(db, request.ctx(), request.params.token);
    if (opened.state === 'answered') return linkPage(reply, 409, 'You have already answered this survey', answeredMessage);
    if (opened.state === 'closed') return linkPage(reply, 410, 'This survey has closed', closedMessage);
    return showAnswer(reply, request.params.token, opened.survey, null);
  });

  app.post('/survey-answers/:token', { config: { access: 'public' } }, async (request: TokenRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const survey = await service.submitAnswers(db, request.ctx(), request.params.token, body);
      return linkPage(reply, 200, 'Thank you: your answers have been sent', survey.anonymous ? 'Your answers were stored without your name.' : 'Your answers have been recorded.');
    } catch (err) {
      if (err instanceof service.ClosedSurveyError) return linkPage(reply, 410, 'This survey has closed', closedMessage);
      if (err instanceof ConflictError) return linkPage(reply, 409, 'You have already answered this survey', answeredMessage);
      if (err instanceof ValidationError) {
        const opened = await service.openLink(db, request.ctx(), request.params.token);
        return showAnswer(reply, request.params.token, opened.survey, body, { status: 400, fields: err.fields });
      }
      throw err;
    }
  });
}
