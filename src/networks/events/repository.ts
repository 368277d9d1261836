import { sql, type SQL } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../../db/client.ts';
import { keptTotal } from '../../db/read-cache.ts';
import { longestEvent, networkEvents } from '../../db/schema.ts';
import type { NetworkKey } from '../networks.ts';
import type { EventFormat } from './schemas.ts';
import { pageClause } from '../../db/paging.ts';

/** A timestamptz as ISO 8601 UTC text, the same on PGlite and pg (raw reads do not agree on Date parsing). */
const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export type EventRow = {
  id: string;
  title: string;
  description: string;
  startsAt: Date;
  endsAt: Date;
  format: EventFormat;
  location: string | null;
  joiningUrl: string | null;
  capacity: number;
  registrationDeadline: Date | null;
  audience: NetworkKey[];
  seriesId: string | null;
  status: 'scheduled' | 'cancelled';
  sequence: number;
  createdAt: Date;
  updatedAt: Date;
  /** People with a place, and on the waitlist. */
  registered: number;
  waitlisted: number;
};

type RawEvent = Omit<EventRow, 'startsAt' | 'endsAt' | 'registrationDeadline' | 'createdAt' | 'updatedAt'> & {
  startsAt: string;
  endsAt: string;
  registrationDeadline: string | null;
  createdAt: string;
  updatedAt: string;
};

const toEvent = (r: RawEvent): EventRow => ({
  ...r,
  startsAt: new Date(r.startsAt),
  endsAt: new Date(r.endsAt),
  registrationDeadline: r.registrationDeadline ? new Date(r.registrationDeadline) : null,
  createdAt: new Date(r.createdAt),
  updatedAt: new Date(r.updatedAt),
});

const eventColumns = sql`e.id, e.title, e.description, ${iso('e.starts_at')} as "startsAt", ${iso('e.ends_at')} as "endsAt", e.format, e.location,
  e.joining_url as "joiningUrl", e.capacity, ${iso('e.registration_deadline')} as "registrationDeadline", e.audience, e.series_id as "seriesId",
  e.status, e.sequence, ${iso('e.created_at')} as "createdAt", ${iso('e.updated_at')} as "updatedAt",
  (select count(*)::int from network_event_registrations r where r.event_id = e.id and r.status = 'registered') as registered,
  (select count(*)::int from network_event_registrations r where r.event_id = e.id and r.status = 'waitlisted') as waitlisted`;

export type NewEvent = typeof networkEvents.$inferInsert;

export async function insertEvents(tx: DbOrTx, rows: NewEvent[]) {
  return tx.insert(networkEvents).values(rows).returning({ id: networkEvents.id, startsAt: networkEvents.startsAt });
}

export async function findEvent(db: DbOrTx, id: string): Promise<EventRow | undefined> {
  const [row] = await queryRows<RawEvent>(db, sql`select ${eventColumns} from network_events e where e.id = ${id}::uuid`);
  return row && toEvent(row);
}

/**
 * Locks the event's row until the transaction ends and reads it: every change to its registrations takes this lock
 * first, so two people registering for the last place are served one after the other and only one gets it.
 */
export async function lockEvent(tx: DbOrTx, id: string): Promise<EventRow | undefined> {
  await tx.execute(sql`select id from network_events where id = ${id}::uuid for update`);
  return findEvent(tx, id);
}

/**
 * The scheduled events of a series from this start on (this one and the later ones), locked (in id order, so two
 * changes to one series cannot deadlock) and read, soonest first.
 */
export async function lockSeriesFrom(tx: DbOrTx, seriesId: string, from: Date): Promise<EventRow[]> {
  const where = sql`e.series_id = ${seriesId}::uuid and e.status = 'scheduled' and e.starts_at >= ${from.toISOString()}::timestamptz`;
  await tx.execute(sql`select e.id from network_events e where ${where} order by e.id for update`);
  return (await queryRows<RawEvent>(tx, sql`select ${eventColumns} from network_events e where ${where} order by e.starts_at, e.id`)).map(toEvent);
}

