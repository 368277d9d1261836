import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, roleLabels, roles as allRoles, type Actor } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { errorView } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import type { PersonRow } from './repository.ts';
import { peopleListQuery, personStatuses, personStatusLabels, shownPersonStatus } from './schemas.ts';
import * as service from './service.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { downloadCompression } from '../web/compression.ts';

const pageSize = 50;

type Form = Record<string, unknown>;

/** A form's checkbox group arrives as nothing, one string or several; the schemas want a list. */
const withRoles = (body: unknown): Form & { roles: string[] } => {
  const form = (body ?? {}) as Form;
  return { ...form, roles: [form.roles ?? []].flat().filter((r): r is string => typeof r === 'string') };
};

const rolesText = (p: PersonRow) => p.roles.map((r) => roleLabels[r]).join(', ');

const exportColumns: ExportColumn<PersonRow>[] = [
  { header: 'Name', value: (p) => p.name },
  { header: 'Email address', value: (p) => p.email },
  { header: 'Organisation', value: (p) => p.organisationName },
  { header: 'Job title', value: (p) => p.jobTitle },
  { header: 'Roles', value: rolesText },
  { header: 'Status', value: (p) => shownPersonStatus(p).text },
];

/** Success messages after a change, chosen by a fixed key so nothing from the URL reaches the page. */
const flashFor = (updated: unknown, p: PersonRow): string | undefined =>
  ({
    invited: `Invitation sent to ${p.email}`,
    roles: `${p.name}’s roles have been updated`,
    deactivated: `${p.name} has been deactivated. They have been signed out and their API tokens no longer work.`,
    reactivated: `${p.name} has been reactivated`,
    resent: `A new invitation has been sent to ${p.email}`,
    details: `${p.name}’s details have been updated`,
    'email-change': `We have sent a link to confirm the new email address. ${p.name}’s address changes when it is opened.`,
  })[String(updated)];

