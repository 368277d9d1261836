import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openPeriodsUntil } from '../places/testing.ts';
import { backends, createTestApp, testNow, type TestApp, allowEmailDomain } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';

type Who = 'admin' | 'partnerLp' | 'partnerMhclg' | 'specialist' | 'sro' | 'lead' | 'learner' | 'funder';
type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

const today = testNow.slice(0, 10);
/** Periods the demo data does not use, so place counts here are ours alone. */
/** Next year at the test clock: open to councils, and no demo data is there. */
const period = '2027-28';
const emptyPeriod = '2035-36';

describe.each(backends)('enrolments API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let councilId: string;
  let otherCouncilId: string;
  let ownPartner: Who;
  let otherPartner: Who;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await openPeriodsUntil(t, '2039-40');
    await allowEmailDomain(t.db, 'api-test.example.gov.uk');
    for (const who of ['admin', 'partnerLp', 'partnerMhclg', 'specialist', 'sro', 'lead', 'learner', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    councilId = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    const partner = await one<{ code: string }>(sql`
      select o.code from participations p join organisations o on o.id = p.managing_partner_id where p.council_id = ${councilId}`);
    ownPartner = partner.code === 'LP' ? 'partnerLp' : 'partnerMhclg';
    otherPartner = partner.code === 'LP' ? 'partnerMhclg' : 'partnerLp';
    otherCouncilId = (
      await one<{ id: string }>(sql`
        select p.council_id as id from participations p where p.status = 'active' and p.council_id <> ${councilId} order by p.council_id limit 1`)
    ).id;
    await setPlaces(t.db, { councilId, level: 'foundation', period }, 40, t.clock.now());
    await setPlaces(t.db, { councilId, level: 'practitioner', period }, 40, t.clock.now());
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });

  const expectProblem = (res: Res, status: number, field?: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    if (field) expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  let seq = 0;
  /** Nominates a new officer of the demo council (unique email) and returns the enrolment. */
  const nominateNew = async (opts: { who?: Who; level?: string; period?: string; name?: string } = {}) => {
    seq += 1;
    const res = await api('POST', '/enrolments', opts.who ?? 'admin', {
      councilId,
      level: opts.level ?? 'foundation',
      period: opts.period ?? period,
      person: { name: opts.name ?? `Officer ${seq}`, email: `officer.${seq}@api-test.example.gov.uk`, jobTitle: 'Contract manager' },
      roleDescription: 'Manages waste contracts',
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; personId: string; status: string; version: number };
  };

  const move = (id: string, body: object, who: Who = 'admin') => api('POST', `/enrolments/${id}/events`, who, body);

  /** Moves an enrolment through the given steps (all today unless dated), expecting each to succeed. */
  const walk = async (id: string, steps: (string | Record<string, string>)[]) => {
    let last: Res | undefined;
    for (const step of steps) {
      const body = typeof step === 'string' ? { type: step, date: today } : { date: today, ...step };
      last = await move(id, body);
      expect(last.statusCode, `${JSON.stringify(body)}: ${last.body}`).toBe(200);
    }
    return last!.json();
  };

  const places = (level = 'foundation', p = period) =>
    one<{ taken: number; released: number }>(sql`
      select taken, released from funded_places where council_id = ${councilId} and level = ${level} and period = ${p}`);

  /** Runs `fn` with the test clock at `at`, then puts it back. */
  const at = async <T>(iso: string, fn: () => Promise<T>) => {
    t.clock.set(`${iso}T10:00:00Z`);
    try {
      return await fn();
    } finally {
      t.clock.set(testNow);
    }
  };

  it('walks 401 → 400 → 403 → 404 → 200 for the list and an enrolment', async () => {
    expectProblem(await api('GET', '/enrolments'), 401);
    expectProblem(await api('GET', '/enrolments?status=nonsense', 'admin'), 400, 'status');
    expectProblem(await api('GET', '/enrolments?overdue=maybe', 'admin'), 400, 'overdue');
    expectProblem(await api('GET', '/enrolments?level=master', 'admin'), 400, 'level');
    expectProblem(await api('GET', '/enrolments?period=2024-26', 'admin'), 400, 'period');
    expectProblem(await api('GET', '/enrolments?councilId=abc', 'admin'), 400, 'councilId');
    expectProblem(await api('GET', '/enrolments?pageSize=501', 'admin'), 400, 'pageSize');
    expectProblem(await api('GET', '/enrolments', 'learner'), 403);
    expectProblem(await api('GET', '/enrolments', 'funder'), 403);
    expectProblem(await api('GET', '/enrolments/00000000-0000-4000-8000-000000000000', 'admin'), 404);
    expectProblem(await api('GET', '/enrolments/not-a-uuid', 'admin'), 404);

    const created = await nominateNew();
    const list = await api('GET', `/enrolments?councilId=${councilId}&period=${period}&pageSize=500`, 'admin');
    expect(list.statusCode).toBe(200);
    const item = list.json().data.find((e: { id: string }) => e.id === created.id);
    expect(item).toEqual({
      id: created.id,
      personId: created.personId,
      personName: expect.stringMatching(/^Officer /),
      councilId,
      councilName: expect.any(String),
      level: 'foundation',
      period,
      status: 'nominated',
      cohortId: null,
      attempts: 0,
      overdue: false,
      assessmentDueOn: null,
      attention: null,
      placeState: 'none',
      version: 1,
    });
    const detail = await api('GET', `/enrolments/${created.id}`, 'admin');
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ id: created.id, roleDescription: 'Manages waste contracts', nominatedOn: today, accreditation: null });
    expect(detail.json().events).toEqual([expect.objectContaining({ type: 'nominated', fromStatus: null, toStatus: 'nominated', date: today, actorName: expect.any(String) })]);
  });

  it('nominates a new officer, who is invited by email, and an existing one; a second nomination for the level is refused', async () => {
    const created = await nominateNew({ name: 'Siân O’Brien-Jones' });
    const person = await one<{ name: string; status: string; roles: string[]; organisation_id: string }>(
      sql`select name, status, roles, organisation_id from people where id = ${created.personId}`,
    );
    expect(person).toEqual({ name: 'Siân O’Brien-Jones', status: 'invited', roles: ['learner'], organisation_id: councilId });
    const mail = await one<{ n: number }>(sql`
      select count(*)::int as n from notifications n join people p on lower(p.email) = lower(n.to_email) where p.id = ${created.personId} and n.template = 'invite'`);
    expect(mail.n).toBe(1);

    // The same person, now known, for another level.
    const existing = await api('POST', '/enrolments', 'sro', { councilId, level: 'practitioner', period, personId: created.personId });
    expect(existing.statusCode, existing.body).toBe(201);
    expect(existing.json()).toMatchObject({ personId: created.personId, level: 'practitioner', status: 'nominated' });
    expect(existing.headers.location).toBe(`/api/v1/enrolments/${existing.json().id}`);

    const again = await api('POST', '/enrolments', 'lead', { councilId, level: 'practitioner', period, personId: created.personId });
    expectProblem(again, 409);
    expect(again.json().detail).toBe('Siân O’Brien-Jones is already nominated for Practitioner');
    const count = await one<{ n: number }>(sql`select count(*)::int as n from enrolments where person_id = ${created.personId}`);
    expect(count.n).toBe(2);
  });

  it('refuses a person of another council, a council not in the programme, another council for an SRO, bad input and the wrong role', async () => {
    const stranger = await one<{ id: string; email: string }>(sql`select id, email from people where organisation_id = ${otherCouncilId} order by id limit 1`);
    expectProblem(await api('POST', '/enrolments', 'admin', { councilId, level: 'foundation', period, personId: stranger.id }), 422, 'personId');
    expectProblem(
      await api('POST', '/enrolments', 'admin', { councilId, level: 'foundation', period, person: { name: 'Someone', email: stranger.email.toUpperCase() } }),
      422,
      'email',
    );
    const interested = await one<{ id: string }>(sql`select council_id as id from participations where status = 'interested' order by council_id limit 1`);
    const notIn = await api('POST', '/enrolments', 'admin', { councilId: interested.id, level: 'foundation', period, person: { name: 'A B', email: 'a.b@x.example.gov.uk' } });
    expectProblem(notIn, 422, 'councilId');
    expect(notIn.json().detail).toMatch(/is not onboarding or active in the programme/);
    expectProblem(
      await api('POST', '/enrolments', 'sro', { councilId: otherCouncilId, level: 'foundation', period, person: { name: 'C D', email: 'c.d@x.example.gov.uk' } }),
      422,
      'councilId',
    );
    expectProblem(await api('POST', '/enrolments', 'admin', { councilId, level: 'master', period: '2024', person: { name: '', email: 'nope' } }), 422, 'level');
    expectProblem(await api('POST', '/enrolments', 'admin', { councilId, level: 'foundation', period }), 422, 'personId');
    expectProblem(await api('POST', '/enrolments', 'learner', { councilId, level: 'foundation', period, personId: stranger.id }), 403);
    expectProblem(await api('POST', '/enrolments', ownPartner, { councilId, level: 'foundation', period, personId: stranger.id }), 403);
    const written = await one<{ n: number }>(sql`select count(*)::int as n from people where email in ('a.b@x.example.gov.uk', 'c.d@x.example.gov.uk')`);
    expect(written.n).toBe(0);
  });

  it('approval takes a place; with none allocated it is refused with 409 and nothing is written', async () => {
    const e = await nominateNew();
    const before = await places();
    const approved = await walk(e.id, ['approved']);
    expect(approved).toMatchObject({ status: 'approved', placeState: 'taken', version: 2 });
    expect(await places()).toEqual({ taken: before.taken + 1, released: before.released });
    const mail = await one<{ n: number }>(sql`
      select count(*)::int as n from notifications n join people p on lower(p.email) = lower(n.to_email) where p.id = ${e.personId} and n.template = 'nomination-approved'`);
    expect(mail.n).toBe(1);

    const poor = await nominateNew({ period: emptyPeriod });
    const refused = await move(poor.id, { type: 'approved', date: today });
    expectProblem(refused, 409);
    expect(refused.json().detail).toMatch(new RegExp(`has no Foundation places left for ${emptyPeriod}\\. Allocate more places, request them \\(Funded places, Request places\\), or decline the nomination\\.`));
    expect((await api('GET', `/enrolments/${poor.id}`, 'admin')).json()).toMatchObject({ status: 'nominated', placeState: 'none', version: 1 });
    const events = await one<{ n: number }>(sql`select count(*)::int as n from enrolment_events where enrolment_id = ${poor.id}`);
    expect(events.n).toBe(1);
    const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where record_id = ${poor.id} and action = 'enrolment.approved'`);
    expect(audit.n).toBe(0);
  });

  it('declining needs a reason, and only the managing partner or an admin may decide', async () => {
    const e = await nominateNew();
    expectProblem(await move(e.id, { type: 'declined', date: today }), 422, 'reason');
    expectProblem(await move(e.id, { type: 'approved', date: today }, 'sro'), 403);
    const declined = await move(e.id, { type: 'declined', date: today, reason: 'Not in a contract management role' }, ownPartner);
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({ status: 'declined', placeState: 'none' });
    expect(declined.json().events.at(-1)).toMatchObject({ type: 'declined', reason: 'Not in a contract management role' });
  });

  it('partner staff of the other partner cannot see or move the council’s enrolments (404 whatever the body)', async () => {
    const e = await nominateNew();
    expectProblem(await api('GET', `/enrolments/${e.id}`, otherPartner), 404);
    expectProblem(await move(e.id, { type: 'approved', date: today }, otherPartner), 404);
    expectProblem(await move(e.id, { type: 'nonsense' }, otherPartner), 404);
    expectProblem(await move(e.id, { type: 'approved' }, 'learner'), 404);
    const theirs = await api('GET', `/enrolments?councilId=${councilId}`, otherPartner);
    expect(theirs.json().meta.total).toBe(0);
    expect((await api('GET', `/enrolments/${e.id}`, ownPartner)).statusCode).toBe(200);
    expect((await api('GET', `/enrolments/${e.id}`, 'sro')).statusCode).toBe(200);
  });

  it('follows the whole journey to accreditation, with one history row and one audit event per move; a certificate number is used once', async () => {
    const [cohort] = await queryRows<{ id: string }>(
      t.db,
      sql`insert into cohorts (level, name, start_date, end_date, capacity) values ('foundation', 'API test cohort', '2026-09-01', '2027-06-30', 5) returning id`,
    );
    const e = await nominateNew();
    const counts = async () => ({
      events: (await one<{ n: number }>(sql`select count(*)::int as n from enrolment_events where enrolment_id = ${e.id}`)).n,
      audit: (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where record_id = ${e.id} and record_type = 'enrolment'`)).n,
    });
    expect(await counts()).toEqual({ events: 1, audit: 1 });
    const steps: Record<string, string>[] = [{ type: 'approved' }, { type: 'registered', cohortId: cohort.id }, { type: 'learning_started' }, { type: 'assessment_booked' }, { type: 'passed', certificateNumber: 'FND-API-0001' }];
    for (const [i, step] of steps.entries()) {
      await walk(e.id, [step]);
      expect(await counts()).toEqual({ events: i + 2, audit: i + 2 });
    }
    const done = (await api('GET', `/enrolments/${e.id}`, 'admin')).json();
    expect(done).toMatchObject({ status: 'accredited', attempts: 1, cohortId: cohort.id, registeredOn: today, accreditation: { certificateNumber: 'FND-API-0001', awardedOn: today } });
    expect(done.events.map((x: { type: string }) => x.type)).toEqual(['nominated', 'approved', 'registered', 'learning_started', 'assessment_booked', 'passed']);
    expect((await one<{ placed: number }>(sql`select placed from cohorts where id = ${cohort.id}`)).placed).toBe(1);

    const twin = await nominateNew();
    await walk(twin.id, ['approved', 'registered', 'learning_started', 'assessment_booked']);
    const dup = await move(twin.id, { type: 'passed', date: today, certificateNumber: 'fnd-api-0001' });
    expectProblem(dup, 422, 'certificateNumber');
    expect(dup.json().detail).toMatch(/already recorded for another accreditation/);
    expectProblem(await move(twin.id, { type: 'passed', date: today }), 422, 'certificateNumber');
    expect((await api('GET', `/enrolments/${twin.id}`, 'admin')).json()).toMatchObject({ status: 'assessment_booked', accreditation: null });
  });

  it('refuses a pass without a booked assessment (409), dates in the future or before the programme (422), and a cohort of another level', async () => {
    const e = await nominateNew();
    await walk(e.id, ['approved']);
    const early = await move(e.id, { type: 'passed', date: today, certificateNumber: 'FND-API-0099' });
    expectProblem(early, 409);
    expect(early.json().detail).toMatch(/Record a result only after an assessment is booked/);
    expectProblem(await move(e.id, { type: 'registered', date: '2026-11-27' }), 422, 'date');
    expectProblem(await move(e.id, { type: 'registered', date: '2021-10-31' }), 422, 'date');
    expectProblem(await move(e.id, { type: 'registered', date: '2026-02-30' }), 422, 'date');
    expectProblem(await move(e.id, { type: 'registered' }), 422, 'date');
    expectProblem(await move(e.id, { type: 'graduated', date: today }), 422, 'type');
    const [expert] = await queryRows<{ id: string }>(
      t.db,
      sql`insert into cohorts (level, name, start_date, end_date, capacity) values ('expert', 'API expert cohort', '2026-09-01', '2027-06-30', 5) returning id`,
    );
    expectProblem(await move(e.id, { type: 'registered', date: today, cohortId: expert.id }), 422, 'cohortId');
    expect((await api('GET', `/enrolments/${e.id}`, 'admin')).json()).toMatchObject({ status: 'approved', version: 2 });
  });

  it('allows resits up to the maximum attempts, then refuses another booking', async () => {
    const e = await nominateNew();
    await walk(e.id, ['approved', 'registered', 'learning_started']);
    for (let i = 0; i < 3; i++) await walk(e.id, ['assessment_booked', 'not_passed']);
    const after = (await api('GET', `/enrolments/${e.id}`, 'admin')).json();
    expect(after).toMatchObject({ status: 'not_passed', attempts: 3 });
    const fourth = await move(e.id, { type: 'assessment_booked', date: today });
    expectProblem(fourth, 409);
    expect(fourth.json().detail).toBe('This learner has used all 3 assessment attempts');
  });

  it('a withdrawal before the cut-off gives the place back; after it, the place is spent', async () => {
    const early = await nominateNew();
    await walk(early.id, ['approved', 'registered']);
    const before = await places();
    expectProblem(await move(early.id, { type: 'withdrawn', date: today }), 422, 'reason');
    const withdrawn = await walk(early.id, [{ type: 'withdrawn', reason: 'Left the council' }]);
    expect(withdrawn).toMatchObject({ status: 'withdrawn', placeState: 'released' });
    expect(await places()).toEqual({ taken: before.taken - 1, released: before.released + 1 });

    // Nominated on 6 January 2025 (the clock then), registered days later, withdrawn weeks after the 28-day cut-off.
    const late = await at('2025-01-06', () => nominateNew());
    await walk(late.id, [{ type: 'approved', date: '2025-01-06' }, { type: 'registered', date: '2025-01-10' }]);
    const mid = await places();
    const spent = await walk(late.id, [{ type: 'withdrawn', date: '2025-03-01', reason: 'Moved to another role' }]);
    expect(spent).toMatchObject({ status: 'withdrawn', placeState: 'taken' });
    expect(await places()).toEqual(mid);
    // The place is free for a new nomination of the same person only after withdrawal.
    const renominated = await api('POST', '/enrolments', 'admin', { councilId, level: 'foundation', period, personId: late.personId });
    expect(renominated.statusCode, renominated.body).toBe(201);
  });

  it('a deferred enrolment resumes where it was', async () => {
    const e = await nominateNew();
    await walk(e.id, ['approved', 'registered', 'learning_started']);
    expectProblem(await move(e.id, { type: 'deferred', date: today }), 422, 'reason');
    const deferred = await walk(e.id, [{ type: 'deferred', reason: 'Parental leave' }]);
    expect(deferred).toMatchObject({ status: 'deferred', resumeStatus: 'in_learning' });
    expectProblem(await move(e.id, { type: 'assessment_booked', date: today }), 409);
    const resumed = await walk(e.id, ['resumed']);
    expect(resumed).toMatchObject({ status: 'in_learning', resumeStatus: null });
  });

  it('refuses a stale version with 409', async () => {
    const e = await nominateNew();
    await walk(e.id, ['approved']);
    const stale = await move(e.id, { type: 'registered', date: today, version: 1 });
    expectProblem(stale, 409);
    expect(stale.json().detail).toMatch(/Someone else changed this enrolment/);
  });

  it('flags overdue enrolments and filters the list by council, level, status, overdue and period', async () => {
    // Registered on 1 February 2025: the assessment was due 12 months later, so by 26 November 2026 it is overdue.
    const overdue = await at('2025-01-06', () => nominateNew({ level: 'practitioner' }));
    await walk(overdue.id, [
      { type: 'approved', date: '2025-01-06' },
      { type: 'registered', date: '2025-02-01' },
      { type: 'learning_started', date: '2025-03-01' },
    ]);
    const detail = (await api('GET', `/enrolments/${overdue.id}`, 'admin')).json();
    expect(detail).toMatchObject({ status: 'in_learning', overdue: true, assessmentDueOn: '2026-02-01' });

    const onTime = await nominateNew({ level: 'practitioner' });
    await walk(onTime.id, ['approved', 'registered']);
    const base = `/enrolments?councilId=${councilId}&period=${period}&level=practitioner&pageSize=500`;
    const ids = async (query: string, who: Who = 'admin') => {
      const res = await api('GET', `${base}${query}`, who);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data.map((e: { id: string }) => e.id) as string[];
    };
    expect(await ids('&overdue=true')).toEqual([overdue.id]);
    expect(await ids('&overdue=false')).toContain(onTime.id);
    expect(await ids('&overdue=false')).not.toContain(overdue.id);
    expect(await ids('&status=registered')).toEqual([onTime.id]);
    expect(await ids('&status=in_learning', 'sro')).toEqual([overdue.id]);
    expect(await ids('&overdue=true', ownPartner)).toEqual([overdue.id]);
    expect(await ids('&overdue=true', otherPartner)).toEqual([]);
    const all = await api('GET', `/enrolments?councilId=${councilId}&period=${period}&level=practitioner&sort=dueDate&order=desc&pageSize=1&page=1`, 'admin');
    expect(all.json().meta).toMatchObject({ page: 1, pageSize: 1 });
    expect(all.json().data[0].id).toBe(onTime.id);
  });

  it('documents the operations in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/enrolments'].get.operationId).toBe('listEnrolments');
    expect(doc.paths['/enrolments'].post.operationId).toBe('nominate');
    expect(doc.paths['/enrolments/{id}'].get.operationId).toBe('getEnrolment');
    expect(doc.paths['/enrolments/{id}/events'].post.operationId).toBe('recordEnrolmentEvent');
    const params = doc.paths['/enrolments'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['councilId', 'level', 'status', 'overdue', 'cohortId', 'period', 'page', 'pageSize']));
  });
});
