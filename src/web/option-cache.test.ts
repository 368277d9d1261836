import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { cachedOptions, configureOptionCache, optionsChanged } from './option-cache.ts';

describe('filter option cache', () => {
  const counter = () => {
    let reads = 0;
    return { load: async () => ++reads, reads: () => reads };
  };

  it('reads once, then answers from memory until something changes', async () => {
    const db = {};
    const c = counter();
    expect(await cachedOptions(db, 'k', c.load)).toBe(1);
    expect(await cachedOptions(db, 'k', c.load)).toBe(1);
    optionsChanged();
    expect(await cachedOptions(db, 'k', c.load)).toBe(2);
    expect(c.reads()).toBe(2);
  });

  it('keeps nothing when the time limit is 0, and keeps each database and key apart', async () => {
    const uncached = {};
    configureOptionCache(uncached, 0);
    const c = counter();
    await cachedOptions(uncached, 'k', c.load);
    await cachedOptions(uncached, 'k', c.load);
    expect(c.reads()).toBe(2);
    const a = {};
    const b = {};
    expect(await cachedOptions(a, 'k', async () => 'a')).toBe('a');
    expect(await cachedOptions(b, 'k', async () => 'b')).toBe('b');
    expect(await cachedOptions(a, 'other', async () => 'other')).toBe('other');
    expect(await cachedOptions(a, 'k', async () => 'not read')).toBe('a');
  });

  it('does not keep a failed read: the next page tries again', async () => {
    const db = {};
    await expect(cachedOptions(db, 'k', async () => Promise.reject(new Error('database restarting')))).rejects.toThrow('restarting');
    expect(await cachedOptions(db, 'k', async () => 'back')).toBe('back');
  });
});

describe.each(backends)('filter options after a change (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('offers an organisation on the people list as soon as someone is invited into it', async () => {
    const admin = await t.signIn('admin');
    const [empty] = await queryRows<{ id: string; name: string }>(
      t.db,
      sql`select o.id, o.name from organisations o where o.kind = 'council' and not exists (select 1 from people p where p.organisation_id = o.id) order by o.name limit 1`,
    );
    const option = `<option value="${empty.id}">`;
    expect((await admin.get('/people')).body).not.toContain(option);
    const invited = await admin.submit('/people/invite', { name: 'First Officer', email: 'first.officer@first-council.example.gov.uk', organisationId: empty.id, roles: 'council_lead' });
    expect(invited.statusCode).toBe(302);
    expect((await admin.get('/people')).body).toContain(option);
  });
});
