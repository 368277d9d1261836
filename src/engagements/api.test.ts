import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'specialist' | 'sro' | 'lead' | 'funder';

describe.each(backends)('engagements API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let sroCouncil: string;
  let specialistId: string;
  let ownerId: string;
  let outsiderId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'specialist', 'sro', 'lead', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    specialistId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`)).id;
    ownerId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.lead.email}`)).id;
    outsiderId = (await one<{ id: string }>(sql`select id from people where organisation_id <> ${sroCouncil} and 'council_lead' = any(roles) limit 1`)).id;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, who: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };
  const newEngagement = async () => {
    const res = await api('POST', '/engagements', 'admin', {
      councilId: sroCouncil,
      title: 'API engagement',
      leadSpecialistId: specialistId,
      scope: 'Scope',
      objectives: 'Objectives',
      startDate: '2026-09-01',
      endDate: '2027-03-31',
      plannedDays: 12.5,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number; plannedDays: number; status: string };
  };

  it('opens (201), lists with filters and gets an engagement; refuses a specialist and malformed input', async () => {
    const e = await newEngagement();
    expect(e).toMatchObject({ status: 'planned', plannedDays: 12.5 });
    expectProblem(await api('POST', '/engagements', 'specialist', { councilId: sroCouncil }), 403);
    const bad = await api('POST', '/engagements', 'admin', { councilId: sroCouncil, title: '', leadSpecialistId: 'x', scope: 's', objectives: 'o', startDate: '2026-13-01', endDate: '2026-01-01', plannedDays: 0.001 });
    expectProblem(bad, 422);
    expect(bad.json().errors.map((x: { field: string }) => x.field)).toEqual(expect.arrayContaining(['title', 'leadSpecialistId', 'startDate', 'plannedDays']));
    const list = await api('GET', `/engagements?councilId=${sroCouncil}&status=planned`, 'sro');
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((x: { id: string }) => x.id)).toContain(e.id);
    expectProblem(await api('GET', '/engagements?status=finished', 'admin'), 400);
    expectProblem(await api('GET', '/engagements', 'funder'), 403);
    expect((await api('GET', `/engagements/${e.id}`, 'lead')).json().title).toBe('API engagement');
  });

  it('changes the status, refusing an illegal move, a stale version (409) and a council’s staff (403)', async () => {
    const e = await newEngagement();
    expectProblem(await api('POST', `/engagements/${e.id}/status`, 'admin', { status: 'closing', version: e.version }), 409);
    expectProblem(await api('POST', `/engagements/${e.id}/status`, 'sro', { status: 'active', version: e.version }), 403);
    const moved = await api('POST', `/engagements/${e.id}/status`, 'admin', { status: 'active', version: e.version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().status).toBe('active');
    expectProblem(await api('POST', `/engagements/${e.id}/status`, 'admin', { status: 'paused', version: e.version }), 409);
  });

  it('logs time for the specialist on it only, within the rules', async () => {
    const e = await newEngagement();
    const logged = await api('POST', `/engagements/${e.id}/time-entries`, 'specialist', { date: '2026-11-20', unit: 'hours', amount: 3.5, activity: 'coaching' });
    expect(logged.statusCode, logged.body).toBe(201);
    expect(logged.json()).toMatchObject({ minutes: 210, unit: 'hours', activity: 'coaching' });
    expectProblem(await api('POST', `/engagements/${e.id}/time-entries`, 'specialist', { date: '2026-11-27', unit: 'days', amount: 1, activity: 'coaching' }), 422);
    expectProblem(await api('POST', `/engagements/${e.id}/time-entries`, 'specialist', { date: '2026-11-20', unit: 'days', amount: 2, activity: 'coaching' }), 422);
    expectProblem(await api('POST', `/engagements/${e.id}/time-entries`, 'admin', { date: '2026-11-20', unit: 'days', amount: 1, activity: 'coaching' }), 403);
    const list = await api('GET', `/engagements/${e.id}/time-entries`, 'lead');
    expect(list.json().meta.total).toBe(1);
    expect((await api('GET', `/engagements/${e.id}`, 'admin')).json().usedDays).toBe(0.47);
  });

  it('adds and changes actions: the council’s owners only, the status machine and stale versions', async () => {
    const e = await newEngagement();
    const action = { title: 'Publish KPIs', ownerId, dueDate: '2026-12-15', rag: 'green', maturityAreaKey: 'managing-performance' };
    expectProblem(await api('POST', `/engagements/${e.id}/actions`, 'specialist', { ...action, ownerId: outsiderId }), 422);
    expectProblem(await api('POST', `/engagements/${e.id}/actions`, 'specialist', { ...action, dueDate: '2026-08-01' }), 422);
    // A maturity area must be one of the framework's.
    const badArea = await api('POST', `/engagements/${e.id}/actions`, 'specialist', { ...action, maturityAreaKey: 'contract-administration' });
    expectProblem(badArea, 422);
    expect(badArea.json().errors).toContainEqual({ field: 'maturityAreaKey', message: 'Select a maturity area from the list' });
    expectProblem(await api('POST', `/engagements/${e.id}/actions`, 'lead', action), 403);
    const added = await api('POST', `/engagements/${e.id}/actions`, 'specialist', action);
    expect(added.statusCode, added.body).toBe(201);
    const a = added.json() as { id: string; version: number; status: string };
    expect(a.status).toBe('not_started');
    expectProblem(await api('PATCH', `/engagements/${e.id}/actions/${a.id}`, 'specialist', { status: 'done', version: a.version }), 409);
    const moved = await api('PATCH', `/engagements/${e.id}/actions/${a.id}`, 'admin', { status: 'in_progress', rag: 'amber', version: a.version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ status: 'in_progress', rag: 'amber' });
    expectProblem(await api('PATCH', `/engagements/${e.id}/actions/${a.id}`, 'specialist', { status: 'blocked', version: a.version }), 409);
    const list = await api('GET', `/engagements/${e.id}/actions`, 'sro');
    expect(list.json().data).toHaveLength(1);
    // Another council's engagement is not found for the specialist who is not assigned to it.
    const other = await one<{ id: string }>(sql`select id from engagements e where not exists (select 1 from specialist_assignments s where s.council_id = e.council_id and s.person_id = ${specialistId}) limit 1`);
    expectProblem(await api('GET', `/engagements/${other.id}/actions`, 'specialist'), 404);
    expectProblem(await api('POST', `/engagements/${other.id}/actions`, 'specialist', action), 404);
  });
});
