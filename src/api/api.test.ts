import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, testNow, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

describe.each(backends)('API plumbing (%s)', (backend) => {
  let t: TestApp;
  let adminToken: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    adminToken = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'test')).token;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, opts: { token?: string; payload?: string | object; type?: string } = {}) =>
    t.app.inject({
      method,
      url,
      headers: {
        ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.type ? { 'content-type': opts.type } : {}),
      },
      ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
    });

  it('publishes an OpenAPI 3.1 document that a standard validator accepts', async () => {
    const res = await t.app.inject('/api/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    for (const path of ['/councils', '/councils/{id}', '/councils/{id}/status', '/people', '/audit-events']) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    const docsPage = await t.app.inject('/api/docs');
    expect(docsPage.body).toContain('href="/api/v1/openapi.json"');
  });

  it('refuses a missing, malformed, unknown or revoked token with 401 problem details', async () => {
    for (const token of [undefined, '', 'not-a-token', 'pio_unknown0000000000000000000000000000000000']) {
      const res = await api('GET', '/api/v1/people', { token });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorised' });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const agent = await t.signIn('admin');
    const page = await agent.submit('/account/tokens', { name: 'Short-lived' });
    const token = /<code id="new-token">([^<]+)<\/code>/.exec(page.body)![1];
    expect((await api('GET', '/api/v1/people', { token })).statusCode).toBe(200);
    const [row] = await queryRows<{ id: string }>(t.db, sql`select id from api_tokens where name = 'Short-lived'`);
    expect((await agent.submit(`/account/tokens/${row.id}/revoke`, {})).statusCode).toBe(302);
    expect((await api('GET', '/api/v1/people', { token })).statusCode).toBe(401);
  });

  it('answers malformed JSON with 400, a wrong media type with 415 and an oversized body with 413, all as problem details', async () => {
    const bad = await api('POST', '/api/v1/people', { token: adminToken, payload: '{"name": ', type: 'application/json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const wrongType = await api('POST', '/api/v1/people', { token: adminToken, payload: '<person/>', type: 'application/xml' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.headers['content-type']).toContain('application/problem+json');
    const huge = await api('POST', '/api/v1/people', { token: adminToken, payload: JSON.stringify({ name: 'x'.repeat(t.config.bodyLimitBytes) }), type: 'application/json' });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ status: 413, title: 'Request too large' });
    expect(JSON.stringify(huge.json())).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers a body of the wrong shape with 422 listing each field, and bad paging with 400', async () => {
    const res = await api('POST', '/api/v1/people', { token: adminToken, payload: { name: '', email: 'not-an-email', roles: 'admin' } });
    expect(res.statusCode).toBe(422);
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'email', 'organisationId', 'roles']));
    const paging = await api('GET', '/api/v1/people?pageSize=501', { token: adminToken });
    expect(paging.statusCode).toBe(400);
    expect(paging.json().errors[0]).toMatchObject({ field: 'pageSize', message: 'pageSize must be between 1 and 500' });
  });

  it('records when a token was last used, to the minute, without writing on every request', async () => {
    const lastUsed = async () =>
      (await queryRows<{ at: string | null }>(t.db, sql`select last_used_at::text as at from api_tokens where name = 'test'`))[0].at;
    await api('GET', '/api/v1/people?pageSize=1', { token: adminToken });
    const first = await lastUsed();
    expect(first).not.toBeNull();
    t.clock.set(new Date(Date.parse(testNow) + 30_000));
    await api('GET', '/api/v1/people?pageSize=1', { token: adminToken });
    expect(await lastUsed()).toBe(first);
    t.clock.set(new Date(Date.parse(testNow) + 120_000));
    await api('GET', '/api/v1/people?pageSize=1', { token: adminToken });
    expect(await lastUsed()).not.toBe(first);
    t.clock.set(testNow);
  });

  it('answers an unknown API path with 404 problem details and echoes a request id', async () => {
    const res = await api('GET', '/api/v1/nothing-here', { token: adminToken });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });
});
