/**
 * Network events (issue 11): facilitators and programme admins create, change and cancel them (one at a time or as a
 * series); members register and cancel, and past capacity join a waitlist promoted in order as places free up;
 * facilitators record attendance after the event, which adds a Learners Network event to the learner's CPD log.
 * Every change is audited in its transaction; every change to an event's registrations first locks the event's row.
 */
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db, type DbOrTx } from '../../db/client.ts';
import type { Actor } from '../../auth/policy.ts';
import { recordAudit, type RequestContext } from '../../audit/record.ts';
import { enqueueEmail } from '../../notifications/outbox.ts';
import { hasBeenLearner } from '../../learners/repository.ts';
import { actorOf, isUuid } from '../../learners/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../web/errors.ts';
import { parseOrThrow } from '../../web/forms.ts';
import { formatDate } from '../../web/format.ts';
import { networkNames, type NetworkKey } from '../networks.ts';
import { networksOf, networksOfPeople, openNetwork, visibleNetworks, type MembershipRules } from '../service.ts';
import { attendanceSchema, eventSchema, type EventInput } from './schemas.ts';
import { endOfLondonDay, eventWhen, londonDateTime, londonInstant, londonMoment } from './london-time.ts';
import { changeLines, sendCancelNotices, sendChangeNotices, type ChangeNotice } from './notices.ts';
import { carryChanges, seriesScopeSchema } from './series.ts';
import * as repo from './repository.ts';

export type { EventRow } from './repository.ts';

/** The networks whose events the actor may see: those they belong to, and every network for programme staff. */
export async function visibleNetworkKeys(db: DbOrTx, actor: Actor, rules: MembershipRules): Promise<NetworkKey[]> {
  return (await visibleNetworks(db, actor, rules)).map((n) => n.key);
}

/** An event of the network named in the URL, which the actor may see; anything else is not found. */
export async function openEvent(db: DbOrTx, actor: Actor, networkKey: string, eventId: string, rules: MembershipRules) {
  const network = await openNetwork(db, actor, networkKey, rules);
  const event = isUuid(eventId) ? await repo.findEvent(db, eventId) : undefined;
  if (!event || !event.audience.includes(network.key)) throw new NotFoundError('We could not find that event.');
  return { network, event };
}

/** An event by id for the API: one for a network the actor may see, or not found. */
export async function openEventById(db: DbOrTx, actor: Actor, eventId: string, rules: MembershipRules) {
  const event = isUuid(eventId) ? await repo.findEvent(db, eventId) : undefined;
  if (!event) throw new NotFoundError('No event has that id.');
  const visible = await visibleNetworkKeys(db, actor, rules);
  if (!event.audience.some((k) => visible.includes(k))) throw new NotFoundError('No event has that id.');
  return event;
}

export function requireManage(network: { manageEvents: boolean; name: string }) {
  if (!network.manageEvents) throw new ForbiddenError(`Only the ${network.name}’s facilitators and programme admins can manage its events.`);
}

export const listEvents = repo.listEvents;

/** The actor's registration for the event and their place on the waitlist, if any. */
export async function myRegistration(db: DbOrTx, eventId: string, personId: string) {
  const r = await repo.registrationOf(db, eventId, personId);
  if (!r || r.status === 'cancelled') return null;
  return { status: r.status, waitlistPlace: r.status === 'waitlisted' ? await repo.waitlistPlace(db, eventId, personId) : null, attended: r.attended };
}

/** Only people with a place see an event's joining link: the page, the API and the .ics file all ask here. */
export const mayJoin = (registration: { status: string } | null | undefined) => registration?.status === 'registered';

export const attendees = repo.attendees;
export const registrationsFor = repo.registrationsFor;

/** When registration closes: the deadline, or the start. */
export const registrationClosesAt = (e: Pick<repo.EventRow, 'registrationDeadline' | 'startsAt'>) =>
  e.registrationDeadline && e.registrationDeadline < e.startsAt ? e.registrationDeadline : e.startsAt;

