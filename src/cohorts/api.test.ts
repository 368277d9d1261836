import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { todayIso } from '../clock.ts';

type Who = 'admin' | 'partnerLp' | 'sro' | 'specialist' | 'learner' | 'funder';
type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

const unique = (label: string) => `${label} ${crypto.randomBytes(4).toString('hex')}`;

describe.each(backends)('cohorts API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const countCohorts = async () => (await one<{ n: number }>(sql`select count(*)::int as n from cohorts`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'sro', 'specialist', 'learner', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });

  const expectProblem = (res: Res, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    return res.json() as { errors?: { field: string; message: string }[] };
  };
  const messageFor = (body: { errors?: { field: string; message: string }[] }, field: string) => body.errors?.find((e) => e.field === field)?.message;

  const body = (over: Record<string, unknown> = {}) => ({ level: 'practitioner', name: unique('API cohort'), startDate: '2027-04-14', endDate: '2028-03-31', capacity: 24, ...over });

  it('creates a cohort (201), answers it by id and in the list, and audits it', async () => {
    const input = body({ name: `  ${unique('Practitioner – Ynys Môn')} `, workshopDates: ['2027-05-21', '2027-04-28'] });
    const res = await api('POST', '/cohorts', 'admin', input);
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(res.headers.location).toBe(`/api/v1/cohorts/${created.id}`);
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      level: 'practitioner',
      name: input.name.trim(),
      startDate: '2027-04-14',
      endDate: '2028-03-31',
      status: 'upcoming',
      workshopDates: ['2027-04-28', '2027-05-21'],
      capacity: 24,
      placed: 0,
      seatsLeft: 24,
      version: 1,
    });
    const row = await one<{ name: string; start_date: string; capacity: number }>(sql`select name, start_date::text, capacity from cohorts where id = ${created.id}`);
    expect(row).toEqual({ name: input.name.trim(), start_date: '2027-04-14', capacity: 24 });
    const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'cohort.created' and record_id = ${created.id}`);
    expect(audit.n).toBe(1);

    for (const who of ['admin', 'partnerLp'] as const) {
      const got = await api('GET', `/cohorts/${created.id}`, who);
      expect(got.statusCode, who).toBe(200);
      expect(got.json()).toEqual(created);
    }
    const list = await api('GET', '/cohorts?level=practitioner&pageSize=500', 'partnerLp');
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toContainEqual(created);
  });

  it('shows seats left once learners are placed, and none once the cohort has finished', async () => {
    const today = todayIso(t.clock);
    const running = await one<{ id: string; capacity: number; placed: number }>(sql`select id, capacity, placed from cohorts where placed > 0 and start_date <= ${today} and end_date >= ${today} order by id limit 1`);
    const res = await api('GET', `/cohorts/${running.id}`, 'admin');
    expect(res.json()).toMatchObject({ status: 'running', capacity: running.capacity, placed: running.placed, seatsLeft: running.capacity - running.placed });
    const finished = await one<{ id: string; capacity: number; placed: number }>(sql`select id, capacity, placed from cohorts where placed < capacity and end_date < ${today} order by id limit 1`);
    expect((await api('GET', `/cohorts/${finished.id}`, 'admin')).json()).toMatchObject({ status: 'finished', placed: finished.placed, seatsLeft: 0 });
  });

  it('filters the list by level and pages it, counting what the database holds', async () => {
    for (const level of ['foundation', 'expert'] as const) {
      expect((await api('POST', '/cohorts', 'admin', body({ level }))).statusCode).toBe(201);
      const res = await api('GET', `/cohorts?level=${level}&pageSize=500`, 'admin');
      expect(res.statusCode).toBe(200);
      const { data, meta } = res.json();
      const n = (await one<{ n: number }>(sql`select count(*)::int as n from cohorts where level = ${level}`)).n;
      expect(n).toBeGreaterThan(0);
      expect(meta).toEqual({ total: n, page: 1, pageSize: 500 });
      expect(data).toHaveLength(n);
      expect(data.every((c: { level: string }) => c.level === level)).toBe(true);
      const starts = data.map((c: { startDate: string }) => c.startDate);
      expect(starts).toEqual([...starts].sort());
    }
    const total = await countCohorts();
    const paged = await api('GET', '/cohorts?page=2&pageSize=2', 'admin');
    expect(paged.json().meta).toEqual({ total, page: 2, pageSize: 2 });
    expect(paged.json().data).toHaveLength(Math.min(2, Math.max(0, total - 2)));
    expectProblem(await api('GET', '/cohorts?level=advanced', 'admin'), 400);
    expectProblem(await api('GET', '/cohorts?pageSize=501', 'admin'), 400);
  });

  it('refuses roles without cohort access: 403 for the collection, 404 for a cohort; 401 without a token', async () => {
    const cohort = await one<{ id: string }>(sql`select id from cohorts order by start_date limit 1`);
    const before = await countCohorts();
    for (const who of ['partnerLp', 'sro', 'specialist', 'learner', 'funder'] as const) {
      expectProblem(await api('POST', '/cohorts', who, body()), 403);
    }
    for (const who of ['sro', 'specialist', 'learner', 'funder'] as const) {
      expectProblem(await api('GET', '/cohorts', who), 403);
      expectProblem(await api('GET', `/cohorts/${cohort.id}`, who), 404);
    }
    expectProblem(await api('GET', '/cohorts'), 401);
    expectProblem(await api('POST', '/cohorts', undefined, body()), 401);
    expect(await countCohorts()).toBe(before);
  });

  it('answers 422 with a message per field for bad input, and writes nothing', async () => {
    const before = await countCohorts();
    const empty = expectProblem(await api('POST', '/cohorts', 'admin', {}), 422);
    expect(empty.errors!.map((e) => e.field).sort()).toEqual(['capacity', 'endDate', 'level', 'name', 'startDate']);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ level: 'advanced' }, 'level', 'Select a level'],
      [{ name: '   ' }, 'name', 'Enter the cohort name'],
      [{ name: 'x'.repeat(101) }, 'name', 'Name must be 100 characters or fewer'],
      [{ startDate: '2027-02-30' }, 'startDate', 'Start date must be a real date'],
      [{ startDate: '2021-10-31' }, 'startDate', 'Start date must be the same as or after 1 November 2021'],
      [{ startDate: 20270414 }, 'startDate', 'Enter the start date'],
      [{ workshopDates: ['2027-05-01', 'soon', '2027-05-01'] }, 'workshopDates', 'Date 2: “soon” is not a real date'],
      [{ workshopDates: ['2027-05-01', 'soon', '2027-05-01'] }, 'workshopDates', 'Date 3: 2027-05-01 is already listed'],
      [{ workshopDates: Array.from({ length: 13 }, (_, i) => `2027-06-${String(i + 1).padStart(2, '0')}`) }, 'workshopDates', 'Enter 12 workshop dates or fewer'],
      [{ workshopDates: 7 }, 'workshopDates', 'Enter the workshop dates'],
      [{ capacity: 0 }, 'capacity', 'Capacity must be 1 or more'],
      [{ capacity: 501 }, 'capacity', 'Capacity must be 500 or fewer'],
      [{ capacity: 2.5 }, 'capacity', 'Capacity must be a whole number'],
      [{ capacity: 'lots' }, 'capacity', 'Enter the capacity as a whole number'],
    ];
    for (const [over, field, message] of cases) {
      const problem = expectProblem(await api('POST', '/cohorts', 'admin', body(over)), 422);
      expect(messageFor(problem, field), `${field}: ${message}`).toContain(message);
    }
    expect(await countCohorts()).toBe(before);
  });

  it('refuses a duplicate name whatever its case with 409', async () => {
    const first = body();
    expect((await api('POST', '/cohorts', 'admin', first)).statusCode).toBe(201);
    const dup = await api('POST', '/cohorts', 'admin', body({ name: first.name.toUpperCase(), level: 'expert' }));
    expectProblem(dup, 409);
    expect(dup.json().detail).toContain(`There is already a cohort called ${first.name.toUpperCase()}`);
    const n = await one<{ n: number }>(sql`select count(*)::int as n from cohorts where lower(name) = lower(${first.name})`);
    expect(n.n).toBe(1);
  });

  it('changes a cohort’s dates (PATCH) with the version read, audited; refuses bad dates, a stale version and other roles, writing nothing', async () => {
    const created = (await api('POST', '/cohorts', 'admin', body())).json();
    const dates = { startDate: '2027-05-03', endDate: '2028-04-28', workshopDates: ['2027-06-01'] };
    const changed = await api('PATCH', `/cohorts/${created.id}`, 'admin', { ...dates, version: 1 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ ...dates, status: 'upcoming', version: 2 });
    const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'cohort.dates_changed' and record_id = ${created.id}`)).n;
    expect(await audits()).toBe(1);
    expect((await api('PATCH', `/cohorts/${created.id}`, 'admin', { ...dates, version: 2 })).json().version).toBe(2);
    expect(await audits()).toBe(1);
    const stale = expectProblem(await api('PATCH', `/cohorts/${created.id}`, 'admin', { ...dates, startDate: '2027-05-04', version: 1 }), 409);
    expect(JSON.stringify(stale)).toContain('Someone else changed this cohort');
    const backwards = expectProblem(await api('PATCH', `/cohorts/${created.id}`, 'admin', { ...dates, endDate: '2027-05-02' }), 422);
    expect(messageFor(backwards, 'endDate')).toBe('End date must be the same as or after the start date');
    const missing = expectProblem(await api('PATCH', `/cohorts/${created.id}`, 'admin', { startDate: '2027-05-03' }), 422);
    expect(messageFor(missing, 'endDate')).toContain('Enter the end date');
    for (const who of ['partnerLp', 'sro', 'learner', 'funder'] as const) expectProblem(await api('PATCH', `/cohorts/${created.id}`, who, dates), 404);
    expectProblem(await api('PATCH', `/cohorts/${created.id}`, undefined, dates), 401);
    expectProblem(await api('PATCH', `/cohorts/${crypto.randomUUID()}`, 'admin', dates), 404);
    expect((await api('GET', `/cohorts/${created.id}`, 'admin')).json()).toMatchObject({ ...dates, version: 2 });
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expectProblem(await api('GET', `/cohorts/${crypto.randomUUID()}`, 'admin'), 404);
    expectProblem(await api('GET', '/cohorts/not-an-id', 'admin'), 404);
  });

  it('is in the OpenAPI document with its schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/cohorts'].get.operationId).toBe('listCohorts');
    expect(doc.paths['/cohorts'].post.operationId).toBe('createCohort');
    expect(doc.paths['/cohorts/{id}'].get.operationId).toBe('getCohort');
    expect(doc.paths['/cohorts/{id}'].patch.operationId).toBe('changeCohortDates');
    expect(Object.keys(doc.paths['/cohorts'].post.requestBody.content['application/json'].schema.properties).sort()).toEqual([
      'capacity', 'endDate', 'level', 'name', 'startDate', 'workshopDates',
    ]);
  });
});
