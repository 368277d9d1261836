import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope, type Actor } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { dateField } from '../councils/schemas.ts';
import { ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, fieldErrors, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView, selectItems } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { enrolmentExportColumns, placeText } from './export.ts';
import {
  awaitsDecision,
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
import { placesOverBudgetWarnings } from '../funding/service.ts';
import { formatDate } from '../web/format.ts';
import { attentionLabels, attentionReasons } from './attention.ts';
import { upkeepFilterLabels, upkeepFilters } from '../learners/upkeep-sql.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { downloadCompression } from '../web/compression.ts';
import { learnerRowsHtml } from './rows-html.ts';

const pageSize = 50;
type Body = Record<string, string | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** What each step of the history is called once it has happened. */

/** Success messages after a change, chosen by a fixed key so nothing from the URL reaches the page. */
const flashFor = (done: unknown): string | undefined => {
  if (done === 'nominated') return 'Nomination recorded';
  if (done === 'nomination-withdrawn') return 'Nomination withdrawn';
  if (done === 'corrected') return 'Nomination corrected';
  if (done === 'unchanged') return 'Nothing changed: the nomination already had that level and period';
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

/** The error summary in the form's order, with a date error linking to the first wrong box of the date as posted. */
function formErrors(fields: FieldErrors, order: readonly string[], body: Body | null = null) {
  const rank = (f: string) => (order.includes(f) ? order.indexOf(f) : order.length);
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => rank(a) - rank(b)));
  return errorView(sorted, ['date'], body);
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
      items: selectItems([{ value: '', text: anyText }, ...items], query[id]),
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
      rowsHtml: learnerRowsHtml(rows),
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
      statusLabels,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.learnersExport(format), { config: { access: 'enrolment:list' }, compress: downloadCompression }, async (request, reply) => {
      const scope = councilScope(requireActor(request));
      const rows = await queries.exportEnrolments(db, clock, scope, pageFilters(exportQuery(enrolmentListQuery.parse(request.query))));
      return sendExport(reply, format, 'learners', todayIso(clock), rows, enrolmentExportColumns);
    });
  }

  // ---- Nominating an officer: one question a page (who, then the details; a known address is confirmed) ----

  const nominateOrder = ['councilId', 'personChoice', 'personId', 'name', 'email', 'allowOutsideDomains', 'jobTitle', 'level', 'period', 'roleDescription', 'contracts', 'confirmExistingPerson'] as const;
  type Who = 'existing' | 'new';
  const whoPath = (councilId: string, who?: string) => `${paths.nominate()}?councilId=${councilId}${who ? `&who=${who}` : ''}`;
  const detailsPath = (who: Who, councilId: string) => `${who === 'existing' ? paths.nominateExisting() : paths.nominateNew()}?councilId=${councilId}`;

  /**
   * The council a nomination is for: a council's SRO or lead nominate for their own; the programme team first choose
   * one (onboarding or active, in scope). Null after rendering the council question (or the not-yet page) instead.
   */
  const nominatingCouncil = async (request: FastifyRequest, reply: FastifyReply, wanted: unknown) => {
    const scope = councilScope(requireActor(request));
    const councils = await list.nominatingCouncils(db, scope);
    const id = scope.kind === 'own' ? scope.councilId : wanted;
    const council = councils.find((c) => c.id === id);
    if (council) return council;
    const tried = typeof id === 'string' && id !== '' && scope.kind !== 'own';
    await reply.code(tried ? 400 : 200).view('enrolments/views/nominate-council.njk', {
      title: 'Nominate an officer',
      ownCouncil: scope.kind === 'own',
      councilItems: [{ value: '', text: 'Choose a council' }, ...councils.map((c) => ({ value: c.id, text: c.name }))],
      ...(tried ? formErrors({ councilId: 'Select a council that is onboarding or active in the programme' }, nominateOrder) : { errors: {} }),
    });
    return null;
  };

  type Council = { id: string; name: string };
  const errorsOf = (failure?: { fields: FieldErrors }) => (failure ? formErrors(failure.fields, nominateOrder) : { errors: {} });

  /** Page 1: "Who are you nominating?" (an officer already in Pioneer, when the council has any, or a new one). */
  const showWho = async (request: FastifyRequest, reply: FastifyReply, council: Council, chosen: unknown, failure?: { status: number; fields: FieldErrors }) => {
    const hasOfficers = (await list.nominatablePeople(db, council.id)).length > 0;
    const canChangeCouncil = councilScope(requireActor(request)).kind !== 'own';
    return reply.code(failure?.status ?? 200).view('enrolments/views/nominate-who.njk', {
      title: `Who are you nominating? ${council.name}`,
      council,
      canChangeCouncil,
      backHref: canChangeCouncil ? paths.nominate() : paths.learners(),
      choiceItems: [
        ...(hasOfficers ? [{ value: 'existing', text: 'An officer already in Pioneer', hint: { text: `Someone at ${council.name} who has a Pioneer account` }, checked: chosen === 'existing' }] : []),
        { value: 'new', text: 'A new officer', hint: { text: 'They will be invited to Pioneer as a learner' }, checked: chosen === 'new' },
      ],
      ...errorsOf(failure),
    });
  };

  /** The level, period, role and contracts questions both details pages ask, with the nominator's periods. */
  const commonDetails = async (request: FastifyRequest, values: Body) => {
    const window = await currentPeriodWindow(db, clock);
    const period = values.period ?? window.current;
    return {
      levelItems: levels.map((l) => ({ value: l, text: levelLabels[l], checked: l === values.level })),
      periodItems: nominationPeriods(window, service.nominatesAnyOpenPeriod(request.ctx())).map((p) => ({ value: p, text: p, selected: p === period })),
    };
  };

  /** Page 2a: the officer already in Pioneer, the level and the period. */
  const showExisting = async (request: FastifyRequest, reply: FastifyReply, council: Council, values: Body, failure?: { status: number; fields: FieldErrors }) => {
    const officers = await list.nominatablePeople(db, council.id);
    return reply.code(failure?.status ?? 200).view('enrolments/views/nominate-existing.njk', {
      title: `Nominate an officer already in Pioneer: ${council.name}`,
      council,
      values,
      backHref: whoPath(council.id, 'existing'),
      officerItems: [
        { value: '', text: 'Choose an officer' },
        ...officers.map((p) => ({ value: p.id, text: `${p.name} (${p.email})`, selected: p.id === values.personId })),
      ],
      hasOfficers: officers.length > 0,
      ...(await commonDetails(request, values)),
      ...errorsOf(failure),
    });
  };

  /** Page 2b: the new officer's details, the level and the period. */
  const showNew = async (request: FastifyRequest, reply: FastifyReply, council: Council, values: Body, failure?: { status: number; fields: FieldErrors }, notice?: string) => {
    const actor = requireActor(request);
    const domains = (await repo.findCouncil(db, councilScope(actor), council.id))?.emailDomains ?? [];
    return reply.code(failure?.status ?? 200).view('enrolments/views/nominate-new.njk', {
      title: `Nominate a new officer: ${council.name}`,
      council,
      values,
      notice,
      backHref: whoPath(council.id, 'new'),
      existingHref: detailsPath('existing', council.id),
      emailDomains: domains,
      canOverrideDomains: can(actor, 'enrolment:any-email-domain'),
      ...(await commonDetails(request, values)),
      ...errorsOf(failure),
    });
  };

  /** The confirmation an address already in the council needs: who it is, and "Nominate them?" yes or no. */
  const showConfirmExisting = (reply: FastifyReply, council: Council, values: Body, person: { name: string; jobTitle: string | null }, failure?: { status: number; fields: FieldErrors }) =>
    reply.code(failure?.status ?? 200).view('enrolments/views/nominate-confirm.njk', {
      title: `This email address is already in Pioneer: ${council.name}`,
      council,
      person,
      levelText: levelLabels[values.level as keyof typeof levelLabels] ?? values.level,
      // What the nominator typed travels in hidden fields, so no session state is kept between the pages.
      carried: ['name', 'email', 'jobTitle', 'allowOutsideDomains', 'level', 'period', 'roleDescription', 'contracts']
        .filter((k) => values[k] !== undefined)
        .map((k) => ({ name: k, value: values[k] })),
      values,
      backHref: detailsPath('new', council.id),
      ...errorsOf(failure),
    });

  /** The service's field names and messages, as a details page's fields say them. */
  const pageFields = (fields: FieldErrors, who: Who): FieldErrors => {
    const out: FieldErrors = {};
    for (const [field, message] of Object.entries(fields)) {
      if (field === 'person.name') out.name = message;
      else if (field === 'person.email') out.email = message;
      else if (field === 'person.jobTitle') out.jobTitle = message;
      else if (field === 'personId' && who === 'new') out.email = message;
      else if (field === 'level') out.level = 'Select the level';
      // The council is fixed on these pages, so its problem is the form's.
      else if (field === 'councilId') out._form = message;
      else out[field] = message;
    }
    return out;
  };

  app.get(paths.nominate(), { config: { access: 'enrolment:nominate' } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const council = await nominatingCouncil(request, reply, query.councilId);
    return council ? showWho(request, reply, council, query.who) : reply;
  });

  app.post(paths.nominate(), { config: { access: 'enrolment:nominate' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const council = await nominatingCouncil(request, reply, body.councilId);
    if (!council) return reply;
    const choice = body.personChoice;
    if (choice !== 'existing' && choice !== 'new') {
      return showWho(request, reply, council, undefined, { status: 400, fields: { personChoice: 'Select whether the officer is already in Pioneer or new' } });
    }
    return reply.redirect(detailsPath(choice, council.id), 303);
  });

  for (const who of ['existing', 'new'] as const) {
    const url = who === 'existing' ? paths.nominateExisting() : paths.nominateNew();
    const show = who === 'existing' ? showExisting : showNew;

    app.get(url, { config: { access: 'enrolment:nominate' } }, async (request, reply) => {
      const council = await nominatingCouncil(request, reply, (request.query as Record<string, unknown>).councilId);
      return council ? show(request, reply, council, {}) : reply;
    });

    app.post(url, { config: { access: 'enrolment:nominate' } }, async (request, reply) => {
      const body = (request.body ?? {}) as Body;
      const council = await nominatingCouncil(request, reply, body.councilId);
      if (!council) return reply;
      const values = { ...body, _csrf: undefined, confirming: undefined };
      // "No, use another address": back to the details, as typed, to change the address.
      if (who === 'new' && body.confirmExistingPerson === 'no') {
        return showNew(request, reply, council, values, undefined, 'Enter a different email address, or nominate the officer already in Pioneer instead.');
      }
      const input = {
        councilId: council.id,
        level: body.level,
        period: body.period,
        roleDescription: body.roleDescription,
        contracts: body.contracts,
        ...(who === 'existing' ? { personId: body.personId || undefined } : { person: { name: body.name ?? '', email: body.email ?? '', jobTitle: body.jobTitle } }),
        ...(who === 'new' && body.allowOutsideDomains === 'yes' ? { allowOutsideDomains: true } : {}),
        ...(who === 'new' && body.confirmExistingPerson === 'yes' ? { confirmExistingPerson: true } : {}),
      };
      try {
        if (who === 'existing' && !body.personId) {
          // The officer is the page's own question; its answer is checked with the rest of the form.
          const others = nominationSchema.safeParse({ ...input, personId: '00000000-0000-4000-8000-000000000000' });
          throw new ValidationError({ personId: 'Select the officer', ...(others.success ? {} : fieldErrors(others.error)) });
        }
        const enrolment = await service.nominate(db, config, request.ctx(), councilScope(requireActor(request)), input);
        return reply.redirect(`${paths.enrolment(enrolment.id)}?done=nominated`);
      } catch (err) {
        if (err instanceof service.ExistingPersonConflict) {
          // Asked once: answering the question without choosing says so, on the same question.
          const unanswered = body.confirming === 'yes';
          const failure = unanswered ? { status: 400, fields: { confirmExistingPerson: `Select yes if you want to nominate ${err.person.name}` } } : undefined;
          return showConfirmExisting(reply, council, values, err.person, failure);
        }
        const failure = failureOf(err);
        return show(request, reply, council, values, { ...failure, fields: pageFields(failure.fields, who) });
      }
    });
  }

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
      // Until the managing partner decides, the council (and staff) may withdraw the nomination or correct it.
      canWithdrawNomination: awaitsDecision(enrolment) && can(actor, 'enrolment:withdraw-nomination'),
      canCorrectNomination: awaitsDecision(enrolment) && can(actor, 'enrolment:correct-nomination'),
      flash: flashFor((request.query as Record<string, unknown>).done),
      levelLabels,
      statusLabels,
      statusTagClass,
    });
  });

  // ---- Moving an enrolment along its journey: which step first, then only that step's questions ----

  const moveOrder = ['type', 'certificateNumber', 'cohortId', 'date', 'reason', '_form'] as const;

  /** Page 1: "Which step?" with only the steps the journey and the viewer's role allow now. */
  const showChooseStep = async (request: IdRequest, reply: FastifyReply, failure?: { status: number; fields: FieldErrors }) => {
    const actor = requireActor(request);
    const { enrolment, rules } = await queries.getEnrolment(db, clock, councilScope(actor), request.params.id);
    const attemptsLeft = rules.maxAttempts - enrolment.attempts;
    // Coming back from a step's page, that step is still chosen.
    const chosen = (request.query as Record<string, unknown>).chosen;
    return reply.code(failure?.status ?? 200).view('enrolments/views/move-choose.njk', {
      title: `Which step? ${enrolment.personName}`,
      enrolment,
      items: offeredEvents(actor, journeyStateOf(enrolment), rules).map((type) => ({
        value: type,
        text: eventLabels[type],
        checked: type === chosen,
        hint: reasonRequired.has(type)
          ? { text: 'You will be asked for a reason' }
          : type === 'assessment_booked'
            ? { text: `${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left` }
            : undefined,
      })),
      levelLabels,
      statusLabels,
      statusTagClass,
      ...(failure ? formErrors(failure.fields, moveOrder) : { errors: {} }),
    });
  };

  /** Page 2: the chosen step's own questions (the date always; a reason, certificate number or cohort when it has one). */
  const showStep = async (request: IdRequest, reply: FastifyReply, type: EventType, body: Body | null, failure?: FormFailure) => {
    const actor = requireActor(request);
    const { enrolment } = await queries.getEnrolment(db, clock, councilScope(actor), request.params.id);
    // Only cohorts that have not finished and have a seat left are offered (the service refuses the others too).
    const cohorts = type === 'approved' || type === 'registered' ? await placeableCohorts(db, enrolment.level, todayIso(clock)) : [];
    const date = dateInputValue(body, 'date', todayIso(clock));
    // Before approving: the council's places left for the level and period, and the next cohorts (src/places).
    const placesPanel = type === 'approved' ? await decisionPanel(db, actor, enrolment, cohorts, todayIso(clock)) : null;
    // Those who read the funds' figures are warned when the place would take a training-places line over budget.
    const budgetWarnings = type === 'approved' && can(actor, 'fund:aggregate') ? await placesOverBudgetWarnings(db, [{ level: enrolment.level, period: enrolment.period, taken: 1, released: 0 }], 'approval') : [];
    return reply.code(failure?.status ?? 200).view('enrolments/views/move.njk', {
      title: `${eventLabels[type]}: ${enrolment.personName}`,
      enrolment,
      placesPanel,
      budgetWarnings,
      type,
      heading: eventLabels[type],
      asksReason: reasonRequired.has(type),
      asksCertificate: type === 'passed',
      cohortItems: cohorts.length
        ? [
            { value: '', text: enrolment.cohortName ? `Keep in ${enrolment.cohortName}` : 'No cohort yet' },
            ...cohorts.map((c) => ({
              value: c.id,
              text: `${c.name}: ${c.startDate > todayIso(clock) ? 'starts' : 'started'} ${formatDate(c.startDate)}, ends ${formatDate(c.endDate)}, ${c.capacity - c.placed} of ${c.capacity} places left`,
              selected: c.id === body?.cohortId,
            })),
          ]
        : [],
      values: { reason: body?.reason, certificateNumber: body?.certificateNumber, date },
      backHref: `${paths.enrolmentMove(enrolment.id)}?chosen=${type}`,
      version: shownVersion(body, failure, enrolment.version),
      levelLabels,
      statusLabels,
      statusTagClass,
      ...(failure ? formErrors(failure.fields, moveOrder, body) : { errors: {} }),
    });
  };

  /** The step asked for, if the journey and the viewer's role allow it now. */
  const offeredStep = async (request: IdRequest, type: unknown): Promise<EventType | null> => {
    const actor = requireActor(request);
    const { enrolment, rules } = await queries.getEnrolment(db, clock, councilScope(actor), request.params.id);
    return offeredEvents(actor, journeyStateOf(enrolment), rules).find((t) => t === type) ?? null;
  };

  // The step question is a GET form: choosing changes nothing, and the step page's address can be reloaded.
  app.get('/enrolments/:id/move', { config: { access: 'enrolment:list' } }, async (request: IdRequest, reply) => {
    const query = request.query as Record<string, unknown>;
    if (query.type === undefined && query.choose === undefined) return showChooseStep(request, reply);
    const type = await offeredStep(request, query.type);
    if (!type) return showChooseStep(request, reply, { status: 400, fields: { type: 'Select what happened' } });
    return showStep(request, reply, type, null);
  });

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
      reason: reasonRequired.has(type as EventType) ? body.reason : undefined,
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
      const failure = failureOf(err);
      const offered = await offeredStep(request, type);
      // A step that is not (or no longer) possible goes back to the question of which step, saying why.
      if (!offered) return showChooseStep(request, reply, { status: failure.status, fields: { type: type && failure.fields.type ? failure.fields.type : 'Select what happened' } });
      // The step page has no step question: a refusal of the step itself (no place left) is the form's.
      const { type: stepProblem, ...fields } = failure.fields;
      return showStep(request, reply, offered, body, { ...failure, fields: stepProblem ? { _form: stepProblem, ...fields } : fields });
    }
    return reply.redirect(`${paths.enrolment(request.params.id)}?done=${type}`);
  });

  // ---- Before a decision: withdrawing or correcting a nomination ----

  const showWithdraw = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { enrolment } = await queries.getEnrolment(db, clock, councilScope(requireActor(request)), request.params.id);
    return reply.code(failure?.status ?? 200).view('enrolments/views/withdraw.njk', {
      title: `Withdraw the nomination of ${enrolment.personName}`,
      enrolment,
      open: awaitsDecision(enrolment),
      values: { reason: body?.reason },
      version: shownVersion(body, failure, enrolment.version),
      levelLabels,
      statusLabels,
      ...(failure ? formErrors(failure.fields, ['reason', '_form']) : { errors: {} }),
    });
  };

  app.get('/enrolments/:id/withdraw', { config: { access: 'enrolment:withdraw-nomination' } }, (request: IdRequest, reply) => showWithdraw(request, reply, null));

  app.post('/enrolments/:id/withdraw', { config: { access: 'enrolment:withdraw-nomination' } }, async (request: IdRequest, reply) => {
    const scope = councilScope(requireActor(request));
    await queries.getEnrolment(db, clock, scope, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      await service.withdrawNomination(db, request.ctx(), scope, request.params.id, { reason: body.reason ?? '', version: formWholeNumber(body.version) });
    } catch (err) {
      return showWithdraw(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.enrolment(request.params.id)}?done=nomination-withdrawn`);
  });

  const showCorrect = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { enrolment } = await queries.getEnrolment(db, clock, councilScope(requireActor(request)), request.params.id);
    const values = { level: body?.level ?? enrolment.level, period: body?.period ?? enrolment.period };
    // The nominator's periods, and the one the nomination has now (kept even if it is no longer one they could choose).
    const periods = nominationPeriods(await currentPeriodWindow(db, clock), service.nominatesAnyOpenPeriod(request.ctx()));
    return reply.code(failure?.status ?? 200).view('enrolments/views/correct.njk', {
      title: `Correct the nomination of ${enrolment.personName}`,
      enrolment,
      open: awaitsDecision(enrolment),
      levelItems: levels.map((l) => ({ value: l, text: levelLabels[l], checked: l === values.level })),
      periodItems: [...new Set([...periods, enrolment.period])].sort().reverse().map((p) => ({ value: p, text: p, selected: p === values.period })),
      version: shownVersion(body, failure, enrolment.version),
      levelLabels,
      statusLabels,
      ...(failure ? formErrors(failure.fields, ['level', 'period', '_form']) : { errors: {} }),
    });
  };

  app.get('/enrolments/:id/correct', { config: { access: 'enrolment:correct-nomination' } }, (request: IdRequest, reply) => showCorrect(request, reply, null));

  app.post('/enrolments/:id/correct', { config: { access: 'enrolment:correct-nomination' } }, async (request: IdRequest, reply) => {
    const scope = councilScope(requireActor(request));
    await queries.getEnrolment(db, clock, scope, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      const { changed } = await service.correctNomination(db, request.ctx(), scope, request.params.id, {
        level: body.level || undefined,
        period: body.period || undefined,
        version: formWholeNumber(body.version),
      });
      return reply.redirect(`${paths.enrolment(request.params.id)}?done=${changed ? 'corrected' : 'unchanged'}`);
    } catch (err) {
      const failure = failureOf(err);
      if (err instanceof ValidationError && failure.fields.level) failure.fields.level = 'Select the level';
      return showCorrect(request, reply, body, failure);
    }
  });
}
