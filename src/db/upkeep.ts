import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { startPeriodic } from '../periodic.ts';
import { nextTurn } from './batches.ts';
import { isEmbedded, queryRows, type Db } from './client.ts';

/**
 * Vacuum and analyze for the embedded database. On PostgreSQL, autovacuum workers keep every table's planner
 * statistics current and clear the dead rows that updates and deletes leave; PGlite runs PostgreSQL in single-user
 * mode, where none run, so on PGlite nothing did either. A table filled through the service was never analyzed — the
 * planner guessed every selectivity from defaults (at national scale the Learners Network's home page and a filtered
 * learners page took a third to nearly twice as long) — and dead rows stayed in its pages and indexes.
 *
 * This does what autovacuum would, by its rules and the database's own settings: a table is analyzed once the rows
 * changed since its last analyze pass `autovacuum_analyze_threshold` + `autovacuum_analyze_scale_factor` × its rows,
 * and vacuumed (and analyzed) once its dead rows pass the vacuum threshold and scale factor, or the rows inserted
 * since its last vacuum pass the insert threshold and scale factor (which keeps the visibility map current for
 * index-only scans). A table never vacuumed nor analyzed (`reltuples` -1: every table of a PGlite database before
 * this job, however full) is vacuumed and analyzed. PGlite keeps no activity counters across a restart, so the changes
 * counted are those since the service started.
 */
export type TableUpkeep = { table: string; vacuum: boolean };

const setting = (name: string) => sql`current_setting(${name})::float8`;

/** The tables due a vacuum or an analyze, largest first, each named schema-qualified and quoted by the database. */
export async function tablesDueUpkeep(db: Db): Promise<TableUpkeep[]> {
  const tableRows = sql`greatest(c.reltuples, 0)`;
  return queryRows<TableUpkeep>(
    db,
    sql`select "table", never_analyzed or vacuum_due as vacuum from (
          select format('%I.%I', s.schemaname, s.relname) as "table", c.relpages, c.reltuples < 0 as never_analyzed,
            s.n_mod_since_analyze > ${setting('autovacuum_analyze_threshold')} + ${setting('autovacuum_analyze_scale_factor')} * ${tableRows} as analyze_due,
            s.n_dead_tup > ${setting('autovacuum_vacuum_threshold')} + ${setting('autovacuum_vacuum_scale_factor')} * ${tableRows}
              or s.n_ins_since_vacuum > ${setting('autovacuum_vacuum_insert_threshold')} + ${setting('autovacuum_vacuum_insert_scale_factor')} * ${tableRows} as vacuum_due
          from pg_stat_user_tables s join pg_class c on c.oid = s.relid
        ) t
        where never_analyzed or analyze_due or vacuum_due
        order by relpages desc, "table"`,
  );
}

/**
 * Vacuums and analyzes the tables due (`tablesDueUpkeep`), one statement a table with a turn of the event loop between:
 * on PGlite each holds its only connection (the largest national table, the audit log, ~0.6 s), so other requests
 * get in between tables. Returns what it did.
 */
export async function runUpkeep(db: Db): Promise<TableUpkeep[]> {
  const due = await tablesDueUpkeep(db);
  for (const [i, { table, vacuum }] of due.entries()) {
    if (i) await nextTurn();
    // The name comes from the catalogue, quoted by format('%I.%I'): a table's name, never text from a request.
    await db.execute(sql.raw(`${vacuum ? 'vacuum (analyze)' : 'analyze'} ${table}`));
  }
  return due;
}

/** How often the upkeep runs on this database: every `vacuumCheckMinutes` on PGlite; never on PostgreSQL (autovacuum). */
export const upkeepMinutes = (db: Db, config: Pick<Config, 'vacuumCheckMinutes'>) => (isEmbedded(db) ? config.vacuumCheckMinutes : 0);

/** The upkeep every `upkeepMinutes` and once at start; `onRun` hears of the tables it vacuumed or analyzed. */
export function startDatabaseUpkeepJob(db: Db, config: Pick<Config, 'vacuumCheckMinutes'>, onRun: (done: TableUpkeep[]) => void, onError: (err: unknown) => void) {
  return startPeriodic(
    upkeepMinutes(db, config),
    async () => {
      const done = await runUpkeep(db);
      if (done.length) onRun(done);
    },
    onError,
  );
}
