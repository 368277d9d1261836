import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { indicatorKeys } from './catalogue.ts';

describe.each(backends)('evaluation API (%s)', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'funder', 'sro', 'specialist'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const get = (who?: string) => t.app.inject({ method: 'GET', url: '/api/v1/indicators', headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });

  it('refuses without a token (401) and council staff and specialists (403), as problem details', async () => {
    expect((await get()).statusCode).toBe(401);
    for (const who of ['sro', 'specialist']) {
      const res = await get(who);
      expect(res.statusCode, who).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('gives admins and funders every indicator with the value the page shows', async () => {
    for (const who of ['admin', 'funder']) {
      const res = await get(who);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.scope).toBe('programme');
      expect(body.items.map((i: { key: string }) => i.key)).toEqual([...indicatorKeys]);
      const page = (await (await t.signIn(who)).get('/evaluation')).body;
      for (const i of body.items) expect(page).toMatch(new RegExp(`data-indicator="${i.key}"[^>]*>\\s*${i.text.replace(/[.$£%]/g, '\\$&')}\\s*<`));
      for (const i of body.items) if (i.suppressed) expect(i.value).toBeNull();
    }
  });
});

describe.each(backends)('CSF API writes (%s)', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'funder', 'partnerLp', 'sro'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const call = (method: 'POST' | 'PATCH' | 'DELETE' | 'GET', url: string, who: string, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const count = async (table: 'csfs' | 'csf_indicators' | 'audit_events') =>
    (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from ${sql.raw(table)}`))[0].n;
  const body = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    description: 'Made over the API',
    position: 7,
    indicators: { learners_retained: { target: 90, amber: 80 }, verified_improvement_value: { target: '2500.50', amber: 1000 } },
    ...extra,
  });

  it('adds a CSF as the form does (money in pounds kept in pence), with its audit event, and the page lists it', async () => {
    const audits = await count('audit_events');
    const res = await call('POST', '/csfs', 'admin', body('API retention'));
    expect(res.statusCode, res.body).toBe(201);
    const csf = res.json();
    expect(res.headers.location).toBe(`/api/v1/csfs/${csf.id}`);
    expect(csf).toMatchObject({ name: 'API retention', position: 7, version: 1, scope: 'programme' });
    expect(csf.indicators.map((i: { key: string; target: number; amber: number }) => [i.key, i.target, i.amber])).toEqual([
      ['learners_retained', 90, 80],
      ['verified_improvement_value', 250050, 100000],
    ]);
    expect(await count('audit_events')).toBe(audits + 1);
    expect(await queryRows(t.db, sql`select action, record_type from audit_events where record_id = ${csf.id}`)).toEqual([{ action: 'csf.created', record_type: 'csf' }]);
    expect((await (await t.signIn('admin')).get('/evaluation/csfs')).body).toContain('API retention');
    expect((await call('GET', `/csfs/${csf.id}`, 'funder')).json().name).toBe('API retention');
  });

  it('documents exactly what adding a CSF reads: no version (a new CSF has none), which is ignored when sent; a change requires it', async () => {
    const doc = (await t.app.inject('/api/v1/openapi.json')).json();
    const bodyOf = (method: 'post' | 'patch', path: string) => doc.paths[path][method].requestBody.content['application/json'].schema;
    const create = bodyOf('post', '/csfs');
    expect(Object.keys(create.properties).sort()).toEqual(['description', 'indicators', 'name', 'position']);
    expect(create.required ?? []).not.toContain('version');
    const change = bodyOf('patch', '/csfs/{id}');
    expect(Object.keys(change.properties)).toContain('version');
    expect(change.required).toContain('version');
    // A version sent to add a CSF is neither used nor a reason to refuse it: the CSF starts at version 1.
    for (const [i, version] of [7, 'not a number'].entries()) {
      const res = await call('POST', '/csfs', 'admin', body(`API with a version ${i}`, { version }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().version).toBe(1);
    }
  });

  it('refuses those who may not manage CSFs: 403 to add, 404 to change or delete, nothing written', async () => {
    const [csf] = await queryRows<{ id: string }>(t.db, sql`select id from csfs order by position limit 1`);
    const before = [await count('csfs'), await count('audit_events')];
    for (const who of ['funder', 'partnerLp', 'sro']) {
      const add = await call('POST', '/csfs', who, body(`By ${who}`));
      expect(add.statusCode, who).toBe(403);
      expect(add.headers['content-type']).toContain('application/problem+json');
      expect((await call('PATCH', `/csfs/${csf.id}`, who, body(`By ${who}`, { version: 1 }))).statusCode, who).toBe(404);
      expect((await call('DELETE', `/csfs/${csf.id}?version=1`, who)).statusCode, who).toBe(404);
    }
    expect([await count('csfs'), await count('audit_events')]).toEqual(before);
  });

  it('refuses a target outside the indicator’s range with 422 naming the field, in the page’s words, writing nothing', async () => {
    const before = [await count('csfs'), await count('csf_indicators'), await count('audit_events')];
    const res = await call('POST', '/csfs', 'admin', body('Impossible', { indicators: { learners_retained: { target: 120, amber: 80 }, verified_improvements: { target: 5, amber: 9 } } }));
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors).toEqual(expect.arrayContaining([
      { field: 'indicators.learners_retained.target', message: 'Target for Learners retained must be between 0% and 100%' },
      { field: 'indicators.verified_improvements.amber', message: 'Amber threshold for Verified improvements must be below the target' },
    ]));
    const none = await call('POST', '/csfs', 'admin', body('No indicators', { indicators: {} }));
    expect(none.json().errors).toEqual([{ field: 'indicators', message: 'Select at least one indicator' }]);
    expect([await count('csfs'), await count('csf_indicators'), await count('audit_events')]).toEqual(before);
  });

  it('changes a CSF at the version read, refuses a stale or missing version and a taken name, and deletes at the version', async () => {
    const made = (await call('POST', '/csfs', 'admin', body('API change me'))).json();
    const changed = await call('PATCH', `/csfs/${made.id}`, 'admin', body('API changed', { version: made.version, indicators: { learners_retained: { target: '95.5', amber: '85' } } }));
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'API changed', version: 2 });
    expect(changed.json().indicators.map((i: { key: string }) => i.key)).toEqual(['learners_retained']);

    const audits = await count('audit_events');
    const stale = await call('PATCH', `/csfs/${made.id}`, 'admin', body('API stale', { version: made.version }));
    expect(stale.statusCode).toBe(409);
    expect(stale.headers['content-type']).toContain('application/problem+json');
    const missing = await call('PATCH', `/csfs/${made.id}`, 'admin', body('API no version'));
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors).toEqual([{ field: 'version', message: 'Send the version you read, as a number' }]);
    expect((await call('PATCH', `/csfs/${made.id}`, 'admin', body('API text version', { version: '2' }))).statusCode).toBe(422);
    const [demo] = await queryRows<{ name: string }>(t.db, sql`select name from csfs where id <> ${made.id} order by position limit 1`);
    expect((await call('PATCH', `/csfs/${made.id}`, 'admin', body(demo.name.toUpperCase(), { version: 2 }))).statusCode).toBe(409);
    const bad = await call('PATCH', `/csfs/${made.id}`, 'admin', body('API bad', { version: 2, indicators: { learners_retained: { target: 'lots', amber: 1 } } }));
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ field: 'indicators.learners_retained.target', message: 'Target for Learners retained must be a number, like 75' }]);
    expect((await call('GET', `/csfs/${made.id}`, 'admin')).json()).toMatchObject({ name: 'API changed', version: 2 });
    expect(await count('audit_events')).toBe(audits);

    expect((await call('DELETE', `/csfs/${made.id}`, 'admin')).statusCode).toBe(400);
    expect((await call('DELETE', `/csfs/${made.id}?version=1`, 'admin')).statusCode).toBe(409);
    expect(await count('audit_events')).toBe(audits);
    const gone = await call('DELETE', `/csfs/${made.id}?version=2`, 'admin');
    expect(gone.statusCode).toBe(204);
    expect((await call('GET', `/csfs/${made.id}`, 'admin')).statusCode).toBe(404);
    expect((await call('DELETE', `/csfs/${made.id}?version=2`, 'admin')).statusCode).toBe(404);
    expect((await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${made.id} order by action`)).map((e) => e.action)).toEqual(['csf.created', 'csf.deleted', 'csf.updated']);
  });
});
