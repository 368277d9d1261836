import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope, type Actor } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { dateField } from '../councils/schemas.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport } from '../web/export.ts';
import { dateInputValue, errorView, fieldErrors, joinDateParts } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { enrolmentExportColumns, placeText } from './export.ts';
import {
  availableEvents,
  eventLabels,
  levelLabels,
  historyLabels,
  journeyStateOf,
  levels,
  reasonRequired,
  statuses,
  statusLabels,
  statusTagClass,
  type EventType,
  type JourneyState,
} from './journey.ts';
import * as list from './list-repository.ts';
import * as repo from './repository.ts';
import { enrolmentListQuery, pageFilters, type EnrolmentListQuery } from './list-schemas.ts';
import * as queries from './queries.ts';
import { journeyEventSchema, nominationSchema } from './schemas.ts';
import * as service from './service.ts';
import { currentPeriodWindow, filterPeriods, nominationPeriods } from './periods.ts';
import { placeableCohorts } from '../cohorts/repository.ts';
import { decisionPanel } from '../places/place-requests-service.ts';
import { formatDate } from '../web/format.ts';
import { attentionLabels, attentionReasons } from './attention.ts';
import { upkeepFilterLabels, upkeepFilters } from '../learners/upkeep-sql.ts';
import { formWholeNumber } from '../web/numbers.ts';

const pageSize = 50;
type Body = Record<string, string | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** What each step of the history is called once it has happened. */

/** Success messages after a change, chosen by a fixed key so nothing from the URL reaches the page. */
const flashFor = (done: unknown): string | undefined => {
  if (done === 'nominated') return 'Nomination recorded';
  if (typeof done === 'string' && done in historyLabels) return `Step recorded: ${historyLabels[done]}`;
  return undefined;
};

const sortColumns = [
  { key: 'name', text: 'Learner' },
  { key: 'council', text: 'Council' },
  { key: 'level', text: 'Level' },
  { key: 'status', text: 'Status' },
  { key: 'dueDate', text: 'Assessment due' },
  { key: 'lastEvent', text: 'Last step' },
] as const;

/** A failed form post: 400 for bad input, 409 for a clash with the record's state; anything else is not ours. */
function formFailure(err: unknown): { status: 400 | 409; fields: FieldErrors; stale: boolean } {
  if (err instanceof ValidationError) return { status: 400, fields: err.fields, stale: false };
  if (err instanceof ConflictError) {
    const stale = err.field === 'version';
    return { status: 409, fields: { [stale ? '_form' : (err.field ?? '_form')]: err.message }, stale };
  }
  throw err;
}

/** The error summary in the form's order, with a date error linking to the day box (GOV.UK date input pattern). */
function formErrors(fields: FieldErrors, order: readonly string[]) {
  const rank = (f: string) => (order.includes(f) ? order.indexOf(f) : order.length);
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => rank(a) - rank(b)));
  return errorView(sorted, ['date']);
}


/** The policy action each event needs is the service's; offer only the events the viewer may record. */
const offeredEvents = (actor: Actor, state: JourneyState, rules: Parameters<typeof availableEvents>[1]): EventType[] =>
  availableEvents(state, rules).filter((type) => can(actor, service.actionFor(type)));