/** What the audit log keeps of an event: the fields people see, times as ISO instants. */
function snapshot(e: Pick<EventInput, 'title' | 'startsAt' | 'endsAt' | 'format' | 'location' | 'joiningUrl' | 'capacity' | 'registrationDeadline' | 'audience'> & { description?: string }) {
  return {
    title: e.title,
    startsAt: e.startsAt.toISOString(),
    endsAt: e.endsAt.toISOString(),
    format: e.format,
    location: e.location,
    joiningUrl: e.joiningUrl,
    capacity: e.capacity,
    registrationDeadline: e.registrationDeadline?.toISOString() ?? null,
    audience: e.audience,
    ...(e.description !== undefined ? { description: e.description } : {}),
  };
}

/** The dates of a series: the first, then every week or every month on the same date, at the same London time. */
function occurrenceDates(first: string, repeat: EventInput['repeat'], count: number): string[] {
  const [y, m, d] = first.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const at = repeat === 'weekly' ? new Date(Date.UTC(y, m - 1, d + 7 * i)) : new Date(Date.UTC(y, m - 1 + i, d));
    return at.toISOString().slice(0, 10);
  });
}

/**
 * Creates an event (or a series: one event per date, sharing a series id, each at the same London time, so a monthly
 * series stays at 18:00 through a clock change), audited. The network in the URL must be in the audience.
 */
export async function createEvents(db: Db, ctx: RequestContext, network: { key: NetworkKey; manageEvents: boolean; name: string }, input: unknown) {
  requireManage(network);
  const data = parseOrThrow(eventSchema(ctx.clock.now(), { series: true }), input);
  if (!data.audience.includes(network.key)) throw new ValidationError({ audience: `Include the ${networkNames[network.key]}: you are adding the event to it` });
  const seriesId = data.repeat === 'none' ? null : crypto.randomUUID();
  const dates = data.repeat === 'none' ? [data.date] : occurrenceDates(data.date, data.repeat, data.occurrences);
  const deadlineDays = data.deadline ? Math.round((Date.parse(data.date) - Date.parse(data.deadline)) / 86_400_000) : null;
  const rows = dates.map((date) => {
    const startsAt = londonInstant(date, data.startTime);
    const endsAt = londonInstant(date, data.endTime);
    if (!startsAt || !endsAt) throw new ValidationError({ startTime: `The time does not exist on ${formatDate(date)}, when the clocks go forward: choose another time` });
    const deadline = deadlineDays === null ? null : new Date(Date.parse(`${date}T12:00:00Z`) - deadlineDays * 86_400_000).toISOString().slice(0, 10);
    return {
      title: data.title,
      description: data.description,
      startsAt,
      endsAt,
      format: data.format,
      location: data.location,
      joiningUrl: data.joiningUrl,
      capacity: data.capacity,
      registrationDeadline: deadline ? endOfLondonDay(deadline) : null,
      audience: data.audience,
      seriesId,
      createdById: ctx.actor?.personId ?? null,
      createdAt: ctx.clock.now(),
      updatedAt: ctx.clock.now(),
    };
  });
  return db.transaction(async (tx) => {
    const created = await repo.insertEvents(tx, rows);
    for (const [i, c] of created.entries()) {
      await recordAudit(tx, ctx, { action: 'network_event.created', recordType: 'network_event', recordId: c.id, after: { ...snapshot(rows[i]), seriesId } });
    }
    return { ids: created.map((c) => c.id), seriesId };
  });
}

/** The form's values for an event as stored (London date and times). */
export function formValues(e: repo.EventRow) {
  const start = londonDateTime(e.startsAt);
  const deadline = e.registrationDeadline ? londonDateTime(new Date(e.registrationDeadline.getTime() - 1)).date : null;
  return {
    title: e.title,
    description: e.description,
    date: start.date,
    startTime: start.time,
    endTime: londonDateTime(e.endsAt).time,
    format: e.format,
    location: e.location ?? '',
    joiningUrl: e.joiningUrl ?? '',
    capacity: String(e.capacity),
    deadline,
    audience: e.audience,
  };
}

