import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { todayIso } from '../clock.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { addDays, historyLabels, levelLabels, statusLabels, statusTagClass, type Status } from '../enrolments/journey.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { formatDate } from '../web/format.ts';
import { dateInputValue, errorView, joinDateParts } from '../web/forms.ts';
import { paginationView } from '../web/list-query.ts';
import { pageNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import type { CpdRow, HistoryRow } from './repository.ts';
import { cpdActivities, cpdActivityLabels, maxReflection, type CpdActivity } from './schemas.ts';
import * as renewals from './renewals.ts';
import * as service from './service.ts';
import { upkeepLabels, upkeepTagClass } from './upkeep.ts';

type Body = Record<string, string | undefined>;

const cpdPageSize = 25;
const pageParam = z.object({ page: pageNumber });

/** The learner's CPD download (a fixed path beside their log). */
const myCpdExport = (format: 'csv' | 'xlsx') => `${paths.myCpd()}/export.${format}`;

/** What happened, in the learner's words, for each history row. */
const happened: Record<string, string> = { ...historyLabels, nominated: 'Nominated by your council' };

/** Hours as people write them: 2, 1.5, 12.25. */
const hoursText = (hours: number) => String(Math.round(hours * 100) / 100);
const hoursWithUnit = (hours: number) => `${hoursText(hours)} ${hours === 1 ? 'hour' : 'hours'}`;

const activityLabel = (activity: string) => cpdActivityLabels[activity as CpdActivity] ?? activity;

const cpdColumns: ExportColumn<CpdRow>[] = [
  { header: 'Date', value: (c) => c.date, date: 'date' },
  { header: 'Hours', value: (c) => c.hours },
  { header: 'Activity', value: (c) => activityLabel(c.activity) },
  { header: 'Reflection', value: (c) => c.reflection },
];


const cpdRowView = (c: CpdRow) => ({ ...c, hoursText: hoursText(c.hours), activityLabel: activityLabel(c.activity) });

const accreditationRowView = (a: service.AccreditationView) => ({
  ...a,
  levelLabel: levelLabels[a.level],
  upkeepLabel: upkeepLabels[a.status],
  upkeepTagClass: upkeepTagClass[a.status],
  hoursText: a.hoursNeeded ? `${hoursText(a.hoursThisYear)} of ${hoursText(a.hoursNeeded)} hours` : null,
});

const historyRowView = (h: HistoryRow) => ({ ...h, happened: happened[h.type] ?? h.type, levelLabel: levelLabels[h.level as keyof typeof levelLabels] ?? h.level });

/** The banner after a change to the learner's own log: fixed texts, so nothing from the URL reaches the page. */
const cpdFlash: Record<string, string | undefined> = {
  logged: 'CPD activity added to your log',
  already: 'This activity was already in your log, so it was not added again',
  changed: 'CPD activity updated',
  deleted: 'CPD activity deleted',
};

/** The banner after a renewal form: fixed texts, so nothing from the URL reaches the page. */
const renewalFlash: Record<string, string | undefined> = {
  renewed: 'Foundation renewal recorded',
  'already-renewed': 'That renewal date was already recorded, so nothing changed',
};

/** A contact that is just an email address is offered as a mailto link. */
const looksLikeEmail = /^[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+$/;

const statusTag = (status: Status) => ({ text: statusLabels[status], classes: statusTagClass[status] });

/** The learner's own journey and CPD log, and the staff view of a learner. */
export async function learnerRoutes(app: FastifyInstance, { db }: RouteDeps) {
  app.get(paths.myJourney(), { config: { access: 'journey:own' } }, async (request, reply) => {
    const journey = await service.myJourney(db, request.ctx());
    return reply.view('learners/views/my-journey.njk', {
      title: 'Your learning',
      enrolments: journey.enrolments.map((e) => ({
        ...e,
        levelLabel: levelLabels[e.level],
        statusTag: statusTag(e.status),
        workshopDatesText: (e.workshopDates ?? []).map((d) => formatDate(d)),
        history: e.history.map(historyRowView),
        taskItems: e.steps.map((s) => ({
          title: { text: s.label },
          hint: s.reachedOn ? { text: formatDate(s.reachedOn) } : undefined,
          status:
            s.state === 'done'
              ? { text: 'Completed' }
              : s.state === 'current'
                ? { tag: { text: e.status === 'deferred' ? 'On hold' : e.status === 'not_passed' ? 'Not passed' : 'In progress', classes: e.status === 'not_passed' ? 'govuk-tag--orange' : e.status === 'deferred' ? 'govuk-tag--grey' : 'govuk-tag--light-blue' } }
                : s.state === 'stopped'
                  ? { tag: statusTag(e.status) }
                  : { text: 'Not yet', classes: 'govuk-task-list__status--cannot-start-yet' },
        })),
      })),
      accreditations: journey.accreditations.map(accreditationRowView),
      booking: { ...journey.booking, contactIsEmail: looksLikeEmail.test(journey.booking.contact) },
      cpdTotalText: hoursWithUnit(journey.cpdTotal),
      cpdEntries: journey.cpdEntries,
      canAddCpd: await service.mayLogOwnCpd(db, request.ctx()),
    });
  });

  app.get(paths.myCpd(), { config: { access: 'journey:own' } }, async (request, reply) => {
    const ctx = request.ctx();
    const { page } = pageParam.parse(request.query);
    const [{ rows, totals }, year] = await Promise.all([service.ownCpdPage(db, ctx, { page, pageSize: cpdPageSize }), service.ownCpdYear(db, ctx)]);
    const pagination = paginationView(paths.myCpd(), {}, page, cpdPageSize, totals.entries);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const done = (request.query as Record<string, unknown>).done;
    return reply.view('learners/views/my-cpd.njk', {
      title: 'Your CPD log',
      entries: rows.map((c) => ({ ...cpdRowView(c), editHref: paths.myCpdEdit(c.id), deleteHref: paths.myCpdDelete(c.id) })),
      year: { ...year, to: addDays(year.toExclusive, -1), hoursText: hoursText(year.hours), neededText: hoursWithUnit(year.needed), met: year.hours >= year.needed },
      totals: { ...totals, hoursText: hoursWithUnit(totals.hours) },
      pagination,
      exportCsv: myCpdExport('csv'),
      exportXlsx: myCpdExport('xlsx'),
      canAddCpd: await service.mayLogOwnCpd(db, ctx),
      flash: cpdFlash[String(done)],
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(myCpdExport(format), { config: { access: 'journey:own' } }, async (request, reply) => {
      const ctx = request.ctx();
      return sendExport(reply, format, 'cpd-log', todayIso(ctx.clock), await service.ownCpd(db, ctx), cpdColumns);
    });
  }

  /** The CPD form, to add an entry or (given `entry`) change one: after a failed post, the answers as typed. */
  const cpdForm = (reply: FastifyReply, body: Body | null, fields?: FieldErrors, entry?: CpdRow) => {
    const view = fields ? errorView(fields, ['date'], body) : { errors: {} as FieldErrors, errorList: [] };
    const values: Body = body ?? (entry ? { hours: hoursText(entry.hours), activity: entry.activity, reflection: entry.reflection } : {});
    return reply.code(fields ? 400 : 200).view('learners/views/cpd-form.njk', {
      title: entry ? 'Change CPD activity' : 'Add CPD activity',
      action: entry ? paths.myCpdEdit(entry.id) : paths.myCpdAdd(),
      buttonText: entry ? 'Save changes' : 'Add to your log',
      values,
      date: dateInputValue(body, 'date', entry?.date ?? null),
      activityItems: cpdActivities.map((a) => ({ value: a, text: cpdActivityLabels[a], checked: values.activity === a })),
      maxReflection,
      ...view,
    });
  };
  const cpdInput = (body: Body) => ({ date: joinDateParts(body, 'date'), hours: body.hours, activity: body.activity, reflection: body.reflection });

  app.get(paths.myCpdAdd(), { config: { access: 'journey:own' } }, async (request, reply) => {
    await service.authoriseOwnCpd(db, request.ctx());
    return cpdForm(reply, null);
  });

  app.post(paths.myCpdAdd(), { config: { access: 'journey:own' } }, async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    const ctx = request.ctx();
    try {
      const { created } = await service.logOwnCpd(db, ctx, cpdInput(body));
      return reply.redirect(`${paths.myCpd()}?done=${created ? 'logged' : 'already'}`);
    } catch (err) {
      if (err instanceof ValidationError) return cpdForm(reply, body, err.fields);
      throw err;
    }
  });

  // Changing and deleting an entry of one's own log: anyone else's entry is not found.
  type EntryRequest = FastifyRequest<{ Params: { entryId: string } }>;

  app.get('/my-journey/cpd/:entryId/edit', { config: { access: 'journey:own' } }, async (request: EntryRequest, reply) =>
    cpdForm(reply, null, undefined, await service.ownCpdEntry(db, request.ctx(), request.params.entryId)),
  );

  app.post('/my-journey/cpd/:entryId/edit', { config: { access: 'journey:own' } }, async (request: EntryRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.editOwnCpd(db, request.ctx(), request.params.entryId, cpdInput(body));
      return reply.redirect(`${paths.myCpd()}?done=changed`);
    } catch (err) {
      if (err instanceof ValidationError) return cpdForm(reply, body, err.fields, await service.ownCpdEntry(db, request.ctx(), request.params.entryId));
      throw err;
    }
  });

  app.get('/my-journey/cpd/:entryId/delete', { config: { access: 'journey:own' } }, async (request: EntryRequest, reply) => {
    const entry = await service.ownCpdEntry(db, request.ctx(), request.params.entryId);
    return reply.view('learners/views/cpd-delete.njk', { title: 'Delete CPD activity', entry: cpdRowView(entry), action: paths.myCpdDelete(entry.id) });
  });

  app.post('/my-journey/cpd/:entryId/delete', { config: { access: 'journey:own' } }, async (request: EntryRequest, reply) => {
    await service.deleteOwnCpd(db, request.ctx(), request.params.entryId);
    return reply.redirect(`${paths.myCpd()}?done=deleted`);
  });

  app.get('/learners/:id', { config: { access: 'enrolment:list' } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { page } = pageParam.parse(request.query);
    const { record, history, cpd } = await service.learnerPage(db, request.ctx(), id, { page, pageSize: cpdPageSize });
    // A renewal is recorded by whoever may record journey steps for the council the accreditation was earned at:
    // one of the enrolments this viewer's scope shows (the service enforces the same).
    const pagination = paginationView(paths.learner(record.id), {}, page, cpdPageSize, cpd.totals.entries);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const canRenew = can(requireActor(request), 'accreditation:renew');
    const enrolmentsInScope = new Set(record.enrolments.map((e) => e.id));
    return reply.view('learners/views/learner.njk', {
      title: record.name,
      learner: record,
      enrolments: record.enrolments.map((e) => ({ ...e, levelLabel: levelLabels[e.level], statusTag: statusTag(e.status), href: paths.enrolment(e.id) })),
      accreditations: record.accreditations.map((a) => ({
        ...accreditationRowView(a),
        renewHref: canRenew && a.level === 'foundation' && enrolmentsInScope.has(a.enrolmentId) ? paths.learnerRenewal(record.id, a.id) : null,
      })),
      history: history.map(historyRowView),
      cpd: cpd.rows.map(cpdRowView),
      cpdTotals: { ...cpd.totals, hoursText: hoursWithUnit(cpd.totals.hours) },
      pagination,
      flash: renewalFlash[String((request.query as Record<string, unknown>).done)],
    });
  });

  // ---- Recording a Foundation renewal ----



  type RenewalRequest = FastifyRequest<{ Params: { id: string; accreditationId: string } }>;
  const renewalUrl = '/learners/:id/accreditations/:accreditationId/renewal';

  /** The renewal form: 404 outside scope, 409 for an accreditation kept up by CPD; after a failed post, the boxes as typed. */
  const renewalForm = async (request: RenewalRequest, reply: FastifyReply, body: Body | null, failure?: { status: 400 | 409; fields: FieldErrors }) => {
    const { id, accreditationId } = request.params;
    const { learner, accreditation, renewalYears } = await renewals.renewalTarget(db, request.ctx(), id, accreditationId);
    const [year, month, day] = todayIso(request.ctx().clock).split('-');
    return reply.code(failure?.status ?? 200).view('learners/views/renewal.njk', {
      title: `Record a Foundation renewal for ${learner.name}`,
      learner,
      accreditation: accreditationRowView(accreditation),
      learnerHref: paths.learner(learner.id),
      action: paths.learnerRenewal(learner.id, accreditation.id),
      dateExample: `${Number(day)} ${Number(month)} ${year}`,
      renewalYears,
      date: dateInputValue(body, 'date', null),
      ...(failure ? errorView(failure.fields, ['date'], body) : { errors: {} as FieldErrors, errorList: [] }),
    });
  };

  app.get(renewalUrl, { config: { access: 'accreditation:renew' } }, (request: RenewalRequest, reply) => renewalForm(request, reply, null));

  app.post(renewalUrl, { config: { access: 'accreditation:renew' } }, async (request: RenewalRequest, reply) => {
    const { id, accreditationId } = request.params;
    const body = (request.body ?? {}) as Body;
    try {
      const { changed } = await renewals.recordRenewal(db, request.ctx(), id, accreditationId, { date: joinDateParts(body, 'date') });
      return reply.redirect(`${paths.learner(id)}?done=${changed ? 'renewed' : 'already-renewed'}`);
    } catch (err) {
      if (err instanceof ValidationError) return renewalForm(request, reply, body, { status: 400, fields: err.fields });
      // A later renewal recorded by someone else meanwhile: the form again, saying so.
      if (err instanceof ConflictError && err.field === 'date') return renewalForm(request, reply, body, { status: 409, fields: { date: err.message } });
      throw err;
    }
  });
}
