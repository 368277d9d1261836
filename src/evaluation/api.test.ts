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