/** How many scheduled events of the series start after this one (for "this event and the N later ones"). */
export async function laterInSeries(db: DbOrTx, seriesId: string, after: Date) {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from network_events where series_id = ${seriesId}::uuid and status = 'scheduled' and starts_at > ${after.toISOString()}::timestamptz`,
  );
  return row.n;
}

/**
 * Upcoming: not ended yet; past: ended. Each also bounds the start, which changes no answer (an event ends after it
 * starts and within `longestEvent` of it, both checked by the table) but gives the start-date index, whose order the
 * lists use, a place to begin: without it the upcoming list's walk began at the first event ever held and read every
 * past one.
 */
const whenClause = (when: 'upcoming' | 'past', now: Date) => {
  const at = sql`${now.toISOString()}::timestamptz`;
  return when === 'upcoming' ? sql`e.ends_at > ${at} and e.starts_at > ${at} - ${longestEvent}` : sql`e.ends_at <= ${at} and e.starts_at < ${at}`;
};

/**
 * A page of the events for any of these networks, upcoming (soonest first) or past (latest first), with the total;
 * every one of them without a page (the downloads).
 */
export async function listEvents(db: DbOrTx, networks: readonly NetworkKey[], when: 'upcoming' | 'past', now: Date, page?: { limit: number; offset: number }) {
  if (!networks.length) return { rows: [] as EventRow[], total: 0 };
  const audience = sql`e.audience && ${pgArray(networks)}::text[]`;
  const where = sql`${audience} and ${whenClause(when, now)}`;
  const order = when === 'upcoming' ? sql`e.starts_at, e.id` : sql`e.starts_at desc, e.id`;
  const select = sql`select ${eventColumns} from network_events e where ${where} order by ${order}`;
  if (!page) {
    const rows = (await queryRows<RawEvent>(db, select)).map(toEvent);
    return { rows, total: rows.length };
  }
  const [rows, count] = await Promise.all([
    // The page chosen before its registrations are counted (counted in the same select, the offset's skipped events were too).
    queryRows<RawEvent>(
      db,
      sql`select ${eventColumns} from (select * from network_events e where ${where} order by ${order}${pageClause(page.limit, page.offset)}) e order by ${order}`,
    ),
    countEvents(db, audience, networks, when, now),
  ]);
  return { rows: rows.map(toEvent), total: count };
}

/**
 * How many events `listEvents` pages through. The past ones are all the events less the upcoming ones: counted
 * directly they were every event that ever ended (read row by row, more every month), while the upcoming ones are a
 * short stretch of the end-date index, read afresh each time (time moves events from one side to the other), and the
 * count of all of them is kept between changes like the other lists' counts (db/read-cache.ts: events are written
 * only by audited services and are never deleted).
 */
async function countEvents(db: DbOrTx, audience: SQL, networks: readonly NetworkKey[], when: 'upcoming' | 'past', now: Date) {
  const count = (where: SQL) => queryRows<{ n: number }>(db, sql`select count(*)::int as n from network_events e where ${where}`);
  const upcoming = count(sql`${audience} and ${whenClause('upcoming', now)}`).then(([r]) => r.n);
  if (when === 'upcoming') return upcoming;
  const [all, notYetEnded] = await Promise.all([keptTotal(db, 'network-events', [...networks].sort(), {}, () => count(audience)).then(([r]) => r.n), upcoming]);
  return all - notYetEnded;
}

export async function updateEvent(tx: DbOrTx, id: string, set: SQL) {
  await tx.execute(sql`update network_events set ${set}, sequence = sequence + 1, updated_at = now() where id = ${id}::uuid`);
}

export type RegistrationRow = {
  id: string;
  personId: string;
  status: 'registered' | 'waitlisted' | 'cancelled';
  waitlistPosition: number | null;
  attended: boolean;
  walkIn: boolean;
};

const registrationColumns = sql`r.id, r.person_id as "personId", r.status, r.waitlist_position::float8 as "waitlistPosition", r.attended, r.walk_in as "walkIn"`;

export async function registrationOf(db: DbOrTx, eventId: string, personId: string): Promise<RegistrationRow | undefined> {
  const [row] = await queryRows<RegistrationRow>(db, sql`select ${registrationColumns} from network_event_registrations r where r.event_id = ${eventId}::uuid and r.person_id = ${personId}::uuid`);
  return row;
}

/** The person's registrations (not cancelled) for these events, with their place on each waitlist: one query for a page. */
export async function registrationsFor(db: DbOrTx, personId: string, eventIds: readonly string[]) {
  if (!eventIds.length) return new Map<string, { status: 'registered' | 'waitlisted'; waitlistPlace: number | null }>();
  const rows = await queryRows<{ eventId: string; status: 'registered' | 'waitlisted'; waitlistPlace: number | null }>(
    db,
    sql`select r.event_id as "eventId", r.status,
          case when r.status = 'waitlisted' then (select count(*)::int from network_event_registrations w
            where w.event_id = r.event_id and w.status = 'waitlisted' and w.waitlist_position <= r.waitlist_position) end as "waitlistPlace"
        from network_event_registrations r
        where r.person_id = ${personId}::uuid and r.event_id = any(${pgArray(eventIds)}::uuid[]) and r.status <> 'cancelled'`,
  );
  return new Map(rows.map((r) => [r.eventId, { status: r.status, waitlistPlace: r.waitlistPlace }]));
}

/** The person's place on the waitlist (1 is next), or null. */
export async function waitlistPlace(db: DbOrTx, eventId: string, personId: string): Promise<number | null> {
  const [row] = await queryRows<{ place: number | null }>(
    db,
    sql`select (select count(*)::int from network_event_registrations w where w.event_id = r.event_id and w.status = 'waitlisted' and w.waitlist_position <= r.waitlist_position) as place
        from network_event_registrations r where r.event_id = ${eventId}::uuid and r.person_id = ${personId}::uuid and r.status = 'waitlisted'`,
  );
  return row?.place ?? null;
}

/**
 * Registers the person (a place, or the end of the waitlist). A cancelled registration is reused; an active one is
 * left alone and false answered (the unique key decides, whatever the caller read before).
 */
export async function upsertRegistration(tx: DbOrTx, row: { eventId: string; personId: string; status: 'registered' | 'waitlisted'; now: Date; walkIn?: boolean }) {
  const position = row.status === 'waitlisted' ? sql`nextval('network_event_waitlist_seq')` : sql`null`;
  const at = row.now.toISOString();
  const done = await queryRows<{ id: string }>(
    tx,
    sql`insert into network_event_registrations (event_id, person_id, status, waitlist_position, walk_in, registered_at, updated_at)
        values (${row.eventId}::uuid, ${row.personId}::uuid, ${row.status}, ${position}, ${row.walkIn ?? false}, ${at}::timestamptz, ${at}::timestamptz)
        on conflict (event_id, person_id) do update set status = excluded.status, waitlist_position = excluded.waitlist_position,
          walk_in = excluded.walk_in, registered_at = excluded.registered_at, updated_at = excluded.updated_at, attended = false
        where network_event_registrations.status = 'cancelled'
        returning id`,
  );
  return done.length > 0;
}

export async function cancelRegistration(tx: DbOrTx, eventId: string, personId: string, now: Date) {
  await tx.execute(
    sql`update network_event_registrations set status = 'cancelled', waitlist_position = null, attended = false, updated_at = ${now.toISOString()}::timestamptz
        where event_id = ${eventId}::uuid and person_id = ${personId}::uuid`,
  );
}

/** Events not yet started where the person holds a place or a waitlist entry, in id order (the order they are locked in). */
export async function upcomingRegistrationEvents(db: DbOrTx, personId: string, now: Date): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`select e.id from network_event_registrations r join network_events e on e.id = r.event_id
        where r.person_id = ${personId}::uuid and r.status in ('registered', 'waitlisted') and e.starts_at > ${now.toISOString()}::timestamptz
        order by e.id`,
  );
  return rows.map((r) => r.id);
}

/**
 * The places and waitlist entries at events not yet started of a council's people (working for it, or enrolled
 * through it), by event (the order events are locked in), waitlist entries first.
 */
export async function upcomingRegistrationsOfCouncil(db: DbOrTx, councilId: string, now: Date) {
  return queryRows<{ eventId: string; personId: string }>(
    db,
    sql`select r.event_id as "eventId", r.person_id as "personId" from network_event_registrations r
        join network_events e on e.id = r.event_id join people p on p.id = r.person_id
        where r.status in ('registered', 'waitlisted') and e.starts_at > ${now.toISOString()}::timestamptz
          and (p.organisation_id = ${councilId}::uuid or exists (select 1 from enrolments en where en.person_id = p.id and en.council_id = ${councilId}::uuid))
        order by r.event_id, r.status = 'registered', r.person_id`,
  );
}

/** The first on the waitlist, with their name and address, for a place that has freed up. */
export async function firstWaitlisted(tx: DbOrTx, eventId: string) {
  const [row] = await queryRows<{ personId: string; name: string; email: string }>(
    tx,
    sql`select r.person_id as "personId", p.name, p.email from network_event_registrations r join people p on p.id = r.person_id
        where r.event_id = ${eventId}::uuid and r.status = 'waitlisted' order by r.waitlist_position limit 1`,
  );
  return row;
}

export async function promote(tx: DbOrTx, eventId: string, personId: string, now: Date) {
  await tx.execute(
    sql`update network_event_registrations set status = 'registered', waitlist_position = null, updated_at = ${now.toISOString()}::timestamptz
        where event_id = ${eventId}::uuid and person_id = ${personId}::uuid and status = 'waitlisted'`,
  );
}

export type Attendee = { personId: string; name: string; email: string; organisationName: string; status: RegistrationRow['status']; attended: boolean; walkIn: boolean; waitlistPlace: number | null };

/** Everyone registered or waitlisted (and, for attendance, those who attended), by name; the waitlist in order. */
export async function attendees(db: DbOrTx, eventId: string): Promise<Attendee[]> {
  return queryRows<Attendee>(
    db,
    sql`select r.person_id as "personId", p.name, p.email, o.name as "organisationName", r.status, r.attended, r.walk_in as "walkIn",
          case when r.status = 'waitlisted' then row_number() over (partition by r.status order by r.waitlist_position)::int end as "waitlistPlace"
        from network_event_registrations r join people p on p.id = r.person_id join organisations o on o.id = p.organisation_id
        where r.event_id = ${eventId}::uuid and r.status <> 'cancelled'
        order by r.status, r.waitlist_position nulls first, lower(p.name), p.id`,
  );
}

/** Everyone still registered or waitlisted (not erased), for telling them the event has changed or is cancelled. */
export async function activeRegistrants(tx: DbOrTx, eventId: string) {
  return queryRows<{ personId: string; name: string; email: string; status: 'registered' | 'waitlisted' }>(
    tx,
    sql`select r.person_id as "personId", p.name, p.email, r.status from network_event_registrations r join people p on p.id = r.person_id
        where r.event_id = ${eventId}::uuid and r.status <> 'cancelled' and p.erased_at is null order by p.id`,
  );
}

export async function setAttended(tx: DbOrTx, eventId: string, personId: string, attended: boolean, now: Date) {
  await tx.execute(
    sql`update network_event_registrations set attended = ${attended}, updated_at = ${now.toISOString()}::timestamptz
        where event_id = ${eventId}::uuid and person_id = ${personId}::uuid`,
  );
}

/** Adds the event to the person's CPD log, once: false when it is already there (the unique key decides). */
export async function addEventCpd(tx: DbOrTx, row: { personId: string; eventId: string; date: string; hours: number; reflection: string }) {
  const done = await queryRows<{ id: string }>(
    tx,
    sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection, network_event_id)
        values (${row.personId}::uuid, ${row.date}::date, ${row.hours}, 'network_event', ${row.reflection}, ${row.eventId}::uuid)
        on conflict (person_id, network_event_id) where network_event_id is not null do nothing returning id`,
  );
  return done[0]?.id ?? null;
}

