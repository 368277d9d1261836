import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { isDatabaseUnavailable, isUniqueViolation, openDatabase, queryRows, violatedConstraint, type Database } from './client.ts';
import { queryArrays } from './batches.ts';
import { PgliteThread } from './pglite-thread.ts';
import { plannedEachTime } from './statement-names.ts';

// The embedded database runs on a thread of its own (ADR 0023): what the service sees must be what PGlite itself
// gives — its errors, its transactions, its values — and a thread that stops must fail every statement clearly.

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function open(onConnectionError?: (err: Error) => void) {
  database = await openDatabase({ dataDir: null, onConnectionError });
  await database.db.execute(sql`create table notes (id int primary key, body text not null, constraint notes_body_unique unique (body))`);
  return database.db;
}

const thread = (d: Database) => (d.db as unknown as { $client: PgliteThread }).$client;

/** A transaction that has written a note and stays open until `release` is called. */
async function heldOpen(db: Database['db'], id: number, body: string) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const writing = db.transaction(async (tx) => {
    await tx.execute(sql`insert into notes values (${id}, ${body})`);
    await held;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { writing, release };
}

describe('PGlite on its own thread', () => {
  it('runs on the thread', async () => {
    await open();
    expect(thread(database!)).toBeInstanceOf(PgliteThread);
  });

  it("gives PostgreSQL's errors with their code and constraint, so a duplicate is told apart from a fault", async () => {
    const db = await open();
    await db.execute(sql`insert into notes values (1, 'first')`);
    const err = await db.execute(sql`insert into notes values (2, 'first')`).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(violatedConstraint(err)).toBe('notes_body_unique');
    expect(isDatabaseUnavailable(err)).toBe(false);
    const syntax = await db.execute(sql`selec 1`).catch((e: unknown) => e);
    expect((syntax as Error & { cause?: { code?: string } }).cause?.code).toBe('42601');
  });

  it('commits a transaction that finishes, rolls back one that throws, and keeps others waiting until it ends', async () => {
    const db = await open();
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into notes values (1, 'kept')`);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into notes values (2, 'dropped')`);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');

    const { writing, release } = await heldOpen(db, 3, 'late');
    const reading = queryRows<{ body: string }>(db, sql`select body from notes order by id`);
    let readEarly = false;
    void reading.then(() => (readEarly = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readEarly).toBe(false); // PGlite has one connection: the read waits for the transaction
    release();
    await writing;
    expect((await reading).map((r) => r.body)).toEqual(['kept', 'late']);
  });

  it('runs transactions asked for at once one after the other, each whole, with plain statements waiting their turn', async () => {
    const db = await open();
    // Each reads the last id and writes the next after a pause: interleaved on the one connection, two would take the same id.
    const next = (body: string) =>
      db.transaction(async (tx) => {
        const [{ last }] = await queryRows<{ last: number }>(tx, sql`select coalesce(max(id), 0)::int as last from notes`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await tx.execute(sql`insert into notes values (${last + 1}, ${body})`);
      });
    const counts = Array.from({ length: 5 }, () => queryRows<{ n: number }>(db, sql`select count(*)::int as n from notes`));
    await Promise.all([...Array.from({ length: 10 }, (_, i) => next(`note ${i}`)), ...counts]);
    const rows = await queryRows<{ id: number }>(db, sql`select id from notes order by id`);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Each count saw whole transactions only: never a note written and not yet committed.
    for (const [{ n }] of await Promise.all(counts)) expect(n).toBeGreaterThanOrEqual(0);
  });

  it('sends parameters as node-postgres does: numbers, booleans, big integers, instants, arrays and JSON', async () => {
    await open();
    const client = thread(database!);
    const at = new Date('2026-12-06T14:15:16.789Z');
    const { rows } = await client.query<Record<string, unknown>>(
      `select $1::int as i, $2::float8 as f, $3::boolean as t, $4::numeric::text as big,
        to_char($5::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, $6::text[] as tags, $7::jsonb as j, $8::text as none`,
      [42, 1.5, true, 12345678901234567890n, at, ['a', 'b c', 'd"e', null], { nested: { list: [1, null] } }, undefined],
    );
    expect(rows).toEqual([{ i: 42, f: 1.5, t: true, big: '12345678901234567890', at: '2026-12-06T14:15:16.789Z', tags: ['a', 'b c', 'd"e', null], j: { nested: { list: [1, null] } }, none: null }]);
    // What a write reports: the rows it changed; and its rows in the order asked for.
    await client.query(`insert into notes values (1, 'one'), (2, 'two')`);
    expect((await client.query(`update notes set body = body || '!' where id <= $1`, [2])).affectedRows).toBe(2);
    expect((await client.query(`select id, body from notes order by id`, [], { rowMode: 'array' })).rows).toEqual([[1, 'one!'], [2, 'two!']]);
  });

  it('names a statement with parameters once: it keeps working after it failed, after its transaction rolled back, and when it could not be parsed', async () => {
    await open();
    const client = thread(database!);
    const byId = 'select body from notes where id = $1::int';
    await client.query(`insert into notes values (1, 'one'), (2, 'two')`);
    // Parsed, then failing at its value: the name stays good for the next values.
    await expect(client.query(byId, ['not a number'])).rejects.toMatchObject({ code: '22P02' });
    for (let i = 0; i < 8; i++) expect((await client.query(byId, [1 + (i % 2)])).rows).toEqual([{ body: i % 2 ? 'two' : 'one' }]);
    // First parsed inside a transaction that rolls back: still there afterwards (a prepared statement is not undone).
    const byBody = 'select id from notes where body = $1';
    const tx = await client.transaction(async (t) => {
      expect((await t.query(byBody, ['two'])).rows).toEqual([{ id: 2 }]);
      throw new Error('undo');
    }).catch((err: Error) => err.message);
    expect(tx).toBe('undo');
    expect((await client.query(byBody, ['one'])).rows).toEqual([{ id: 1 }]);
    // A statement that cannot be parsed is refused each time, and names nothing.
    for (let i = 0; i < 2; i++) await expect(client.query('selec body from notes where id = $1', [1])).rejects.toMatchObject({ code: '42601' });
    expect((await client.query('select count(*)::int as n from notes where id > $1', [0])).rows).toEqual([{ n: 2 }]);
  });

  it('keeps a statement with parameters prepared under a name, but not one marked to be planned each time', async () => {
    await open();
    const client = thread(database!);
    const prepared = async () =>
      (await client.query<{ statement: string }>(`select statement from pg_prepared_statements where statement like $1`, ['%from notes%'])).rows.map((r) => r.statement);
    const byId = 'select body from notes where id = $1::int';
    const eachTime = `${plannedEachTime}select body from notes where id > $1::int`;
    for (let i = 0; i < 3; i++) {
      await client.query(byId, [i]);
      await client.query(eachTime, [i]);
    }
    expect(await prepared()).toEqual([byId]);
    // A lone select without parameters is kept too; several commands, or anything else, are not.
    const lone = 'select count(*)::int as n from notes';
    for (let i = 0; i < 2; i++) expect((await client.query(lone)).rows).toEqual([{ n: 0 }]);
    await client.query(`update notes set body = 'x' where false`);
    expect((await prepared()).sort()).toEqual([byId, lone].sort());
  });

  it('a nested transaction (savepoint) that throws undoes only its own part', async () => {
    const db = await open();
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into notes values (1, 'outer')`);
      await tx.transaction(async (inner) => {
        await inner.execute(sql`insert into notes values (2, 'inner')`);
        throw new Error('inner fails');
      }).catch(() => {});
    });
    expect(await queryRows(db, sql`select id, body from notes`)).toEqual([{ id: 1, body: 'outer' }]);
  });

  it('carries bytes, JSON, text with any character, nulls and dates (as text, as Drizzle asks) both ways', async () => {
    const db = await open();
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    const [row] = await queryRows<{ b: Uint8Array; j: unknown; t: string; n: null; d: string }>(
      db,
      sql`select ${bytes}::bytea as b, ${JSON.stringify({ a: [1, 'two'] })}::jsonb as j, ${'Zając “Zed” 🙂\nline'}::text as t, null as n,
        '2026-12-06'::date as d`,
    );
    expect([...row.b]).toEqual([...bytes]);
    expect(row.j).toEqual({ a: [1, 'two'] });
    expect(row.t).toBe('Zając “Zed” 🙂\nline');
    expect(row.n).toBeNull();
    expect(row.d).toBe('2026-12-06');
    expect(await queryArrays(db, sql`select 1 as a, 'x' as b, '2026-01-02 03:04:05+00'::timestamptz as c`)).toEqual([[1, 'x', '2026-01-02 03:04:05+00']]);
  });

  it('when the thread stops, statements waiting and later ones fail as the database being unavailable, and it is reported once', async () => {
    const stopped: Error[] = [];
    const db = await open((err) => stopped.push(err));
    const { writing, release } = await heldOpen(db, 1, 'never committed');
    const waiting = db.execute(sql`select count(*) from notes`).catch((e: unknown) => e);
    await thread(database!).terminate();
    expect(isDatabaseUnavailable(await waiting)).toBe(true);
    release();
    expect(isDatabaseUnavailable(await writing.catch((e: unknown) => e))).toBe(true);
    expect(isDatabaseUnavailable(await db.execute(sql`select 1`).catch((e: unknown) => e))).toBe(true);
    expect(stopped).toHaveLength(1);
    expect(stopped[0].message).toMatch(/embedded database stopped/);
  });

  it('closing it is not reported as a stop', async () => {
    const stopped: Error[] = [];
    await open((err) => stopped.push(err));
    await database!.close();
    database = undefined;
    expect(stopped).toEqual([]);
  });
});
