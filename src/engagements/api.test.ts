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

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, who: Who, payload?: object) =>
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

  it('replaces an engagement’s details for the programme team only, refusing bad dates (422) and a stale version (409)', async () => {
    const e = await newEngagement();
    const details = { title: 'Renamed engagement', leadSpecialistId: specialistId, specialistIds: [], scope: 'Scope', objectives: 'New objectives', startDate: '2026-09-01', endDate: '2027-06-30', plannedDays: 20 };
    expectProblem(await api('PUT', `/engagements/${e.id}`, 'specialist', { ...details, version: e.version }), 403);
    const badDates = await api('PUT', `/engagements/${e.id}`, 'admin', { ...details, endDate: '2026-08-01', version: e.version });
    expectProblem(badDates, 422);
    expect(badDates.json().errors).toContainEqual({ field: 'endDate', message: 'End date must be the same as or after the start date' });
    const changed = await api('PUT', `/engagements/${e.id}`, 'admin', { ...details, version: e.version });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ title: 'Renamed engagement', endDate: '2027-06-30', plannedDays: 20, version: e.version + 1 });
    expectProblem(await api('PUT', `/engagements/${e.id}`, 'admin', { ...details, title: 'Lost update', version: e.version }), 409);
    expect((await api('GET', `/engagements/${e.id}`, 'sro')).json().title).toBe('Renamed engagement');
  });

  it('changes and deletes only the caller’s own time, with stale versions refused', async () => {
    const e = await newEngagement();
    const logged = (await api('POST', `/engagements/${e.id}/time-entries`, 'specialist', { date: '2026-11-20', unit: 'days', amount: 1, activity: 'workshop' })).json() as { id: string; version: number };
    const entry = `/engagements/${e.id}/time-entries/${logged.id}`;
    expectProblem(await api('PUT', entry, 'specialist', { date: '2026-11-21', unit: 'hours', amount: 30, activity: 'workshop', version: logged.version }), 422);
    const changed = await api('PUT', entry, 'specialist', { date: '2026-11-21', unit: 'hours', amount: 6, activity: 'diagnostic', version: logged.version });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ date: '2026-11-21', minutes: 360, activity: 'diagnostic', version: logged.version + 1 });
    expectProblem(await api('PUT', entry, 'specialist', { date: '2026-11-22', unit: 'hours', amount: 5, activity: 'diagnostic', version: logged.version }), 409);
    expectProblem(await api('DELETE', entry, 'admin'), 403);
    expectProblem(await api('DELETE', `/engagements/${e.id}/time-entries/00000000-0000-4000-8000-000000000000`, 'specialist'), 404);
    const deleted = await api('DELETE', entry, 'specialist');
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ id: logged.id, minutes: 360 });
    expectProblem(await api('DELETE', entry, 'specialist'), 404);
    expect((await api('GET', `/engagements/${e.id}/time-entries`, 'admin')).json().meta.total).toBe(0);
  });

  it('keeps milestones: added, listed, changed and marked done, with stale versions and other engagements refused', async () => {
    const e = await newEngagement();
    expectProblem(await api('POST', `/engagements/${e.id}/milestones`, 'lead', { title: 'Diagnostic report', dueDate: '2026-10-31' }), 403);
    expectProblem(await api('POST', `/engagements/${e.id}/milestones`, 'specialist', { title: 'Too early', dueDate: '2026-08-31' }), 422);
    const added = await api('POST', `/engagements/${e.id}/milestones`, 'specialist', { title: 'Diagnostic report', dueDate: '2026-10-31' });
    expect(added.statusCode, added.body).toBe(201);
    const m = added.json() as { id: string; version: number };
    expect(added.json()).toMatchObject({ title: 'Diagnostic report', doneOn: null, overdue: true });
    const url = `/engagements/${e.id}/milestones/${m.id}`;
    const moved = await api('PUT', url, 'specialist', { title: 'Diagnostic report', dueDate: '2026-12-31', version: m.version });
    expect(moved.json()).toMatchObject({ dueDate: '2026-12-31', overdue: false, version: m.version + 1 });
    expectProblem(await api('PUT', url, 'specialist', { title: 'Lost update', dueDate: '2026-12-31', version: m.version }), 409);
    const done = await api('POST', `${url}/done`, 'admin', { done: true, version: m.version + 1 });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ doneOn: '2026-11-26', overdue: false });
    expect((await api('GET', `/engagements/${e.id}/milestones`, 'sro')).json().data).toEqual([done.json()]);
    // A milestone of another engagement, through this one's address, is not found.
    const other = await newEngagement();
    expectProblem(await api('PUT', `/engagements/${other.id}/milestones/${m.id}`, 'specialist', { title: 'X', dueDate: '2026-12-31' }), 404);
  });

  it('adds notes and evidence links to an action, refusing a link that is not https (422) and someone off the engagement (403)', async () => {
    const e = await newEngagement();
    const a = (await api('POST', `/engagements/${e.id}/actions`, 'specialist', { title: 'Adopt a contract register', ownerId, dueDate: '2026-12-15' })).json() as { id: string };
    const base = `/engagements/${e.id}/actions/${a.id}`;
    expectProblem(await api('POST', `${base}/notes`, 'specialist', { text: '  ' }), 422);
    expectProblem(await api('POST', `${base}/notes`, 'sro', { text: 'From the SRO' }), 403);
    const noted = await api('POST', `${base}/notes`, 'specialist', { text: 'Register drafted' });
    expect(noted.statusCode, noted.body).toBe(201);
    expect(noted.json().data).toEqual([expect.objectContaining({ text: 'Register drafted', authorName: expect.any(String), writtenAt: '2026-11-26T10:00:00.000Z' })]);
    const badLink = await api('POST', `${base}/evidence`, 'specialist', { title: 'Register', url: 'http://example.gov.uk/register.xlsx' });
    expectProblem(badLink, 422);
    expect(badLink.json().errors).toContainEqual({ field: 'url', message: 'Enter a link starting with https://' });
    expect((await api('POST', `${base}/evidence`, 'admin', { title: 'Register', url: 'https://example.gov.uk/register.xlsx' })).statusCode).toBe(201);
    expect((await api('GET', `${base}/evidence`, 'lead')).json().data).toEqual([expect.objectContaining({ title: 'Register', url: 'https://example.gov.uk/register.xlsx' })]);
    expect((await api('GET', `${base}/notes`, 'lead')).json().data).toHaveLength(1);
    expectProblem(await api('GET', `/engagements/${e.id}/actions/00000000-0000-4000-8000-000000000000/notes`, 'lead'), 404);
  });

  it('lets the council’s SRO alone sign off the plan and then its completion, each once', async () => {
    const e = await newEngagement();
    const signOff = (who: Who, what: string) => api('POST', `/engagements/${e.id}/sign-offs`, who, { what });
    expectProblem(await signOff('sro', 'plan'), 409); // no actions yet
    const a = (await api('POST', `/engagements/${e.id}/actions`, 'specialist', { title: 'Publish KPIs', ownerId, dueDate: '2026-12-15' })).json() as { id: string; version: number };
    for (const who of ['lead', 'specialist', 'admin'] as const) expectProblem(await signOff(who, 'plan'), 403);
    expectProblem(await signOff('sro', 'everything'), 422);
    expectProblem(await signOff('sro', 'completion'), 409); // the plan first
    const plan = await signOff('sro', 'plan');
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.json().planSignedOffAt).toBe('2026-11-26T10:00:00.000Z');
    expectProblem(await signOff('sro', 'plan'), 409);
    expectProblem(await signOff('sro', 'completion'), 409); // an action is not done
    await api('PATCH', `/engagements/${e.id}/actions/${a.id}`, 'specialist', { status: 'in_progress', version: a.version });
    await api('PATCH', `/engagements/${e.id}/actions/${a.id}`, 'specialist', { status: 'done', version: a.version + 1 });
    const completion = await signOff('sro', 'completion');
    expect(completion.statusCode, completion.body).toBe(200);
    expect(completion.json().completionSignedOffAt).toBe('2026-11-26T10:00:00.000Z');
  });
});
