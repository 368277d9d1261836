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

  it('documents the constraints the server enforces, every operation’s errors, tags, contact, licence and servers', async () => {
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    const body = (path: string, method = 'post') => doc.paths[path][method].requestBody.content['application/json'].schema.properties;
    expect(body('/cohorts').startDate).toMatchObject({ type: 'string', format: 'date' });
    expect(body('/cohorts').workshopDates).toMatchObject({ type: 'array', maxItems: 12, items: { format: 'date' } });
    expect(body('/enrolments/{id}/events').date).toMatchObject({ format: 'date' });
    expect(body('/councils/{id}', 'patch').onboardingDate.anyOf).toContainEqual({ type: 'string', format: 'date' });
    expect(body('/places').period).toMatchObject({ type: 'string', pattern: '^(\\d{4})-(\\d{2})$' });
    expect(body('/enrolments').period.pattern).toBe(body('/places').period.pattern);
    expect(body('/learners/{id}/cpd').hours).toEqual(expect.objectContaining({ type: 'number', exclusiveMinimum: 0, maximum: 24, multipleOf: 0.25 }));
    expect(body('/people').roles).toMatchObject({ minItems: 1, maxItems: 7 });
    expect(body('/councils/{id}/specialists', 'put').personIds).toMatchObject({ maxItems: 200 });
    expect(body('/cohorts').name).toMatchObject({ maxLength: 100 });
    expect(doc.paths['/audit-events'].get.parameters).toContainEqual(expect.objectContaining({ name: 'from', schema: expect.objectContaining({ format: 'date' }) }));

    // Every array a request body may carry says how long it may be.
    const unbounded: string[] = [];
    const walk = (schema: Record<string, unknown> | undefined, at: string): void => {
      if (!schema || typeof schema !== 'object') return;
      if (schema.type === 'array' && schema.maxItems === undefined) unbounded.push(at);
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'properties') for (const [name, s] of Object.entries(value as object)) walk(s, `${at}.${name}`);
        else if (key === 'items') walk(value as Record<string, unknown>, `${at}[]`);
        else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') (value as Record<string, unknown>[]).forEach((s) => walk(s, at));
      }
    };
    const tagNames = (doc.tags as { name: string; description: string }[]).map((tag) => tag.name);
    type Operation = {
      description: string;
      tags: string[];
      requestBody?: { content: Record<string, { schema: Record<string, unknown> } | undefined> };
      responses: Record<string, { $ref?: string; content?: unknown }>;
    };
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.description, where).toMatch(/\. *\n\nWho may call it: \S/);
        expect(tagNames, where).toContain(op.tags[0]);
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '429', '503']));
        if (op.requestBody) {
          expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['413', '415', '422']));
          walk(op.requestBody.content['application/json']?.schema, where);
        }
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const resolved = response.$ref ? doc.components.responses[response.$ref.replace('#/components/responses/', '')] : response;
          expect(resolved.content, `${where} ${status}`).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
        }
      }
    }
    expect(unbounded).toEqual([]);
    expect(doc.paths['/councils'].get.responses['403']).toBeDefined();
    expect(doc.paths['/councils/{id}'].get.responses['403'], 'a record path answers 404, not 403').toBeUndefined();
    expect(doc.paths['/enrolments/{id}/events'].post.description).toContain('Who may call it: Programme admin, Managing partner staff');
    // An operation that admits a survey's readers only to answer them 403 names those who may call it, not the readers.
    expect(doc.paths['/surveys/{id}/sendings'].post.description).toMatch(/Who may call it: Programme admin \(the policy action `survey:manage`\)\.$/);
    expect(doc.paths['/funds/{id}/spend'].get.description).toMatch(/Who may call it: Programme admin, Managing partner staff \(the policy action `fund:list`\)\.$/);
    expect(doc.components.responses.TooManyRequests.headers['Retry-After']).toBeDefined();
    expect((doc.tags as { description: string }[]).every((tag) => tag.description.length > 0)).toBe(true);
    expect(doc.info.contact).toMatchObject({ name: expect.any(String), url: expect.stringMatching(/^http/) });
    expect(doc.info.license).toMatchObject({ name: expect.stringContaining('CC BY 4.0'), url: expect.stringMatching(/\/about\/data$/) });
    expect(doc.servers[0].url).toBe(`${t.config.baseUrl}/api/v1`);
  });

  it('refuses arrays longer than the document allows, as it says', async () => {
    const cohort = await api('POST', '/api/v1/cohorts', {
      token: adminToken,
      payload: { level: 'foundation', name: 'Too many workshops', startDate: '2027-01-11', capacity: 10, workshopDates: ['2027-01-12', ...Array<string>(12).fill('')] },
    });
    expect(cohort.statusCode).toBe(422);
    expect(cohort.json().errors).toContainEqual({ field: 'workshopDates', message: expect.stringContaining('Enter 12 workshop dates or fewer (you entered 13)') });
    const [organisation] = await queryRows<{ id: string }>(t.db, sql`select organisation_id as id from people where email = ${demoAccounts.admin.email}`);
    const person = await api('POST', '/api/v1/people', {
      token: adminToken,
      payload: { name: 'Role Hoarder', email: 'hoarder@example.gov.uk', organisationId: organisation.id, roles: Array<string>(8).fill('funder') },
    });
    expect(person.statusCode).toBe(422);
    expect(person.json()).toMatchObject({ title: 'Unprocessable Content', errors: [{ field: 'roles', message: 'Select 7 roles or fewer' }] });
  });

  it('refuses a missing, malformed, unknown or revoked token with 401 problem details', async () => {
    for (const token of [undefined, '', 'not-a-token', 'pio_unknown0000000000000000000000000000000000']) {
      const res = await api('GET', '/api/v1/people', { token });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
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

  it("refuses a live token once its owner is deactivated, and accepts it again when they are active", async () => {
    const agent = await t.signIn('admin');
    const page = await agent.submit('/account/tokens', { name: 'Owner status' });
    const token = /<code id="new-token">([^<]+)<\/code>/.exec(page.body)![1];
    const [owner] = await queryRows<{ id: string }>(t.db, sql`select person_id as id from api_tokens where name = 'Owner status'`);
    expect((await api('GET', '/api/v1/people', { token })).statusCode).toBe(200);
    await t.db.execute(sql`update people set status = 'deactivated' where id = ${owner.id}`);
    try {
      // The token and its person are read in one prepared statement: several calls, so a cached plan is used too.
      for (let i = 0; i < 7; i++) expect((await api('GET', '/api/v1/people', { token })).statusCode).toBe(401);
    } finally {
      await t.db.execute(sql`update people set status = 'active' where id = ${owner.id}`);
    }
    expect((await api('GET', '/api/v1/people', { token })).statusCode).toBe(200);
  });

  it('titles each problem with its HTTP reason phrase, while pages keep their own wording', async () => {
    const [sro] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.sro.email}`);
    const sroToken = (await createApiToken(t.db, { actor: null, clock: t.clock }, sro.id, 'sro')).token;
    const forbidden = await api('GET', '/api/v1/audit-events', { token: sroToken });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ type: 'about:blank', status: 403, title: 'Forbidden' });
    const page = await (await t.signIn('sro')).get('/audit');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('You cannot do that');
  });

  it('answers malformed JSON with 400, a wrong media type with 415 and an oversized body with 413, all as problem details', async () => {
    const bad = await api('POST', '/api/v1/people', { token: adminToken, payload: '{"name": ', type: 'application/json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ status: 400, title: 'Bad Request', type: 'about:blank' });
    const wrongType = await api('POST', '/api/v1/people', { token: adminToken, payload: '<person/>', type: 'application/xml' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.headers['content-type']).toContain('application/problem+json');
    expect(wrongType.json()).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    const huge = await api('POST', '/api/v1/people', { token: adminToken, payload: JSON.stringify({ name: 'x'.repeat(t.config.bodyLimitBytes) }), type: 'application/json' });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ status: 413, title: 'Content Too Large' });
    expect(JSON.stringify(huge.json())).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers a body of the wrong shape with 422 listing each field, and bad paging with 400', async () => {
    const res = await api('POST', '/api/v1/people', { token: adminToken, payload: { name: '', email: 'not-an-email', roles: 'admin' } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: 422, title: 'Unprocessable Content' });
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'email', 'organisationId', 'roles']));
    const paging = await api('GET', '/api/v1/people?pageSize=501', { token: adminToken });
    expect(paging.statusCode).toBe(400);
    expect(paging.json().title).toBe('Bad Request');
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
    expect(res.json().title).toBe('Not Found');
    expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });
});
