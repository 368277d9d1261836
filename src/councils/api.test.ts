import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'partnerLp' | 'partnerMhclg' | 'learner' | 'funder' | 'sro';

describe.each(backends)('councils API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const councilAt = (status: string, skip = 0) =>
    one<{ id: string; version: number }>(sql`
      select p.council_id as id, p.version from participations p join organisations o on o.id = p.council_id
      where p.status = ${status} order by o.name offset ${skip} limit 1`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'partnerMhclg', 'learner', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });

  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status, type: 'about:blank' });
  };

  it('walks 401 → 400 → 403 → 404 → 200 for the list and a council', async () => {
    expectProblem(await api('GET', '/councils'), 401);
    const bad = await api('GET', '/councils?status=nonsense', 'admin');
    expectProblem(bad, 400);
    expect(bad.json().errors[0].field).toBe('status');
    expectProblem(await api('GET', '/councils?pageSize=501', 'admin'), 400);
    expectProblem(await api('GET', '/councils', 'learner'), 403);
    expectProblem(await api('GET', '/councils/00000000-0000-4000-8000-000000000000', 'admin'), 404);
    expectProblem(await api('GET', '/councils/not-a-uuid', 'admin'), 404);
    const list = await api('GET', '/councils', 'admin');
    expect(list.statusCode).toBe(200);
    expect(list.json().meta).toEqual({ total: 317, page: 1, pageSize: 50 });
    const first = list.json().data[0];
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining(['id', 'gssCode', 'code', 'name', 'type', 'region', 'programmeStatus', 'managingPartner', 'onboardingDate', 'version']),
    );
    const one = await api('GET', `/councils/${first.id}`, 'admin');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: first.id, name: first.name });
  });

  it('filters, searches and pages the list', async () => {
    const active = await api('GET', '/councils?status=active&pageSize=10&page=2', 'admin');
    expect(active.json().meta).toEqual({ total: 56, page: 2, pageSize: 10 });
    expect(active.json().data).toHaveLength(10);
    expect(active.json().data.every((c: { programmeStatus: string }) => c.programmeStatus === 'active')).toBe(true);
    const found = await api('GET', '/councils?q=E08000025', 'admin');
    expect(found.json().data.map((c: { name: string }) => c.name)).toEqual(['Birmingham City Council']);
    const lp = await api('GET', '/councils?managingPartner=LP&pageSize=500', 'admin');
    expect(lp.json().data.every((c: { managingPartner: { code: string } }) => c.managingPartner.code === 'LP')).toBe(true);
  });

  it('applies the same scope as the pages', async () => {
    const mhclg = await api('GET', '/councils?pageSize=500', 'partnerMhclg');
    const codes = new Set(mhclg.json().data.map((c: { managingPartner: { code: string } }) => c.managingPartner.code));
    expect([...codes]).toEqual(['MHCLG']);
    const lpCouncil = await one<{ id: string }>(sql`
      select p.council_id as id from participations p join organisations o on o.id = p.managing_partner_id where o.code = 'LP' limit 1`);
    expectProblem(await api('GET', `/councils/${lpCouncil.id}`, 'partnerMhclg'), 404);
    // Out of scope is 404 whatever the body, so a 422 cannot reveal that the council exists.
    expectProblem(await api('PATCH', `/councils/${lpCouncil.id}`, 'partnerMhclg', { onboardingDate: 'nonsense' }), 404);
    expect((await api('GET', '/councils', 'sro')).json().meta.total).toBe(1);
    expect((await api('GET', '/councils', 'funder')).statusCode).toBe(200);
    expectProblem(await api('GET', `/councils/${lpCouncil.id}`, 'funder'), 404);
  });

  it('creates a council, refusing a bad body (422), the wrong role (403) and a duplicate GSS code (409)', async () => {
    const body = { gssCode: 'e06000999', name: 'New Shire Council', type: 'UA', region: 'South West' };
    expectProblem(await api('POST', '/councils', 'partnerLp', body), 403);
    const invalid = await api('POST', '/councils', 'admin', { ...body, gssCode: 'X1', type: 'NOPE' });
    expectProblem(invalid, 422);
    expect(invalid.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['gssCode', 'type']);
    const created = await api('POST', '/councils', 'admin', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ gssCode: 'E06000999', code: 'E06000999', name: 'New Shire Council', programmeStatus: 'not_engaged', managingPartner: null, version: 1 });
    expect(created.headers.location).toBe(`/api/v1/councils/${created.json().id}`);
    expect((await api('GET', '/councils?q=New%20Shire', 'admin')).json().meta.total).toBe(1);
    const duplicate = await api('POST', '/councils', 'admin', { ...body, name: 'Another' });
    expectProblem(duplicate, 409);
    expect(duplicate.json().detail).toContain('E06000999');
    const registered = await api('POST', '/councils', 'admin', { ...body, gssCode: 'E08000025', name: 'Second Birmingham' });
    expectProblem(registered, 409);
    const audit = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'council.created' and record_id = ${created.json().id}`);
    expect(audit.n).toBe(1);
  });

  it('changes participation with the version read, refusing a stale one with 409', async () => {
    const council = await councilAt('onboarding', 0);
    const { baselineBookedDate } = (await api('GET', `/councils/${council.id}`, 'admin')).json();
    expectProblem(await api('PATCH', `/councils/${council.id}`, 'admin', { onboardingDate: '2024-02-30', version: council.version }), 422);
    expectProblem(await api('PATCH', `/councils/${council.id}`, 'admin', { onboardingDate: '2024-02-01' }), 422);
    const ok = await api('PATCH', `/councils/${council.id}`, 'admin', { onboardingDate: '2024-02-01', agreementSignedDate: '2024-02-10', version: council.version });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ onboardingDate: '2024-02-01', agreementSignedDate: '2024-02-10', managingPartner: { code: 'LP' }, version: council.version + 1 });
    const stale = await api('PATCH', `/councils/${council.id}`, 'admin', { baselineBookedDate: '2030-03-01', version: council.version });
    expectProblem(stale, 409);
    expect(stale.json().detail).toContain('Someone else changed this council');
    expect((await api('GET', `/councils/${council.id}`, 'admin')).json().baselineBookedDate).toBe(baselineBookedDate);
  });

  it('moves the status, answering 409 for an illegal move and 422 for a missing reason', async () => {
    const council = await councilAt('onboarding', 1);
    const illegal = await api('POST', `/councils/${council.id}/status`, 'admin', { status: 'interested' });
    expectProblem(illegal, 409);
    expect(illegal.json().detail).toContain('A council cannot move from onboarding to interested');
    expectProblem(await api('POST', `/councils/${council.id}/status`, 'admin', { status: 'withdrawn' }), 422);
    expectProblem(await api('POST', `/councils/${council.id}/status`, 'admin', { status: 'withdrawn', reason: 'Budget', version: council.version + 1 }), 409);
    const moved = await api('POST', `/councils/${council.id}/status`, 'admin', { status: 'withdrawn', reason: 'Budget', version: council.version });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ programmeStatus: 'withdrawn', version: council.version + 1 });
    expectProblem(await api('POST', `/councils/${council.id}/status`, 'funder', { status: 'interested' }), 404);
  });
});