export async function removeEventCpd(tx: DbOrTx, personId: string, eventId: string) {
  const done = await queryRows<{ id: string; hours: number }>(
    tx,
    sql`delete from cpd_records where person_id = ${personId}::uuid and network_event_id = ${eventId}::uuid returning id, hours::float8 as hours`,
  );
  return done[0] ?? null;
}

/** A person who may be recorded as a walk-in: found by email address (any case), still in the programme. */
export async function personByEmail(db: DbOrTx, email: string) {
  const [row] = await queryRows<{ id: string; name: string }>(
    db,
    sql`select p.id, p.name from people p where lower(p.email) = lower(${email}) and p.status <> 'deactivated' and p.erased_at is null`,
  );
  return row;
}

/** Events the person has a place at (and those of them since cancelled, so calendars drop them), by start. */
export async function registeredEvents(db: DbOrTx, personId: string, since: Date): Promise<EventRow[]> {
  const rows = await queryRows<RawEvent>(
    db,
    sql`select ${eventColumns} from network_events e join network_event_registrations r on r.event_id = e.id
        where r.person_id = ${personId}::uuid and r.status = 'registered' and e.ends_at > ${since.toISOString()}::timestamptz
        order by e.starts_at, e.id`,
  );
  return rows.map(toEvent);
}

