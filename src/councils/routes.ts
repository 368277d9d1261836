import type { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { councilEngagements } from '../engagements/service.ts';
import { engagementStatusLabels } from '../engagements/rules.ts';
import { can, councilScope, roleLabels } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { sendExport } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView, selectItems } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { allowedMoves, programmeStatuses, reasonRequired, statusLabels, statusTagClass } from './rules.ts';
import { councilListQuery } from './schemas.ts';
import * as service from './service.ts';
import { councilExportColumns } from './export.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { needsAttentionCount } from '../enrolments/queries.ts';

type CouncilListQuery = z.infer<typeof councilListQuery>;

const pageSize = 50;
type Body = Record<string, string | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const dateFields = ['onboardingDate', 'agreementSignedDate', 'baselineBookedDate'] as const;




const flashes: Record<string, string> = {
  status: 'Programme status changed',
  edit: 'Participation details saved',
  partner: 'Managing partner changed',
  'email-domains': 'Email domains saved',
  'specialist-assigned': 'Commercial specialist assigned',
  'specialist-removed': 'Commercial specialist removed',
};

const sortColumns = [
  { key: 'name', text: 'Council' },
  { key: 'type', text: 'Type' },
  { key: 'region', text: 'Region' },
  { key: 'status', text: 'Status' },
  { key: 'onboardingDate', text: 'Onboarding date' },
] as const;

/** The filter panel's selects, each with an "Any" choice and the current filter selected (the dashboard's too). */
export function filterSelects(query: Partial<CouncilListQuery>, options: Awaited<ReturnType<typeof service.listFilterOptions>>) {
  const select = (id: keyof CouncilListQuery, label: string, anyText: string, items: { value: string; text: string }[]) => ({
    id,
    label,
    items: selectItems([{ value: '', text: anyText }, ...items], query[id]),
  });
  return [
    select('region', 'Region', 'Any region', options.regions.map((r) => ({ value: r, text: r }))),
    select('type', 'Council type', 'Any type', options.types.map((t) => ({ value: t.code, text: t.name }))),
    select('status', 'Programme status', 'Any status', programmeStatuses.map((s) => ({ value: s, text: statusLabels[s] }))),
    select('managingPartner', 'Managing partner', 'Any partner', [
      ...options.partners.map((p) => ({ value: p.code, text: p.name })),
      { value: 'none', text: 'No managing partner' },
    ]),
  ];
}