/** Learner pages: the list with its downloads, nominating an officer, an enrolment and the form that moves it. */
export async function enrolmentRoutes(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  /** The filter panel's selects, each with an "Any" choice and the current filter selected. */
  const filterSelects = (
    query: EnrolmentListQuery,
    councils: { id: string; name: string }[],
    cohorts: { id: string; name: string; level: string }[],
    periods: string[],
  ) => {
    const select = (id: keyof EnrolmentListQuery, label: string, anyText: string, items: { value: string; text: string }[]) => ({
      id,
      label,
      items: [{ value: '', text: anyText }, ...items].map((i) => ({ ...i, selected: i.value === (query[id] ?? '') })),
    });
    return [
      ...(councils.length > 1 ? [select('councilId', 'Council', 'Any council', councils.map((c) => ({ value: c.id, text: c.name })))] : []),
      select('level', 'Level', 'Any level', levels.map((l) => ({ value: l, text: levelLabels[l] }))),
      select('status', 'Status', 'Any status', statuses.map((s) => ({ value: s, text: statusLabels[s] }))),
      select('cohortId', 'Cohort', 'Any cohort', cohorts.map((c) => ({ value: c.id, text: `${c.name} (${levelLabels[c.level as keyof typeof levelLabels] ?? c.level})` }))),
      select('period', 'Period', 'Any period', periods.map((p) => ({ value: p, text: p }))),
      select('attention', 'Needs attention', 'Any', [
        { value: 'any', text: 'Needs attention, any reason' },
        ...attentionReasons.map((r) => ({ value: r, text: attentionLabels[r] })),
      ]),
      select('upkeep', 'Accreditation upkeep', 'Any', upkeepFilters.map((u) => ({ value: u, text: upkeepFilterLabels[u] }))),
    ];
  };

  app.get(paths.learners(), { config: { access: 'enrolment:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const scope = councilScope(actor);
    const query = enrolmentListQuery.parse(request.query);
    const search = checkSearch(query);
    const filters = pageFilters(search.filters);
    const { rows, total, counts, councils, cohorts } = await queries.listPage(db, clock, scope, filters, { page: query.page, pageSize }, scope.kind !== 'own');
    // Every period that holds data, and the one asked for (a bookmarked filter still shows what it is).
    const selects = filterSelects(query, councils, cohorts, filterPeriods(await repo.periodsHoldingData(db), query.period));
    const pagination = paginationView(paths.learners(), search.filters, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    // The counts link to the list narrowed to that status (or to overdue), keeping the other filters.
    const countHref = (extra: Record<string, string>) =>
      paginationView(paths.learners(), { ...search.filters, status: undefined, overdue: undefined, attention: undefined, sort: undefined, order: undefined, ...extra }, 1, pageSize, 0).queryString();
    const filtered = Boolean(query.q || query.councilId || query.level || query.cohortId || query.status || query.overdue || query.period || query.attention || query.upkeep);
    return reply.code(search.status).view('enrolments/views/list.njk', {
      title: 'Learners',
      query,
      errors: search.errors,
      errorList: search.errorList,
      rows,
      pagination,
      filtered,
      filterSelects: selects,
      counts: {
        total: counts.total,
        overdue: counts.overdue,
        overdueHref: `${paths.learners()}${countHref({ overdue: 'yes' })}`,
        attention: counts.attention,
        attentionHref: `${paths.learners()}${countHref({ attention: 'any' })}`,
        allHref: `${paths.learners()}${countHref({})}`,
        statuses: statuses
          .filter((s) => counts.byStatus[s] > 0)
          .map((s) => ({ status: s, n: counts.byStatus[s], href: `${paths.learners()}${countHref({ status: s })}`, current: query.status === s })),
      },
      canNominate: can(actor, 'enrolment:nominate'),
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      levelLabels,
      statusLabels,
      statusTagClass,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.learnersExport(format), { config: { access: 'enrolment:list' } }, async (request, reply) => {
      const scope = councilScope(requireActor(request));
      const rows = await queries.exportEnrolments(db, clock, scope, pageFilters(exportQuery(enrolmentListQuery.parse(request.query))));
      return sendExport(reply, format, 'learners', todayIso(clock), rows, enrolmentExportColumns);
    });
  }

  // ---- Nominating an officer ----

  const nominateOrder = ['councilId', 'personChoice', 'personId', 'name', 'email', 'allowOutsideDomains', 'jobTitle', 'level', 'period', 'roleDescription', 'contracts'] as const;

  /**
   * The nomination form. A council's SRO or lead nominates for their own council; an admin first chooses the
   * council (onboarding or active, in scope), then fills in the form for it.
   */
  const showNominate = async (request: FastifyRequest, reply: FastifyReply, body: Body | null, failure?: ReturnType<typeof formFailure>) => {
    const actor = requireActor(request);
    const scope = councilScope(actor);
    const councils = await list.nominatingCouncils(db, scope);
    const wanted = scope.kind === 'own' ? scope.councilId : (body?.councilId ?? (request.query as Record<string, unknown>).councilId);
    const council = councils.find((c) => c.id === wanted) ?? null;
    const errors = failure ? formErrors(failure.fields, nominateOrder) : { errors: {} };
    if (!council) {
      // Step one for those who manage several councils; for a council's own staff, their council is not nominating yet.
      const tried = typeof wanted === 'string' && wanted !== '' && scope.kind !== 'own';
      const chooseErrors = tried ? formErrors({ councilId: 'Select a council that is onboarding or active in the programme' }, nominateOrder) : errors;
      return reply.code(tried ? 400 : (failure?.status ?? 200)).view('enrolments/views/nominate-council.njk', {
        title: 'Nominate an officer',
        ownCouncil: scope.kind === 'own',
        councilItems: [{ value: '', text: 'Choose a council' }, ...councils.map((c) => ({ value: c.id, text: c.name }))],
        ...chooseErrors,
      });
    }
    const officers = await list.nominatablePeople(db, council.id);
    const window = await currentPeriodWindow(db, clock);
    const values = body ?? { period: window.current };
    const domains = (await repo.findCouncil(db, scope, council.id))?.emailDomains ?? [];
    return reply.code(failure?.status ?? 200).view('enrolments/views/nominate.njk', {
      title: `Nominate an officer of ${council.name}`,
      council,
      canChangeCouncil: scope.kind !== 'own',
      values,
      officerItems: [
        { value: '', text: 'Choose an officer' },
        ...officers.map((p) => ({ value: p.id, text: `${p.name} (${p.email})`, selected: p.id === values.personId })),
      ],
      hasOfficers: officers.length > 0,
      emailDomains: domains,
      canOverrideDomains: can(actor, 'enrolment:any-email-domain'),
      levelItems: levels.map((l) => ({ value: l, text: levelLabels[l], checked: l === values.level })),
      periodItems: nominationPeriods(window, service.nominatesAnyOpenPeriod(request.ctx())).map((p) => ({ value: p, text: p, selected: p === values.period })),
      ...errors,
    });
  };

  app.get(paths.nominate(), { config: { access: 'enrolment:nominate' } }, (request, reply) => showNominate(request, reply, null));

  app.post(paths.nominate(), { config: { access: 'enrolment:nominate' } }, async (request, reply) => {
    const actor = requireActor(request);
    const scope = councilScope(actor);
    const body = (request.body ?? {}) as Body;
    const councilId = scope.kind === 'own' ? scope.councilId : (body.councilId ?? '');
    const choice = body.personChoice;
    const input = {
      councilId,
      level: body.level,
      period: body.period,
      roleDescription: body.roleDescription,
      contracts: body.contracts,
      ...(choice === 'existing' ? { personId: body.personId || undefined } : {}),
      ...(choice === 'new' ? { person: { name: body.name ?? '', email: body.email ?? '', jobTitle: body.jobTitle } } : {}),
      ...(choice === 'new' && body.allowOutsideDomains === 'yes' ? { allowOutsideDomains: true } : {}),
    };
    // The choice of officer is the page's own question; its answers are checked here, with the rest of the form.
    const choiceErrors: FieldErrors = {};
    if (choice !== 'existing' && choice !== 'new') choiceErrors.personChoice = 'Select whether the officer is already in Pioneer or new';
    else if (choice === 'existing' && !body.personId) choiceErrors.personId = 'Select the officer';
    try {
      if (Object.keys(choiceErrors).length) {
        const others = nominationSchema.safeParse({ ...input, person: undefined, personId: '00000000-0000-4000-8000-000000000000' });
        throw new ValidationError({ ...choiceErrors, ...(others.success ? {} : fieldErrors(others.error)) });
      }
      const enrolment = await service.nominate(db, config, request.ctx(), scope, input);
      return reply.redirect(`${paths.enrolment(enrolment.id)}?done=nominated`);
    } catch (err) {
      const failure = formFailure(err);
      // The API's field names and messages, as the page's fields say them.
      const fields: FieldErrors = {};
      for (const [field, message] of Object.entries(failure.fields)) {
        if (field === 'person.name') fields.name = message;
        else if (field === 'person.email') fields.email = message;
        else if (field === 'person.jobTitle') fields.jobTitle = message;
        else if (field === 'personId' && choice === 'new') fields.email = message;
        else if (field === 'level') fields.level = 'Select the level';
        // The council is fixed on this form, so its problem is the form's.
        else if (field === 'councilId') fields._form = message;
        else fields[field] = message;
      }
      return showNominate(request, reply, { ...body, councilId }, { ...failure, fields });
    }
  });

  // ---- One enrolment ----

  app.get('/enrolments/:id', { config: { access: 'enrolment:list' } }, async (request: IdRequest, reply) => {
    const actor = requireActor(request);
    const { enrolment, rules, history } = await queries.getEnrolmentWithHistory(db, clock, councilScope(actor), request.params.id);
    return reply.view('enrolments/views/show.njk', {
      title: `${enrolment.personName}: ${levelLabels[enrolment.level]}`,
      enrolment,
      rules,
      history: [...history].reverse().map((h) => ({ ...h, label: historyLabels[h.type] ?? h.type })),
      placeText: placeText(enrolment),
      canMove: offeredEvents(actor, journeyStateOf(enrolment), rules).length > 0,
      flash: flashFor((request.query as Record<string, unknown>).done),
      levelLabels,
      statusLabels,
      statusTagClass,
    });
  });

  // ---- Moving an enrolment along its journey ----

  const moveOrder = ['type', 'certificateNumber', 'cohortId', 'date', 'reason', '_form'] as const;

  const showMove = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: ReturnType<typeof formFailure>) => {
    const actor = requireActor(request);
    const { enrolment, rules } = await queries.getEnrolment(db, clock, councilScope(actor), request.params.id);
    const offered = offeredEvents(actor, journeyStateOf(enrolment), rules);
    // Only cohorts that have not finished and have a seat left are offered (the service refuses the others too).
    const cohorts = offered.some((e) => e === 'approved' || e === 'registered') ? await placeableCohorts(db, enrolment.level, todayIso(clock)) : [];
    const date = dateInputValue(body, 'date', todayIso(clock));
    // Before approving: the council's places left for the level and period, and the next cohorts (src/places).
    const placesPanel = offered.includes('approved') ? await decisionPanel(db, actor, enrolment, cohorts, todayIso(clock)) : null;
    return reply.code(failure?.status ?? 200).view('enrolments/views/move.njk', {
      title: `Record a step for ${enrolment.personName}`,
      enrolment,
      placesPanel,
      events: offered.map((type) => ({ value: type, text: eventLabels[type], reasonRequired: reasonRequired.has(type), checked: type === body?.type })),
      cohortItems: [
        { value: '', text: enrolment.cohortName ? `Keep in ${enrolment.cohortName}` : 'No cohort yet' },
        ...cohorts.map((c) => ({
          value: c.id,
          text: `${c.name}: ${c.startDate > todayIso(clock) ? 'starts' : 'started'} ${formatDate(c.startDate)}, ends ${formatDate(c.endDate)}, ${c.capacity - c.placed} of ${c.capacity} places left`,
          selected: c.id === body?.cohortId,
        })),
      ],
      values: { reason: body?.reason, certificateNumber: body?.certificateNumber, date },
      attemptsLeft: rules.maxAttempts - enrolment.attempts,
      // After a stale post the form carries the version just read, so sending it again is a deliberate choice.
      version: body && !failure?.stale ? body.version : enrolment.version,
      levelLabels,
      statusLabels,
      statusTagClass,
      ...(failure ? formErrors(failure.fields, moveOrder) : { errors: {} }),
    });
  };

  app.get('/enrolments/:id/move', { config: { access: 'enrolment:list' } }, (request: IdRequest, reply) => showMove(request, reply, null));

  app.post('/enrolments/:id/move', { config: { access: 'enrolment:list' } }, async (request: IdRequest, reply) => {
    const actor = requireActor(request);
    // Out of scope (or no such enrolment) is 404 before the form is looked at.
    await queries.getEnrolment(db, clock, councilScope(actor), request.params.id);
    const body = (request.body ?? {}) as Body;
    const type = body.type;
    const date = dateField('Date', 'the date').safeParse(joinDateParts(body, 'date'));
    const input = {
      type,
      date: date.success ? date.data : undefined,
      reason: body.reason,
      certificateNumber: type === 'passed' ? body.certificateNumber : undefined,
      cohortId: (type === 'approved' || type === 'registered') && body.cohortId ? body.cohortId : undefined,
      version: formWholeNumber(body.version),
    };
    try {
      if (!date.success) {
        // Show every problem at once: the date's, in GOV.UK words, and the rest of the form's.
        const others = journeyEventSchema(todayIso(clock)).safeParse({ ...input, date: todayIso(clock) });
        const fields: FieldErrors = { ...(others.success ? {} : fieldErrors(others.error)), date: date.error.issues[0].message };
        if (type && reasonRequired.has(type as EventType) && !body.reason?.trim()) fields.reason = 'Enter a reason';
        if (type === 'passed' && !body.certificateNumber?.trim()) fields.certificateNumber = 'Enter the certificate number';
        throw new ValidationError(fields);
      }
      await service.recordEvent(db, request.ctx(), councilScope(actor), request.params.id, input);
    } catch (err) {
      const failure = formFailure(err);
      if (failure.fields.type && !type) failure.fields.type = 'Select what happened';
      return showMove(request, reply, body, failure);
    }
    return reply.redirect(`${paths.enrolment(request.params.id)}?done=${type}`);
  });
}
