import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { activeCouncils, openPeriodsUntil } from './testing.ts';

type Who = 'admin' | 'partnerLp' | 'partnerMhclg' | 'sro' | 'funder';

describe.each(backends)('requests for places API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let lp: Awaited<ReturnType<typeof activeCouncils>>;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await openPeriodsUntil(t, '2039-40');
    for (const who of ['admin', 'partnerLp', 'partnerMhclg', 'sro', 'funder'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    lp = (await activeCouncils(t, 200)).filter((c) => c.partner === 'LP');
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status });
  };
  const placesOf = async (councilId: string, level: string, period: string) =>
    (await queryRows<{ places: number }>(t.db, sql`select places from funded_places where council_id = ${councilId} and level = ${level} and period = ${period}`))[0]?.places;

  it('requests (201), lists, grants (200) once and refuses a second decision (409)', async () => {
    const council = lp[0];
    const body = { councilId: council.id, level: 'practitioner', period: '2034-35', places: 3, reason: 'Three officers waiting' };
    const created = await api('POST', '/place-requests', 'partnerLp', body);
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json();
    expect(request).toMatchObject({ ...body, councilName: council.name, status: 'requested', requestedByName: expect.any(String), decidedAt: null, decisionNote: null });
    expectProblem(await api('POST', '/place-requests', 'partnerLp', { ...body, places: 1 }), 409);

    const list = await api('GET', `/place-requests?status=requested&councilId=${council.id}`, 'partnerLp');
    expect(list.json()).toEqual({ data: [request], meta: { total: 1, page: 1, pageSize: 50 } });
    expect((await api('GET', `/place-requests?councilId=${council.id}`, 'partnerMhclg')).json().meta.total).toBe(0);

    expectProblem(await api('POST', `/place-requests/${request.id}/grant`, 'partnerLp', {}), 404);
    const granted = await api('POST', `/place-requests/${request.id}/grant`, 'admin', {});
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json()).toMatchObject({ id: request.id, status: 'granted', decidedByName: expect.any(String), decidedAt: '2026-11-26T10:00:00.000Z' });
    expect(await placesOf(council.id, 'practitioner', '2034-35')).toBe(3);
    const again = await api('POST', `/place-requests/${request.id}/grant`, 'admin', {});
    expectProblem(again, 409);
    expect(again.json().detail).toContain('This request was already granted');
    expectProblem(await api('POST', `/place-requests/${request.id}/refuse`, 'admin', { note: 'Too late' }), 409);
    expect(await placesOf(council.id, 'practitioner', '2034-35')).toBe(3);
    expect((await api('GET', `/place-requests?status=granted&councilId=${council.id}`, 'admin')).json().data[0].status).toBe('granted');
  });

  it('refuses only with a note, and validates requests with 422 field errors', async () => {
    const council = lp[1];
    const created = (await api('POST', '/place-requests', 'admin', { councilId: council.id, level: 'expert', period: '2034-35', places: 1, reason: 'One' })).json();
    const noNote = await api('POST', `/place-requests/${created.id}/refuse`, 'admin', {});
    expectProblem(noNote, 422);
    expect(noNote.json().errors).toContainEqual({ field: 'note', message: 'Enter why the request is refused' });
    const refused = await api('POST', `/place-requests/${created.id}/refuse`, 'admin', { note: 'No budget' });
    expect(refused.json()).toMatchObject({ status: 'refused', decisionNote: 'No budget' });

    const cases: [object, string, string][] = [
      [{ councilId: council.id, level: 'expert', period: '2034-35', places: 0, reason: 'x' }, 'places', 'Places must be 1 or more'],
      [{ councilId: council.id, level: 'expert', period: '2034-35', places: 101, reason: 'x' }, 'places', 'Places must be 100 or fewer'],
      [{ councilId: council.id, level: 'expert', period: '2034-35', places: 1 }, 'reason', 'Enter why the council needs more places'],
      [{ councilId: council.id, level: 'master', period: '2034-35', places: 1, reason: 'x' }, 'level', 'Select a level: foundation, practitioner, expert'],
      [{ councilId: lp[2].id, level: 'expert', period: '2034-35', places: 1, reason: 'x'.repeat(1001) }, 'reason', 'Reason must be 1000 characters or fewer'],
    ];
    for (const [body, field, message] of cases) {
      const res = await api('POST', '/place-requests', 'partnerLp', body);
      expectProblem(res, 422);
      expect(res.json().errors, message).toContainEqual({ field, message });
    }
    // Another partner's council is not theirs to ask for.
    const other = await api('POST', '/place-requests', 'partnerMhclg', { councilId: council.id, level: 'expert', period: '2034-35', places: 1, reason: 'x' });
    expectProblem(other, 422);
    expect(other.json().errors).toContainEqual({ field: 'councilId', message: 'Select a council from the list' });
  });

  it('applies the policy: who may list, ask and decide', async () => {
    expectProblem(await api('GET', '/place-requests'), 401);
    for (const who of ['sro', 'funder'] as const) {
      expectProblem(await api('GET', '/place-requests', who), 403);
      expectProblem(await api('POST', '/place-requests', who, { councilId: lp[3].id, level: 'expert', period: '2034-35', places: 1, reason: 'x' }), 403);
    }
    expectProblem(await api('GET', '/place-requests?status=waiting', 'admin'), 400);
    expectProblem(await api('POST', '/place-requests/00000000-0000-4000-8000-000000000000/grant', 'admin', {}), 404);
    expectProblem(await api('POST', '/place-requests/nope/grant', 'admin', {}), 404);
  });

  it('needs confirmInactiveCouncil to allocate to a council that is not active or onboarding', async () => {
    const council = lp[4];
    await t.db.execute(sql`update participations set status = 'completed' where council_id = ${council.id}`);
    const body = { councilId: council.id, level: 'foundation', period: '2034-35', places: 2 };
    const refused = await api('POST', '/places', 'admin', body);
    expectProblem(refused, 422);
    expect(refused.json().errors).toContainEqual({ field: 'confirmInactiveCouncil', message: `${council.name} is completed, not active or onboarding: confirm that you want to allocate places to it` });
    expect(await placesOf(council.id, 'foundation', '2034-35')).toBeUndefined();
    expect((await api('POST', '/places', 'admin', { ...body, confirmInactiveCouncil: true })).statusCode).toBe(201);
    const [audit] = await queryRows<{ after: { councilStatus?: string } }>(
      t.db,
      sql`select after from audit_events where action = 'places.allocated' and after->>'councilId' = ${council.id} order by id desc limit 1`,
    );
    expect(audit.after.councilStatus).toBe('completed');
    const asked = await api('POST', '/place-requests', 'partnerLp', { councilId: council.id, level: 'foundation', period: '2034-35', places: 1, reason: 'x' });
    expectProblem(asked, 422);
    expect(asked.json().errors[0].field).toBe('councilId');
  });
});
