import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope, type Actor } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso, type Clock } from '../clock.ts';
import { levelLabels, levels, periodOf } from '../enrolments/journey.ts';
import { filterPeriods } from '../enrolments/periods.ts';
import { placeFormChoices } from './form-choices.ts';
import { periodsHoldingData } from '../enrolments/repository.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport } from '../web/export.ts';
import { errorView } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView, selectItems } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { placeListQuery, type PlaceListQuery } from './schemas.ts';
import { placeExportColumns } from './export.ts';
import * as service from './service.ts';
import { countWaiting } from './place-requests-service.ts';
import { formWholeNumber } from '../web/numbers.ts';

const pageSize = 50;
type Body = Record<string, string | undefined>;

const sortColumns = [
  { key: 'council', text: 'Council' },
  { key: 'level', text: 'Level' },
  { key: 'period', text: 'Period' },
  { key: 'allocated', text: 'Allocated' },
  { key: 'remaining', text: 'Remaining' },
] as const;

/** The list's query with the period resolved: absent means the current financial year, `all` every period. */
function resolveQuery(raw: unknown, clock: Clock): PlaceListQuery & { period: string } {
  const query = placeListQuery.parse(raw);
  return { ...query, period: query.period ?? periodOf(todayIso(clock)) };
}

const filtersOf = (query: PlaceListQuery & { period: string }, scope: ReturnType<typeof councilScope>) => ({
  filters: {
    q: query.q,
    councilId: query.councilId,
    level: query.level,
    region: query.region,
    period: query.period === 'all' ? undefined : query.period,
    sort: query.sort,
    order: query.order,
  },
  scope,
});

/** Funded places pages: the list with totals and downloads, and the admin's allocation form. */
export async function placeRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get('/places', { config: { access: 'place:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = resolveQuery(request.query, clock);
    const search = checkSearch(query);
    const { filters, scope } = filtersOf(search.filters, councilScope(actor));
    // The page's rows, the filters' options and the queue's count at once (PostgreSQL's pool; PGlite serialises them).
    const [{ rows, total, totals }, periods, regions, waiting] = await Promise.all([
      service.listPlaces(db, scope, filters, { page: query.page, pageSize }),
      periodsHoldingData(db),
      service.councilRegions(db),
      can(actor, 'place-request:list') ? countWaiting(db, councilScope(actor)) : null,
    ]);
    const pagination = paginationView(paths.places(), search.filters, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const select = (id: string, label: string, items: { value: string; text: string }[], current: string | undefined) => ({
      id,
      label,
      items: selectItems(items, current),
    });
    const done = (request.query as Record<string, unknown>).done;
    return reply.code(search.status).view('places/views/list.njk', {
      title: 'Funded places',
      query,
      errors: search.errors,
      errorList: search.errorList,
      rows,
      totals,
      pagination,
      filtered: Boolean(query.q || query.councilId || query.level || query.region || query.period !== periodOf(todayIso(clock))),
      filterSelects: [
        select(
          'period',
          'Period',
          // Every period that holds data, the current one (the default) and the one asked for.
          [{ value: 'all', text: 'All periods' }, ...filterPeriods(periods, periodOf(todayIso(clock)), query.period === 'all' ? undefined : query.period).map((p) => ({ value: p, text: p }))],
          query.period,
        ),
        select('level', 'Level', [{ value: '', text: 'Any level' }, ...levels.map((l) => ({ value: l, text: levelLabels[l] }))], query.level),
        select('region', 'Region', [{ value: '', text: 'Any region' }, ...regions.map((r) => ({ value: r, text: r }))], query.region),
      ],
      canView: can(actor, 'council:view'),
      canAllocate: can(actor, 'place:allocate'),
      // The queue of requests for places, with how many wait for the programme team.
      requestsLink: waiting === null ? null : { waiting, decides: can(actor, 'place-request:decide') },
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      levelLabels,
      flash: done === 'allocated' ? 'Funded places allocation saved' : undefined,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.placesExport(format), { config: { access: 'place:list' } }, async (request, reply) => {
      const query = exportQuery(resolveQuery(request.query, clock));
      const { filters, scope } = filtersOf(query, councilScope(requireActor(request)));
      const { rows } = await service.listPlaces(db, scope, filters, null);
      return sendExport(reply, format, 'funded-places', todayIso(clock), rows, placeExportColumns);
    });
  }

  const showAllocateForm = async (request: FastifyRequest, reply: FastifyReply, values: Body, fields?: FieldErrors) => {
    const actor: Actor = requireActor(request);
    return reply.code(fields ? 400 : 200).view('places/views/allocate.njk', {
      title: 'Allocate funded places',
      ...(await placeFormChoices(db, clock, actor, values)),
      values,
      // The second step for a council that is not active or onboarding: a warning and a box to confirm.
      confirmInactive: fields?.confirmInactiveCouncil,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get('/places/allocate', { config: { access: 'place:allocate' } }, (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return showAllocateForm(request, reply, { councilId: str(q.councilId), level: str(q.level), period: str(q.period), places: str(q.places) });
  });

  app.post('/places/allocate', { config: { access: 'place:allocate' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    const input = {
      councilId: body.councilId || undefined,
      level: body.level || undefined,
      period: body.period || undefined,
      places: formWholeNumber(body.places),
      confirmInactiveCouncil: body.confirmInactiveCouncil === 'yes',
    };
    try {
      const { place } = await service.allocate(db, request.ctx(), councilScope(requireActor(request)), input);
      return reply.redirect(`${paths.places()}?period=${encodeURIComponent(place.period)}&done=allocated`);
    } catch (err) {
      if (err instanceof ValidationError) return showAllocateForm(request, reply, body, err.fields);
      if (err instanceof ConflictError) return showAllocateForm(request, reply, body, { [err.field ?? '_form']: err.message });
      throw err;
    }
  });
}
