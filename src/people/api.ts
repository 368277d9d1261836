import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import type { PersonRow } from './repository.ts';
import { inviteSchema, peopleApiQuery, personItem } from './schemas.ts';
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
    summary: 'Invite a person: they are e-mailed a link to set a password',
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
}
