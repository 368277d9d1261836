import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import type { PersonRow } from './repository.ts';
import { detailsSchema, inviteSchema, peopleApiQuery, personItem } from './schemas.ts';
import * as service from './service.ts';

const idParams = z.object({ id: z.uuid() });

/** A person as the API answers (the repository row without internal fields). */
const toItem = (p: PersonRow): z.infer<typeof personItem> => ({
  id: p.id,
  name: p.name,
  email: p.email,
  organisationId: p.organisationId,
  organisationName: p.organisationName,
  jobTitle: p.jobTitle,
  roles: p.roles,
  status: p.status,
  version: p.version,
});

/** People under /api/v1: the same policy and scope as the pages. */
export async function peopleApi(app: FastifyInstance, { db, config, outbox }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/people',
    operationId: 'listPeople',
    description:
      'Lists the people you may see, by name: programme admins see everyone, others the people of the councils they may see. Filter by part of the name or email address (q), organisation, role or status. A bad filter or page is refused with 400.',
    summary: 'List the people you may see, filtered and paginated',
    tag: 'People',
    access: 'person:list',
    query: peopleApiQuery,
    responses: { 200: { description: 'A page of people', schema: listOf(personItem) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, ...filters } = query;
      const { rows, total } = await service.listPeople(db, requireActor(request), { ...filters, sort: 'name', order: 'asc' }, { page, pageSize });
      return { data: rows.map(toItem), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/people/{id}',
    operationId: 'getPerson',
    description:
      'Returns one person with their organisation, roles, status and version. A person outside what you may see answers 404, like one that does not exist.',
    summary: 'Get one person',
    tag: 'People',
    access: 'person:view',
    params: idParams,
    responses: { 200: { description: 'The person', schema: personItem } },
    handler: async ({ params }, request) => toItem(await service.getPerson(db, request.ctx(), params.id)),
  });

  apiRoute(app, {
    method: 'POST',
    url: '/people',
    operationId: 'invitePerson',
    description:
      'Creates a person in an organisation with the roles given and emails them a link to set their password. An email address already in use answers 409; a role the organisation cannot hold (council roles are for council staff, the others for partners) answers 422 naming it.',
    summary: 'Invite a person: they are emailed a link to set a password',
    tag: 'People',
    access: 'person:invite',
    body: inviteSchema,
    responses: { 201: { description: 'The invited person', schema: personItem } },
    handler: async ({ body }, request, reply) => {
      const { id } = await service.invitePerson(db, config, request.ctx(), body);
      await outbox.kick();
      return reply.code(201).header('location', `/api/v1/people/${id}`).send(toItem(await service.getPerson(db, request.ctx(), id)));
    },
  });

  /** A person outside the caller's scope is 404 before the body is looked at. */
  const authorise = async (params: Record<string, string>, request: FastifyRequest) => {
    await service.getPerson(db, request.ctx(), params.id);
  };

  apiRoute(app, {
    method: 'PATCH',
    url: '/people/{id}',
    operationId: 'updatePerson',
    description:
      'Corrects a person’s name, job title or email address. Send only the fields to change and the version you read. Name and job title change at once. A new email address does not: a single-use link is emailed to it, the current address is told, and the address changes when the link is opened (emailChangeSentTo names it). A council’s own staff may only use the council’s email domains; the programme team go outside them with allowOutsideDomains. An address someone else has answers 409, as does a stale version; a person outside what you may see answers 404.',
    summary: 'Correct a person’s details; a new email address changes once confirmed from its mailbox',
    tag: 'People',
    access: 'person:edit',
    problems: { 409: 'The version is stale (someone changed the person since you read them), or another person already has the email address' },
    params: idParams,
    authorise,
    body: detailsSchema,
    responses: {
      200: {
        description: 'The person as they are now, and the address a confirmation link was sent to (null when the email address is not changing)',
        schema: personItem.extend({ emailChangeSentTo: z.string().nullable() }),
      },
    },
    handler: async ({ params, body }, request) => {
      const { emailChangeSentTo } = await service.editDetails(db, config, request.ctx(), params.id, body);
      if (emailChangeSentTo) await outbox.kick();
      return { ...toItem(await service.getPerson(db, request.ctx(), params.id)), emailChangeSentTo };
    },
  });
}
