import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { ForbiddenError } from '../web/errors.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, first, formValues, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { listQuery, paginationView } from '../web/list-query.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import {
  actionMovesFrom,
  actionStatusLabels,
  actionStatusTagClass,
  activityLabels,
  activityTypes,
  amountText,
  daysText,
  engagementMovesFrom,
  engagementStatuses,
  engagementStatusLabels,
  engagementStatusTagClass,
  isOverdue,
  milestoneOverdue,
  planUse,
  ragLabels,
  rags,
  ragTagClass,
  type ActionStatus,
  type EngagementStatus,
  type TimeUnit,
} from './rules.ts';
import { engagementSortKeys, noteMaxLength, textMaxLength } from './schemas.ts';
import * as service from './service.ts';
import { allowedTypesText } from '../files/detect.ts';
import { acceptFileForms, fileOf, type FileFormBody } from '../files/multipart.ts';
import { sendStoredFile } from '../files/send.ts';
import { fileDescription } from '../files/upload.ts';
import { sizeText } from '../imports/limits.ts';
import { contractManagementAreaNames, contractManagementAreas } from '../maturity/framework.ts';

const pageSize = 50;
type Body = Record<string, string | string[] | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type EntryRequest = FastifyRequest<{ Params: { id: string; entryId: string } }>;
type MilestoneRequest = FastifyRequest<{ Params: { id: string; milestoneId: string } }>;
type ActionRequest = FastifyRequest<{ Params: { id: string; actionId: string } }>;
type Failure = FormFailure;

const flashes: Record<string, string> = {
  created: 'Engagement opened',
  updated: 'Engagement details changed',
  status: 'Status changed',
  time: 'Time logged',
  'time-changed': 'Time entry changed',
  'time-deleted': 'Time entry deleted',
  milestone: 'Milestone saved',
  action: 'Action added',
  'action-changed': 'Action changed',
  note: 'Progress note added',
  evidence: 'Evidence added',
  'evidence-file': 'File added as evidence',
  'evidence-file-removed': 'Evidence file removed',
  'plan-signed-off': 'Action plan signed off',
  'completion-signed-off': 'Completion signed off',
};

const sortColumns = [
  { key: 'council', text: 'Council and engagement' },
  { key: 'status', text: 'Status' },
  { key: 'startDate', text: 'Start' },
  { key: 'endDate', text: 'End' },
] as const;

const listQ = listQuery(engagementSortKeys, 'startDate').extend({
  status: z.enum(engagementStatuses).optional().catch(undefined),
  councilId: z.uuid().optional().catch(undefined),
  specialistId: z.uuid().optional().catch(undefined),
});

const exportColumns: ExportColumn<service.EngagementRow>[] = [
  { header: 'Council', value: (r) => r.councilName },
  { header: 'Engagement', value: (r) => r.title },
  { header: 'Status', value: (r) => engagementStatusLabels[r.status as EngagementStatus] },
  { header: 'Lead specialist', value: (r) => r.leadSpecialistName },
  { header: 'Start date', value: (r) => r.startDate, date: 'date' },
  { header: 'End date', value: (r) => r.endDate, date: 'date' },
  { header: 'Planned days', value: (r) => Number(daysText(r.plannedMinutes)) },
  { header: 'Days used', value: (r) => Number(daysText(r.usedMinutes)) },
  { header: 'Overdue actions', value: (r) => r.overdueActions },
  { header: 'Plan signed off', value: (r) => r.planSignedOffAt, date: 'dateTime' },
  { header: 'Completion signed off', value: (r) => r.completionSignedOffAt, date: 'dateTime' },
];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** A multi-valued field's values without the empty ones (a select's "none" option). */
const list = (v: string | string[] | undefined) => formValues(v).filter(Boolean);