export async function saveFeedToken(tx: DbOrTx, personId: string, tokenHash: string, now: Date) {
  await tx.execute(
    sql`insert into network_calendar_feeds (person_id, token_hash, created_at) values (${personId}::uuid, ${tokenHash}, ${now.toISOString()}::timestamptz)
        on conflict (person_id) do update set token_hash = excluded.token_hash, created_at = excluded.created_at`,
  );
}

export async function deleteFeedToken(tx: DbOrTx, personId: string) {
  const done = await queryRows<{ personId: string }>(tx, sql`delete from network_calendar_feeds where person_id = ${personId}::uuid returning person_id as "personId"`);
  return done.length > 0;
}

export async function feedOf(db: DbOrTx, personId: string) {
  const [row] = await queryRows<{ createdAt: string }>(db, sql`select ${iso('created_at')} as "createdAt" from network_calendar_feeds where person_id = ${personId}::uuid`);
  return row ? { createdAt: new Date(row.createdAt) } : null;
}

/** The person a feed token belongs to, if it is current and they are still in the programme. */
export async function personByFeedHash(db: DbOrTx, tokenHash: string) {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`select p.id from network_calendar_feeds f join people p on p.id = f.person_id
        where f.token_hash = ${tokenHash} and p.status <> 'deactivated' and p.erased_at is null`,
  );
  return row?.id ?? null;
}