export const staleEventMessage = 'Someone else changed this event since you opened the page. Check the event as it is now and save your changes again.';

/**
 * Changes an event before it starts, or (scope "following") it and the later events of its series, each audited with
 * what changed; the iCalendar SEQUENCE of each goes up so calendars update, and the people registered or waiting hear
 * of a new time, place or joining link (one email each, however many events). Capacity cannot go below the places
 * taken; a larger capacity promotes from the waitlist at once.
 */
export async function editEvent(
  db: Db,
  ctx: RequestContext,
  network: { key: NetworkKey; manageEvents: boolean; name: string },
  eventId: string,
  input: unknown,
  baseUrl: string,
  opts: {
    /** The event's SEQUENCE when the form was opened: a change saved since then makes this edit stale (409). */
    readVersion?: number;
    scope?: unknown;
  } = {},
) {
  requireManage(network);
  const data = parseOrThrow(eventSchema(ctx.clock.now(), { series: false }), input);
  const scope = parseOrThrow(z.object({ scope: seriesScopeSchema }), { scope: opts.scope }).scope;
  if (!data.audience.includes(network.key)) throw new ValidationError({ audience: `Include the ${networkNames[network.key]}: you are changing the event from it` });
  return db.transaction(async (tx) => {
    const event = await repo.lockEvent(tx, eventId);
    if (!event) throw new NotFoundError('We could not find that event.');
    if (event.status === 'cancelled') throw new ConflictError('This event has been cancelled: it can no longer be changed');
    if (event.startsAt <= ctx.clock.now()) throw new ConflictError('This event has started: it can no longer be changed');
    if (opts.readVersion !== undefined && opts.readVersion !== event.sequence) throw new ConflictError(staleEventMessage, 'version');
    if (data.capacity < event.registered) {
      throw new ValidationError({ capacity: `Number of places must be at least ${event.registered}: that many people are already registered` });
    }
    const before = snapshot(event);
    const after = snapshot(data);
    const changed = new Set(Object.keys(after).filter((k) => JSON.stringify(before[k as keyof typeof before]) !== JSON.stringify(after[k as keyof typeof after])));
    if (!changed.size) return { promoted: 0, changed: 0 };
    const targets = scope === 'following' && event.seriesId ? await repo.lockSeriesFrom(tx, event.seriesId, event.startsAt) : [event];
    const updates = targets.map((target) => ({ target, next: target.id === event.id ? data : carryChanges(target, event, data, changed) }));
    for (const { target, next } of updates) {
      if (next.capacity < target.registered) {
        throw new ValidationError({ capacity: `Number of places must be at least ${target.registered}: that many people are already registered for the event on ${formatDate(londonDateTime(target.startsAt).date)}` });
      }
    }
    const notices: ChangeNotice[] = [];
    for (const { target, next } of updates) {
      const was = snapshot(target);
      const now = snapshot(next);
      const keys = Object.keys(now).filter((k) => JSON.stringify(was[k as keyof typeof was]) !== JSON.stringify(now[k as keyof typeof now]));
      if (!keys.length) continue;
      await repo.updateEvent(
        tx,
        target.id,
        sql`title = ${next.title}, description = ${next.description}, starts_at = ${next.startsAt.toISOString()}::timestamptz,
          ends_at = ${next.endsAt.toISOString()}::timestamptz, format = ${next.format}, location = ${next.location}, joining_url = ${next.joiningUrl},
          capacity = ${next.capacity}, registration_deadline = ${next.registrationDeadline?.toISOString() ?? null}::timestamptz,
          audience = ${`{${next.audience.join(',')}}`}::text[]`,
      );
      const pick = (o: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, o[k]]));
      await recordAudit(tx, ctx, { action: 'network_event.changed', recordType: 'network_event', recordId: target.id, before: { title: target.title, ...pick(was) }, after: { title: next.title, ...pick(now) } });
      notices.push({ eventId: target.id, title: next.title, url: eventUrl(baseUrl, network.key, { ...target, ...next }), lines: changeLines(target, next) });
    }
    // Told before the waitlist moves up, so someone promoted now hears of the change as it was news to them then.
    await sendChangeNotices(tx, notices);
    let promoted = 0;
    for (const { target, next } of updates) promoted += await fillFreePlaces(tx, ctx, { ...target, ...next }, eventUrl(baseUrl, network.key, { ...target, ...next }));
    return { promoted, changed: notices.length };
  });
}