/** Engagement pages: the list (with downloads), opening and changing one, its page, time, milestones and actions. */
export async function engagementRoutes(app: FastifyInstance, { db, clock, config, storage }: RouteDeps) {
  const fileDeps = { db, storage, maxBytes: config.resourceMaxBytes };
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const load = (request: IdRequest) => service.getEngagement(db, request.ctx(), scopeOf(request), request.params.id);

  /** A form's POST on an engagement: the command, then the page it leads to; a refusal shows the form again (400/409). */
  function formPost<R extends FastifyRequest>(
    url: string,
    command: (request: R, body: Body) => Promise<unknown>,
    next: (request: R, result: unknown) => string,
    again: (request: R, reply: FastifyReply, body: Body, failure: Failure) => unknown,
  ) {
    app.post(url, { config: { access: 'engagement:list' } }, async (request, reply) => {
      const body = (request.body ?? {}) as Body;
      let result: unknown;
      try {
        result = await command(request as R, body);
      } catch (err) {
        return again(request as R, reply, body, failureOf(err));
      }
      return reply.redirect(next(request as R, result));
    });
  }

  // ---- The list ----

  app.get(paths.engagements(), { config: { access: 'engagement:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = listQ.parse(request.query ?? {});
    const filters = { status: query.status, councilId: query.councilId, specialistId: query.specialistId };
    const { rows, total } = await service.listEngagements(db, request.ctx(), councilScope(actor), filters, query, { page: query.page, pageSize });
    const linkQuery = { ...filters, sort: query.sort, order: query.order };
    const pagination = paginationView(paths.engagements(), linkQuery, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const [councils, specialists] = await Promise.all([service.councilChoices(db, councilScope(actor)), service.specialistChoices(db)]);
    const any = (text: string) => ({ value: '', text });
    return reply.view('engagements/views/list.njk', {
      title: 'Engagements',
      rows: rows.map((r) => ({ ...r, plannedDays: daysText(r.plannedMinutes), usedDays: daysText(r.usedMinutes) })),
      pagination,
      query,
      filtered: Boolean(filters.status || filters.councilId || filters.specialistId),
      statusItems: [any('Any status'), ...engagementStatuses.map((s) => ({ value: s, text: engagementStatusLabels[s], selected: s === query.status }))],
      councilItems: [any('Any council'), ...councils.map((c) => ({ value: c.id, text: c.name, selected: c.id === query.councilId }))],
      specialistItems: [any('Any specialist'), ...specialists.map((s) => ({ value: s.personId, text: s.name, selected: s.personId === query.specialistId }))],
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      canCreate: can(actor, 'engagement:manage'),
      statusLabels: engagementStatusLabels,
      statusTagClass: engagementStatusTagClass,
      flash: flashes[str((request.query as Record<string, unknown>).done) ?? ''],
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.engagementsExport(format), { config: { access: 'engagement:list' } }, async (request, reply) => {
      const query = listQ.parse(request.query ?? {});
      const filters = { status: query.status, councilId: query.councilId, specialistId: query.specialistId };
      const { rows } = await service.listEngagements(db, request.ctx(), scopeOf(request), filters, query, null);
      return sendExport(reply, format, 'engagements', todayIso(clock), rows, exportColumns);
    });
  }

  // ---- Opening and changing an engagement ----

  /** The engagement form's fields from a posted body (the API sends the same as JSON). */
  const engagementInput = (body: Body) => ({
    councilId: first(body.councilId) || undefined,
    title: first(body.title),
    leadSpecialistId: first(body.leadSpecialistId) || undefined,
    specialistIds: list(body.specialistIds),
    scope: first(body.scope),
    objectives: first(body.objectives),
    startDate: joinDateParts(body, 'startDate'),
    endDate: joinDateParts(body, 'endDate'),
    plannedDays: first(body.plannedDays),
    version: formWholeNumber(first(body.version)),
  });

  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { councilId: string | undefined; engagement?: service.EngagementRow; body: Body | null; failure?: Failure; budgetWarnings?: string[] },
  ) => {
    const actor = requireActor(request);
    const councils = await service.councilChoices(db, councilScope(actor));
    const council = councils.find((c) => c.id === opts.councilId);
    const specialists = council ? await service.assignedSpecialists(db, council.id) : [];
    const e = opts.engagement;
    const body = opts.body;
    const lead = body ? first(body.leadSpecialistId) : e?.leadSpecialistId;
    const others = body ? list(body.specialistIds) : (e?.specialistIds ?? []);
    return reply.code(opts.failure?.status ?? 200).view('engagements/views/form.njk', {
      title: e ? `Change ${e.title}` : council ? `Open an engagement with ${council.name}` : 'Open an engagement',
      engagement: e,
      council,
      councilItems: [{ value: '', text: 'Choose a council' }, ...councils.map((c) => ({ value: c.id, text: c.name, selected: c.id === opts.councilId }))],
      leadItems: [{ value: '', text: 'Choose the lead specialist' }, ...specialists.map((s) => ({ value: s.personId, text: `${s.name} (${s.email})`, selected: s.personId === lead }))],
      specialistItems: specialists.map((s) => ({ value: s.personId, text: s.name, checked: others.includes(s.personId) })),
      values: {
        title: body ? first(body.title) : e?.title,
        scope: body ? first(body.scope) : e?.scope,
        objectives: body ? first(body.objectives) : e?.objectives,
        plannedDays: body ? first(body.plannedDays) : e && daysText(e.plannedMinutes),
        startDate: dateInputValue(body, 'startDate', e?.startDate ?? null),
        endDate: dateInputValue(body, 'endDate', e?.endDate ?? null),
        version: shownVersion(body, opts.failure, e?.version),
      },
      textMaxLength,
      budgetWarnings: opts.budgetWarnings ?? [],
      ...(opts.failure ? errorView(opts.failure.fields, ['startDate', 'endDate'], body) : { errors: {} }),
    });
  };

  /**
   * Those who read the funds' figures are asked to confirm a save that would take a support-days line over budget
   * (the form again, 200, with the warnings and a "Save anyway" box; for anyone else it saves). The form sends back
   * the warnings it showed: ticking the box confirms those, so a save whose warnings differ by then (more days typed
   * in the same submit, dates moved, another engagement planned meanwhile) is held again with the warnings it has now.
   */
  const budget = (request: FastifyRequest, body: Body): service.SaveOptions =>
    can(requireActor(request), 'fund:aggregate')
      ? { budget: 'hold', confirmed: first(body.overBudgetConfirmed) === 'yes' ? list(body.confirmedWarnings) : [] }
      : {};

  app.get(paths.engagementNew(), { config: { access: 'engagement:manage' } }, (request, reply) =>
    showForm(request, reply, { councilId: str((request.query as Record<string, unknown>).councilId), body: null }),
  );

  app.post(paths.engagementNew(), { config: { access: 'engagement:manage' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const { id } = await service.createEngagement(db, request.ctx(), scopeOf(request), engagementInput(body), budget(request, body));
      return reply.redirect(`${paths.engagement(id)}?done=created`);
    } catch (err) {
      if (err instanceof service.OverBudgetError) return showForm(request, reply, { councilId: first(body.councilId), body, budgetWarnings: err.warnings });
      return showForm(request, reply, { councilId: first(body.councilId), body, failure: failureOf(err) });
    }
  });

  app.get('/engagements/:id/edit', { config: { access: 'engagement:list' } }, async (request: IdRequest, reply) => {
    const { engagement, access } = await load(request);
    if (!access.manage) throw new ForbiddenError('Only the programme team changes an engagement’s details.');
    return showForm(request, reply, { councilId: engagement.councilId, engagement, body: null });
  });

  app.post('/engagements/:id/edit', { config: { access: 'engagement:list' } }, async (request: IdRequest, reply) => {
    const { engagement } = await load(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.updateEngagement(db, request.ctx(), scopeOf(request), request.params.id, engagementInput(body), budget(request, body));
      return reply.redirect(`${paths.engagement(engagement.id)}?done=updated`);
    } catch (err) {
      if (err instanceof service.OverBudgetError) return showForm(request, reply, { councilId: engagement.councilId, engagement, body, budgetWarnings: err.warnings });
      const failure = failureOf(err);
      if (!failure.stale) return showForm(request, reply, { councilId: engagement.councilId, engagement, body, failure });
      // Stale: the form again over the engagement as it is now (its version too), keeping what was typed. For those
      // asked to confirm, the budget warnings are worked out again against it and shown with the box unticked, so a
      // "Save anyway" given for the figures read before someone else's change is given again, knowingly, in one step.
      const { engagement: now } = await load(request);
      const budgetWarnings = can(requireActor(request), 'fund:aggregate') ? await service.changeBudgetWarnings(db, request.ctx(), scopeOf(request), now.id, engagementInput(body)) : [];
      return showForm(request, reply, { councilId: now.councilId, engagement: now, body, failure, budgetWarnings });
    }
  });

  // ---- The engagement's page ----

  const showEngagement = async (request: IdRequest, reply: FastifyReply, failure?: Failure & { section: string }) => {
    const actor = requireActor(request);
    const { engagement: e, access } = await load(request);
    const today = todayIso(clock);
    const [team, time, milestones, actions, nearPercent] = await Promise.all([
      service.team(db, e.id),
      service.listTime(db, e.id),
      service.listMilestones(db, e.id),
      service.listActions(db, e.id),
      service.nearPlanPercent(db),
    ]);
    const use = planUse(e.plannedMinutes, e.usedMinutes, nearPercent);
    const status = e.status as EngagementStatus;
    const allDone = actions.length > 0 && actions.every((a) => a.status === 'done');
    return reply.code(failure?.status ?? 200).view('engagements/views/show.njk', {
      title: e.title,
      e,
      areaNames: contractManagementAreaNames,
      access,
      team,
      plan: { planned: daysText(e.plannedMinutes), used: daysText(e.usedMinutes), left: daysText(Math.max(0, e.plannedMinutes - e.usedMinutes)), over: daysText(Math.max(0, e.usedMinutes - e.plannedMinutes)), ...use, nearPercent },
      statusItems: engagementMovesFrom(status).map((s) => ({ value: s, text: engagementStatusLabels[s] })),
      time: time.rows.map((t) => ({
        ...t,
        amount: `${amountText(t.minutes, t.unit as TimeUnit)} ${t.unit === 'days' ? (t.minutes === 450 ? 'day' : 'days') : t.minutes === 60 ? 'hour' : 'hours'}`,
        activityLabel: activityLabels[t.activity],
        own: t.personId === actor.personId && access.logTime,
      })),
      milestones: milestones.map((m) => ({ ...m, overdue: milestoneOverdue(m, today) })),
      actions: actions.map((a) => ({ ...a, overdue: isOverdue(a, today) })),
      overdueActions: actions.filter((a) => isOverdue(a, today)).length,
      signOff: {
        plan: access.signOff && !e.planSignedOffAt && actions.length > 0,
        completion: access.signOff && Boolean(e.planSignedOffAt) && !e.completionSignedOffAt && allDone,
      },
      statusLabels: engagementStatusLabels,
      statusTagClass: engagementStatusTagClass,
      actionStatusLabels,
      actionStatusTagClass,
      ragLabels,
      ragTagClass,
      flash: failure ? undefined : flashes[str((request.query as Record<string, unknown>).done) ?? ''],
      ...(failure ? errorView(failure.fields) : { errors: {} }),
      failureSection: failure?.section,
    });
  };

  app.get('/engagements/:id', { config: { access: 'engagement:list' } }, (request: IdRequest, reply) => showEngagement(request, reply));

  formPost<IdRequest>(
    '/engagements/:id/status',
    (request, body) => service.changeStatus(db, request.ctx(), scopeOf(request), request.params.id, { status: first(body.status) || undefined, version: formWholeNumber(first(body.version)) }),
    (request) => `${paths.engagement(request.params.id)}?done=status`,
    (request, reply, _body, failure) => showEngagement(request, reply, { ...failure, section: 'status' }),
  );

  formPost<IdRequest>(
    '/engagements/:id/sign-off',
    async (request, body) => {
      await service.signOff(db, request.ctx(), scopeOf(request), request.params.id, { what: first(body.what) });
      return first(body.what);
    },
    (request, what) => `${paths.engagement(request.params.id)}?done=${String(what)}-signed-off`,
    (request, reply, _body, failure) => showEngagement(request, reply, { ...failure, section: 'sign-off' }),
  );

  // ---- Time ----

  const timeInput = (body: Body) => ({
    date: joinDateParts(body, 'date'),
    unit: first(body.unit) || undefined,
    amount: first(body.amount),
    activity: first(body.activity) || undefined,
    note: first(body.note),
    version: formWholeNumber(first(body.version)),
  });

  const showTimeForm = async (request: IdRequest, reply: FastifyReply, opts: { entry?: service.TimeRow; body: Body | null; failure?: Failure }) => {
    const { engagement: e, access } = await load(request);
    if (!access.logTime) throw new ForbiddenError('Only the specialists on this engagement log time on it.');
    const { entry, body } = opts;
    const unit = body ? first(body.unit) : (entry?.unit ?? 'days');
    const activity = body ? first(body.activity) : entry?.activity;
    return reply.code(opts.failure?.status ?? 200).view('engagements/views/time-form.njk', {
      title: entry ? 'Change a time entry' : 'Log time',
      e,
      entry,
      action: entry ? paths.engagementTimeEdit(e.id, entry.id) : paths.engagementTimeNew(e.id),
      unitItems: [
        { value: 'days', text: 'Days', hint: { text: 'A day is 7.5 hours; up to 1 day per entry' }, checked: unit === 'days' },
        { value: 'hours', text: 'Hours', hint: { text: 'Up to 24 hours per entry' }, checked: unit === 'hours' },
      ],
      activityItems: activityTypes.map((a) => ({ value: a, text: activityLabels[a], checked: a === activity })),
      values: {
        date: dateInputValue(body, 'date', entry?.date ?? null),
        amount: body ? first(body.amount) : entry && amountText(entry.minutes, entry.unit as TimeUnit),
        note: body ? first(body.note) : entry?.note,
        version: shownVersion(body, opts.failure, entry?.version),
      },
      noteMaxLength,
      ...(opts.failure ? errorView(opts.failure.fields, ['date'], body) : { errors: {} }),
    });
  };

  app.get('/engagements/:id/time/new', { config: { access: 'engagement:list' } }, (request: IdRequest, reply) => showTimeForm(request, reply, { body: null }));

  formPost<IdRequest>(
    '/engagements/:id/time/new',
    (request, body) => service.logTime(db, request.ctx(), scopeOf(request), request.params.id, timeInput(body)),
    (request) => `${paths.engagement(request.params.id)}?done=time#time`,
    (request, reply, body, failure) => showTimeForm(request, reply, { body, failure: failure }),
  );

  const entryOf = async (request: EntryRequest) => {
    await load(request);
    return service.ownTimeEntry(db, request.ctx(), request.params.id, request.params.entryId);
  };

  app.get('/engagements/:id/time/:entryId/edit', { config: { access: 'engagement:list' } }, async (request: EntryRequest, reply) =>
    showTimeForm(request, reply, { entry: await entryOf(request), body: null }),
  );

  formPost<EntryRequest>(
    '/engagements/:id/time/:entryId/edit',
    (request, body) => service.editTime(db, request.ctx(), scopeOf(request), request.params.id, request.params.entryId, timeInput(body)),
    (request) => `${paths.engagement(request.params.id)}?done=time-changed#time`,
    async (request, reply, body, failure) => showTimeForm(request, reply, { entry: await entryOf(request), body, failure: failure }),
  );

  app.post('/engagements/:id/time/:entryId/delete', { config: { access: 'engagement:list' } }, async (request: EntryRequest, reply) => {
    await service.deleteTime(db, request.ctx(), scopeOf(request), request.params.id, request.params.entryId);
    return reply.redirect(`${paths.engagement(request.params.id)}?done=time-deleted#time`);
  });

  // ---- Milestones ----

  const showMilestoneForm = async (request: IdRequest, reply: FastifyReply, opts: { milestone?: service.MilestoneRow; body: Body | null; failure?: Failure }) => {
    const { engagement: e, access } = await load(request);
    if (!access.work) throw new ForbiddenError('Only the specialists on this engagement and the programme team keep its milestones.');
    const { milestone: m, body } = opts;
    return reply.code(opts.failure?.status ?? 200).view('engagements/views/milestone-form.njk', {
      title: m ? 'Change a milestone' : 'Add a milestone',
      e,
      milestone: m,
      action: m ? paths.engagementMilestoneEdit(e.id, m.id) : paths.engagementMilestoneNew(e.id),
      values: { title: body ? first(body.title) : m?.title, dueDate: dateInputValue(body, 'dueDate', m?.dueDate ?? null), version: shownVersion(body, opts.failure, m?.version) },
      ...(opts.failure ? errorView(opts.failure.fields, ['dueDate'], body) : { errors: {} }),
    });
  };
  const milestoneInput = (body: Body) => ({ title: first(body.title), dueDate: joinDateParts(body, 'dueDate'), version: formWholeNumber(first(body.version)) });
  const milestoneOf = async (request: MilestoneRequest) => {
    await load(request);
    return service.milestoneOf(db, request.params.id, request.params.milestoneId);
  };

  app.get('/engagements/:id/milestones/new', { config: { access: 'engagement:list' } }, (request: IdRequest, reply) => showMilestoneForm(request, reply, { body: null }));
  formPost<IdRequest>(
    '/engagements/:id/milestones/new',
    (request, body) => service.addMilestone(db, request.ctx(), scopeOf(request), request.params.id, milestoneInput(body)),
    (request) => `${paths.engagement(request.params.id)}?done=milestone#milestones`,
    (request, reply, body, failure) => showMilestoneForm(request, reply, { body, failure: failure }),
  );
  app.get('/engagements/:id/milestones/:milestoneId/edit', { config: { access: 'engagement:list' } }, async (request: MilestoneRequest, reply) =>
    showMilestoneForm(request, reply, { milestone: await milestoneOf(request), body: null }),
  );
  formPost<MilestoneRequest>(
    '/engagements/:id/milestones/:milestoneId/edit',
    (request, body) => service.editMilestone(db, request.ctx(), scopeOf(request), request.params.id, request.params.milestoneId, milestoneInput(body)),
    (request) => `${paths.engagement(request.params.id)}?done=milestone#milestones`,
    async (request, reply, body, failure) => showMilestoneForm(request, reply, { milestone: await milestoneOf(request), body, failure: failure }),
  );
  formPost<MilestoneRequest>(
    '/engagements/:id/milestones/:milestoneId/done',
    (request, body) => service.markMilestone(db, request.ctx(), scopeOf(request), request.params.id, request.params.milestoneId, {
        done: first(body.done) !== 'no',
        version: formWholeNumber(first(body.version)),
      }),
    (request) => `${paths.engagement(request.params.id)}?done=milestone#milestones`,
    (request, reply, _body, failure) => showEngagement(request, reply, { ...failure, section: 'milestones' }),
  );

  // ---- Actions ----

  const actionInput = (body: Body, withStatus: boolean) => ({
    title: first(body.title),
    maturityAreaKey: first(body.maturityAreaKey),
    ownerId: first(body.ownerId) || undefined,
    dueDate: joinDateParts(body, 'dueDate'),
    rag: first(body.rag) || undefined,
    ...(withStatus ? { status: first(body.status) || undefined, version: formWholeNumber(first(body.version)) } : {}),
  });

  const showActionForm = async (request: IdRequest, reply: FastifyReply, opts: { action?: service.ActionRow; body: Body | null; failure?: Failure }) => {
    const { engagement: e, access } = await load(request);
    if (!access.work) throw new ForbiddenError('Only the specialists on this engagement and the programme team keep its action plan.');
    const { action: a, body } = opts;
    const owners = await service.councilPeople(db, e.councilId);
    const ownerId = body ? first(body.ownerId) : a?.ownerId;
    const rag = body ? first(body.rag) : (a?.rag ?? 'green');
    const areaKey = body ? first(body.maturityAreaKey) : a?.maturityAreaKey;
    const status = body ? first(body.status) : a?.status;
    return reply.code(opts.failure?.status ?? 200).view('engagements/views/action-form.njk', {
      title: a ? 'Change an action' : 'Add an action',
      e,
      a,
      action: a ? paths.engagementActionEdit(e.id, a.id) : paths.engagementActionNew(e.id),
      ownerItems: [{ value: '', text: 'Choose the owner' }, ...owners.map((p) => ({ value: p.personId, text: p.jobTitle ? `${p.name}, ${p.jobTitle}` : p.name, selected: p.personId === ownerId }))],
      areaItems: [{ value: '', text: 'Not linked to an area' }, ...contractManagementAreas.map((m) => ({ value: m.key, text: m.name, selected: m.key === areaKey }))],
      ragItems: rags.map((r) => ({ value: r, text: ragLabels[r], checked: r === rag })),
      statusItems: a ? actionMovesFrom(a.status as ActionStatus).map((s) => ({ value: s, text: actionStatusLabels[s], checked: s === status })) : [],
      values: {
        title: body ? first(body.title) : a?.title,
        dueDate: dateInputValue(body, 'dueDate', a?.dueDate ?? null),
        version: shownVersion(body, opts.failure, a?.version),
      },
      ...(opts.failure ? errorView(opts.failure.fields, ['dueDate'], body) : { errors: {} }),
    });
  };
  const actionOf = async (request: ActionRequest) => {
    await load(request);
    return service.actionOf(db, request.params.id, request.params.actionId);
  };

  app.get('/engagements/:id/actions/new', { config: { access: 'engagement:list' } }, (request: IdRequest, reply) => showActionForm(request, reply, { body: null }));
  formPost<IdRequest>(
    '/engagements/:id/actions/new',
    (request, body) => service.addAction(db, request.ctx(), scopeOf(request), request.params.id, actionInput(body, false)),
    (request) => `${paths.engagement(request.params.id)}?done=action#actions`,
    (request, reply, body, failure) => showActionForm(request, reply, { body, failure: failure }),
  );

  const showAction = async (request: ActionRequest, reply: FastifyReply, body: Body | null = null, failure?: Failure) => {
    const { engagement: e, access } = await load(request);
    const a = await service.actionOf(db, e.id, request.params.actionId);
    const [notes, evidence, evidenceFiles] = await Promise.all([service.listNotes(db, a.id), service.listEvidence(db, a.id), service.evidenceFilesOf(db, a.id)]);
    return reply.code(failure?.status ?? 200).view('engagements/views/action.njk', {
      title: a.title,
      e,
      a: { ...a, overdue: isOverdue(a, todayIso(clock)) },
      areaNames: contractManagementAreaNames,
      access,
      notes,
      evidence,
      evidenceFiles: evidenceFiles.map((f) => ({
        ...f,
        href: paths.engagementActionEvidenceFile(e.id, a.id, f.id),
        removeHref: access.work && !(a.status === 'done' && e.completionSignedOffAt) ? paths.engagementActionEvidenceFileRemove(e.id, a.id, f.id) : null,
        description: fileDescription(f),
      })),
      fileUploadAction: access.work ? paths.engagementActionEvidenceFiles(e.id, a.id) : null,
      fileHint: `A ${allowedTypesText} file, smaller than ${sizeText(config.resourceMaxBytes)}.`,
      values: { text: body ? first(body.text) : undefined, title: body ? first(body.title) : undefined, url: body ? first(body.url) : undefined },
      noteMaxLength,
      actionStatusLabels,
      actionStatusTagClass,
      ragLabels,
      ragTagClass,
      flash: failure ? undefined : flashes[str((request.query as Record<string, unknown>).done) ?? ''],
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/engagements/:id/actions/:actionId', { config: { access: 'engagement:list' } }, (request: ActionRequest, reply) => showAction(request, reply));
  app.get('/engagements/:id/actions/:actionId/edit', { config: { access: 'engagement:list' } }, async (request: ActionRequest, reply) =>
    showActionForm(request, reply, { action: await actionOf(request), body: null }),
  );
  formPost<ActionRequest>(
    '/engagements/:id/actions/:actionId/edit',
    (request, body) => service.updateAction(db, request.ctx(), scopeOf(request), request.params.id, request.params.actionId, actionInput(body, true)),
    (request) => `${paths.engagementAction(request.params.id, request.params.actionId)}?done=action-changed`,
    async (request, reply, body, failure) => showActionForm(request, reply, { action: await actionOf(request), body, failure: failure }),
  );
  formPost<ActionRequest>(
    '/engagements/:id/actions/:actionId/notes',
    (request, body) => service.addNote(db, request.ctx(), scopeOf(request), request.params.id, request.params.actionId, { text: first(body.text) }),
    (request) => `${paths.engagementAction(request.params.id, request.params.actionId)}?done=note#notes`,
    (request, reply, body, failure) => showAction(request, reply, body, failure),
  );
  formPost<ActionRequest>(
    '/engagements/:id/actions/:actionId/evidence',
    (request, body) => service.addEvidence(db, request.ctx(), scopeOf(request), request.params.id, request.params.actionId, { title: first(body.title), url: first(body.url) }),
    (request) => `${paths.engagementAction(request.params.id, request.params.actionId)}?done=evidence#evidence`,
    (request, reply, body, failure) => showAction(request, reply, body, failure),
  );

  // Evidence files: the upload is multipart, in its own plugin (src/files/multipart.ts), CSRF checked as for any form.
  app.register(async (scoped) => {
    const readForm = await acceptFileForms(scoped, { maxBytes: config.resourceMaxBytes, fields: 2 });
    scoped.post<{ Params: { id: string; actionId: string } }>(
      '/engagements/:id/actions/:actionId/evidence-files',
      { config: { access: 'engagement:list' }, preValidation: readForm },
      async (request, reply) => {
        const body = (request.body ?? {}) as FileFormBody;
        try {
          await service.addEvidenceFile(fileDeps, request.ctx(), scopeOf(request), request.params.id, request.params.actionId, fileOf(body));
          return reply.redirect(`${paths.engagementAction(request.params.id, request.params.actionId)}?done=evidence-file#evidence`, 303);
        } catch (err) {
          return showAction(request, reply, null, failureOf(err));
        }
      },
    );
  });

  app.get(
    '/engagements/:id/actions/:actionId/evidence-files/:fileId',
    { config: { access: 'engagement:list' } },
    async (request: FastifyRequest<{ Params: { id: string; actionId: string; fileId: string } }>, reply) => {
      const { id, actionId, fileId } = request.params;
      const { file, content } = await service.openEvidenceFile(fileDeps, request.ctx(), scopeOf(request), id, actionId, fileId);
      return sendStoredFile(reply, file, content, 'evidence');
    },
  );

  type FileRequest = FastifyRequest<{ Params: { id: string; actionId: string; fileId: string } }>;

  app.get('/engagements/:id/actions/:actionId/evidence-files/:fileId/remove', { config: { access: 'engagement:list' } }, async (request: FileRequest, reply) => {
    const { id, actionId, fileId } = request.params;
    const { engagement: e, action: a, file } = await service.removableEvidenceFile(db, request.ctx(), scopeOf(request), id, actionId, fileId);
    return reply.view('files/views/evidence-file-remove.njk', {
      title: `Remove ${file.fileName}`,
      caption: e.title,
      file: { ...file, description: fileDescription(file) },
      recordText: `the action “${a.title}”`,
      action: paths.engagementActionEvidenceFileRemove(id, actionId, fileId),
      backHref: `${paths.engagementAction(id, actionId)}#evidence`,
    });
  });

  app.post('/engagements/:id/actions/:actionId/evidence-files/:fileId/remove', { config: { access: 'engagement:list' } }, async (request: FileRequest, reply) => {
    const { id, actionId, fileId } = request.params;
    await service.removeEvidenceFile(fileDeps, request.ctx(), scopeOf(request), id, actionId, fileId);
    return reply.redirect(`${paths.engagementAction(id, actionId)}?done=evidence-file-removed#evidence`, 303);
  });
}
