import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../../app.ts';
import { apiRoute, listOf } from '../../api/registry.ts';
import { requireActor } from '../../auth/session.ts';
import type { MembershipRules } from '../service.ts';
import { apiEventSchema, apiRegistrationSchema, eventsApiQuery } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Networks';
const idParams = z.object({ id: z.uuid() });

/** Network events from the API: the list, registering and cancelling, with the pages' service and rules. */
export async function networkEventApi(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  const rules: MembershipRules = { includeLeads: config.sroNetworkIncludesLeads };

  const toApi = (e: service.EventRow, mine: { status: 'registered' | 'waitlisted'; waitlistPlace: number | null } | null | undefined) => {
    return {
      id: e.id,
      title: e.title,
      description: e.description,
      startsAt: e.startsAt.toISOString(),
      endsAt: e.endsAt.toISOString(),
      format: e.format,
      location: e.location,
      joiningUrl: service.mayJoin(mine) ? e.joiningUrl : null,
      capacity: e.capacity,
      placesTaken: e.registered,
      waitlisted: e.waitlisted,
      registrationDeadline: e.registrationDeadline?.toISOString() ?? null,
      audience: e.audience,
      seriesId: e.seriesId,
      status: e.status,
      sequence: e.sequence,
      myRegistration: mine ? { status: mine.status, waitlistPlace: mine.waitlistPlace } : null,
    };
  };

  apiRoute(app, {
    method: 'GET',
    url: '/network-events',
    operationId: 'listNetworkEvents',
    summary: 'List the events of the networks you belong to or may see',
    description:
      'Lists the events of the networks you belong to (programme staff: every network), upcoming (soonest first, the default) or past (latest first), optionally of one network. Cancelled events are listed with status `cancelled`. The joining link is given only for events you are registered for. A bad filter or page is refused with 400.',
    tag,
    access: 'signed-in',
    query: eventsApiQuery,
    responses: { 200: { description: 'A page of events', schema: listOf(apiEventSchema) } },
    handler: async ({ query }, request) => {
      const actor = requireActor(request);
      const visible = await service.visibleNetworkKeys(db, actor, rules);
      const networks = query.network ? visible.filter((k) => k === query.network) : visible;
      const { rows, total } = await service.listEvents(db, networks, query.when, clock.now(), { limit: query.pageSize, offset: (query.page - 1) * query.pageSize });
      const mine = await service.registrationsFor(db, actor.personId, rows.map((e) => e.id));
      return { data: rows.map((e) => toApi(e, mine.get(e.id))), meta: { total, page: query.page, pageSize: query.pageSize } };
    },
  });

  const authorise = async (params: Record<string, string>, request: Parameters<NonNullable<Parameters<typeof apiRoute>[1]['authorise']>>[1]) => {
    await service.openEventById(db, requireActor(request), params.id, rules);
  };

  apiRoute(app, {
    method: 'POST',
    url: '/network-events/{id}/registrations',
    operationId: 'registerForNetworkEvent',
    summary: 'Register for an event (or join its waitlist when it is full)',
    description:
      'Registers you for the event: a place while there are places, otherwise the end of the waitlist (`status: waitlisted`, with your place in it); when a place frees up the first on the waitlist gets it and is emailed. No body. Refused with 422 when you do not belong to a network the event is for, or registration has closed (the deadline, or the start); with 409 when you are already registered or waitlisted, or the event was cancelled. An event of a network you may not see is 404.',
    tag,
    access: 'signed-in',
    params: idParams,
    authorise,
    problems: { 409: 'You are already registered or on the waitlist, or the event has been cancelled' },
    responses: { 201: { description: 'Your registration', schema: apiRegistrationSchema } },
    handler: async ({ params }, request, reply) => {
      const result = await service.register(db, request.ctx(), params.id, rules);
      return reply.code(201).send({ eventId: params.id, ...result });
    },
  });

  apiRoute(app, {
    method: 'DELETE',
    url: '/network-events/{id}/registrations',
    operationId: 'cancelNetworkEventRegistration',
    summary: 'Cancel your registration for an event (or leave its waitlist)',
    description:
      'Cancels your place or waitlist entry before the event starts; a place you give up goes to the first on the waitlist, who is emailed. 404 when you are not registered (or may not see the event); 409 once the event has started.',
    tag,
    access: 'signed-in',
    params: idParams,
    authorise,
    problems: { 409: 'The event has started' },
    responses: { 200: { description: 'Your registration, cancelled', schema: apiRegistrationSchema } },
    handler: async ({ params }, request) => {
      const event = await service.openEventById(db, requireActor(request), params.id, rules);
      return { eventId: params.id, ...(await service.cancelRegistration(db, request.ctx(), params.id, event.audience[0], config.baseUrl)) };
    },
  });
}
