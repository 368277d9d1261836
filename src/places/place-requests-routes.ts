import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { statusLabels as councilStatusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { errorView } from '../web/forms.ts';
import { paginationView, selectItems } from '../web/list-query.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import { noteMaxLength, placeRequestListQuery, placeRequestStatusLabels, placeRequestStatusTagClass, reasonMaxLength, maxRequestedPlaces, type PlaceRequestStatus } from './place-requests-schemas.ts';
import * as requests from './place-requests-service.ts';
import { findCouncil, findPlace, inactiveCouncilRefusal } from './service.ts';
import { placeFormChoices } from './form-choices.ts';

const pageSize = 50;
type Body = Record<string, string | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const flashes: Record<string, string> = { requested: 'Request for places sent', granted: 'Request granted: the places are allocated', refused: 'Request refused' };

const statusFilterItems = [
  { value: 'requested', text: 'Waiting' },
  { value: 'granted', text: 'Granted' },
  { value: 'refused', text: 'Refused' },
  { value: 'all', text: 'All requests' },
];

/** The columns of a download of the queue. */
const exportColumns: ExportColumn<requests.PlaceRequestRow>[] = [
  { header: 'Council', value: (r) => r.councilName },
  { header: 'GSS code', value: (r) => r.gssCode },
  { header: 'Level', value: (r) => levelLabels[r.level as Level] ?? r.level },
  { header: 'Period', value: (r) => r.period },
  { header: 'Places', value: (r) => r.places },
  { header: 'Reason', value: (r) => r.reason },
  { header: 'Requested by', value: (r) => r.requestedByName },
  { header: 'Requested at', value: (r) => r.requestedAt, date: 'dateTime' },
  { header: 'Status', value: (r) => placeRequestStatusLabels[r.status] },
  { header: 'Decided by', value: (r) => r.decidedByName },
  { header: 'Decided at', value: (r) => r.decidedAt, date: 'dateTime' },
  { header: 'Decision note', value: (r) => r.decisionNote },
];

/** Requests for more funded places: the queue (with downloads), asking for places, and an admin's decision. */
export async function placeRequestRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  const filtersOf = (status: PlaceRequestStatus | 'all') => ({ status: status === 'all' ? undefined : status });

  app.get(paths.placeRequests(), { config: { access: 'place-request:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = placeRequestListQuery.parse(request.query ?? {});
    const { rows, total } = await requests.listRequests(db, councilScope(actor), filtersOf(query.status), { page: query.page, pageSize });
    const pagination = paginationView(paths.placeRequests(), { status: query.status }, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const done = (request.query as Record<string, unknown>).done;
    return reply.view('places/views/requests.njk', {
      title: 'Requests for places',
      rows,
      pagination,
      statusItems: selectItems(statusFilterItems, query.status),
      status: query.status,
      exportQuery: pagination.queryString(),
      canDecide: can(actor, 'place-request:decide'),
      canCreate: can(actor, 'place-request:create'),
      levelLabels,
      statusLabels: placeRequestStatusLabels,
      statusTagClass: placeRequestStatusTagClass,
      flash: typeof done === 'string' ? flashes[done] : undefined,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.placeRequestsExport(format), { config: { access: 'place-request:list' } }, async (request, reply) => {
      const query = placeRequestListQuery.parse(request.query ?? {});
      const { rows } = await requests.listRequests(db, councilScope(requireActor(request)), filtersOf(query.status), null);
      return sendExport(reply, format, 'place-requests', todayIso(clock), rows, exportColumns);
    });
  }

  // ---- Asking for places ----

  const showNew = async (request: FastifyRequest, reply: FastifyReply, values: Body, fields?: FieldErrors, status = 400) => {
    return reply.code(fields ? status : 200).view('places/views/request-new.njk', {
      title: 'Request funded places',
      ...(await placeFormChoices(db, clock, requireActor(request), values)),
      values,
      maxRequestedPlaces,
      reasonMaxLength,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get(paths.placeRequestNew(), { config: { access: 'place-request:create' } }, (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return showNew(request, reply, { councilId: str(q.councilId), level: str(q.level), period: str(q.period) });
  });

  app.post(paths.placeRequestNew(), { config: { access: 'place-request:create' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const input = { councilId: body.councilId || undefined, level: body.level || undefined, period: body.period || undefined, places: formWholeNumber(body.places), reason: body.reason };
    try {
      await requests.createRequest(db, request.ctx(), councilScope(requireActor(request)), input);
    } catch (err) {
      if (err instanceof ValidationError) return showNew(request, reply, body, err.fields);
      if (err instanceof ConflictError) return showNew(request, reply, body, { [err.field ?? '_form']: err.message }, 409);
      throw err;
    }
    return reply.redirect(`${paths.placeRequests()}?done=requested`);
  });

  // ---- Deciding ----

  const showDecide = async (request: IdRequest, reply: FastifyReply, body: Body | null, fields?: FieldErrors, status = 400) => {
    const scope = councilScope(requireActor(request));
    const row = await requests.getRequest(db, scope, request.params.id);
    const council = (await findCouncil(db, { kind: 'all' }, row.councilId))!;
    const place = await findPlace(db, { kind: 'all' }, { councilId: row.councilId, level: row.level, period: row.period });
    const inactive = inactiveCouncilRefusal(council);
    return reply.code(fields ? status : 200).view('places/views/request-decide.njk', {
      title: `Request for places for ${row.councilName}`,
      request: row,
      place: { allocated: place?.places ?? 0, taken: place?.taken ?? 0, left: place?.remaining ?? 0 },
      councilStatus: councilStatusLabels[council.status as ProgrammeStatus] ?? council.status,
      inactive: Boolean(inactive),
      decisionItems: [
        { value: 'grant', text: `Grant: add ${row.places} ${row.places === 1 ? 'place' : 'places'} to the allocation`, checked: body?.decision === 'grant' },
        { value: 'refuse', text: 'Refuse', checked: body?.decision === 'refuse' },
      ],
      values: { note: body?.note },
      noteMaxLength,
      levelLabels,
      statusLabels: placeRequestStatusLabels,
      statusTagClass: placeRequestStatusTagClass,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get('/places/requests/:id', { config: { access: 'place-request:decide' } }, (request: IdRequest, reply) => showDecide(request, reply, null));

  app.post('/places/requests/:id', { config: { access: 'place-request:decide' } }, async (request: IdRequest, reply) => {
    const scope = councilScope(requireActor(request));
    // Out of scope (or no such request) is 404 before the form is looked at.
    await requests.getRequest(db, scope, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      if (body.decision !== 'grant' && body.decision !== 'refuse') {
        const fields: FieldErrors = { decision: 'Select whether to grant or refuse the request' };
        throw new ValidationError(fields);
      }
      const input = body.decision === 'grant' ? { confirmInactiveCouncil: body.confirmInactiveCouncil === 'yes' } : { note: body.note };
      await requests.decide(db, request.ctx(), scope, request.params.id, body.decision, input);
      return reply.redirect(`${paths.placeRequests()}?done=${body.decision === 'grant' ? 'granted' : 'refused'}`);
    } catch (err) {
      if (err instanceof ValidationError) return showDecide(request, reply, body, err.fields);
      if (err instanceof ConflictError) return showDecide(request, reply, body, { _form: err.message }, 409);
      throw err;
    }
  });
}
