import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase } from '../../test/helpers.ts';
import { pgArray, queryRows, type Database } from './client.ts';
import { orderedWrites, sliceRows } from './batches.ts';

const rows = Array.from({ length: sliceRows * 2 + 7 }, (_, i) => i);
const insert = (tx: Database['db'], slice: readonly number[]) =>
  tx.execute(sql`insert into ordered_writes_probe (n) select * from unnest(${pgArray([...slice])}::int[])`);
const written = async (db: Database['db']) =>
  (await queryRows<{ n: number }>(db, sql`select n from ordered_writes_probe order by id`)).map((r) => r.n);

describe.each(backends)('bulk statements sent one after another in a transaction (%s)', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await database.db.execute(sql`create table ordered_writes_probe (id serial primary key, n int not null unique, tag text)`);
  });
  afterAll(() => database.close());

  it('writes every row once, in the order queued, across statements and slices', async () => {
    await database.db.execute(sql`truncate ordered_writes_probe restart identity`);
    await database.db.transaction(async (tx) => {
      const writes = orderedWrites();
      await writes.slices(rows, (slice) => insert(tx as never, slice));
      await writes.add(tx.execute(sql`update ordered_writes_probe set tag = 'last' where n = ${rows.length - 1}`));
      await writes.done();
      // A read after done() sees everything queued before it.
      expect(await queryRows(tx, sql`select 1 from ordered_writes_probe where tag = 'last'`)).toHaveLength(1);
    });
    expect(await written(database.db)).toEqual(rows);
  });

  it('reports a failing statement as itself, not as the aborted transaction after it, and writes nothing', async () => {
    await database.db.execute(sql`truncate ordered_writes_probe restart identity`);
    // The second slice repeats a number of the first: the unique key refuses it while the third is already queued.
    const clashing = rows.map((n, i) => (i === sliceRows + 3 ? 5 : n));
    const failed = database.db.transaction(async (tx) => {
      const writes = orderedWrites();
      await writes.slices(clashing, (slice) => insert(tx as never, slice));
      await writes.done();
    });
    await expect(failed).rejects.toMatchObject({ cause: { code: '23505' } });
    expect(await written(database.db)).toEqual([]);
  });

  it('reports a failure of the last statement from done(), and writes nothing', async () => {
    await database.db.execute(sql`truncate ordered_writes_probe restart identity`);
    const failed = database.db.transaction(async (tx) => {
      const writes = orderedWrites();
      await writes.slices(rows, (slice) => insert(tx as never, slice));
      await writes.add(tx.execute(sql`insert into ordered_writes_probe (n) values (0)`));
      await writes.done();
    });
    await expect(failed).rejects.toMatchObject({ cause: { code: '23505' } });
    expect(await written(database.db)).toEqual([]);
  });
});
