import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { councilScope } from '../auth/policy.ts';
import { activeCouncils, allocateAs, ctxOf, enrol, openPeriodsUntil } from '../places/testing.ts';
import { placeInCohort } from './service.ts';
import { recordEvent } from '../enrolments/service.ts';
import { createApiToken } from '../auth/service.ts';
import { todayIso } from '../clock.ts';

const unique = (label: string) => `${label} ${crypto.randomBytes(4).toString('hex')}`;
const startDate = (day: string, month: string, year: string) => ({ 'startDate-day': day, 'startDate-month': month, 'startDate-year': year });
const endDate = (day: string, month: string, year: string) => ({ 'endDate-day': day, 'endDate-month': month, 'endDate-year': year });

describe.each(backends)('cohorts (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const cohortRow = (id: string) => one<{ placed: number; capacity: number }>(sql`select placed, capacity from cohorts where id = ${id}`);
  const cohortOf = async (enrolmentId: string) => (await one<{ cohort_id: string | null; version: number }>(sql`select cohort_id, version from enrolments where id = ${enrolmentId}`));

  /** Creates a cohort through the form and answers its id. */
  const createCohort = async (level: string, capacity: number, name = unique('Test cohort')) => {
    const res = await admin.submit(paths.cohortNew(), { level, name, ...startDate('14', '4', '2027'), ...endDate('31', '3', '2028'), workshopDates: '', capacity: String(capacity) });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return { id: /\/cohorts\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1], name };
  };

  /** Approved learners of one council, level and period (places allocated first). */
  let councilIx = 10;
  const approvedLearners = async (level: string, n: number) => {
    const [council] = await activeCouncils(t, 1, councilIx++);
    await allocateAs(t, council.id, level, '2035-36', n + 2);
    const out = [];
    for (let i = 0; i < n; i++) out.push(await enrol(t, council.id, level, '2035-36'));
    return { council, enrolments: out };
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await openPeriodsUntil(t, '2039-40');
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  describe('creating', () => {
    it('creates a cohort with workshop dates in either format, shown on its page and in the list', async () => {
      const name = unique('Practitioner – spring');
      const res = await admin.submit(paths.cohortNew(), {
        level: 'practitioner',
        name: `  ${name} `,
        ...startDate('14', '4', '2027'),
        ...endDate('31', '3', '2028'),
        workshopDates: '21/05/2027\r\n\r\n2027-04-28\n 3/6/2027 ',
        capacity: '24',
      });
      expect(res.statusCode).toBe(302);
      const page = await admin.get(res.headers.location as string);
      expect(page.body).toContain('Cohort created');
      expect(page.body).toContain(name);
      expect(page.body).toContain('14 April 2027');
      expect(page.body).toMatch(/28 April 2027<br>21 May 2027<br>3 June 2027/);
      const id = /\/cohorts\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
      const row = await one<{ workshop_dates: string[] | string; start_date: string; capacity: number }>(
        sql`select workshop_dates::text[] as workshop_dates, start_date::text, capacity from cohorts where id = ${id}`,
      );
      expect(row.start_date).toBe('2027-04-14');
      expect(row.capacity).toBe(24);
      const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'cohort.created' and record_id = ${id}`);
      expect(audit.n).toBe(1);
      const list = await admin.get('/cohorts?level=practitioner');
      expect(list.body).toContain(`<a class="govuk-link" href="/cohorts/${id}">${name}</a>`);
      const foundation = await admin.get('/cohorts?level=foundation');
      expect(foundation.body).not.toContain(name);
    });

    it('refuses a duplicate name whatever its case', async () => {
      const { name } = await createCohort('foundation', 10);
      const res = await admin.submit(paths.cohortNew(), { level: 'expert', name: name.toUpperCase(), ...startDate('1', '5', '2027'), ...endDate('1', '6', '2027'), capacity: '5' });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain(`There is already a cohort called ${name.toUpperCase()}`);
      const count = await one<{ n: number }>(sql`select count(*)::int as n from cohorts where lower(name) = lower(${name})`);
      expect(count.n).toBe(1);
    });

    it('explains each problem with the form and writes nothing', async () => {
      const before = await one<{ n: number }>(sql`select count(*)::int as n from cohorts`);
      const empty = await admin.submit(paths.cohortNew(), {});
      expect(empty.statusCode).toBe(400);
      const summary = errorSummary(empty.body);
      for (const message of ['Select a level', 'Enter the cohort name', 'Enter the start date', 'Enter the end date', 'Enter the capacity']) expect(summary).toContain(message);
      expect(empty.body).toContain('href="#startDate-day"');
      const base = { level: 'foundation', name: unique('Bad'), ...startDate('1', '5', '2027'), ...endDate('30', '11', '2027'), capacity: '10' };
      const cases: [Record<string, string>, string][] = [
        [{ ...base, ...startDate('31', '10', '2021') }, 'Start date must be the same as or after 1 November 2021'],
        [{ ...base, ...startDate('30', '2', '2027') }, 'Start date must be a real date'],
        [{ ...base, ...startDate('', '2', '2027') }, 'Start date must include a day'],
        [{ ...base, workshopDates: '31/10/2027\nnot a date\n2027-02-30' }, 'Line 2: “not a date” is not a real date'],
        [{ ...base, workshopDates: '31/10/2027\nnot a date\n2027-02-30' }, 'Line 3: “2027-02-30” is not a real date'],
        [{ ...base, workshopDates: '01/10/2021' }, 'Line 1: 01/10/2021 is before 1 November 2021'],
        [{ ...base, workshopDates: '2027-10-31\n31/10/2027' }, 'Line 2: 31/10/2027 is already listed'],
        [{ ...base, workshopDates: Array.from({ length: 13 }, (_, i) => `2027-06-${String(i + 1).padStart(2, '0')}`).join('\n') }, 'Enter 12 workshop dates or fewer (you entered 13)'],
        [{ ...base, capacity: '0' }, 'Capacity must be 1 or more'],
        [{ ...base, capacity: '501' }, 'Capacity must be 500 or fewer'],
        [{ ...base, capacity: 'lots' }, 'Enter the capacity as a whole number'],
        [{ ...base, name: 'x'.repeat(101) }, 'Name must be 100 characters or fewer'],
      ];
      for (const [form, message] of cases) {
        const res = await admin.submit(paths.cohortNew(), form);
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
      }
      const ok = await admin.submit(paths.cohortNew(), { ...base, workshopDates: Array.from({ length: 12 }, (_, i) => `${i + 1}/6/2027`).join('\n') });
      expect(ok.statusCode).toBe(302);
      expect((await one<{ n: number }>(sql`select count(*)::int as n from cohorts`)).n).toBe(before.n + 1);
    });
  });

  describe('access', () => {
    it('lets partner staff see cohorts but only admins create them or place learners; others are refused', async () => {
      const { id } = await createCohort('foundation', 5);
      const partner = await t.signIn('partnerLp');
      expect((await partner.get('/cohorts')).statusCode).toBe(200);
      const page = await partner.get(paths.cohort(id));
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('Place approved learners');
      expect((await partner.get(paths.cohortNew())).statusCode).toBe(403);
      // A route with an :id answers 404 rather than 403, so it does not reveal which records exist.
      expect((await partner.submit(paths.cohortPlace(id), { enrolmentIds: crypto.randomUUID() })).statusCode).toBe(404);
      expect((await cohortRow(id)).placed).toBe(0);
      for (const who of ['sro', 'learner', 'funder'] as const) {
        const agent = await t.signIn(who);
        expect((await agent.get('/cohorts')).statusCode, who).toBe(403);
      }
      expect((await admin.get(paths.cohort('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
      expect((await admin.get(paths.cohort('not-an-id'))).statusCode).toBe(404);
    });
  });

  describe('placing learners', () => {
    it('places approved learners all or none, within capacity, auditing each and linking to their enrolments', async () => {
      const { id, name } = await createCohort('expert', 2);
      const { council, enrolments } = await approvedLearners('expert', 3);
      const page = await admin.get(paths.cohort(id));
      for (const e of enrolments) expect(page.body).toContain(`value="${e.id}"`);

      const tooMany = await admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments.map((e) => e.id) });
      expect(tooMany.statusCode).toBe(409);
      expect(errorSummary(tooMany.body)).toContain(`${name} has 2 seats left, so 3 learners cannot be placed`);
      expect((await cohortRow(id)).placed).toBe(0);
      for (const e of enrolments) expect((await cohortOf(e.id)).cohort_id).toBeNull();

      const placed = await admin.submit(paths.cohortPlace(id), { enrolmentIds: [enrolments[0].id, enrolments[1].id] });
      expect(placed.statusCode).toBe(302);
      const after = await admin.get(placed.headers.location as string);
      expect(after.body).toContain('Learners placed in the cohort');
      expect(after.body).toContain(`href="/enrolments/${enrolments[0].id}"`);
      expect(after.body).toContain(council.name);
      expect(after.body).toContain('<span id="seats-left">0</span>');
      expect(after.body).not.toContain(`value="${enrolments[0].id}"`);
      expect(await cohortRow(id)).toEqual({ placed: 2, capacity: 2 });
      const e0 = await cohortOf(enrolments[0].id);
      expect(e0).toEqual({ cohort_id: id, version: enrolments[0].version + 1 });
      const audits = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'enrolment.placed_in_cohort' and after->>'cohortId' = ${id}`);
      expect(audits.n).toBe(2);
      const events = await one<{ n: number }>(sql`select count(*)::int as n from enrolment_events where enrolment_id = ${enrolments[0].id}`);
      expect(events.n).toBe(2); // nominated and approved only: placing is not a journey step

      const full = await admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments[2].id });
      expect(full.statusCode).toBe(409);
      expect(errorSummary(full.body)).toContain(`${name} is full`);
    });

    it('refuses learners who are not approved, on another level, already there, or unknown', async () => {
      const { id } = await createCohort('practitioner', 10);
      const { council, enrolments } = await approvedLearners('practitioner', 1);
      const nominated = await enrol(t, council.id, 'practitioner', '2035-36', { approve: false });
      const otherLevel = await approvedLearners('foundation', 1);
      const nothing = await admin.submit(paths.cohortPlace(id), {});
      expect(nothing.statusCode).toBe(400);
      expect(errorSummary(nothing.body)).toContain('Select at least one learner to place in the cohort');
      const cases: [string[], string][] = [
        [[nominated.id], 'only approved or registered learners join a cohort'],
        [[otherLevel.enrolments[0].id], 'is not enrolled on the Practitioner level'],
        [[crypto.randomUUID()], 'could not be found'],
        [['nonsense'], 'Select learners from the list'],
      ];
      for (const [ids, message] of cases) {
        const res = await admin.submit(paths.cohortPlace(id), { enrolmentIds: [enrolments[0].id, ...ids] });
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
      }
      expect((await cohortRow(id)).placed).toBe(0);
      await admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments[0].id });
      const again = await admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments[0].id });
      expect(errorSummary(again.body)).toContain('is already in');
    });

    it('moves a learner from another cohort, freeing the seat there', async () => {
      const from = await createCohort('foundation', 3);
      const to = await createCohort('foundation', 3);
      const { enrolments } = await approvedLearners('foundation', 1);
      const ctx = await ctxOf(t, 'admin');
      const scope = councilScope(ctx.actor!);
      await placeInCohort(t.db, ctx, scope, [enrolments[0].id], from.id);
      expect((await cohortRow(from.id)).placed).toBe(1);
      await placeInCohort(t.db, ctx, scope, [enrolments[0].id], to.id);
      expect((await cohortRow(from.id)).placed).toBe(0);
      expect((await cohortRow(to.id)).placed).toBe(1);
      expect((await cohortOf(enrolments[0].id)).cohort_id).toBe(to.id);
    });

    it('two placements racing for the last seat: exactly one wins', async () => {
      const { id } = await createCohort('expert', 1);
      const { enrolments } = await approvedLearners('expert', 2);
      const other = await t.signIn('admin');
      const results = await Promise.all([
        admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments[0].id }),
        other.submit(paths.cohortPlace(id), { enrolmentIds: enrolments[1].id }),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([302, 409]);
      expect(await cohortRow(id)).toEqual({ placed: 1, capacity: 1 });
      const inCohort = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where cohort_id = ${id}`);
      expect(inCohort.n).toBe(1);
    });

    it('a placement and a journey event placing the same learners at once both finish, and the seats add up', async () => {
      // The placement locks the learners before the cohort; the event locks its learner and then takes a seat in
      // the same cohort. Locked the other way round these two deadlock on PostgreSQL.
      const { id } = await createCohort('practitioner', 10);
      const { enrolments } = await approvedLearners('practitioner', 6);
      const ctx = await ctxOf(t, 'admin');
      const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, ctx.actor!.personId, 'cohort race');
      const csrf = await admin.csrf();
      const date = todayIso(t.clock);
      const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Each learner's event starts a little before their placement (0 to 5 ms), so on PostgreSQL the two
      // transactions overlap at different points.
      const results = await Promise.all(
        enrolments.flatMap((e, i) => [
          later(i).then(() => admin.submit(paths.cohortPlace(id), { _csrf: csrf, enrolmentIds: e.id })),
          t.app.inject({
            method: 'POST',
            url: `/api/v1/enrolments/${e.id}/events`,
            headers: { authorization: `Bearer ${token}` },
            payload: { type: 'registered', date, cohortId: id },
          }),
        ]),
      );
      for (const [i, res] of results.entries()) {
        const placement = i % 2 === 0;
        expect([placement ? 302 : 200, 400, 409], res.body).toContain(res.statusCode);
        if (res.statusCode === 400) expect(errorSummary(res.body)).toContain('is already in');
      }
      const inCohort = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where cohort_id = ${id}`);
      expect(inCohort.n).toBe(enrolments.length);
      expect((await cohortRow(id)).placed).toBe(inCohort.n);
      const registered = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where cohort_id = ${id} and status = 'registered'`);
      expect(registered.n).toBe(enrolments.length);
    });

    it('two learners swapping cohorts at once both move, and each cohort’s seats add up', async () => {
      // Each event frees its learner's old seat and takes a new one; unless both cohorts are locked in the same
      // order, the two transactions wait on each other on PostgreSQL.
      // Room for all six in either cohort: the learners arriving may all be in before those leaving have left.
      const x = await createCohort('practitioner', 6);
      const y = await createCohort('practitioner', 6);
      const { enrolments } = await approvedLearners('practitioner', 6);
      const pairs = [0, 2, 4].map((i) => [enrolments[i], enrolments[i + 1]] as const);
      for (const [a, b] of pairs) {
        await admin.submit(paths.cohortPlace(x.id), { enrolmentIds: a.id });
        await admin.submit(paths.cohortPlace(y.id), { enrolmentIds: b.id });
      }
      const ctx = await ctxOf(t, 'admin');
      const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, ctx.actor!.personId, 'cohort swap');
      const move = (id: string, cohortId: string) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/enrolments/${id}/events`,
          headers: { authorization: `Bearer ${token}` },
          payload: { type: 'registered', date: todayIso(t.clock), cohortId },
        });
      const results = await Promise.all(pairs.flatMap(([a, b]) => [move(a.id, y.id), move(b.id, x.id)]));
      expect(results.map((r) => r.statusCode)).toEqual(results.map(() => 200));
      for (const cohort of [x, y]) {
        const inCohort = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where cohort_id = ${cohort.id}`);
        expect(inCohort.n).toBe(3);
        expect((await cohortRow(cohort.id)).placed).toBe(3);
      }
    });

    it('changes capacity, never below the learners placed', async () => {
      const { id, name } = await createCohort('foundation', 3);
      const { enrolments } = await approvedLearners('foundation', 2);
      await admin.submit(paths.cohortPlace(id), { enrolmentIds: enrolments.map((e) => e.id) });
      const low = await admin.submit(paths.cohortCapacity(id), { capacity: '1' });
      expect(low.statusCode).toBe(400);
      expect(errorSummary(low.body)).toContain(`${name} has 2 learners placed, so its capacity cannot be lower than 2`);
      expect((await admin.submit(paths.cohortCapacity(id), { capacity: '2' })).statusCode).toBe(302);
      expect(await cohortRow(id)).toEqual({ placed: 2, capacity: 2 });
      const stale = await admin.submit(paths.cohortCapacity(id), { capacity: '5', version: '1' });
      expect(stale.statusCode).toBe(409);
      expect((await cohortRow(id)).capacity).toBe(2);
    });

    it('after a refused capacity (400) the form carries the version it was read at, so a corrected save over someone else’s change is refused, not written', async () => {
      const { id } = await createCohort('foundation', 5);
      const read = formVersion((await admin.get(paths.cohort(id))).body)!;
      // Someone else changes the capacity meanwhile.
      expect((await admin.submit(paths.cohortCapacity(id), { capacity: '7', version: read })).statusCode).toBe(302);
      const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;
      const auditsBefore = await audits();

      const wrong = await admin.submit(paths.cohortCapacity(id), { capacity: 'lots', version: read });
      expect(wrong.statusCode).toBe(400);
      expect(formVersion(wrong.body)).toBe(read);
      // Corrected and sent again as shown: the other change came after it was read, so nothing is written.
      const corrected = await admin.submit(paths.cohortCapacity(id), { capacity: '6', version: formVersion(wrong.body)! });
      expect(corrected.statusCode).toBe(409);
      expect(await cohortRow(id)).toEqual({ placed: 0, capacity: 7 });
      expect(await audits()).toBe(auditsBefore);
      // That form carries the version now stored, with the capacity typed: sent again after checking, it saves.
      expect(corrected.body).toContain('value="6"');
      const again = await admin.submit(paths.cohortCapacity(id), { capacity: '6', version: formVersion(corrected.body)! });
      expect(again.statusCode).toBe(302);
      expect(await cohortRow(id)).toEqual({ placed: 0, capacity: 6 });
    });
  });

  it('sorts the list by start date either way', async () => {
    const early = unique('Early');
    await admin.submit(paths.cohortNew(), { level: 'expert', name: early, ...startDate('2', '11', '2021'), ...endDate('30', '6', '2022'), capacity: '5' });
    const asc = await admin.get('/cohorts?level=expert&sort=startDate&order=asc');
    const names = [...asc.body.matchAll(/<th scope="row" class="govuk-table__header"><a [^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(names[0]).toBe(early);
    expect(asc.body).toContain('aria-sort="ascending"');
    const desc = await admin.get('/cohorts?level=expert');
    expect(desc.body).toContain('aria-sort="descending"');
    const descNames = [...desc.body.matchAll(/<th scope="row" class="govuk-table__header"><a [^>]*>([^<]+)</g)].map((m) => m[1]);
    expect(descNames[0]).not.toBe(early);
  });
  describe('life and dates', () => {
    const datesForm = (start: string, end: string, extra: Record<string, string> = {}) => {
      const [sy, sm, sd] = start.split('-');
      const [ey, em, ed] = end.split('-');
      return { ...startDate(sd, sm, sy), ...endDate(ed, em, ey), workshopDates: '', ...extra };
    };
    const createWith = async (level: string, start: string, end: string, name = unique('Life cohort')) => {
      const res = await admin.submit(paths.cohortNew(), { level, name, ...datesForm(start, end), capacity: '5' });
      expect(res.statusCode, errorSummary(res.body)).toBe(302);
      return { id: /\/cohorts\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1], name };
    };
    const datesOf = (id: string) => one<{ start_date: string; end_date: string; version: number }>(sql`select start_date::text, end_date::text, version from cohorts where id = ${id}`);
    const audits = async (id: string) => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'cohort.dates_changed' and record_id = ${id}`)).n;

    it('tags each cohort upcoming, running or finished from its dates, and shows no seats left once finished', async () => {
      const finished = await createWith('expert', '2022-01-10', '2022-06-30');
      const running = await createWith('expert', '2026-09-01', '2027-06-30');
      const upcoming = await createWith('expert', '2027-01-11', '2027-07-30');
      const list = (await admin.get('/cohorts?level=expert')).body;
      const rowOf = (name: string) => list.slice(list.indexOf(name), list.indexOf('</tr>', list.indexOf(name)));
      expect(rowOf(finished.name)).toMatch(/govuk-tag--grey">\s*Finished/);
      expect(rowOf(finished.name)).toContain('None: the cohort has finished');
      expect(rowOf(running.name)).toMatch(/govuk-tag--green">\s*Running/);
      expect(rowOf(upcoming.name)).toMatch(/govuk-tag--blue">\s*Upcoming/);
      expect(rowOf(upcoming.name)).toContain('30 July 2027');
      const page = await admin.get(paths.cohort(finished.id));
      expect(page.body).toMatch(/Finished\s*<\/strong>/);
      expect(page.body).not.toContain('id="seats-left"');
      expect(page.body).not.toContain('Place selected learners');
      expect(page.body).toContain('This cohort finished on 30 June 2022');
      expect((await admin.get(paths.cohort(running.id))).body).toContain('<span id="seats-left">5</span>');
    });

    it('refuses to place learners in a finished cohort, on the page and through a journey step, and offers only cohorts that take learners', async () => {
      const finished = await createWith('foundation', '2022-01-10', '2022-06-30');
      const open = await createWith('foundation', '2027-02-01', '2027-09-30');
      const full = await createWith('foundation', '2027-02-01', '2027-09-30');
      await t.db.execute(sql`update cohorts set capacity = 1, placed = 1 where id = ${full.id}`);
      const { enrolments } = await approvedLearners('foundation', 1);
      const e = enrolments[0];
      const placed = await admin.submit(paths.cohortPlace(finished.id), { enrolmentIds: e.id });
      expect(placed.statusCode).toBe(409);
      expect(errorSummary(placed.body)).toContain(`${finished.name} finished on 30 June 2022: choose a cohort that is upcoming or running`);
      const move = await admin.get(`/enrolments/${e.id}/move?type=registered`);
      expect(move.body).toContain(open.name);
      expect(move.body).not.toContain(finished.name);
      expect(move.body).not.toContain(full.name);
      const ctx = await ctxOf(t, 'admin');
      const today = todayIso(t.clock);
      await expect(recordEvent(t.db, ctx, councilScope(ctx.actor!), e.id, { type: 'registered', date: today, cohortId: finished.id })).rejects.toThrow('finished on 30 June 2022');
      await expect(recordEvent(t.db, ctx, councilScope(ctx.actor!), e.id, { type: 'registered', date: today, cohortId: full.id })).rejects.toThrow('is full');
      expect(await cohortOf(e.id)).toEqual({ cohort_id: null, version: e.version });
      expect((await cohortRow(finished.id)).placed).toBe(0);
    });

    it('changes the dates, audited; the same dates again change nothing; a stale page gets 409', async () => {
      const { id, name } = await createWith('practitioner', '2027-03-01', '2027-12-31');
      const form = await admin.get(paths.cohortDates(id));
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('name="_csrf"');
      const changed = await admin.submit(paths.cohortDates(id), { ...datesForm('2027-04-05', '2028-02-28', { workshopDates: '12/04/2027' }), version: '1' });
      expect(changed.statusCode, errorSummary(changed.body)).toBe(302);
      expect((await admin.get(changed.headers.location as string)).body).toContain('Dates changed');
      expect(await datesOf(id)).toEqual({ start_date: '2027-04-05', end_date: '2028-02-28', version: 2 });
      const audit = await one<{ before: unknown; after: unknown }>(sql`select before, after from audit_events where action = 'cohort.dates_changed' and record_id = ${id}`);
      expect(audit).toEqual({ before: { startDate: '2027-03-01', endDate: '2027-12-31', workshopDates: [] }, after: { startDate: '2027-04-05', endDate: '2028-02-28', workshopDates: ['2027-04-12'] } });
      const again = await admin.submit(paths.cohortDates(id), { ...datesForm('2027-04-05', '2028-02-28', { workshopDates: '2027-04-12' }), version: '2' });
      expect((await admin.get(again.headers.location as string)).body).toContain('No changes were made');
      expect(await audits(id)).toBe(1);
      const stale = await admin.submit(paths.cohortDates(id), { ...datesForm('2027-05-01', '2028-02-28'), version: '1' });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this cohort');
      expect(await datesOf(id)).toEqual({ start_date: '2027-04-05', end_date: '2028-02-28', version: 2 });
      expect(name).toBeTruthy();
    });

    it('refuses dates that contradict each other or what has happened, and changes nothing', async () => {
      const { id } = await createWith('practitioner', '2026-09-01', '2027-06-30');
      const { enrolments } = await approvedLearners('practitioner', 1);
      const ctx = await ctxOf(t, 'admin');
      const scope = councilScope(ctx.actor!);
      await placeInCohort(t.db, ctx, scope, [enrolments[0].id], id);
      await recordEvent(t.db, ctx, scope, enrolments[0].id, { type: 'registered', date: '2026-11-26' });
      await recordEvent(t.db, ctx, scope, enrolments[0].id, { type: 'learning_started', date: '2026-11-26' });
      const cases: [Record<string, string>, string][] = [
        [datesForm('2027-01-10', '2027-06-30'), 'Start date must be on or before 26 November 2026, when a learner in this cohort started learning'],
        [datesForm('2026-09-01', '2026-11-25'), 'End date must be on or after 26 November 2026, when a learner in this cohort started learning'],
        [datesForm('2026-09-01', '2026-08-31'), 'End date must be the same as or after the start date'],
        [datesForm('2026-09-01', '2027-06-30', { workshopDates: '2027-07-01' }), 'Workshop dates must be between the start date and the end date: 1 July 2027 is not'],
        [{ ...datesForm('2026-09-01', '2027-06-30'), 'endDate-day': '' }, 'End date must include a day'],
      ];
      for (const [form, message] of cases) {
        const res = await admin.submit(paths.cohortDates(id), form);
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
      }
      expect(await datesOf(id)).toEqual({ start_date: '2026-09-01', end_date: '2027-06-30', version: 1 });
      expect(await audits(id)).toBe(0);
      // The day learning started is still inside the cohort: start and end may both move onto it.
      expect((await admin.submit(paths.cohortDates(id), datesForm('2026-11-26', '2026-11-26'))).statusCode).toBe(302);
    });

    it('lets only admins change dates: others get 404 on the page and 403 or 404 on the API', async () => {
      const { id } = await createWith('foundation', '2027-03-01', '2027-12-31');
      const partner = await t.signIn('partnerLp');
      expect((await partner.get(paths.cohortDates(id))).statusCode).toBe(404);
      expect((await partner.submit(paths.cohortDates(id), datesForm('2027-03-02', '2027-12-31'), { csrfFrom: paths.cohorts() })).statusCode).toBe(404);
      expect((await partner.get(paths.cohort(id))).body).not.toContain(paths.cohortDates(id));
      expect((await admin.get(paths.cohort(id))).body).toContain(paths.cohortDates(id));
      expect((await admin.get(paths.cohortDates(crypto.randomUUID()))).statusCode).toBe(404);
      expect(await datesOf(id)).toEqual({ start_date: '2027-03-01', end_date: '2027-12-31', version: 1 });
    });
  });
});
