import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../../app.ts';
import { requireActor } from '../../auth/session.ts';
import { todayIso } from '../../clock.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../../web/forms.ts';
import { sendExport, type ExportColumn } from '../../web/export.ts';
import { paginationView } from '../../web/list-query.ts';
import { parseWholeNumber } from '../../web/numbers.ts';
import { paths } from '../../web/paths.ts';
import { networkKeys, networkNames, type NetworkKey } from '../networks.ts';
import { openNetwork, type MembershipRules } from '../service.ts';
import type { Attendee } from './repository.ts';
import { calendarOf } from './calendar.ts';
import { eventWhen, londonMoment } from './london-time.ts';
import { eventFormatLabels, eventFormats, eventsPageQuery, maxOccurrences, repeatLabels, repeats, type EventFormat } from './schemas.ts';
import * as service from './service.ts';

const pageSize = 20;
type Body = Record<string, string | string[] | undefined>;
type NetworkRequest = FastifyRequest<{ Params: { network: string } }>;
type EventRequest = FastifyRequest<{ Params: { network: string; eventId: string } }>;

const dateFields = ['date', 'deadline'];
const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);

/** What the event form posts, as the schema reads it. */
const formInput = (body: Body) => ({
  title: first(body.title),
  description: first(body.description),
  date: joinDateParts(body, 'date'),
  startTime: first(body.startTime),
  endTime: first(body.endTime),
  format: first(body.format) || undefined,
  location: first(body.location),
  joiningUrl: first(body.joiningUrl),
  capacity: first(body.capacity),
  deadline: joinDateParts(body, 'deadline'),
  audience: list(body.audience),
  repeat: first(body.repeat) || undefined,
  occurrences: first(body.occurrences),
});

const yesNo = (value: boolean) => (value ? 'Yes' : 'No');

/** The events list's download: what the list shows, one row an event. */
const eventColumns: ExportColumn<service.EventRow>[] = [
  { header: 'Title', value: (e) => e.title },
  { header: 'Starts', date: 'dateTime', value: (e) => e.startsAt },
  { header: 'Ends', date: 'dateTime', value: (e) => e.endsAt },
  { header: 'Format', value: (e) => eventFormatLabels[e.format] },
  { header: 'For', value: (e) => e.audience.map((k) => networkNames[k]).join(' and ') },
  { header: 'Status', value: (e) => (e.status === 'cancelled' ? 'Cancelled' : 'Scheduled') },
  { header: 'Places', value: (e) => e.capacity },
  { header: 'Registered', value: (e) => e.registered },
  { header: 'On the waitlist', value: (e) => e.waitlisted },
];

/** An event's register for its facilitators: who has a place or is waiting, and who attended (no email addresses). */
const attendeeColumns: ExportColumn<Attendee>[] = [
  { header: 'Name', value: (p) => p.name },
  { header: 'Organisation', value: (p) => p.organisationName },
  { header: 'Status', value: (p) => (p.status === 'registered' ? 'Registered' : 'Waitlist') },
  { header: 'Waitlist place', value: (p) => p.waitlistPlace },
  { header: 'Walk-in', value: (p) => yesNo(p.walkIn) },
  { header: 'Attended', value: (p) => yesNo(p.attended) },
];

/** "This event only" or "this event and the later ones in the series": offered only for an event with later ones. */
function scopeItems(later: number, verb: 'Change' | 'Cancel', chosen: string) {
  if (!later) return null;
  return [
    { value: 'this', text: `${verb} this event only`, checked: chosen !== 'following' },
    { value: 'following', text: `${verb} this event and the ${later === 1 ? 'later one' : `${later} later ones`} in the series`, checked: chosen === 'following' },
  ];
}