/** The people list, person pages, invitations, role changes and deactivation. */
export async function peopleRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, config } = deps;

  app.get('/people', { config: { access: 'person:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = peopleListQuery.parse(request.query);
    const { filters, status, errors, errorList } = checkSearch(query);
    const { rows, total } = await service.listPeople(db, actor, filters, { page: query.page, pageSize });
    const pagination = paginationView(paths.people(), filters, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    return reply.code(status).view('people/views/list.njk', {
      title: 'People',
      query,
      errors,
      errorList,
      people: rows.map((p) => ({ ...p, rolesText: rolesText(p), statusTag: shownPersonStatus(p) })),
      pagination,
      organisationItems: [{ value: '', text: 'All organisations' }, ...(await service.organisationFilterOptions(db, actor)).map((o) => ({ value: o.id, text: o.name }))],
      roleOptions: allRoles.map((r) => ({ value: r, text: roleLabels[r] })),
      statusOptions: personStatuses.map((s) => ({ value: s, text: personStatusLabels[s] })),
      canInvite: can(actor, 'person:invite'),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.peopleExport(format), { config: { access: 'person:list' }, compress: downloadCompression }, async (request, reply) => {
      const query = exportQuery(peopleListQuery.parse(request.query));
      const rows = await service.exportPeople(db, requireActor(request), query);
      return sendExport(reply, format, 'people', todayIso(deps.clock), rows, exportColumns);
    });
  }

  const inviteView = async (reply: FastifyReply, status: number, values: Form, errors: FieldErrors = {}) => {
    const organisations = await service.invitableOrganisations(db);
    return reply.code(status).view('people/views/invite.njk', {
      title: 'Invite a person',
      values,
      partners: organisations.filter((o) => o.kind === 'partner'),
      councils: organisations.filter((o) => o.kind === 'council'),
      roleItems: allRoles.map((r) => ({
        value: r,
        text: roleLabels[r],
        hint: { text: service.rolesFor('council').includes(r) ? 'For people in a council' : 'For people in a partner organisation' },
        checked: [values.roles].flat().includes(r),
      })),
      ...errorView(errors),
    });
  };

  app.get('/people/invite', { config: { access: 'person:invite' } }, async (_request, reply) => inviteView(reply, 200, { roles: [] }));

  app.post('/people/invite', { config: { access: 'person:invite' } }, async (request, reply) => {
    const form = withRoles(request.body);
    try {
      const { id } = await service.invitePerson(db, config, request.ctx(), form);
      await deps.outbox.kick();
      return reply.redirect(`${paths.person(id)}?updated=invited`);
    } catch (err) {
      if (err instanceof ValidationError) return inviteView(reply, 400, form, err.fields);
      if (err instanceof ConflictError) return inviteView(reply, 409, form, { [err.field ?? '_form']: err.message });
      throw err;
    }
  });

  app.get<{ Params: { id: string }; Querystring: { updated?: string } }>('/people/:id', { config: { access: 'person:view' } }, async (request, reply) => {
    const actor = requireActor(request);
    const person = await service.getPerson(db, request.ctx(), request.params.id);
    return reply.view('people/views/person.njk', {
      title: person.name,
      person: { ...person, rolesText: rolesText(person) },
      statusTag: shownPersonStatus(person),
      // An erased person's placeholder is not to be changed back into someone (src/privacy).
      canManage: can(actor, 'person:manage') && !person.erased,
      canEdit: can(actor, 'person:edit') && !person.erased,
      canSubjectAccess: can(actor, 'person:subject-access'),
      canErase: can(actor, 'person:erase'),
      pendingEmail: await service.pendingEmailChange(db, request.ctx(), person.id),
      isSelf: person.id === actor.personId,
      flash: flashFor(request.query.updated, person),
    });
  });

  const rolesView = (reply: FastifyReply, status: number, person: PersonRow, chosen: readonly string[], version: number, errors: FieldErrors = {}) =>
    reply.code(status).view('people/views/roles.njk', {
      title: `Change roles – ${person.name}`,
      person,
      version,
      roleItems: service.rolesFor(person.organisationKind).map((r) => ({ value: r, text: roleLabels[r], checked: chosen.includes(r) })),
      ...errorView(errors),
    });

  app.get<{ Params: { id: string } }>('/people/:id/roles', { config: { access: 'person:manage' } }, async (request, reply) => {
    const person = await service.getPerson(db, request.ctx(), request.params.id);
    return rolesView(reply, 200, person, person.roles, person.version);
  });

  app.post<{ Params: { id: string } }>('/people/:id/roles', { config: { access: 'person:manage' } }, async (request, reply) => {
    const form = withRoles(request.body);
    try {
      await service.changeRoles(db, request.ctx(), request.params.id, { ...form, version: formWholeNumber(form.version) });
      return reply.redirect(`${paths.person(request.params.id)}?updated=roles`);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      const person = await service.getPerson(db, request.ctx(), request.params.id);
      // A stale edit shows what is there now, with the new version, so the editor can decide again.
      if (err instanceof ConflictError) return rolesView(reply, 409, person, person.roles, person.version, { roles: err.message });
      return rolesView(reply, 400, person, form.roles, Number(form.version) || person.version, err.fields);
    }
  });

  const editView = async (reply: FastifyReply, actor: Actor, status: number, person: PersonRow, values: Form, version: number, errors: FieldErrors = {}) =>
    reply.code(status).view('people/views/edit.njk', {
      title: `Change details – ${person.name}`,
      person,
      values,
      version,
      // The programme team may take an address outside a council's email domains when they say so.
      canOverrideDomains: person.organisationKind === 'council' && can(actor, 'enrolment:any-email-domain'),
      emailDomains: person.organisationKind === 'council' ? await service.emailDomainsOf(db, person.organisationId) : [],
      ...errorView(errors),
    });

  app.get<{ Params: { id: string } }>('/people/:id/edit', { config: { access: 'person:edit' } }, async (request, reply) => {
    const person = await service.getPerson(db, request.ctx(), request.params.id);
    return editView(reply, requireActor(request), 200, person, { name: person.name, email: person.email, jobTitle: person.jobTitle ?? '' }, person.version);
  });

  app.post<{ Params: { id: string } }>('/people/:id/edit', { config: { access: 'person:edit' } }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const input = { name: form.name, email: form.email, jobTitle: form.jobTitle, allowOutsideDomains: form.allowOutsideDomains === 'yes', version: formWholeNumber(form.version) };
    try {
      const { emailChangeSentTo } = await service.editDetails(db, config, request.ctx(), request.params.id, input);
      if (emailChangeSentTo) await deps.outbox.kick();
      return reply.redirect(`${paths.person(request.params.id)}?updated=${emailChangeSentTo ? 'email-change' : 'details'}`);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      const person = await service.getPerson(db, request.ctx(), request.params.id);
      const actor = requireActor(request);
      // A stale edit shows what is there now, with the new version, so the editor can decide again.
      if (err instanceof ConflictError && err.field === '_form') {
        return editView(reply, actor, 409, person, { name: person.name, email: person.email, jobTitle: person.jobTitle ?? '' }, person.version, { _form: err.message });
      }
      const fields = err instanceof ConflictError ? { [err.field ?? '_form']: err.message } : err.fields;
      return editView(reply, actor, err instanceof ConflictError ? 409 : 400, person, form, Number(form.version) || person.version, fields);
    }
  });

  // The link emailed to a new address: opening it shows a button, so a mail scanner fetching it changes nothing.
  app.get<{ Params: { token: string } }>('/confirm-email/:token', { config: { access: 'public' } }, async (request, reply) => {
    try {
      const link = await service.emailChangeLink(db, request.ctx(), request.params.token);
      return reply.view('people/views/confirm-email.njk', { title: 'Confirm your new email address', name: link.name, email: link.newEmail, action: request.url });
    } catch (err) {
      if (err instanceof NotFoundError) return reply.code(404).view('people/views/confirm-email.njk', { title: 'Link expired', expired: true });
      throw err;
    }
  });

  app.post<{ Params: { token: string } }>('/confirm-email/:token', { config: { access: 'public' } }, async (request, reply) => {
    try {
      const link = await service.emailChangeLink(db, request.ctx(), request.params.token);
      await service.confirmEmailChange(db, config, request.ctx(), request.params.token);
      await deps.outbox.kick();
      return reply.view('people/views/confirm-email.njk', { title: 'Your email address has been changed', confirmed: true, email: link.newEmail, invited: link.status === 'invited' });
    } catch (err) {
      if (err instanceof NotFoundError) return reply.code(404).view('people/views/confirm-email.njk', { title: 'Link expired', expired: true });
      if (err instanceof ConflictError) {
        return reply.code(409).view('people/views/confirm-email.njk', { title: 'Confirm your new email address', ...errorView({ _form: `${err.message}. Ask your council’s Pioneer lead or the programme team.` }) });
      }
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/people/:id/deactivate', { config: { access: 'person:manage' } }, async (request, reply) => {
    const person = await service.getPerson(db, request.ctx(), request.params.id);
    return reply.view('people/views/deactivate.njk', {
      title: `Deactivate ${person.name}`,
      person,
      problem: service.deactivationProblem(requireActor(request), person),
    });
  });

  app.post<{ Params: { id: string } }>('/people/:id/deactivate', { config: { access: 'person:manage' } }, async (request, reply) => {
    await service.deactivatePerson(db, request.ctx(), request.params.id, config.baseUrl);
    return reply.redirect(`${paths.person(request.params.id)}?updated=deactivated`);
  });

  app.post<{ Params: { id: string } }>('/people/:id/reactivate', { config: { access: 'person:manage' } }, async (request, reply) => {
    await service.reactivatePerson(db, request.ctx(), request.params.id);
    return reply.redirect(`${paths.person(request.params.id)}?updated=reactivated`);
  });

  app.post<{ Params: { id: string } }>('/people/:id/resend-invitation', { config: { access: 'person:manage' } }, async (request, reply) => {
    await service.resendInvitation(db, config, request.ctx(), request.params.id);
    await deps.outbox.kick();
    return reply.redirect(`${paths.person(request.params.id)}?updated=resent`);
  });
}