/** Council pages: the list and its downloads, a council, and the forms that change its participation. */
export async function councilRoutes(app: FastifyInstance, { db, clock, config }: RouteDeps) {
  const leaving = { rules: { includeLeads: config.sroNetworkIncludesLeads }, baseUrl: config.baseUrl };
  app.get('/councils', { config: { access: 'council:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = councilListQuery.parse(request.query);
    const { filters, status, errors, errorList } = checkSearch(query);
    const viewer = service.viewerOf(actor);
    // The programme team's and partners' home page: how much stuck work their councils have, one link away. Read
    // beside the page's rows (PostgreSQL's pool runs the two at once; PGlite one after the other).
    const [{ rows, total }, needsAttention] = await Promise.all([
      service.listCouncils(db, viewer, filters, { page: query.page, pageSize }),
      can(actor, 'enrolment:list') ? needsAttentionCount(db, clock, councilScope(actor)) : null,
    ]);
    const pagination = paginationView(paths.councils(), filters, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const filtered = Boolean(query.q || query.region || query.type || query.status || query.managingPartner);
    return reply.code(status).view('councils/views/list.njk', {
      needsAttention,
      title: 'Councils',
      query,
      errors,
      errorList,
      rows,
      pagination,
      filtered,
      filterSelects: filterSelects(query, await service.listFilterOptions(db)),
      showPeople: viewer.personalData,
      canView: can(actor, 'council:view'),
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      statusLabels,
      statusTagClass,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.councilsExport(format), { config: { access: 'council:list' } }, async (request, reply) => {
      const viewer = service.viewerOf(requireActor(request));
      const { rows } = await service.listCouncils(db, viewer, exportQuery(councilListQuery.parse(request.query)), null);
      return sendExport(reply, format, 'councils', todayIso(clock), rows, councilExportColumns(viewer.personalData));
    });
  }

  /** The council page; after a failed assignment, with the error beside the specialist select. */
  const showCouncil = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const actor = requireActor(request);
    const overview = await service.councilOverview(db, councilScope(actor), request.params.id);
    const done = (request.query as Record<string, unknown>).done;
    const canAssign = can(actor, 'council:assign-specialists');
    const choices = canAssign ? await service.specialistChoices(db, overview.council.id) : [];
    const show = { places: can(actor, 'place:list'), enrolments: can(actor, 'enrolment:list') };
    const figures = show.places || show.enrolments ? await service.councilLearnerFigures(db, clock, overview.council.id, show) : null;
    const learnersHref = (extra: Record<string, string> = {}) => `${paths.learners()}?${new URLSearchParams({ councilId: overview.council.id, ...extra })}`;
    const engagements = can(actor, 'engagement:list') ? await councilEngagements(db, { clock }, councilScope(actor), overview.council.id) : null;
    return reply.code(failure?.status ?? 200).view('councils/views/show.njk', {
      title: overview.council.name,
      engagements: engagements && {
        rows: engagements,
        overdue: engagements.reduce((n, e) => n + e.overdueActions, 0),
        listHref: `${paths.engagements()}?${new URLSearchParams({ councilId: overview.council.id })}`,
        newHref: can(actor, 'engagement:manage') ? `${paths.engagementNew()}?${new URLSearchParams({ councilId: overview.council.id })}` : null,
        statusLabels: engagementStatusLabels,
      },
      // The improvements register, filtered to the council (src/improvements); recording is for the council's own staff.
      improvements: can(actor, 'improvement:list') && {
        listHref: `${paths.improvements()}?${new URLSearchParams({ councilId: overview.council.id })}`,
        newHref: can(actor, 'improvement:record') && actor.organisationId === overview.council.id ? paths.improvementNew() : null,
      },
      ...overview,
      flash: !failure && typeof done === 'string' ? flashes[done] : undefined,
      canEdit: can(actor, 'council:edit'),
      canMove: can(actor, 'council:status') && allowedMoves(overview.council.programmeStatus).length > 0,
      canOverride: can(actor, 'council:override-partner'),
      canEditDomains: can(actor, 'council:email-domains'),
      canAssign,
      dashboardHref: paths.councilDashboard(overview.council.id),
      maturityHref: can(actor, 'maturity:view') ? paths.councilMaturity(overview.council.id) : null,
      contractsHref: can(actor, 'contract:list') ? paths.councilContracts(overview.council.id) : null,
      learnerFigures: figures && {
        ...figures,
        placesHref: `${paths.places()}?${new URLSearchParams({ q: overview.council.gssCode ?? overview.council.name, period: figures.period })}`,
        learnersHref: learnersHref(),
        overdueHref: learnersHref({ overdue: 'yes' }),
        attentionHref: learnersHref({ attention: 'any' }),
        byStatus: figures.enrolments?.byStatus.map((r) => ({ ...r, href: learnersHref({ status: r.status }) })) ?? [],
      },
      specialistItems: [
        { value: '', text: 'Choose a specialist' },
        ...choices.map((c) => ({ value: c.personId, text: `${c.name} (${c.email})`, selected: c.personId === body?.personId })),
      ],
      statusLabels,
      statusTagClass,
      roleLabels,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id', { config: { access: 'council:view' } }, (request: IdRequest, reply) => showCouncil(request, reply, null));

  app.post('/councils/:id/specialists', { config: { access: 'council:assign-specialists' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.assignSpecialist(db, request.ctx(), request.params.id, { personId: body.personId || undefined });
    } catch (err) {
      return showCouncil(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=specialist-assigned#specialists`);
  });

  /**
   * Removing a specialist: with `?personId=` the GOV.UK confirmation page for that person (404 when they are
   * not assigned); without it, a choice among the assigned specialists.
   */
  const showRemoveForm = async (request: IdRequest, reply: FastifyReply, personId: string | null, failure?: FormFailure) => {
    const { council, specialists, specialist } = await service.removalChoice(db, councilScope(requireActor(request)), request.params.id, personId);
    return reply.code(failure?.status ?? 200).view('councils/views/remove-specialist.njk', {
      title: specialist ? `Remove ${specialist.name} from ${council.name}` : `Remove a commercial specialist from ${council.name}`,
      council,
      specialist,
      specialistItems: specialists.map((s) => ({ value: s.personId, text: s.name, hint: { text: s.email } })),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id/specialists/remove', { config: { access: 'council:assign-specialists' } }, (request: IdRequest, reply) => {
    const personId = (request.query as Record<string, unknown>).personId;
    return showRemoveForm(request, reply, typeof personId === 'string' && personId ? personId : null);
  });

  app.post('/councils/:id/specialists/remove', { config: { access: 'council:assign-specialists' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.removeSpecialist(db, request.ctx(), request.params.id, { personId: body.personId || undefined });
    } catch (err) {
      return showRemoveForm(request, reply, null, failureOf(err));
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=specialist-removed#specialists`);
  });

  const showStatusForm = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const council = await service.getCouncil(db, councilScope(requireActor(request)), request.params.id);
    const moves = allowedMoves(council.programmeStatus);
    return reply.code(failure?.status ?? 200).view('councils/views/status.njk', {
      title: `Change the programme status of ${council.name}`,
      council,
      moves: moves.map((s) => ({ value: s, text: statusLabels[s], reasonRequired: reasonRequired.has(s) })),
      values: { status: body?.status, reason: body?.reason, onboardingDate: dateInputValue(body, 'onboardingDate', null) },
      version: shownVersion(body, failure, council.version),
      statusLabels,
      statusTagClass,
      ...(failure ? errorView(failure.fields, dateFields, body) : { errors: {} }),
    });
  };

  app.get('/councils/:id/status', { config: { access: 'council:status' } }, (request: IdRequest, reply) => showStatusForm(request, reply, null));

  app.post('/councils/:id/status', { config: { access: 'council:status' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.moveStatus(db, request.ctx(), request.params.id, {
        status: body.status,
        reason: body.reason,
        onboardingDate: body.status === 'onboarding' ? (joinDateParts(body, 'onboardingDate') ?? null) : null,
        version: formWholeNumber(body.version),
      }, leaving);
    } catch (err) {
      return showStatusForm(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=status`);
  });

  const showEditForm = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const actor = requireActor(request);
    const council = await service.getCouncil(db, councilScope(actor), request.params.id);
    const holders = await service.roleHolders(db, council.id);
    const options = (list: { id: string; name: string }[], selected: string | null | undefined, none: string) => [
      { value: '', text: none },
      ...list.map((p) => ({ value: p.id, text: p.name, selected: p.id === selected })),
    ];
    return reply.code(failure?.status ?? 200).view('councils/views/edit.njk', {
      title: `Change participation details for ${council.name}`,
      council,
      values: Object.fromEntries(dateFields.map((f) => [f, dateInputValue(body, f, council[f])])),
      sroOptions: options(holders.sro, body ? body.sroPersonId : council.sroPersonId, 'Not named'),
      leadOptions: options(holders.lead, body ? body.leadPersonId : council.leadPersonId, 'Not named'),
      // Only those who may change the managing partner can move the date across the cut-over, and they say why.
      canChangePartner: can(actor, 'council:override-partner'),
      partnerChangeReason: body?.partnerChangeReason,
      version: shownVersion(body, failure, council.version),
      ...(failure ? errorView(failure.fields, dateFields, body) : { errors: {} }),
    });
  };

  app.get('/councils/:id/edit', { config: { access: 'council:edit' } }, (request: IdRequest, reply) => showEditForm(request, reply, null));

  app.post('/councils/:id/edit', { config: { access: 'council:edit' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.editParticipation(db, request.ctx(), request.params.id, {
        ...Object.fromEntries(dateFields.map((f) => [f, joinDateParts(body, f) ?? null])),
        sroPersonId: body.sroPersonId || null,
        leadPersonId: body.leadPersonId || null,
        partnerChangeReason: body.partnerChangeReason,
        version: formWholeNumber(body.version),
      });
    } catch (err) {
      return showEditForm(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=edit`);
  });

  const showDomainsForm = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const council = await service.getCouncil(db, councilScope(requireActor(request)), request.params.id);
    return reply.code(failure?.status ?? 200).view('councils/views/email-domains.njk', {
      title: `Change the email domains of ${council.name}`,
      council,
      value: body ? body.emailDomains : (council.emailDomains ?? []).join('\n'),
      version: shownVersion(body, failure, council.version),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id/email-domains', { config: { access: 'council:email-domains' } }, (request: IdRequest, reply) => showDomainsForm(request, reply, null));

  app.post('/councils/:id/email-domains', { config: { access: 'council:email-domains' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    // One domain per line; blank lines and spaces around a domain are ignored.
    const emailDomains = (body.emailDomains ?? '').split(/\r?\n/).map((d) => d.trim()).filter(Boolean);
    try {
      await service.setEmailDomains(db, request.ctx(), request.params.id, { emailDomains, version: formWholeNumber(body.version) });
    } catch (err) {
      const failure = failureOf(err);
      // A problem with one line of the list belongs to the textarea.
      const fields = Object.fromEntries(Object.entries(failure.fields).map(([f, m]) => [f.startsWith('emailDomains') ? 'emailDomains' : f, m]));
      return showDomainsForm(request, reply, body, { ...failure, fields });
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=email-domains`);
  });

  const showPartnerForm = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const council = await service.getCouncil(db, councilScope(requireActor(request)), request.params.id);
    const partners = await service.managingPartnerChoices(db);
    const selected = body ? body.partnerCode : council.managingPartnerCode;
    return reply.code(failure?.status ?? 200).view('councils/views/managing-partner.njk', {
      title: `Change the managing partner of ${council.name}`,
      council,
      partners: partners.map((p) => ({ value: p.code, text: p.name, checked: p.code === selected })),
      values: { reason: body?.reason },
      version: shownVersion(body, failure, council.version),
      ...(failure ? errorView(failure.fields, dateFields, body) : { errors: {} }),
    });
  };

  app.get('/councils/:id/managing-partner', { config: { access: 'council:override-partner' } }, (request: IdRequest, reply) =>
    showPartnerForm(request, reply, null),
  );

  app.post('/councils/:id/managing-partner', { config: { access: 'council:override-partner' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.overrideManagingPartner(db, request.ctx(), request.params.id, { ...body, version: formWholeNumber(body.version) });
    } catch (err) {
      return showPartnerForm(request, reply, body, failureOf(err));
    }
    return reply.redirect(`${paths.council(request.params.id)}?done=partner`);
  });
}
