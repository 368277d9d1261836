import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ical, { type VEvent } from 'node-ical';
import { backends, createTestApp, errorSummary, testNow, type Agent, type TestApp } from '../../../test/helpers.ts';
import { pgArray, queryRows } from '../../db/client.ts';
import { demoAccounts } from '../../db/seed/demo.ts';
import { createApiToken } from '../../auth/service.ts';
import { londonDateTime } from './london-time.ts';
import { subjectRecords } from '../../privacy/repository.ts';

type Form = Record<string, string | string[]>;

/** The event form, filled in: 18:00 to 19:30 UK time on the day, online, for the Learners Network. */
const eventForm = (date: string, extra: Form = {}): Form => {
  const [year, month, day] = date.split('-');
  return {
    title: 'Supplier performance clinic',
    description: 'How councils run supplier reviews.\nBring a contract.',
    'date-day': String(Number(day)),
    'date-month': String(Number(month)),
    'date-year': year,
    startTime: '18:00',
    endTime: '19:30',
    format: 'online',
    joiningUrl: 'https://meet.example.org/clinic',
    capacity: '30',
    audience: ['learners'],
    repeat: 'none',
    ...extra,
  };
};

describe.each(backends)('network events (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let learner: Agent;
  const ids: Record<string, string> = {};
  /** Learners Network members who are not demo sign-ins, each with an API token. */
  let members: { id: string; email: string; token: string }[] = [];
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  const tokens: Record<string, string> = {};

  const api = (token: string, method: 'GET' | 'POST' | 'DELETE', url: string) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

  /** Creates an event through the admin's form and answers its id. */
  async function createEvent(date: string, extra: Form = {}, network = 'learners') {
    const res = await admin.submit(`/networks/${network}/events`, eventForm(date, extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    const id = /\/events\/([0-9a-f-]{36})/.exec(res.headers.location as string)?.[1];
    expect(id).toBeTruthy();
    return id!;
  }
  const registrations = (eventId: string) =>
    rows<{ personId: string; status: string }>(sql`select person_id as "personId", status from network_event_registrations where event_id = ${eventId} order by waitlist_position nulls first, person_id`);
  const count = async (q: ReturnType<typeof sql>) => (await rows<{ n: number }>(q))[0].n;
  const mails = () => rows<{ to: string; subject: string; body: string }>(sql`select to_email as "to", subject, body from notifications order by to_email`);
  // The demo data registers members for its own events too, so a leaver may free places there as well.
  const mailsAbout = async (title: string) => (await mails()).filter((m) => m.subject.endsWith(`: ${title}`));

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    learner = await t.signIn('learner');
    for (const [key, account] of Object.entries(demoAccounts)) {
      [{ id: ids[key] }] = await rows<{ id: string }>(sql`select id from people where email = ${account.email}`);
      tokens[key] = (await createApiToken(t.db, { actor: null, clock: t.clock }, ids[key], 'events')).token;
    }
    const found = await rows<{ id: string; email: string }>(
      sql`select distinct p.id, p.email from people p join enrolments e on e.person_id = p.id
          join participations pa on pa.council_id = e.council_id and pa.status = 'active'
          where e.status not in ('nominated', 'declined', 'withdrawn') and p.status <> 'deactivated' and p.erased_at is null
            and p.email not like '%demo-council%' order by p.id limit 53`,
    );
    members = [];
    for (const m of found) members.push({ ...m, token: (await createApiToken(t.db, { actor: null, clock: t.clock }, m.id, 'events')).token });
  });
  afterAll(async () => t?.close());

  describe('creating events', () => {
    it('adds an event from the form, audited, shown on the network’s home and events list in UK time', async () => {
      const id = await createEvent('2027-01-14');
      const page = text((await admin.get(`/networks/learners/events/${id}`)).body);
      expect(page).toContain('Supplier performance clinic');
      expect(page).toContain('Thursday 14 January 2027, 6pm to 7:30pm');
      const [audit] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'network_event.created' and record_id = ${id}`);
      expect(audit.n).toBe(1);
      expect(text((await learner.get('/networks/learners/events')).body)).toContain('Supplier performance clinic');
      const home = text((await learner.get('/networks/learners')).body);
      expect(home).toContain('Upcoming events');
      expect(home).toMatch(/Learners’ clinic|Supplier performance clinic/);
    });

    it('refuses bad input with the error beside the field, and writes nothing', async () => {
      const before = await count(sql`select count(*)::int as n from network_events`);
      const cases: [Form, string][] = [
        [{ endTime: '17:00' }, 'End time must be after the start time'],
        [{ 'date-year': '2026', 'date-month': '11', 'date-day': '1' }, 'The event must start in the future'],
        [{ format: 'in_person', location: '' }, 'Enter where the event takes place'],
        [{ joiningUrl: 'javascript:alert(1)' }, 'Joining link must start with https:// or http://'],
        [{ title: '<script>alert(1)</script>' }, 'Title must be plain text, without HTML or script'],
        [{ capacity: '0' }, 'Number of places must be 1 or more'],
        [{ capacity: 'lots' }, 'Enter the number of places as a whole number'],
        [{ 'deadline-day': '20', 'deadline-month': '1', 'deadline-year': '2027' }, 'Registration deadline must be on or before the date of the event'],
        [{ startTime: '25:00' }, 'Start time must be a real time'],
        [{ audience: [] }, 'Select who the event is for'],
        [{ 'date-day': '28', 'date-month': '3', 'date-year': '2027', startTime: '01:30', endTime: '03:00' }, 'Start time does not exist on that day'],
        [{ repeat: 'monthly', occurrences: '40' }, 'Number of events must be a whole number from 2 to 24'],
      ];
      for (const [change, message] of cases) {
        const res = await admin.submit('/networks/learners/events', eventForm('2027-01-14', change));
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
      }
      expect(await count(sql`select count(*)::int as n from network_events`)).toBe(before);
    });

    it('refuses members who are not facilitators (403) and people who cannot see the network (404)', async () => {
      expect((await learner.get('/networks/learners/events/new')).statusCode).toBe(403);
      expect((await learner.submit('/networks/learners/events', eventForm('2027-01-14'))).statusCode).toBe(403);
      const sro = await t.signIn('sro');
      expect((await sro.get('/networks/learners/events/new')).statusCode).toBe(404);
      expect((await sro.get('/networks/learners/events')).statusCode).toBe(404);
    });

    it('lets a network’s facilitator (added by hand) manage its events', async () => {
      await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('sro', ${ids.partnerLp}, 'facilitator', now())`);
      const partner = await t.signIn('partnerLp');
      const res = await partner.submit('/networks/sro/events', eventForm('2027-01-20', { audience: ['sro'] }));
      expect(res.statusCode).toBe(302);
      // Not a facilitator of the Learners Network: programme staff see it but may not add to it.
      expect((await partner.get('/networks/learners/events/new')).statusCode).toBe(403);
      await t.db.execute(sql`delete from network_members where person_id = ${ids.partnerLp}`);
    });

    it('creates a monthly series in one go, each at 18:00 UK time across the clock change', async () => {
      const res = await admin.submit('/networks/learners/events', eventForm('2027-02-15', { repeat: 'monthly', occurrences: '3', title: 'Monthly series' }));
      expect(res.statusCode).toBe(302);
      const made = await rows<{ startsAt: string; seriesId: string }>(
        sql`select to_char(starts_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"') as "startsAt", series_id as "seriesId" from network_events where title = 'Monthly series' order by starts_at`,
      );
      expect(made.map((m) => m.startsAt)).toEqual(['2027-02-15T18:00Z', '2027-03-15T18:00Z', '2027-04-15T17:00Z']);
      expect(new Set(made.map((m) => m.seriesId)).size).toBe(1);
      expect(made[0].seriesId).toBeTruthy();
    });
  });

  describe('registration and the waitlist', () => {
    it('registers up to capacity, then waitlists, and promotes in order as places free up, telling the promoted by email', async () => {
      const id = await createEvent('2027-01-21', { capacity: '2', title: 'Small clinic' });
      const [a, b, c, d] = members;
      for (const m of [a, b, c, d]) expect((await api(m.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      const waiting = await api(d.token, 'GET', `/network-events?pageSize=100`);
      const mine = (waiting.json() as { data: { id: string; myRegistration: { status: string; waitlistPlace: number } | null }[] }).data.find((e) => e.id === id)!;
      expect(mine.myRegistration).toEqual({ status: 'waitlisted', waitlistPlace: 2 });
      // The list's counts: places taken and waiting, a cancelled registration in neither.
      const counts = async () => {
        const e = (await api(a.token, 'GET', '/network-events?pageSize=100')).json().data.find((x: { id: string }) => x.id === id);
        return { placesTaken: e.placesTaken, waitlisted: e.waitlisted };
      };
      expect(await counts()).toEqual({ placesTaken: 2, waitlisted: 2 });
      expect((await registrations(id)).map((r) => [r.personId, r.status])).toEqual([
        ...[a, b].map((m) => [m.id, 'registered']).sort(),
        [c.id, 'waitlisted'],
        [d.id, 'waitlisted'],
      ]);
      await t.db.execute(sql`delete from notifications`);
      expect((await api(a.token, 'DELETE', `/network-events/${id}/registrations`)).statusCode).toBe(200);
      const after = new Map((await registrations(id)).map((r) => [r.personId, r.status]));
      expect(after.get(c.id)).toBe('registered');
      expect(after.get(d.id)).toBe('waitlisted');
      expect(after.get(a.id)).toBe('cancelled');
      // Each sees their own registration in the list: none once cancelled, the place taken, the waitlist moved up.
      const listed = async (m: (typeof members)[number]) =>
        (await api(m.token, 'GET', '/network-events?pageSize=100')).json().data.find((e: { id: string }) => e.id === id).myRegistration;
      expect(await listed(a)).toBeNull();
      expect(await listed(c)).toEqual({ status: 'registered', waitlistPlace: null });
      expect(await listed(d)).toEqual({ status: 'waitlisted', waitlistPlace: 1 });
      expect(await counts()).toEqual({ placesTaken: 2, waitlisted: 1 });
      const mails = await rows<{ to: string; subject: string }>(sql`select to_email as "to", subject from notifications`);
      expect(mails).toEqual([{ to: c.email, subject: 'You have a place: Small clinic' }]);
      // d leaves the waitlist: nobody promoted, nobody emailed.
      expect((await api(d.token, 'DELETE', `/network-events/${id}/registrations`)).statusCode).toBe(200);
      expect(await count(sql`select count(*)::int as n from notifications`)).toBe(1);
      expect(await count(sql`select count(*)::int as n from audit_events where record_id = ${id} and action = 'network_event.promoted'`)).toBe(1);
      expect(await counts()).toEqual({ placesTaken: 2, waitlisted: 0 });
    });

    it('gives up the places of someone erased or deactivated, the waitlist moving up and told by email', async () => {
      const id = await createEvent('2027-01-25', { capacity: '2', title: 'Leavers clinic' });
      // The last two members leave for good; the others are used by later tests.
      const [first, second, leaver, deactivated] = [members[8], members[9], members[50], members[51]];
      for (const m of [leaver, deactivated, first, second]) expect((await api(m.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      await t.db.execute(sql`delete from notifications`);

      expect((await admin.submit(`/people/${leaver.id}/erase`, { reason: 'Asked to be forgotten' })).statusCode).toBe(200);
      let now = new Map((await registrations(id)).map((r) => [r.personId, r.status]));
      expect([now.get(leaver.id), now.get(first.id), now.get(second.id)]).toEqual(['cancelled', 'registered', 'waitlisted']);
      expect((await admin.submit(`/people/${deactivated.id}/deactivate`, {})).statusCode).toBe(302);
      now = new Map((await registrations(id)).map((r) => [r.personId, r.status]));
      expect([now.get(deactivated.id), now.get(second.id)]).toEqual(['cancelled', 'registered']);

      expect((await mailsAbout('Leavers clinic')).map((m) => [m.to, m.subject])).toEqual([first.email, second.email].sort().map((to) => [to, 'You have a place: Leavers clinic']));
      expect(await count(sql`select count(*)::int as n from audit_events where record_id = ${id} and action = 'network_event.registration_released'`)).toBe(2);
      const log = await t.app.inject({ url: `/api/v1/audit-events?recordId=${id}&action=network_event.registration_released`, headers: { authorization: `Bearer ${tokens.admin}` } });
      expect(log.json().data.map((e: { description: string }) => e.description).join('\n')).toMatch(/Erased person \d+’s registration for the event “Leavers clinic” was given up, as they can no longer take part/);
    });

    it('takes someone deactivated off a waitlist without promoting or emailing anyone', async () => {
      const id = await createEvent('2027-01-26', { capacity: '1', title: 'Waitlist leaver clinic' });
      const [holder, leaver, after] = [members[7], members[52], members[6]];
      for (const m of [holder, leaver, after]) expect((await api(m.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      await t.db.execute(sql`delete from notifications`);
      expect((await admin.submit(`/people/${leaver.id}/deactivate`, {})).statusCode).toBe(302);
      const now = new Map((await registrations(id)).map((r) => [r.personId, r.status]));
      expect([now.get(holder.id), now.get(leaver.id), now.get(after.id)]).toEqual(['registered', 'cancelled', 'waitlisted']);
      expect(await mailsAbout('Waitlist leaver clinic')).toEqual([]);
      // The one still waiting moves up to first.
      const mine = (await api(after.token, 'GET', '/network-events?pageSize=100')).json().data.find((e: { id: string }) => e.id === id);
      expect(mine.myRegistration).toEqual({ status: 'waitlisted', waitlistPlace: 1 });
    });

    it('gives up the places of a council’s people when it stops taking part, keeping those who still belong another way', async () => {
      const id = await createEvent('2027-01-27', { capacity: '1', title: 'Council leavers clinic' });
      // A council none of the members above learn through, with three learners of its own.
      const [council] = await rows<{ id: string }>(
        sql`select e.council_id as id from enrolments e join participations pa on pa.council_id = e.council_id and pa.status = 'active'
            join people p on p.id = e.person_id
            where e.status not in ('nominated', 'declined', 'withdrawn') and p.status <> 'deactivated' and p.erased_at is null and p.email not like '%demo-council%'
              and not exists (select 1 from enrolments x where x.council_id = e.council_id and x.person_id = any(${pgArray(members.map((m) => m.id))}::uuid[]))
            group by e.council_id having count(distinct e.person_id) >= 3 order by e.council_id limit 1`,
      );
      const [holder, waiting, handAdded] = await rows<{ id: string; email: string }>(
        sql`select distinct p.id, p.email from people p join enrolments e on e.person_id = p.id
            where e.council_id = ${council.id} and e.status not in ('nominated', 'declined', 'withdrawn') and p.status <> 'deactivated' and p.erased_at is null
            order by p.id limit 3`,
      );
      // Added to the Learners Network by hand as well, so they stay a member when their council leaves.
      await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('learners', ${handAdded.id}, 'member', now())`);
      const stayer = members[5];
      for (const who of [holder, waiting, handAdded]) {
        const token = (await createApiToken(t.db, { actor: null, clock: t.clock }, who.id, 'events')).token;
        expect((await api(token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      }
      expect((await api(stayer.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      await t.db.execute(sql`delete from notifications`);

      const [{ version }] = await rows<{ version: number }>(sql`select version from participations where council_id = ${council.id}`);
      expect((await admin.submit(`/councils/${council.id}/status`, { status: 'withdrawn', reason: 'Left the programme', version: String(version) })).statusCode).toBe(302);
      const now = new Map((await registrations(id)).map((r) => [r.personId, r.status]));
      expect([now.get(holder.id), now.get(waiting.id), now.get(handAdded.id), now.get(stayer.id)]).toEqual(['cancelled', 'cancelled', 'registered', 'waitlisted']);
      // The waitlist entry went first, so the freed place went to someone staying, who alone is told.
      expect((await mailsAbout('Council leavers clinic')).map((m) => [m.to, m.subject])).toEqual([[handAdded.email, 'You have a place: Council leavers clinic']]);
      expect(await count(sql`select count(*)::int as n from audit_events where record_id = ${id} and action = 'network_event.registration_released'`)).toBe(2);
      const mine = (await api(stayer.token, 'GET', '/network-events?pageSize=100')).json().data.find((e: { id: string }) => e.id === id);
      expect(mine.myRegistration).toEqual({ status: 'waitlisted', waitlistPlace: 1 });
      // Put back for the tests below.
      await t.db.execute(sql`update participations set status = 'active' where council_id = ${council.id}`);
      await t.db.execute(sql`delete from network_members where person_id = ${handAdded.id}`);
    });

    it('refuses double registration (409), a closed registration and someone outside the event’s networks (422), with problem details', async () => {
      const id = await createEvent('2027-01-22', { 'deadline-day': '10', 'deadline-month': '1', 'deadline-year': '2027' });
      const [a] = members;
      expect((await api(a.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      const twice = await api(a.token, 'POST', `/network-events/${id}/registrations`);
      expect(twice.statusCode).toBe(409);
      expect(twice.headers['content-type']).toContain('application/problem+json');
      expect(twice.json().detail).toBe('You are already registered for this event');
      // Programme staff see the network but do not belong to it.
      const staff = await api(tokens.admin, 'POST', `/network-events/${id}/registrations`);
      expect(staff.statusCode).toBe(422);
      expect(staff.json().detail).toContain('Only members of the Learners Network');
      // An SRO cannot see the Learners Network's events at all.
      expect((await api(tokens.sro, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(404);
      // The deadline passes (moved, rather than the clock, which would end the test's sessions).
      await t.db.execute(sql`update network_events set registration_deadline = '2026-11-26T00:00:00Z' where id = ${id}`);
      const late = await api(members[1].token, 'POST', `/network-events/${id}/registrations`);
      expect(late.statusCode).toBe(422);
      expect(late.json().detail).toBe('Registration for this event closed at the end of 25 November 2026');
      expect(await count(sql`select count(*)::int as n from network_event_registrations where event_id = ${id}`)).toBe(1);
    });

    it('gives the last places to exactly as many people as there are, however many register at once (50 for 3)', async () => {
      expect(members).toHaveLength(53);
      const id = await createEvent('2027-01-23', { capacity: '3' });
      const results = await Promise.all(members.slice(0, 50).map((m) => api(m.token, 'POST', `/network-events/${id}/registrations`)));
      expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(201));
      const statuses = results.map((r) => r.json().status as string);
      expect(statuses.filter((s) => s === 'registered')).toHaveLength(3);
      expect(statuses.filter((s) => s === 'waitlisted')).toHaveLength(47);
      const places = results.map((r) => r.json().waitlistPlace).filter((p) => p !== null).sort((x, y) => x - y);
      expect(places).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
      expect(await count(sql`select count(*)::int as n from network_event_registrations where event_id = ${id} and status = 'registered'`)).toBe(3);
    });

    it('shows the joining link only to people registered, on the page and from the API', async () => {
      const id = await createEvent('2027-01-24');
      expect((await learner.get(`/networks/learners/events/${id}`)).body).not.toContain('meet.example.org/clinic');
      // Nor in the calendar file of someone without a place.
      expect((await learner.get(`/networks/learners/events/${id}/event.ics`)).body).not.toContain('meet.example.org/clinic');
      const res = await learner.submit(`/networks/learners/events/${id}/register`, {});
      expect(res.statusCode).toBe(302);
      const page = (await learner.get(res.headers.location as string)).body;
      expect(text(page)).toContain('You are registered for this event');
      expect(page).toContain('https://meet.example.org/clinic');
      expect((await learner.get(`/networks/learners/events/${id}/event.ics`)).body).toContain('meet.example.org/clinic');
      const other = (await api(members[0].token, 'GET', '/network-events?pageSize=100')).json().data.find((e: { id: string }) => e.id === id);
      expect(other.joiningUrl).toBeNull();
      const own = (await api(tokens.learner, 'GET', '/network-events?pageSize=100')).json().data.find((e: { id: string }) => e.id === id);
      expect(own.joiningUrl).toBe('https://meet.example.org/clinic');
      expect((await learner.submit(`/networks/learners/events/${id}/cancel-registration`, {})).statusCode).toBe(302);
      expect((await learner.get(`/networks/learners/events/${id}`)).body).not.toContain('meet.example.org/clinic');
    });

    it('refuses a capacity below the places taken, and promotes from the waitlist when the capacity grows', async () => {
      const id = await createEvent('2027-01-25', { capacity: '1' });
      for (const m of members.slice(0, 3)) await api(m.token, 'POST', `/network-events/${id}/registrations`);
      const sequence = async () => (await rows<{ s: number }>(sql`select sequence as s from network_events where id = ${id}`))[0].s;
      const bad = await admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-01-25', { capacity: '0' }));
      expect(bad.statusCode).toBe(400);
      await t.db.execute(sql`update network_event_registrations set status = 'registered', waitlist_position = null where event_id = ${id} and person_id = ${members[1].id}`);
      const below = await admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-01-25', { capacity: '1' }));
      expect(below.statusCode).toBe(400);
      expect(errorSummary(below.body)).toContain('Number of places must be at least 2: that many people are already registered');
      expect(await sequence()).toBe(0);
      const grown = await admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-01-25', { capacity: '5' }));
      expect(grown.statusCode).toBe(302);
      expect((await registrations(id)).every((r) => r.status === 'registered')).toBe(true);
      expect(await sequence()).toBe(1);
    });
  });

  describe('telling people of changes', () => {
    const parse = (body: string) => Object.values(ical.sync.parseICS(body)).filter((c) => c?.type === 'VEVENT') as VEvent[];

    it('emails each person registered or waiting once with what changed, never a cancelled registration, and nothing for a change of no consequence', async () => {
      const id = await createEvent('2027-02-10', { capacity: '2', title: 'Change clinic' });
      const [a, b, c, d] = members;
      for (const m of [a, b, c, d]) expect((await api(m.token, 'POST', `/network-events/${id}/registrations`)).statusCode).toBe(201);
      // d leaves the waitlist: they hear nothing more of this event.
      expect((await api(d.token, 'DELETE', `/network-events/${id}/registrations`)).statusCode).toBe(200);
      await t.db.execute(sql`delete from notifications`);
      const edit = (extra: Form) => admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-02-10', { capacity: '2', title: 'Change clinic', ...extra }));

      // A new title and description: calendars update, nobody is emailed.
      expect((await edit({ title: 'Change clinic', description: 'A new description.' })).statusCode).toBe(302);
      expect(await mails()).toEqual([]);

      // A new time: everyone with a place or waiting, once each.
      expect((await edit({ description: 'A new description.', startTime: '18:30', endTime: '20:00' })).statusCode).toBe(302);
      const timed = await mails();
      expect(timed.map((m) => m.to)).toEqual([a.email, b.email, c.email].sort());
      expect(new Set(timed.map((m) => m.subject))).toEqual(new Set(['Changed: Change clinic']));
      const toA = timed.find((m) => m.to === a.email)!.body;
      expect(toA).toContain('When: now Wednesday 10 February 2027, 6:30pm to 8pm (UK time). It was Wednesday 10 February 2027, 6pm to 7:30pm.');
      expect(timed.find((m) => m.to === c.email)!.body).toContain('(you are on its waitlist)');
      await t.db.execute(sql`delete from notifications`);

      // A new joining link: only those with a place hear of it (the waitlist never sees the link).
      expect((await edit({ description: 'A new description.', startTime: '18:30', endTime: '20:00', joiningUrl: 'https://meet.example.org/new-room' })).statusCode).toBe(302);
      const linked = await mails();
      expect(linked.map((m) => m.to)).toEqual([a.email, b.email].sort());
      expect(linked[0].body).toContain('Joining link: now https://meet.example.org/new-room');
      expect(linked[0].body).not.toContain('When:');
      await t.db.execute(sql`delete from notifications`);

      // Now in person: a new place, and no joining link any more.
      expect((await edit({ description: 'A new description.', startTime: '18:30', endTime: '20:00', format: 'in_person', location: 'Room 4, Town Hall', joiningUrl: '' })).statusCode).toBe(302);
      const moved = await mails();
      expect(moved.map((m) => m.to)).toEqual([a.email, b.email, c.email].sort());
      expect(moved.find((m) => m.to === a.email)!.body).toContain('Where: now Room 4, Town Hall.');
      expect(moved.find((m) => m.to === a.email)!.body).toContain('Joining link: there is none now');
      expect(moved.find((m) => m.to === c.email)!.body).not.toContain('Joining link');
      await t.db.execute(sql`delete from notifications`);

      // The calendar file carries every change, and the cancellation.
      const [event] = parse((await admin.get(`/networks/learners/events/${id}/event.ics`)).body);
      expect(Number(event.sequence)).toBe(4);
      expect(event.location).toBe('Room 4, Town Hall');
      expect((await admin.submit(`/networks/learners/events/${id}/cancel`, {})).statusCode).toBe(302);
      const cancelled = await mails();
      expect(cancelled.map((m) => [m.to, m.subject])).toEqual([a.email, b.email, c.email].sort().map((to) => [to, 'Cancelled: Change clinic']));
      const [gone] = parse((await admin.get(`/networks/learners/events/${id}/event.ics`)).body);
      expect(gone.status).toBe('CANCELLED');
      expect(Number(gone.sequence)).toBe(5);
    });
  });

  describe('stale edits', () => {
    it('refuses an edit made on a form opened before someone else’s save (409), showing the event as it is now; saving again from there works', async () => {
      const id = await createEvent('2027-02-11', { title: 'Stale clinic' });
      const versionIn = (html: string) => /name="version" value="(\d+)"/.exec(html)?.[1];
      const mine = versionIn((await admin.get(`/networks/learners/events/${id}/edit`)).body);
      expect(mine).toBe('0');
      // Another facilitator saves a new place first.
      const partner = await t.signIn('admin');
      const theirs = versionIn((await partner.get(`/networks/learners/events/${id}/edit`)).body)!;
      expect((await partner.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-02-11', { title: 'Stale clinic', format: 'hybrid', location: 'Room 2', version: theirs }))).statusCode).toBe(302);
      const stale = await admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-02-11', { title: 'My new title', version: mine! }));
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this event since you opened the page');
      const page = text(stale.body);
      expect(page).toContain('The event as it is now');
      expect(page).toContain('Room 2');
      expect(stale.body).toContain('value="My new title"');
      const [saved] = await rows<{ title: string; sequence: number }>(sql`select title, sequence from network_events where id = ${id}`);
      expect(saved).toEqual({ title: 'Stale clinic', sequence: 1 });
      // The 409 page carries the version it read: saving from it is a deliberate choice, and works.
      const fresh = versionIn(stale.body);
      expect(fresh).toBe('1');
      const again = await admin.submit(`/networks/learners/events/${id}/edit`, eventForm('2027-02-11', { title: 'My new title', version: fresh! }));
      expect(again.statusCode).toBe(302);
      expect((await rows<{ title: string }>(sql`select title from network_events where id = ${id}`))[0].title).toBe('My new title');
    });
  });

  describe('series', () => {
    it('changes and cancels this event and the later ones of its series, carrying only what changed, one email to each person', async () => {
      expect((await admin.submit('/networks/learners/events', eventForm('2027-05-03', { repeat: 'weekly', occurrences: '4', title: 'Weekly clinic', capacity: '5' }))).statusCode).toBe(302);
      const series = () =>
        rows<{ id: string; title: string; starts: string; status: string; sequence: number }>(
          sql`select id, title, to_char(starts_at at time zone 'Europe/London', 'YYYY-MM-DD HH24:MI') as starts, status, sequence from network_events where title in ('Weekly clinic', 'Special session') order by starts_at`,
        );
      const [e1, e2, e3, e4] = (await series()).map((e) => e.id);
      // The third was given its own title: a change to the series leaves it.
      expect((await admin.submit(`/networks/learners/events/${e3}/edit`, eventForm('2027-05-17', { title: 'Special session', capacity: '5' }))).statusCode).toBe(302);
      // The form offers the rest of the series; an event on its own is not asked.
      const form = text((await admin.get(`/networks/learners/events/${e2}/edit`)).body);
      expect(form).toContain('Change this event and the 2 later ones in the series');
      expect(text((await admin.get(`/networks/learners/events/${e4}/edit`)).body)).not.toContain('Which events do you want to change?');
      const [a, b, c, d] = members;
      for (const e of [e2, e3, e4]) await api(a.token, 'POST', `/network-events/${e}/registrations`);
      await api(b.token, 'POST', `/network-events/${e1}/registrations`);
      for (const m of [c, d]) await api(m.token, 'POST', `/network-events/${e4}/registrations`);
      await t.db.execute(sql`delete from notifications`);
      const edit = (extra: Form) => admin.submit(`/networks/learners/events/${e2}/edit`, eventForm('2027-05-10', { title: 'Weekly clinic', capacity: '5', scope: 'following', ...extra }));

      // Too few places for a later event: refused, naming it, nothing written.
      const tooFew = await edit({ capacity: '2' });
      expect(tooFew.statusCode).toBe(400);
      expect(errorSummary(tooFew.body)).toContain('Number of places must be at least 3: that many people are already registered for the event on 24 May 2027');
      const bad = await edit({ scope: 'everything' });
      expect(bad.statusCode).toBe(400);
      expect(errorSummary(bad.body)).toContain('Select which events to change');

      // A day later and half an hour later, from the second on.
      const moved = await edit({ 'date-day': '11', startTime: '18:30', endTime: '20:00' });
      expect(moved.statusCode).toBe(302);
      expect(text((await admin.get(moved.headers.location as string)).body)).toContain('This event and the later ones in the series changed');
      expect((await series()).map((e) => [e.title, e.starts, e.sequence])).toEqual([
        ['Weekly clinic', '2027-05-03 18:00', 0],
        ['Weekly clinic', '2027-05-11 18:30', 1],
        ['Special session', '2027-05-18 18:30', 2],
        ['Weekly clinic', '2027-05-25 18:30', 1],
      ]);
      const changed = await mails();
      expect(changed.map((m) => [m.to, m.subject])).toEqual(
        [
          [a.email, 'Changed: 3 events you are registered for'],
          [c.email, 'Changed: Weekly clinic'],
          [d.email, 'Changed: Weekly clinic'],
        ].sort(),
      );
      expect(changed.find((m) => m.to === a.email)!.body).toContain('“Special session”:\n- When: now Tuesday 18 May 2027, 6:30pm to 8pm (UK time)');
      const audited = await count(sql`select count(*)::int as n from audit_events where action = 'network_event.changed' and record_id in (${e2}, ${e3}, ${e4})`);
      expect(audited).toBe(4);
      await t.db.execute(sql`delete from notifications`);

      // Cancelling from the third: the third and fourth go, the first two stay.
      const cancelPage = text((await admin.get(`/networks/learners/events/${e3}/cancel`)).body);
      expect(cancelPage).toContain('Cancel this event and the later one in the series');
      expect((await admin.submit(`/networks/learners/events/${e3}/cancel`, { scope: 'following' })).statusCode).toBe(302);
      expect((await series()).map((e) => e.status)).toEqual(['scheduled', 'scheduled', 'cancelled', 'cancelled']);
      const cancelled = await mails();
      expect(cancelled.map((m) => [m.to, m.subject])).toEqual(
        [
          [a.email, 'Cancelled: 2 events you are registered for'],
          [c.email, 'Cancelled: Weekly clinic'],
          [d.email, 'Cancelled: Weekly clinic'],
        ].sort(),
      );
    });
  });

  describe('attendance and CPD', () => {
    it('refuses attendance for an event that has not started', async () => {
      const id = await createEvent('2027-01-26');
      const res = await admin.submit(`/networks/learners/events/${id}/attendance`, { attended: [] });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('You can record attendance once the event has started');
    });

    it('adds a Learners Network event’s length to an attending learner’s CPD log once, and removes it when corrected', async () => {
      const id = await createEvent('2026-12-02');
      await learner.submit(`/networks/learners/events/${id}/register`, {});
      await api(members[0].token, 'POST', `/network-events/${id}/registrations`);
      // The event takes place: moved a week back, before the test clock's now (moving the clock would end the sessions).
      await t.db.execute(sql`update network_events set starts_at = starts_at - interval '7 days', ends_at = ends_at - interval '7 days' where id = ${id}`);
      {
        const cpd = () => rows<{ hours: number; activity: string }>(sql`select hours::float8 as hours, activity_type as activity from cpd_records where person_id = ${ids.learner} and network_event_id = ${id}`);
        const save = (attended: string[]) => admin.submit(`/networks/learners/events/${id}/attendance`, { attended });
        expect((await save([ids.learner])).statusCode).toBe(302);
        expect(await cpd()).toEqual([{ hours: 1.5, activity: 'network_event' }]);
        // Saved again (a second click, or another change): still one entry.
        expect((await save([ids.learner, members[0].id])).statusCode).toBe(302);
        expect(await cpd()).toHaveLength(1);
        const journey = text((await learner.get('/my-journey/cpd')).body);
        expect(journey).toContain('Supplier performance clinic');
        expect((await save([members[0].id])).statusCode).toBe(302);
        expect(await cpd()).toEqual([]);
        const actions = await rows<{ action: string }>(sql`select action from audit_events where record_id = ${id} and action like 'network_event.attend%' order by occurred_at, id`);
        expect(actions.map((a) => a.action).sort()).toEqual(['network_event.attendance_removed', 'network_event.attended', 'network_event.attended']);
        // Someone not registered is refused unless added as a walk-in.
        const stranger = await save([members[5].id]);
        expect(stranger.statusCode).toBe(400);
        expect(errorSummary(stranger.body)).toContain('add anyone else as a walk-in');
        const walkIn = await admin.submit(`/networks/learners/events/${id}/attendance`, { attended: [members[0].id], walkInEmail: members[5].email });
        expect(walkIn.statusCode).toBe(302);
        expect(await count(sql`select count(*)::int as n from network_event_registrations where event_id = ${id} and person_id = ${members[5].id} and walk_in and attended`)).toBe(1);
      }
    });
  });

  describe('calendars', () => {
    const parse = (body: string) => Object.values(ical.sync.parseICS(body)).filter((c) => c?.type === 'VEVENT') as VEvent[];

    it('writes each event as iCalendar at 18:00 UK time on both sides of the clock changes, with a stable UID and rising SEQUENCE', async () => {
      const march = await createEvent('2027-03-28', { title: 'Spring forward' });
      const october = await createEvent('2027-10-31', { title: 'Fall back' });
      for (const [id, utc] of [[march, '2027-03-28T17:00:00.000Z'], [october, '2027-10-31T18:00:00.000Z']] as const) {
        const res = await learner.get(`/networks/learners/events/${id}/event.ics`);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/calendar');
        expect(res.headers['content-disposition']).toContain('attachment');
        const [event] = parse(res.body);
        expect(event.uid).toBe(`${id}@pioneer.network-events`);
        expect(new Date(event.start).toISOString()).toBe(utc);
        expect(londonDateTime(new Date(event.start)).time).toBe('18:00');
        expect(londonDateTime(new Date(event.end!)).time).toBe('19:30');
        expect(Number(event.sequence)).toBe(0);
        expect(event.description).not.toContain('meet.example.org');
      }
      const page = text((await learner.get(`/networks/learners/events/${march}`)).body);
      expect(page).toContain('Sunday 28 March 2027, 6pm to 7:30pm');
      expect((await admin.submit(`/networks/learners/events/${march}/edit`, eventForm('2027-03-28', { title: 'Spring forward', startTime: '18:30' }))).statusCode).toBe(302);
      const [changed] = parse((await learner.get(`/networks/learners/events/${march}/event.ics`)).body);
      expect(changed.uid).toBe(`${march}@pioneer.network-events`);
      expect(Number(changed.sequence)).toBe(1);
      expect(new Date(changed.start).toISOString()).toBe('2027-03-28T17:30:00.000Z');
    });

    it('gives each member a private feed of the events they registered for, carrying cancellations; a wrong or revoked link is refused', async () => {
      const id = await createEvent('2027-02-02', { title: 'Feed event' });
      await learner.submit(`/networks/learners/events/${id}/register`, {});
      const made = await learner.submit('/networks/calendar-feed', {});
      expect(made.statusCode).toBe(200);
      const url = /id="feed-url"[^>]*value="([^"]+)"/.exec(made.body)?.[1];
      expect(url).toMatch(/\/calendar-feeds\/[A-Za-z0-9_-]+\.ics$/);
      const path = new URL(url!).pathname;
      const stored = await rows<{ tokenHash: string }>(sql`select token_hash as "tokenHash" from network_calendar_feeds where person_id = ${ids.learner}`);
      expect(stored[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(path).not.toContain(stored[0].tokenHash);
      const feed = await t.app.inject({ method: 'GET', url: path });
      expect(feed.statusCode).toBe(200);
      const events = parse(feed.body);
      const mine = events.find((e) => e.uid === `${id}@pioneer.network-events`)!;
      expect(mine.status).toBe('CONFIRMED');
      expect(mine.description).toContain('https://meet.example.org/clinic');
      // Not registered: not in the feed.
      expect(events.every((e) => !String(e.summary).includes('Supplier performance clinic') || e.uid !== undefined)).toBe(true);
      expect((await admin.submit(`/networks/learners/events/${id}/cancel`, {})).statusCode).toBe(302);
      const cancelled = parse((await t.app.inject({ method: 'GET', url: path })).body).find((e) => e.uid === `${id}@pioneer.network-events`)!;
      expect(cancelled.status).toBe('CANCELLED');
      expect(Number(cancelled.sequence)).toBe(1);
      expect(await count(sql`select count(*)::int as n from notifications where subject = 'Cancelled: Feed event'`)).toBe(1);
      // A new link replaces the old; turning it off ends both.
      const again = await learner.submit('/networks/calendar-feed', {});
      const newPath = new URL(/id="feed-url"[^>]*value="([^"]+)"/.exec(again.body)![1]).pathname;
      expect((await t.app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: newPath })).statusCode).toBe(200);
      expect((await learner.submit('/networks/calendar-feed/revoke', {})).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: newPath })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: '/calendar-feeds/not-a-real-token-at-all-000.ics' })).statusCode).toBe(404);
      const actions = await rows<{ action: string }>(sql`select action from audit_events where record_id = ${ids.learner} and action like 'calendar_feed.%' order by occurred_at, id`);
      expect(actions.map((a) => a.action)).toEqual(['calendar_feed.created', 'calendar_feed.regenerated', 'calendar_feed.revoked']);
    });
  });

  it('puts a person’s registrations and feed link (never its secret) in their subject access download', async () => {
    const id = await createEvent('2027-02-04', { title: 'Held about them' });
    await api(members[2].token, 'POST', `/network-events/${id}/registrations`);
    const held = await subjectRecords(t.db, members[2].id, [members[2].email]);
    expect(held.network_event_registrations.find((r) => r.event === 'Held about them')).toMatchObject({ status: 'registered', attended: false });
    expect(held.calendar_feed).toEqual([]);
  });

  describe('downloads', () => {
    it('downloads the events list as the list shows it, upcoming or past, for whoever sees the network', async () => {
      const id = await createEvent('2027-03-28', { title: 'Exit planning clinic', capacity: '2' });
      await learner.submit(`/networks/learners/events/${id}/register`, {});
      const list = await learner.get('/networks/learners/events');
      expect(list.body).toContain('href="/networks/learners/events/export.csv"');
      const csv = await learner.get('/networks/learners/events/export.csv');
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      const lines = csv.body.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
      expect(lines[0]).toBe('Title,Starts,Ends,Format,For,Status,Places,Registered,On the waitlist');
      // 18:00 UK time on the day the clocks go forward: BST, as the pages show it.
      expect(lines.find((l) => l.startsWith('Exit planning clinic,'))).toBe('Exit planning clinic,28 March 2027 at 6:00pm,28 March 2027 at 7:30pm,Online,Learners Network,Scheduled,2,1,0');
      const past = await learner.get('/networks/learners/events/export.csv?when=past');
      expect(past.body).not.toContain('Exit planning clinic');
      const xlsx = await learner.get('/networks/learners/events/export.xlsx');
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.headers['content-type']).toContain('spreadsheetml');
      // The SRO Network's list is not the learner's to see, nor to download.
      expect((await learner.get('/networks/sro/events/export.csv')).statusCode).toBe(404);
    });

    it('downloads an event’s register (who has a place, who waits, who attended; no email addresses) for its managers only', async () => {
      const id = await createEvent('2027-04-07', { capacity: '1' });
      await learner.submit(`/networks/learners/events/${id}/register`, {});
      await api(members[0].token, 'POST', `/network-events/${id}/registrations`);
      const page = await admin.get(`/networks/learners/events/${id}`);
      expect(page.body).toContain(`href="/networks/learners/events/${id}/registrations.csv"`);
      const csv = await admin.get(`/networks/learners/events/${id}/registrations.csv`);
      expect(csv.statusCode).toBe(200);
      const lines = csv.body.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
      expect(lines[0]).toBe('Name,Organisation,Status,Waitlist place,Walk-in,Attended');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(/,Registered,,No,No$/);
      expect(lines[2]).toMatch(/,Waitlist,1,No,No$/);
      expect(csv.body).not.toContain('@');
      // A member who sees the event may not download its register; the learner's page has no link to it.
      expect((await learner.get(`/networks/learners/events/${id}/registrations.csv`)).statusCode).toBe(403);
      expect((await learner.get(`/networks/learners/events/${id}`)).body).not.toContain('registrations.csv');
      expect((await admin.get(`/networks/learners/events/not-an-id/registrations.xlsx`)).statusCode).toBe(404);
    });
  });

  describe('API', () => {
    it('lists events page by page, and refuses a bad filter with 400', async () => {
      const first = await api(tokens.learner, 'GET', '/network-events?pageSize=2');
      expect(first.statusCode).toBe(200);
      const body = first.json();
      expect(body.data).toHaveLength(2);
      expect(body.meta.pageSize).toBe(2);
      expect(body.meta.total).toBeGreaterThan(2);
      expect(body.data.every((e: { audience: string[] }) => e.audience.includes('learners'))).toBe(true);
      expect(Date.parse(body.data[0].startsAt)).toBeLessThanOrEqual(Date.parse(body.data[1].startsAt));
      const past = (await api(tokens.learner, 'GET', '/network-events?when=past&pageSize=5')).json();
      expect(past.data.every((e: { endsAt: string }) => Date.parse(e.endsAt) <= Date.parse(testNow))).toBe(true);
      expect((await api(tokens.learner, 'GET', '/network-events?when=soon')).statusCode).toBe(400);
      // SROs see only the SRO Network's events (and joint ones).
      const sro = (await api(tokens.sro, 'GET', '/network-events?pageSize=100')).json();
      expect(sro.data.every((e: { audience: string[] }) => e.audience.includes('sro'))).toBe(true);
      expect((await api(tokens.specialist, 'GET', '/network-events')).json().data).toEqual([]);
    });

    it('counts upcoming and past events exactly: a new event at once, one that has ended on the other side, one under way as upcoming', async () => {
      const totals = async () => {
        const [upcoming, past] = await Promise.all(['upcoming', 'past'].map(async (when) => (await api(tokens.learner, 'GET', `/network-events?when=${when}&pageSize=1`)).json().meta.total));
        return { upcoming, past };
      };
      const inDatabase = async () => ({
        upcoming: await count(sql`select count(*)::int as n from network_events where 'learners' = any(audience) and ends_at > ${testNow}::timestamptz`),
        past: await count(sql`select count(*)::int as n from network_events where 'learners' = any(audience) and ends_at <= ${testNow}::timestamptz`),
      });
      const before = await totals();
      expect(before).toEqual(await inDatabase());
      expect(before.past).toBeGreaterThan(0);
      const id = await createEvent('2027-02-03');
      expect(await totals()).toEqual({ upcoming: before.upcoming + 1, past: before.past });
      // Time passes it (moved rather than the clock, which would end the sessions; no service is told): it is past now.
      await t.db.execute(sql`update network_events set starts_at = ${testNow}::timestamptz - interval '3 hours', ends_at = ${testNow}::timestamptz - interval '1 hour' where id = ${id}`);
      expect(await totals()).toEqual({ upcoming: before.upcoming, past: before.past + 1 });
      expect(await totals()).toEqual(await inDatabase());
      // One under way since yesterday evening is still upcoming, and first in the list.
      await t.db.execute(sql`update network_events set starts_at = ${testNow}::timestamptz - interval '20 hours', ends_at = ${testNow}::timestamptz + interval '1 hour' where id = ${id}`);
      expect(await totals()).toEqual({ upcoming: before.upcoming + 1, past: before.past });
      expect((await api(tokens.learner, 'GET', '/network-events?pageSize=1')).json().data[0].id).toBe(id);
      // No event lasts two days (one date, a start and an end time): the table refuses one, and the lists rely on it.
      await expect(t.db.execute(sql`update network_events set ends_at = starts_at + interval '2 days' where id = ${id}`)).rejects.toMatchObject({
        cause: expect.objectContaining({ constraint: 'network_events_within_longest' }),
      });
      // An SRO Network event is not in the Learners Network's counts.
      await createEvent('2027-02-04', { audience: ['sro'] }, 'sro');
      expect(await totals()).toEqual({ upcoming: before.upcoming + 1, past: before.past });
      expect(await totals()).toEqual(await inDatabase());
      // A page past the end lists nothing and still says how many there are.
      const expected = await inDatabase();
      for (const when of ['upcoming', 'past'] as const) {
        const beyond = (await api(tokens.learner, 'GET', `/network-events?when=${when}&pageSize=1&page=500`)).json();
        expect(beyond.data).toEqual([]);
        expect(beyond.meta.total).toBe(expected[when]);
      }
    });

    it('answers 404 for an unknown event or a registration that is not there', async () => {
      expect((await api(tokens.learner, 'POST', '/network-events/00000000-0000-4000-8000-000000000000/registrations')).statusCode).toBe(404);
      const id = await createEvent('2027-02-03');
      expect((await api(tokens.learner, 'DELETE', `/network-events/${id}/registrations`)).statusCode).toBe(404);
    });
  });
});
