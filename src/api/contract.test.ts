import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Inject = { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'; token?: string; payload?: string | object; type?: string; address?: string };

const newToken = async (t: TestApp, who: keyof typeof demoAccounts = 'admin') => {
  const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
  return (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, `test ${Math.random()}`)).token;
};

const call = (t: TestApp, url: string, { method = 'GET', token, payload, type, address }: Inject = {}) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(type ? { 'content-type': type } : {}) },
    ...(payload !== undefined ? { payload } : {}),
    ...(address ? { remoteAddress: address } : {}),
  });

const expectProblem = (res: LightMyRequestResponse, status: number, field?: string) => {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status });
  if (field) expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
};

describe.each(backends)('API rate limits (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend, config: { apiRatePerMinute: 3, apiAnonRatePerMinute: 2 } });
  });
  afterAll(async () => t?.close());

  it('answers a token over its limit with 429 problem details, Retry-After and RateLimit headers; another token is unaffected', async () => {
    const [busy, other] = [await newToken(t), await newToken(t)];
    for (let i = 0; i < 3; i++) {
      const ok = await call(t, '/councils?pageSize=1', { token: busy });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-limit']).toBe('3');
      expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await call(t, '/councils?pageSize=1', { token: busy });
    expectProblem(limited, 429);
    expect(limited.json().title).toBe('Too Many Requests');
    expect(limited.json().detail).toContain('At most 3 requests a minute');
    expect(limited.json().detail).not.toContain(busy);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect((await call(t, '/councils?pageSize=1', { token: other })).statusCode).toBe(200);
  });

  it('limits requests with a missing or bad token by client address, not by the token sent', async () => {
    const from = '203.0.113.7';
    expectProblem(await call(t, '/people', { address: from }), 401);
    expectProblem(await call(t, '/people', { token: 'pio_guess1', address: from }), 401);
    // A third guess from the same address, with yet another token, is over the address's limit.
    const limited = await call(t, '/people', { token: 'pio_guess2', address: from });
    expectProblem(limited, 429);
    expect(limited.headers['retry-after']).toBeDefined();
    expectProblem(await call(t, '/people', { token: 'pio_guess3', address: '203.0.113.8' }), 401);
    // A valid token from that address has its own budget.
    expect((await call(t, '/people?pageSize=1', { token: await newToken(t), address: from })).statusCode).toBe(200);
  });
});

describe.each(backends)('API media types, methods and numbers (%s)', (backend) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await newToken(t);
  });
  afterAll(async () => t?.close());

  const person = { name: 'Media Type', email: 'media.type@example.gov.uk', organisationId: '00000000-0000-4000-8000-000000000000', roles: ['learner'] };

  it('accepts only application/json bodies on JSON operations: 415 otherwise, nothing written', async () => {
    const form = new URLSearchParams({ name: person.name, email: person.email, organisationId: person.organisationId, roles: 'learner' }).toString();
    expectProblem(await call(t, '/people', { method: 'POST', token: admin, payload: form, type: 'application/x-www-form-urlencoded' }), 415);
    expectProblem(await call(t, '/people', { method: 'POST', token: admin, payload: JSON.stringify(person), type: 'text/plain' }), 415);
    const untyped = await t.app.inject({ method: 'POST', url: '/api/v1/people', headers: { authorization: `Bearer ${admin}` }, payload: Buffer.from(JSON.stringify(person)) });
    expectProblem(untyped, 415);
    expect(untyped.json().detail).toContain('application/json');
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from people where email = ${person.email}`);
    expect(n).toBe(0);
    // JSON with a charset parameter is JSON: it reaches validation (the organisation does not exist).
    const json = await call(t, '/people', { method: 'POST', token: admin, payload: JSON.stringify(person), type: 'application/json; charset=utf-8' });
    expect(json.statusCode).not.toBe(415);
  });

  it('answers an unknown method on a known API path with 405 problem details and Allow', async () => {
    const res = await call(t, '/councils', { method: 'DELETE', token: admin });
    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    const one = await call(t, '/councils/00000000-0000-4000-8000-000000000000', { method: 'PUT', token: admin });
    expectProblem(one, 405);
    expect(one.headers.allow).toBe('GET, HEAD, PATCH');
    // An unknown path is still 404.
    expectProblem(await call(t, '/nowhere', { method: 'DELETE', token: admin }), 404);
  });

  it('refuses page numbers that are not decimal digits, naming the parameter, instead of coercing them', async () => {
    for (const [query, field] of [
      ['pageSize=0x10', 'pageSize'],
      ['page=1e3', 'page'],
      ['page=%205', 'page'],
      ['pageSize=5.0', 'pageSize'],
      ['page=-1', 'page'],
      ['page=0', 'page'],
      ['pageSize=', 'pageSize'],
      ['page=1&page=2', 'page'],
    ] as const) {
      expectProblem(await call(t, `/councils?${query}`, { token: admin }), 400, field);
    }
    const ok = await call(t, '/councils?page=2&pageSize=5', { token: admin });
    expect(ok.json().meta).toMatchObject({ page: 2, pageSize: 5 });
  });

  it('refuses a number sent as text in a JSON body (version "2") with 422 naming the field, and changes nothing', async () => {
    const [council] = await queryRows<{ id: string; version: number }>(
      t.db,
      sql`select council_id as id, version from participations where status = 'active' order by council_id limit 1`,
    );
    const res = await call(t, `/councils/${council.id}`, { method: 'PATCH', token: admin, payload: { version: String(council.version) } });
    expectProblem(res, 422, 'version');
    const [after] = await queryRows<{ version: number }>(t.db, sql`select version from participations where council_id = ${council.id}`);
    expect(after.version).toBe(council.version);
    const cohort = await call(t, '/cohorts', { method: 'POST', token: admin, payload: { level: 'foundation', name: 'Text capacity', startDate: '2026-12-01', capacity: '20' } });
    expectProblem(cohort, 422, 'capacity');
  });
});
