import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { levelLabels, levels, statusLabels, statusTagClass } from '../enrolments/journey.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { paginationView, selectItems } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { cohortListQuery, maxWorkshops } from './schemas.ts';
import * as service from './service.ts';
import { cohortStatus, cohortStatusLabels, cohortStatusTagClass, takesLearners } from './lifecycle.ts';
import { todayIso } from '../clock.ts';
import { formWholeNumber } from '../web/numbers.ts';

const pageSize = 50;
type Body = Record<string, string | string[] | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;


const flashes: Record<string, string> = {
  created: 'Cohort created',
  placed: 'Learners placed in the cohort',
  capacity: 'Capacity changed',
  dates: 'Dates changed',
  unchanged: 'No changes were made',
};

/** What the lists and pages show of a cohort's life on `today`. */
const lifeOf = (c: service.CohortRow, today: string) => {
  const status = cohortStatus(c, today);
  return { status, statusLabel: cohortStatusLabels[status], statusTagClass: cohortStatusTagClass[status], seatsLeft: takesLearners(c, today) ? c.capacity - c.placed : null };
};

/** Cohort pages: the list, a new cohort, and a cohort with its learners (placing learners for admins). */
export async function cohortRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.cohorts(), { config: { access: 'cohort:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = cohortListQuery.parse(request.query);
    const { rows, total } = await service.listCohorts(db, { level: query.level, order: query.order }, { limit: pageSize, offset: (query.page - 1) * pageSize });
    const pagination = paginationView(paths.cohorts(), query, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const today = todayIso(clock);
    return reply.view('cohorts/views/list.njk', {
      title: 'Cohorts',
      query,
      rows: rows.map((r) => ({ ...r, ...lifeOf(r, today) })),
      pagination,
      levelItems: selectItems([{ value: '', text: 'Any level' }, ...levels.map((l) => ({ value: l, text: levelLabels[l] }))], query.level),
      startDateSort: { href: pagination.sortHref('startDate', query.sort, query.order), ariaSort: query.order === 'asc' ? 'ascending' : 'descending' },
      canManage: can(actor, 'cohort:manage'),
      levelLabels,
    });
  });

  const showNewForm = (reply: FastifyReply, body: Body, failure?: FormFailure) =>
    reply.code(failure?.status ?? 200).view('cohorts/views/new.njk', {
      title: 'Create a cohort',
      values: {
        name: first(body.name),
        workshopDates: first(body.workshopDates),
        capacity: first(body.capacity),
        startDate: dateInputValue(body, 'startDate', null),
        endDate: dateInputValue(body, 'endDate', null),
      },
      levelItems: levels.map((l) => ({ value: l, text: levelLabels[l], checked: l === first(body.level) })),
      maxWorkshops,
      ...(failure ? errorView(failure.fields, ['startDate', 'endDate'], body) : { errors: {} }),
    });

  app.get(paths.cohortNew(), { config: { access: 'cohort:manage' } }, (_request, reply) => showNewForm(reply, {}));

  app.post(paths.cohortNew(), { config: { access: 'cohort:manage' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const cohort = await service.createCohort(db, request.ctx(), {
        level: first(body.level) || undefined,
        name: first(body.name),
        startDate: joinDateParts(body, 'startDate'),
        endDate: joinDateParts(body, 'endDate'),
        workshopDates: first(body.workshopDates),
        capacity: formWholeNumber(first(body.capacity)),
      });
      return reply.redirect(`${paths.cohort(cohort.id)}?done=created`);
    } catch (err) {
      return showNewForm(reply, body, failureOf(err));
    }
  });

  const showCohort = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const actor = requireActor(request);
    const canManage = can(actor, 'cohort:manage');
    const { cohort, learners, candidates } = await service.cohortOverview(db, councilScope(actor), request.params.id, canManage);
    const ticked = new Set(body ? [body.enrolmentIds ?? []].flat() : []);
    const done = (request.query as Record<string, unknown>).done;
    return reply.code(failure?.status ?? 200).view('cohorts/views/show.njk', {
      title: cohort.name,
      cohort,
      ...lifeOf(cohort, todayIso(clock)),
      learners,
      candidateItems: candidates.map((c) => ({
        value: c.id,
        text: `${c.name} – ${c.councilName}`,
        hint: { text: `${statusLabels[c.status as keyof typeof statusLabels] ?? c.status}, ${c.period}` },
        checked: ticked.has(c.id),
      })),
      capacityValue: body && body.capacity !== undefined ? first(body.capacity) : String(cohort.capacity),
      // The capacity form's version: after its own refusal the one it sent (see shownVersion); else the stored one.
      capacityVersion: body && body.capacity !== undefined ? shownVersion(body, failure, cohort.version) : cohort.version,
      canManage,
      canReschedule: can(actor, 'cohort:reschedule'),
      datesHref: paths.cohortDates(cohort.id),
      placeAction: paths.cohortPlace(cohort.id),
      capacityAction: paths.cohortCapacity(cohort.id),
      levelLabels,
      statusLabels,
      statusTagClass,
      flash: !failure && typeof done === 'string' ? flashes[done] : undefined,
      ...(failure ? errorView(failure.fields, ['startDate'], body) : { errors: {} }),
    });
  };

  app.get(paths.cohort(':id'), { config: { access: 'cohort:list' } }, (request: IdRequest, reply) => showCohort(request, reply, null));

  app.post(paths.cohortPlace(':id'), { config: { access: 'cohort:manage' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.placeInCohort(db, request.ctx(), councilScope(requireActor(request)), body.enrolmentIds, request.params.id);
    } catch (err) {
      return showCohort(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.cohort(request.params.id)}?done=placed`);
  });

  app.post(paths.cohortCapacity(':id'), { config: { access: 'cohort:manage' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.changeCapacity(db, request.ctx(), request.params.id, { capacity: formWholeNumber(first(body.capacity)), version: formWholeNumber(first(body.version)) });
    } catch (err) {
      return showCohort(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.cohort(request.params.id)}?done=capacity`);
  });

  const showDatesForm = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const cohort = await service.getCohort(db, request.params.id);
    return reply.code(failure?.status ?? 200).view('cohorts/views/dates.njk', {
      title: `Change the dates of ${cohort.name}`,
      cohort,
      ...lifeOf(cohort, todayIso(clock)),
      values: {
        startDate: dateInputValue(body, 'startDate', cohort.startDate),
        endDate: dateInputValue(body, 'endDate', cohort.endDate),
        workshopDates: body ? first(body.workshopDates) : cohort.workshopDates.map((d) => d.split('-').reverse().join('/')).join('\n'),
      },
      version: shownVersion(body, failure, cohort.version),
      maxWorkshops,
      action: paths.cohortDates(cohort.id),
      ...(failure ? errorView(failure.fields, ['startDate', 'endDate'], body) : { errors: {} }),
    });
  };

  app.get(paths.cohortDates(':id'), { config: { access: 'cohort:reschedule' } }, (request: IdRequest, reply) => showDatesForm(request, reply, null));

  app.post(paths.cohortDates(':id'), { config: { access: 'cohort:reschedule' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    const before = await service.getCohort(db, request.params.id);
    let after: service.CohortRow;
    try {
      after = await service.changeDates(db, request.ctx(), request.params.id, {
        startDate: joinDateParts(body, 'startDate'),
        endDate: joinDateParts(body, 'endDate'),
        workshopDates: first(body.workshopDates),
        version: formWholeNumber(first(body.version)),
      });
    } catch (err) {
      return showDatesForm(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.cohort(request.params.id)}?done=${after.version === before.version ? 'unchanged' : 'dates'}`);
  });
}
