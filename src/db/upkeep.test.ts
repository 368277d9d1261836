import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig } from '../../test/helpers.ts';
import { queryRows, type Database } from './client.ts';
import { runUpkeep, startDatabaseUpkeepJob, tablesDueUpkeep, upkeepMinutes, type TableUpkeep } from './upkeep.ts';

type Activity = { analyzed: boolean; vacuumed: boolean; dead: number; reltuples: number; statistics: number };

/** What the database knows of a table's upkeep: whether it was analyzed and vacuumed, its dead rows and its statistics. */
async function activity(database: Database, table: string): Promise<Activity> {
  // Activity counters reach the statistics views at most once a second unless a flush is asked for.
  await queryRows(database.db, sql`select pg_stat_force_next_flush()`);
  await queryRows(database.db, sql`select 1`);
  const [row] = await queryRows<Activity>(
    database.db,
    sql`select s.last_analyze is not null as analyzed, s.last_vacuum is not null as vacuumed, s.n_dead_tup::int as dead, c.reltuples::int as reltuples,
          (select count(*)::int from pg_stats p where p.schemaname = 'public' and p.tablename = ${table}) as statistics
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.schemaname = 'public' and s.relname = ${table}`,
  );
  return row;
}

const named = (due: TableUpkeep[], table: string) => due.find((t) => t.table === `public.${table}`);

// PGlite runs no autovacuum (single-user mode): the job does its work, by its rules and the database's own settings.
describe('database upkeep on PGlite', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
  });
  afterAll(async () => database?.close());

  it('analyzes the tables never analyzed, then only those whose rows changed past autovacuum’s thresholds', async () => {
    const first = await tablesDueUpkeep(database.db);
    expect(first.length).toBeGreaterThan(0);
    await runUpkeep(database.db);
    expect(await tablesDueUpkeep(database.db)).toEqual([]);
    const settled = await activity(database, 'notifications');
    expect(settled.analyzed).toBe(true);

    // A few changes stay under the threshold (50 + 10% of the rows); more pass it.
    await queryRows(database.db, sql`insert into notifications (to_email, template, subject, body) select 'few' || g || '@example.gov.uk', 'invite', 'Few', 'Body' from generate_series(1, 10) g`);
    await activity(database, 'notifications');
    expect(named(await tablesDueUpkeep(database.db), 'notifications')).toBeUndefined();
    const threshold = 50 + 0.1 * settled.reltuples;
    await queryRows(
      database.db,
      sql`insert into notifications (to_email, template, subject, body) select 'many' || g || '@example.gov.uk', 'invite', 'Many', 'Body' from generate_series(1, ${Math.ceil(threshold)}::int) g`,
    );
    await activity(database, 'notifications');
    expect(named(await tablesDueUpkeep(database.db), 'notifications')).toEqual({ table: 'public.notifications', vacuum: false });

    const done = await runUpkeep(database.db);
    expect(done).toEqual([{ table: 'public.notifications', vacuum: false }]);
    const after = await activity(database, 'notifications');
    expect(after.reltuples).toBe(settled.reltuples + 10 + Math.ceil(threshold));
    expect(after.statistics).toBeGreaterThan(0);
    expect(await tablesDueUpkeep(database.db)).toEqual([]);
  });

  it('vacuums a table whose dead rows pass the threshold, clearing them', async () => {
    // Enough rows that changing every one passes the vacuum threshold (50 + 20% of the rows).
    await queryRows(database.db, sql`insert into notifications (to_email, template, subject, body) select 'dead' || g || '@example.gov.uk', 'invite', 'Dead', 'Body' from generate_series(1, 200) g`);
    await runUpkeep(database.db);
    const before = await activity(database, 'notifications');
    await queryRows(database.db, sql`update notifications set subject = subject || '.'`);
    const updated = await activity(database, 'notifications');
    expect(updated.dead).toBeGreaterThan(50 + 0.2 * before.reltuples);
    expect(named(await tablesDueUpkeep(database.db), 'notifications')).toEqual({ table: 'public.notifications', vacuum: true });

    await runUpkeep(database.db);
    const after = await activity(database, 'notifications');
    expect(after).toMatchObject({ vacuumed: true, analyzed: true, dead: 0 });
  });

  it('runs as a job at start and tells what it did', async () => {
    // On its own as well as after the tests above: every table done first, then one given dead rows.
    await runUpkeep(database.db);
    await queryRows(database.db, sql`insert into notifications (to_email, template, subject, body) select 'job' || g || '@example.gov.uk', 'invite', 'Job', 'Body' from generate_series(1, 200) g`);
    await runUpkeep(database.db);
    await queryRows(database.db, sql`update notifications set subject = subject || '!'`);
    await activity(database, 'notifications');
    const runs: TableUpkeep[][] = [];
    const errors: unknown[] = [];
    const job = startDatabaseUpkeepJob(database.db, testConfig({ vacuumCheckMinutes: 60 }), (done) => runs.push(done), (err) => errors.push(err));
    job.start();
    await job.stop();
    expect(errors).toEqual([]);
    expect(runs).toEqual([[{ table: 'public.notifications', vacuum: true }]]);
    expect((await activity(database, 'notifications')).dead).toBe(0);
  });
});

describe.each(backends)('database upkeep’s schedule (%s)', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => database?.close());

  it('runs every VACUUM_CHECK_MINUTES on PGlite, never on PostgreSQL (its autovacuum does the work), and not at 0', () => {
    expect(upkeepMinutes(database.db, testConfig({ vacuumCheckMinutes: 60 }))).toBe(backend === 'pglite' ? 60 : 0);
    expect(upkeepMinutes(database.db, testConfig({ vacuumCheckMinutes: 0 }))).toBe(0);
  });
});
