import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, sql } from 'drizzle-orm';
import { people } from './schema.ts';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { cachedRead, configureReadCache, invalidateAfterTransactions, keptTotal, maxEntries, recordsChanged } from './read-cache.ts';

describe('read cache', () => {
  const counter = () => {
    let reads = 0;
    return { load: async () => ++reads, reads: () => reads };
  };

  it('reads once, then answers from memory until something changes', async () => {
    const db = {};
    const c = counter();
    expect(await cachedRead(db, 'k', c.load)).toBe(1);
    expect(await cachedRead(db, 'k', c.load)).toBe(1);
    recordsChanged();
    expect(await cachedRead(db, 'k', c.load)).toBe(2);
    expect(c.reads()).toBe(2);
  });

  it("keeps a list's total per scope and filters, whatever the order, until something changes", async () => {
    const db = {};
    const c = counter();
    const council = { kind: 'councils', councils: ['a'] };
    expect(await keptTotal(db, 'people', council, { status: 'active', sort: 'name', order: 'asc' }, c.load)).toBe(1);
    // Another sort or order of the same rows has the same total.
    expect(await keptTotal(db, 'people', council, { status: 'active', sort: 'email', order: 'desc' }, c.load)).toBe(1);
    // Another filter, scope or list is counted on its own.
    expect(await keptTotal(db, 'people', council, { status: 'invited', sort: 'name', order: 'asc' }, c.load)).toBe(2);
    expect(await keptTotal(db, 'people', { kind: 'all' }, { status: 'active', sort: 'name', order: 'asc' }, c.load)).toBe(3);
    expect(await keptTotal(db, 'councils', council, { status: 'active', sort: 'name', order: 'asc' }, c.load)).toBe(4);
    recordsChanged();
    expect(await keptTotal(db, 'people', council, { status: 'active', sort: 'name', order: 'asc' }, c.load)).toBe(5);
  });

  it('keeps nothing when the time limit is 0, and keeps each database and key apart', async () => {
    const uncached = {};
    configureReadCache(uncached, 0);
    const c = counter();
    await cachedRead(uncached, 'k', c.load);
    await cachedRead(uncached, 'k', c.load);
    expect(c.reads()).toBe(2);
    const a = {};
    const b = {};
    expect(await cachedRead(a, 'k', async () => 'a')).toBe('a');
    expect(await cachedRead(b, 'k', async () => 'b')).toBe('b');
    expect(await cachedRead(a, 'other', async () => 'other')).toBe('other');
    expect(await cachedRead(a, 'k', async () => 'not read')).toBe('a');
  });

  it('reads again what was read while a change was being written, once its transaction has ended', async () => {
    let releaseCommit = () => {};
    const committed = new Promise<void>((resolve) => (releaseCommit = resolve));
    const db = invalidateAfterTransactions({
      transaction: async (write: () => Promise<void>) => {
        await write();
        await committed;
      },
    });
    let stored = 'before';
    const read = () => cachedRead(db, 'k', async () => stored);
    expect(await read()).toBe('before');
    const writing = db.transaction(async () => {
      stored = 'after'; // not yet committed: a reader would still see 'before'
      recordsChanged(); // as recordAudit does, inside the transaction
    });
    // A page read between the audit event and the commit keeps what it saw...
    expect(await cachedRead(db, 'k', async () => 'before')).toBe('before');
    releaseCommit();
    await writing;
    // ...until the transaction ends: then the next page reads the committed change.
    expect(await read()).toBe('after');
  });

  it('leaves what it keeps alone after a transaction that changed nothing', async () => {
    const db = invalidateAfterTransactions({ transaction: async (work: () => Promise<void>) => work() });
    const c = counter();
    await cachedRead(db, 'k', c.load);
    await db.transaction(async () => {});
    await cachedRead(db, 'k', c.load);
    expect(c.reads()).toBe(1);
  });

  it(`keeps at most ${maxEntries} reads per database, dropping the least recently used`, async () => {
    const db = {};
    const c = counter();
    await cachedRead(db, 'first', c.load);
    await cachedRead(db, 'second', c.load);
    for (let i = 0; i < maxEntries - 2; i++) await cachedRead(db, `k${i}`, async () => i);
    await cachedRead(db, 'first', c.load); // used again: now the most recent
    await cachedRead(db, 'one more', async () => 'new'); // over the limit: 'second' goes
    expect(c.reads()).toBe(2);
    await cachedRead(db, 'first', c.load);
    expect(c.reads()).toBe(2);
    await cachedRead(db, 'second', c.load);
    expect(c.reads()).toBe(3);
  });

  it('does not keep a failed read: the next page tries again', async () => {
    const db = {};
    await expect(cachedRead(db, 'k', async () => Promise.reject(new Error('database restarting')))).rejects.toThrow('restarting');
    expect(await cachedRead(db, 'k', async () => 'back')).toBe('back');
  });
});

describe.each(backends)('kept reads after a change (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('keeps the answer of a Drizzle query, which would run again each time it is awaited', async () => {
    const counted = () => t.db.select({ n: count() }).from(people);
    const [before] = await keptTotal(t.db, 'drizzle-query', null, {}, counted);
    // Written behind the cache's back (no audit event): a kept answer does not see it, a query run again would.
    await t.db.execute(sql`insert into people (name, email, organisation_id, roles, status) select 'Behind Cache', 'behind.cache@example.gov.uk', organisation_id, roles, status from people limit 1`);
    const [again] = await keptTotal(t.db, 'drizzle-query', null, {}, counted);
    expect(again.n).toBe(before.n);
    recordsChanged();
    const [after] = await keptTotal(t.db, 'drizzle-query', null, {}, counted);
    expect(after.n).toBe(before.n + 1);
  });

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