/** An event's page, under the network it was managed from when it is for that network. */
const eventUrl = (baseUrl: string, from: NetworkKey, e: Pick<repo.EventRow, 'id' | 'audience'>) => `${baseUrl}/networks/${e.audience.includes(from) ? from : e.audience[0]}/events/${e.id}`;

/**
 * Cancels an event, or (scope "following") it and the later events of its series: registrations stay (calendars get
 * STATUS:CANCELLED), everyone registered or waitlisted is told, once, of the events of theirs cancelled.
 */
export async function cancelEvent(db: Db, ctx: RequestContext, network: { key: NetworkKey; manageEvents: boolean; name: string }, eventId: string, baseUrl: string, scopeInput?: unknown) {
  requireManage(network);
  const scope = parseOrThrow(z.object({ scope: seriesScopeSchema }), { scope: scopeInput }).scope;
  return db.transaction(async (tx) => {
    const event = await repo.lockEvent(tx, eventId);
    if (!event) throw new NotFoundError('We could not find that event.');
    if (event.status === 'cancelled') throw new ConflictError('This event has already been cancelled');
    if (event.startsAt <= ctx.clock.now()) throw new ConflictError('This event has started: it can no longer be cancelled');
    const targets = scope === 'following' && event.seriesId ? await repo.lockSeriesFrom(tx, event.seriesId, event.startsAt) : [event];
    for (const target of targets) {
      await repo.updateEvent(tx, target.id, sql`status = 'cancelled'`);
      await recordAudit(tx, ctx, { action: 'network_event.cancelled', recordType: 'network_event', recordId: target.id, before: { title: target.title, status: 'scheduled' }, after: { title: target.title, status: 'cancelled' } });
    }
    await sendCancelNotices(tx, targets.map((target) => ({ ...target, url: eventUrl(baseUrl, network.key, target) })));
    return { cancelled: targets.length };
  });
}

/** How many scheduled events of the event's series come after it (0 for an event not in a series). */
export const laterInSeries = (db: DbOrTx, e: Pick<repo.EventRow, 'seriesId' | 'startsAt'>) => (e.seriesId ? repo.laterInSeries(db, e.seriesId, e.startsAt) : Promise.resolve(0));

/**
 * Gives free places to the waitlist, in the order people joined it, each told by email (through the outbox, in this
 * transaction). Runs under the event's lock. Returns how many were promoted.
 */