/** The event as saved now, for the summary a stale edit shows above the form. */
function currentView(e: service.EventRow) {
  return [
    { key: 'Title', value: e.title },
    { key: 'When', value: eventWhen(e.startsAt, e.endsAt) },
    { key: 'Format', value: eventFormatLabels[e.format] },
    ...(e.location ? [{ key: 'Location', value: e.location }] : []),
    ...(e.joiningUrl ? [{ key: 'Joining link', value: e.joiningUrl }] : []),
    { key: 'Number of places', value: String(e.capacity) },
    { key: 'Registration closes', value: londonMoment(service.registrationClosesAt(e)) },
    { key: 'Who it is for', value: e.audience.map((k) => networkNames[k]).join(' and the ') },
    { key: 'Description', value: e.description },
  ].map((row) => ({ key: { text: row.key }, value: { text: row.value } }));
}

/** An event as a list or page shows it. */
export function eventView(key: NetworkKey, e: service.EventRow) {
  return {
    ...e,
    href: paths.networkEvent(key, e.id),
    when: eventWhen(e.startsAt, e.endsAt),
    formatLabel: eventFormatLabels[e.format],
    audienceLabel: e.audience.map((k) => networkNames[k]).join(' and '),
    placesLeft: Math.max(0, e.capacity - e.registered),
    cancelled: e.status === 'cancelled',
  };
}

/**
 * Event pages under each network: the list (upcoming and past), an event's page (register, cancel, the joining link
 * for those registered, the .ics download), and for facilitators and admins the event form, cancelling, and the
 * attendance register. The network is opened first (404 for one the person may not see); the rules are the service's.
 */
