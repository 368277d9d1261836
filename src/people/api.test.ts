import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';

describe.each(backends)('people and audit API (%s)', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let sroCouncil: string;
  let otherCouncilPerson: string;

  const call = (method: 'GET' | 'POST', url: string, who?: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'sro', 'learner', 'partnerLp'] as const) {
      const [p] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, `${who} test token`)).token;
    }
    [{ id: sroCouncil }] = await queryRows<{ id: string }>(t.db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`);
    [{ id: otherCouncilPerson }] = await queryRows<{ id: string }>(t.db, sql`select p.id from people p join organisations o on o.id = p.organisation_id
      where o.kind = 'council' and p.organisation_id <> ${sroCouncil}::uuid limit 1`);
  });
  afterAll(async () => t?.close());

  it('walks GET /people: 401 → 400 → 403 → 200, scoped to the caller', async () => {
    const anonymous = await call('GET', '/api/v1/people');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect((await t.app.inject({ url: '/api/v1/people', headers: { authorization: 'Bearer pio_wrong' } })).statusCode).toBe(401);

    const bad = await call('GET', '/api/v1/people?pageSize=1000&role=king', 'admin');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['pageSize', 'role']);

    const learner = await call('GET', '/api/v1/people', 'learner');
    expect(learner.statusCode).toBe(403);
    expect(learner.headers['content-type']).toContain('application/problem+json');

    const sro = await call('GET', '/api/v1/people?pageSize=500', 'sro');
    expect(sro.statusCode).toBe(200);
    const body = sro.json();
    expect(body.meta).toEqual({ total: body.data.length, page: 1, pageSize: 500 });
    expect(body.data.every((p: { organisationId: string }) => p.organisationId === sroCouncil)).toBe(true);
    expect(Object.keys(body.data[0])).toEqual(expect.arrayContaining(['id', 'name', 'email', 'organisationId', 'jobTitle', 'roles', 'status']));
    expect(body.data[0]).not.toHaveProperty('passwordHash');

    const filtered = await call('GET', `/api/v1/people?role=funder&status=active&q=ccs&pageSize=5`, 'admin');
    expect(filtered.json().data.map((p: { email: string }) => p.email)).toEqual([demoAccounts.funder.email]);
  });

  it('walks GET /people/{id}: 404 for malformed, unknown and out-of-scope ids; 200 in scope', async () => {
    expect((await call('GET', `/api/v1/people/${otherCouncilPerson}`)).statusCode).toBe(401);
    expect((await call('GET', `/api/v1/people/${otherCouncilPerson}`, 'learner')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/people/not-a-uuid', 'sro')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/people/00000000-0000-4000-8000-000000000000', 'sro')).statusCode).toBe(404);
    const hidden = await call('GET', `/api/v1/people/${otherCouncilPerson}`, 'sro');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.headers['content-type']).toContain('application/problem+json');
    const seen = await call('GET', `/api/v1/people/${otherCouncilPerson}`, 'admin');
    expect(seen.statusCode).toBe(200);
    expect(seen.json().id).toBe(otherCouncilPerson);
  });

  it('walks POST /people: 401 → 422 → 403 → 409 → 201, and emails the invitation', async () => {
    const good = { name: 'API Invitee', email: 'api.invitee@demo-council.example.gov.uk', organisationId: sroCouncil, roles: ['learner'] };
    expect((await call('POST', '/api/v1/people', undefined, good)).statusCode).toBe(401);
    const invalid = await call('POST', '/api/v1/people', 'admin', { name: '', email: 'nope', roles: [] });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.headers['content-type']).toContain('application/problem+json');
    expect(invalid.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'organisationId', 'roles']);
    expect((await call('POST', '/api/v1/people', 'sro', good)).statusCode).toBe(403);
    const duplicate = await call('POST', '/api/v1/people', 'admin', { ...good, email: demoAccounts.lead.email.toUpperCase() });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().detail).toBe('Someone already has this email address');

    const created = await call('POST', '/api/v1/people', 'admin', good);
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/people/${created.json().id}`);
    expect(created.json()).toMatchObject({ name: 'API Invitee', email: good.email, organisationId: sroCouncil, roles: ['learner'], status: 'invited', jobTitle: null });
    expect(t.mailer.lastTo(good.email)?.subject).toBe('You have been invited to Pioneer');
  });

  it('walks GET /audit-events: 401 → 400 → 403 → 200 with filters', async () => {
    expect((await call('GET', '/api/v1/audit-events')).statusCode).toBe(401);
    const bad = await call('GET', '/api/v1/audit-events?from=yesterday&actorId=me', 'admin');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['actorId', 'from']);
    expect((await call('GET', '/api/v1/audit-events', 'partnerLp')).statusCode).toBe(403);
    const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    const res = await call('GET', `/api/v1/audit-events?actorId=${admin.id}&action=person.invited&recordType=person&from=2026-11-26&to=2026-11-26`, 'admin');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.meta).toMatchObject({ total: 1, page: 1, pageSize: 50 });
    expect(body.data[0]).toMatchObject({ actorId: admin.id, action: 'person.invited', recordType: 'person', occurredAt: '2026-11-26T10:00:00.000Z' });
    expect(body.data[0].after).toMatchObject({ email: 'api.invitee@demo-council.example.gov.uk' });
    const older = await call('GET', '/api/v1/audit-events?to=2026-11-25&action=person.invited', 'admin');
    expect(older.json().meta.total).toBe(0);
  });

  it('documents the operations in the OpenAPI document', async () => {
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    expect(doc.paths['/people'].get.operationId).toBe('listPeople');
    expect(doc.paths['/people'].post.operationId).toBe('invitePerson');
    expect(doc.paths['/people/{id}'].get.operationId).toBe('getPerson');
    expect(doc.paths['/audit-events'].get.operationId).toBe('listAuditEvents');
  });
});