async function fillFreePlaces(tx: DbOrTx, ctx: RequestContext, event: Pick<repo.EventRow, 'id' | 'title' | 'capacity' | 'startsAt' | 'endsAt'>, eventUrl: string) {
  const [{ n }] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from network_event_registrations where event_id = ${event.id}::uuid and status = 'registered'`);
  let taken = n;
  let promoted = 0;
  while (taken < event.capacity) {
    const next = await repo.firstWaitlisted(tx, event.id);
    if (!next) break;
    await repo.promote(tx, event.id, next.personId, ctx.clock.now());
    await recordAudit(tx, ctx, { action: 'network_event.promoted', recordType: 'network_event', recordId: event.id, after: { title: event.title, personId: next.personId } });
    await enqueueEmail(tx, {
      to: next.email,
      template: 'network-event-promoted',
      subject: `You have a place: ${event.title}`,
      body: `Dear ${next.name},\n\nA place has come up at “${event.title}” (${eventWhen(event.startsAt, event.endsAt)}, UK time), and it is yours: you were next on the waitlist.\n\nIf you can no longer come, please cancel your place on the event’s page so the next person can have it: ${eventUrl}`,
    });
    taken++;
    promoted++;
  }
  return promoted;
}

const closedMessage = (e: repo.EventRow) => {
  const at = londonMoment(registrationClosesAt(e));
  return `Registration for this event closed ${at.startsWith('the end') ? 'at' : 'on'} ${at}`;
};

/**
 * Registers the actor for an event: a place while there are places, else the end of the waitlist. Refused: an event
 * for networks they do not belong to (422), a cancelled event (409), registration closed (422), already registered
 * or waitlisted (409). Two people taking the last place at once are served one after the other (the event's lock).
 */
export async function register(db: Db, ctx: RequestContext, eventId: string, rules: MembershipRules) {
  const actor = actorOf(ctx);
  const mine = await networksOf(db, actor.personId, rules);
  return db.transaction(async (tx) => {
    const event = await repo.lockEvent(tx, eventId);
    if (!event) throw new NotFoundError('We could not find that event.');
    if (!event.audience.some((k) => mine.includes(k))) {
      throw new ValidationError({ _form: `Only members of the ${event.audience.map((k) => networkNames[k]).join(' or the ')} can register for this event` });
    }
    if (event.status === 'cancelled') throw new ConflictError('This event has been cancelled');
    if (ctx.clock.now() >= registrationClosesAt(event)) throw new ValidationError({ _form: closedMessage(event) });
    const existing = await repo.registrationOf(tx, eventId, actor.personId);
    if (existing && existing.status !== 'cancelled') {
      throw new ConflictError(existing.status === 'registered' ? 'You are already registered for this event' : 'You are already on the waitlist for this event');
    }
    const status = event.registered < event.capacity ? 'registered' : 'waitlisted';
    if (!(await repo.upsertRegistration(tx, { eventId, personId: actor.personId, status, now: ctx.clock.now() }))) {
      throw new ConflictError('You are already registered for this event');
    }
    await recordAudit(tx, ctx, { action: `network_event.${status}`, recordType: 'network_event', recordId: eventId, after: { title: event.title, personId: actor.personId } });
    return { status, waitlistPlace: status === 'waitlisted' ? await repo.waitlistPlace(tx, eventId, actor.personId) : null };
  });
}

/**
 * Cancels the actor's registration (a place or a waitlist entry) before the event starts; a place given up goes to
 * the first on the waitlist. Not registered: 404.
 */
export async function cancelRegistration(db: Db, ctx: RequestContext, eventId: string, networkKey: NetworkKey, baseUrl: string) {
  const actor = actorOf(ctx);
  return db.transaction(async (tx) => {
    const event = await repo.lockEvent(tx, eventId);
    if (!event) throw new NotFoundError('We could not find that event.');
    const existing = await repo.registrationOf(tx, eventId, actor.personId);
    if (!existing || existing.status === 'cancelled') throw new NotFoundError('You are not registered for this event.');
    if (event.startsAt <= ctx.clock.now()) throw new ConflictError('This event has started: your registration can no longer be cancelled');
    await giveUp(tx, ctx, event, { personId: actor.personId, status: existing.status }, eventUrl(baseUrl, networkKey, event), 'network_event.registration_cancelled');
    return { status: 'cancelled' as const, waitlistPlace: null };
  });
}

/**
 * Gives up the person's places and waitlist entries at events that have not started, because they can no longer come
 * (erased, or deactivated): each under its event's lock, a freed place going to the waitlist as when they cancel.
 * Runs in the caller's transaction. Returns how many were given up.
 */
export async function releaseRegistrationsOf(tx: DbOrTx, ctx: RequestContext, personId: string, baseUrl: string) {
  let released = 0;
  for (const eventId of await repo.upcomingRegistrationEvents(tx, personId, ctx.clock.now())) {
    if (await release(tx, ctx, eventId, personId, baseUrl)) released++;
  }
  return released;
}

/**
 * After a council stops taking part (its status moved away from active), gives up the places and waitlist entries at
 * events not yet started of its people who no longer belong to any of the event's networks; someone who still
 * belongs another way (added by hand, or through another council) keeps theirs. Waitlist entries go before places, so
 * a freed place goes to someone staying. Runs in the caller's transaction, after the status has changed.
 */
export async function releaseRegistrationsOfCouncil(tx: DbOrTx, ctx: RequestContext, councilId: string, rules: MembershipRules, baseUrl: string) {
  const registrations = await repo.upcomingRegistrationsOfCouncil(tx, councilId, ctx.clock.now());
  const belongs = await networksOfPeople(tx, [...new Set(registrations.map((r) => r.personId))], rules);
  let released = 0;
  for (const { eventId, personId } of registrations) {
    if (await release(tx, ctx, eventId, personId, baseUrl, (event) => !event.audience.some((n) => belongs.get(personId)!.includes(n)))) released++;
  }
  return released;
}

/** Gives up one person's registration at an event not yet started (and, given `when`, only if it holds), under the event's lock. */
async function release(tx: DbOrTx, ctx: RequestContext, eventId: string, personId: string, baseUrl: string, when: (event: repo.EventRow) => boolean = () => true) {
  const event = (await repo.lockEvent(tx, eventId))!;
  const existing = await repo.registrationOf(tx, eventId, personId);
  if (!existing || existing.status === 'cancelled' || event.startsAt <= ctx.clock.now() || !when(event)) return false;
  await giveUp(tx, ctx, event, { personId, status: existing.status }, eventUrl(baseUrl, event.audience[0], event), 'network_event.registration_released');
  return true;
}

/** Cancels one registration, audits it as `action`, and fills a freed place from the waitlist. Under the event's lock. */
async function giveUp(
  tx: DbOrTx,
  ctx: RequestContext,
  event: repo.EventRow,
  registration: { personId: string; status: 'registered' | 'waitlisted' },
  url: string,
  action: 'network_event.registration_cancelled' | 'network_event.registration_released',
) {
  await repo.cancelRegistration(tx, event.id, registration.personId, ctx.clock.now());
  await recordAudit(tx, ctx, { action, recordType: 'network_event', recordId: event.id, before: { title: event.title, ...registration } });
  if (registration.status === 'registered' && event.status !== 'cancelled') await fillFreePlaces(tx, ctx, event, url);
}

/** Hours of CPD an event gives: its length, in quarter hours (at most 24, the CPD log's limit). */
export const eventCpdHours = (e: Pick<repo.EventRow, 'startsAt' | 'endsAt'>) => Math.min(24, Math.round((e.endsAt.getTime() - e.startsAt.getTime()) / 900_000) / 4);

/**
 * Records who attended, once the event has started: the ticked people (registered, or a walk-in added by email, who
 * must belong to one of the event's networks). A learner who attended a Learners Network event gets its length in
 * their CPD log, once; unticking them removes that entry again. Each change is audited.
 */
export async function recordAttendance(db: Db, ctx: RequestContext, network: { key: NetworkKey; manageEvents: boolean; name: string }, eventId: string, input: unknown, rules: MembershipRules) {
  requireManage(network);
  const data = parseOrThrow(attendanceSchema, input);
  return db.transaction(async (tx) => {
    const event = await repo.lockEvent(tx, eventId);
    if (!event) throw new NotFoundError('We could not find that event.');
    if (event.status === 'cancelled') throw new ConflictError('This event was cancelled: there is no attendance to record');
    if (event.startsAt > ctx.clock.now()) throw new ValidationError({ _form: `You can record attendance once the event has started (${londonMoment(event.startsAt)})` });
    const people = await repo.attendees(tx, eventId);
    const registered = new Map(people.filter((p) => p.status === 'registered').map((p) => [p.personId, p]));
    const ticked = new Set(data.attended);
    for (const id of ticked) {
      if (!registered.has(id)) throw new ValidationError({ attended: 'Select people registered for the event; add anyone else as a walk-in' });
    }
    if (data.walkInEmail) {
      const person = await repo.personByEmail(tx, data.walkInEmail);
      if (!person) throw new ValidationError({ walkInEmail: 'There is no one in Pioneer with that email address' });
      const theirs = await networksOf(tx, person.id, rules);
      if (!event.audience.some((k) => theirs.includes(k))) throw new ValidationError({ walkInEmail: `${person.name} does not belong to a network this event is for` });
      const existing = registered.get(person.id);
      if (!existing) {
        const current = await repo.registrationOf(tx, eventId, person.id);
        if (current && current.status === 'waitlisted') await repo.cancelRegistration(tx, eventId, person.id, ctx.clock.now());
        await repo.upsertRegistration(tx, { eventId, personId: person.id, status: 'registered', now: ctx.clock.now(), walkIn: true });
        await recordAudit(tx, ctx, { action: 'network_event.walk_in', recordType: 'network_event', recordId: eventId, after: { title: event.title, personId: person.id } });
        registered.set(person.id, { personId: person.id, name: person.name, email: '', organisationName: '', status: 'registered', attended: false, walkIn: true, waitlistPlace: null });
      }
      ticked.add(person.id);
    }
    const learnerEvent = event.audience.includes('learners');
    const hours = eventCpdHours(event);
    const date = londonDateTime(event.startsAt).date;
    let changes = 0;
    for (const p of registered.values()) {
      const attended = ticked.has(p.personId);
      if (attended === p.attended) continue;
      changes++;
      await repo.setAttended(tx, eventId, p.personId, attended, ctx.clock.now());
      let cpdHours: number | null = null;
      if (attended && learnerEvent && (await hasBeenLearner(tx, p.personId))) {
        const id = await repo.addEventCpd(tx, { personId: p.personId, eventId, date, hours, reflection: `Attended the Learners Network event “${event.title}”.` });
        if (id) cpdHours = hours;
      } else if (!attended) {
        const removed = await repo.removeEventCpd(tx, p.personId, eventId);
        if (removed) cpdHours = removed.hours;
      }
      await recordAudit(tx, ctx, {
        action: attended ? 'network_event.attended' : 'network_event.attendance_removed',
        recordType: 'network_event',
        recordId: eventId,
        after: { title: event.title, personId: p.personId, cpdHours },
      });
    }
    return { changes };
  });
}

/** A new secret for the actor's calendar feed (any earlier one stops working); only its hash is kept. */
export async function newFeedToken(db: Db, ctx: RequestContext) {
  const actor = actorOf(ctx);
  const token = crypto.randomBytes(24).toString('base64url');
  await db.transaction(async (tx) => {
    const had = await repo.feedOf(tx, actor.personId);
    await repo.saveFeedToken(tx, actor.personId, hashToken(token), ctx.clock.now());
    await recordAudit(tx, ctx, { action: had ? 'calendar_feed.regenerated' : 'calendar_feed.created', recordType: 'person', recordId: actor.personId, after: { personId: actor.personId } });
  });
  return token;
}

export async function revokeFeedToken(db: Db, ctx: RequestContext) {
  const actor = actorOf(ctx);
  await db.transaction(async (tx) => {
    // Turning off a link that is already off changes nothing (a second click): no error, nothing audited.
    if (!(await repo.deleteFeedToken(tx, actor.personId))) return;
    await recordAudit(tx, ctx, { action: 'calendar_feed.revoked', recordType: 'person', recordId: actor.personId, before: { personId: actor.personId } });
  });
}

export const feedOf = repo.feedOf;
export const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/** The events of a feed token's owner (from 30 days ago on), or null for a wrong or revoked token. */
export async function feedEvents(db: Db, token: string, now: Date) {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return null;
  const personId = await repo.personByFeedHash(db, hashToken(token));
  if (!personId) return null;
  return repo.registeredEvents(db, personId, new Date(now.getTime() - 30 * 86_400_000));
}