export async function networkEventRoutes(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  const rules: MembershipRules = { includeLeads: config.sroNetworkIncludesLeads };
  const base = `${paths.networks()}/:network/events`;
  const open = (request: NetworkRequest) => openNetwork(db, requireActor(request), request.params.network, rules);
  const openEvent = (request: EventRequest) => service.openEvent(db, requireActor(request), request.params.network, request.params.eventId, rules);

  app.get(base, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    const query = eventsPageQuery.parse(request.query);
    const { rows, total } = await service.listEvents(db, [network.key], query.when, clock.now(), { limit: pageSize, offset: (query.page - 1) * pageSize });
    const pagination = paginationView(paths.networkEvents(network.key), { when: query.when === 'past' ? 'past' : undefined }, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    return reply.view('networks/events/views/list.njk', {
      title: `${query.when === 'past' ? 'Past events' : 'Upcoming events'} – ${network.name}`,
      network,
      when: query.when,
      events: rows.map((e) => eventView(network.key, e)),
      pagination,
      total,
      newHref: network.manageEvents ? paths.networkEventNew(network.key) : null,
      exportHrefs: { csv: paths.networkEventsExport(network.key, 'csv', query.when), xlsx: paths.networkEventsExport(network.key, 'xlsx', query.when) },
      upcomingHref: paths.networkEvents(network.key),
      pastHref: `${paths.networkEvents(network.key)}?when=past`,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    // Everyone who sees the list may download it; `when` as the list's (upcoming unless "past").
    app.get(`${base}/export.${format}`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
      const network = await open(request);
      const { when } = eventsPageQuery.parse(request.query);
      const { rows } = await service.listEvents(db, [network.key], when, clock.now());
      return sendExport(reply, format, `${network.key}-network-${when}-events`, todayIso(clock), rows, eventColumns);
    });
    // The register of one event, for those who manage its events (403 to others who see it).
    app.get(`${base}/:eventId/registrations.${format}`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
      const { network, event } = await openEvent(request);
      service.requireManage(network);
      return sendExport(reply, format, `event-registrations-${event.startsAt.toISOString().slice(0, 10)}`, todayIso(clock), await service.attendees(db, event.id), attendeeColumns);
    });
  }

  const showForm = async (
    reply: FastifyReply,
    network: Awaited<ReturnType<typeof open>>,
    mode: { kind: 'new' } | { kind: 'edit'; event: service.EventRow },
    body: Body | null,
    failure?: FormFailure,
  ) => {
    const stored = mode.kind === 'edit' ? service.formValues(mode.event) : null;
    const value = (name: keyof NonNullable<typeof stored>) => (body ? (first(body[name]) ?? '') : ((stored?.[name] as string | undefined) ?? ''));
    const audience = body ? list(body.audience) : (stored?.audience ?? [network.key]);
    const format = body ? first(body.format) : stored?.format;
    const repeat = (body && first(body.repeat)) || 'none';
    return reply.code(failure?.status ?? 200).view('networks/events/views/form.njk', {
      title: mode.kind === 'new' ? `Add an event – ${network.name}` : `Change ${mode.event.title}`,
      network,
      mode: mode.kind,
      action: mode.kind === 'new' ? paths.networkEvents(network.key) : paths.networkEventEdit(network.key, mode.event.id),
      backHref: mode.kind === 'new' ? paths.networkEvents(network.key) : paths.networkEvent(network.key, mode.event.id),
      values: {
        title: value('title'),
        description: value('description'),
        startTime: value('startTime'),
        endTime: value('endTime'),
        location: value('location'),
        joiningUrl: value('joiningUrl'),
        capacity: value('capacity'),
        occurrences: body ? first(body.occurrences) : '',
        date: dateInputValue(body, 'date', stored?.date ?? null),
        deadline: dateInputValue(body, 'deadline', stored?.deadline ?? null),
      },
      formatItems: eventFormats.map((f) => ({ value: f, text: eventFormatLabels[f as EventFormat], checked: f === format })),
      audienceItems: networkKeys.map((k) => ({ value: k, text: networkNames[k], checked: audience.includes(k) })),
      repeatItems: repeats.map((r) => ({ value: r, text: repeatLabels[r], checked: r === repeat })),
      maxOccurrences,
      registered: mode.kind === 'edit' ? mode.event.registered : 0,
      // After a stale save the form carries the version just read (sending it again is a deliberate choice) and shows
      // the event as it is now beside what was typed.
      version: mode.kind === 'edit' ? shownVersion(body, failure, String(mode.event.sequence)) : null,
      current: mode.kind === 'edit' && failure?.stale ? currentView(mode.event) : null,
      scopeItems: mode.kind === 'edit' ? scopeItems(await service.laterInSeries(db, mode.event), 'Change', (body && first(body.scope)) || 'this') : null,
      ...(failure ? errorView(failure.fields, dateFields, body) : { errors: {} }),
    });
  };

  app.get(`${base}/new`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    service.requireManage(network);
    return showForm(reply, network, { kind: 'new' }, null);
  });

  app.post(base, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await open(request);
    const body = (request.body ?? {}) as Body;
    try {
      const { ids } = await service.createEvents(db, request.ctx(), network, formInput(body));
      return reply.redirect(ids.length === 1 ? `${paths.networkEvent(network.key, ids[0])}?done=created` : `${paths.networkEvents(network.key)}?done=series`);
    } catch (err) {
      return showForm(reply, network, { kind: 'new' }, body, failureOf(err));
    }
  });

  const flashes: Record<string, string> = {
    created: 'Event added',
    series: 'Series of events added',
    changed: 'Event changed',
    cancelled: 'Event cancelled: everyone registered or on the waitlist has been told',
    'series-changed': 'This event and the later ones in the series changed',
    'series-cancelled': 'This event and the later ones in the series cancelled: everyone registered or on the waitlist has been told',
    registered: 'You are registered for this event',
    waitlisted: 'The event is full: you are on the waitlist',
    unregistered: 'Your registration has been cancelled',
    attendance: 'Attendance saved',
  };

  const showEvent = async (request: EventRequest, reply: FastifyReply, failure?: FormFailure) => {
    const { network, event } = await openEvent(request);
    const actor = requireActor(request);
    const mine = await service.myRegistration(db, event.id, actor.personId);
    const now = clock.now();
    const closesAt = service.registrationClosesAt(event);
    const { done } = request.query as { done?: string };
    return reply.code(failure?.status ?? 200).view('networks/events/views/event.njk', {
      title: event.title,
      network,
      event: eventView(network.key, event),
      mine,
      joiningUrl: service.mayJoin(mine) ? event.joiningUrl : null,
      registrationOpen: event.status === 'scheduled' && now < closesAt,
      closesAt: londonMoment(closesAt),
      started: event.startsAt <= now,
      canRegister: network.register,
      canManage: network.manageEvents,
      registerAction: paths.networkEventRegister(network.key, event.id),
      unregisterAction: paths.networkEventUnregister(network.key, event.id),
      icsHref: paths.networkEventIcs(network.key, event.id),
      editHref: paths.networkEventEdit(network.key, event.id),
      cancelHref: paths.networkEventCancel(network.key, event.id),
      attendanceHref: paths.networkEventAttendance(network.key, event.id),
      feedHref: paths.calendarFeedSettings(),
      attendees: network.manageEvents ? await service.attendees(db, event.id) : [],
      registrationsHrefs: { csv: paths.networkEventRegistrationsExport(network.key, event.id, 'csv'), xlsx: paths.networkEventRegistrationsExport(network.key, event.id, 'xlsx') },
      backHref: paths.networkEvents(network.key),
      flash: done ? flashes[done] : undefined,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${base}/:eventId`, { config: { access: 'signed-in' } }, (request: EventRequest, reply) => showEvent(request, reply));

  app.get(`${base}/:eventId/event.ics`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { event } = await openEvent(request);
    const mine = await service.myRegistration(db, event.id, requireActor(request).personId);
    const body = calendarOf([event], { baseUrl: config.baseUrl, name: event.title, withJoiningLink: () => service.mayJoin(mine), stamp: clock.now() });
    return reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('content-disposition', `attachment; filename="event-${event.id}.ics"`)
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.post(`${base}/:eventId/register`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    try {
      const result = await service.register(db, request.ctx(), event.id, rules);
      return reply.redirect(`${paths.networkEvent(network.key, event.id)}?done=${result.status}`);
    } catch (err) {
      return showEvent(request, reply, failureOf(err));
    }
  });

  app.post(`${base}/:eventId/cancel-registration`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    try {
      await service.cancelRegistration(db, request.ctx(), event.id, network.key, config.baseUrl);
      return reply.redirect(`${paths.networkEvent(network.key, event.id)}?done=unregistered`);
    } catch (err) {
      return showEvent(request, reply, failureOf(err));
    }
  });

  app.get(`${base}/:eventId/edit`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    service.requireManage(network);
    return showForm(reply, network, { kind: 'edit', event }, null);
  });

  app.post(`${base}/:eventId/edit`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    service.requireManage(network);
    const body = (request.body ?? {}) as Body;
    try {
      const version = parseWholeNumber(first(body.version));
      const { changed } = await service.editEvent(db, request.ctx(), network, event.id, formInput(body), config.baseUrl, { readVersion: version, scope: first(body.scope) || undefined });
      return reply.redirect(`${paths.networkEvent(network.key, event.id)}?done=${changed > 1 ? 'series-changed' : 'changed'}`);
    } catch (err) {
      return showForm(reply, network, { kind: 'edit', event }, body, failureOf(err));
    }
  });

  const showCancel = async (request: EventRequest, reply: FastifyReply, failure?: FormFailure) => {
    const { network, event } = await openEvent(request);
    service.requireManage(network);
    return reply.code(failure?.status ?? 200).view('networks/events/views/cancel.njk', {
      title: `Cancel ${event.title}`,
      scopeItems: scopeItems(await service.laterInSeries(db, event), 'Cancel', first(((request.body ?? {}) as Body).scope) || 'this'),
      network,
      event: eventView(network.key, event),
      action: paths.networkEventCancel(network.key, event.id),
      backHref: paths.networkEvent(network.key, event.id),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${base}/:eventId/cancel`, { config: { access: 'signed-in' } }, (request: EventRequest, reply) => showCancel(request, reply));

  app.post(`${base}/:eventId/cancel`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    try {
      const body = (request.body ?? {}) as Body;
      const { cancelled } = await service.cancelEvent(db, request.ctx(), network, event.id, config.baseUrl, first(body.scope) || undefined);
      return reply.redirect(`${paths.networkEvent(network.key, event.id)}?done=${cancelled > 1 ? 'series-cancelled' : 'cancelled'}`);
    } catch (err) {
      return showCancel(request, reply, failureOf(err));
    }
  });

  const showAttendance = async (request: EventRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { network, event } = await openEvent(request);
    service.requireManage(network);
    const people = (await service.attendees(db, event.id)).filter((p) => p.status === 'registered');
    const ticked = body ? list(body.attended) : people.filter((p) => p.attended).map((p) => p.personId);
    return reply.code(failure?.status ?? 200).view('networks/events/views/attendance.njk', {
      title: `Attendance – ${event.title}`,
      network,
      event: eventView(network.key, event),
      started: event.startsAt <= clock.now(),
      cpdHours: event.audience.includes('learners') ? service.eventCpdHours(event) : null,
      items: people.map((p) => ({ value: p.personId, text: p.name, hint: { text: `${p.organisationName}${p.walkIn ? ' (walk-in)' : ''}` }, checked: ticked.includes(p.personId) })),
      walkInEmail: body ? first(body.walkInEmail) : '',
      action: paths.networkEventAttendance(network.key, event.id),
      backHref: paths.networkEvent(network.key, event.id),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${base}/:eventId/attendance`, { config: { access: 'signed-in' } }, (request: EventRequest, reply) => showAttendance(request, reply, null));

  app.post(`${base}/:eventId/attendance`, { config: { access: 'signed-in' } }, async (request: EventRequest, reply) => {
    const { network, event } = await openEvent(request);
    service.requireManage(network);
    const body = (request.body ?? {}) as Body;
    try {
      await service.recordAttendance(db, request.ctx(), network, event.id, { attended: list(body.attended), walkInEmail: first(body.walkInEmail) }, rules);
      return reply.redirect(`${paths.networkEvent(network.key, event.id)}?done=attendance`);
    } catch (err) {
      return showAttendance(request, reply, body, failureOf(err));
    }
  });

  // The member's private calendar feed: its page, a new link (replacing any earlier one), turning it off.
  const showFeed = async (request: FastifyRequest, reply: FastifyReply, token: string | null, flash?: string) => {
    const feed = await service.feedOf(db, requireActor(request).personId);
    return reply.view('networks/events/views/feed.njk', {
      title: 'Your calendar feed',
      feed,
      feedUrl: token ? `${config.baseUrl}${paths.calendarFeed(token)}` : null,
      action: paths.calendarFeedSettings(),
      revokeAction: `${paths.calendarFeedSettings()}/revoke`,
      flash,
    });
  };

  app.get(paths.calendarFeedSettings(), { config: { access: 'signed-in' } }, (request, reply) => showFeed(request, reply, null));

  app.post(paths.calendarFeedSettings(), { config: { access: 'signed-in' } }, async (request, reply) => {
    const token = await service.newFeedToken(db, request.ctx());
    return showFeed(request, reply, token, 'New calendar feed link created: any earlier link has stopped working');
  });

  app.post(`${paths.calendarFeedSettings()}/revoke`, { config: { access: 'signed-in' } }, async (request, reply) => {
    await service.revokeFeedToken(db, request.ctx());
    return showFeed(request, reply, null, 'Calendar feed link turned off');
  });

  // The feed itself: no session (calendar apps cannot sign in), the secret in the URL is the key.
  app.get('/calendar-feeds/:file', { config: { access: 'public' } }, async (request: FastifyRequest<{ Params: { file: string } }>, reply) => {
    const token = request.params.file.replace(/\.ics$/, '');
    const events = await service.feedEvents(db, token, clock.now());
    if (!events) {
      return reply.code(404).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send('This calendar feed link is wrong or has been turned off. Make a new one in Pioneer.');
    }
    const body = calendarOf(events, { baseUrl: config.baseUrl, name: 'Pioneer network events', withJoiningLink: () => true, stamp: clock.now() });
    return reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('cache-control', 'private, no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  });
}
