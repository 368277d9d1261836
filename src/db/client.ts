import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema.ts';

/** The database handle every repository takes: the same type on PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; repositories accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = {
  db: Db;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
};

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Raised when a second process tries to open the same PGlite folder (PGlite has no lock of its own). */
export class DataDirLockedError extends Error {}

// PostgreSQL returns int8 (count(*), bigserial) as strings through pg; make both drivers give numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes an exclusive lock file beside the PGlite folder; returns its release function. */
function lockDataDir(dir: string): () => void {
  const lockPath = path.join(dir, 'pioneer.lock');
  fs.mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      if (holder && isAlive(holder)) {
        throw new DataDirLockedError(
          `The data folder ${path.resolve(dir)} is in use by another Pioneer process (pid ${holder}). ` +
            'Stop that process first, or set DATA_DIR to another folder.',
        );
      }
      fs.rmSync(lockPath, { force: true }); // left behind by a process that has gone
    }
  }
  throw new DataDirLockedError(`Could not lock the data folder ${path.resolve(dir)}.`);
}

/** Opens PostgreSQL when a URL is given, otherwise PGlite in `dataDir` (or in memory when dataDir is null). */
export async function openDatabase(opts: { databaseUrl?: string; dataDir: string | null; loadDataDir?: Blob }): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return { db, kind: 'postgres', close: () => pool.end() };
  }
  let release = () => {};
  let pgliteDir: string | undefined;
  if (opts.dataDir) {
    release = lockDataDir(opts.dataDir);
    pgliteDir = path.join(opts.dataDir, 'pglite');
  }
  try {
    const client = await PGlite.create(pgliteDir, opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'pglite',
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** Applies every pending migration (the same files on both backends). */
export async function migrate(database: Database): Promise<void> {
  if (database.kind === 'postgres') {
    await migratePg(database.db as unknown as Parameters<typeof migratePg>[0], { migrationsFolder });
  } else {
    await migratePglite(database.db as unknown as Parameters<typeof migratePglite>[0], { migrationsFolder });
  }
}

/** True when the database answers a trivial query. */
export async function ping(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

/** Runs raw SQL and returns its rows (both drivers answer `{ rows }`). For bulk writes and reports. */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

/**
 * A JS array as one PostgreSQL array-literal parameter (Drizzle would otherwise spread it into a tuple).
 * Use with a cast: sql`unnest(${pgArray(names)}::text[])`. Works the same on pg and PGlite.
 */
export function pgArray(values: readonly (string | number | boolean | null | undefined)[]): SQL {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    const text = String(v);
    // Most values (ids, dates, codes) need no escaping; testing first halves the cost of a 20,000-row upload's arrays.
    return needsEscape.test(text) ? `"${text.replace(escaped, '\\$&')}"` : `"${text}"`;
  });
  return sql`${`{${items.join(',')}}`}`;
}
const needsEscape = /[\\"]/;
const escaped = /[\\"]/g;

/**
 * JSON values as one `json` array parameter, for bulk inserts of jsonb columns: read them back row by row with
 * `json_array_elements(${jsonArray(values)}) with ordinality`. Cheaper than a text[] of JSON strings, whose every
 * quote has to be escaped on the way in and parsed on the way out. null and undefined become JSON null.
 */
export function jsonArray(values: readonly unknown[]): SQL {
  return sql`${JSON.stringify(values.map((v) => v ?? null))}::json`;
}

/** The SQLSTATE of a database error (Drizzle wraps the driver's error in `cause`). */
function sqlState(error: unknown): string | undefined {
  const code = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined);
  return code(error) ?? code((error as { cause?: unknown })?.cause);
}

/** Is this PostgreSQL's unique violation (e.g. two requests racing to create the same e-mail or code)? */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/** Is this a deadlock or serialisation failure: two transactions touched the same rows and PostgreSQL stopped one? */
export function isConcurrencyFailure(error: unknown): boolean {
  return ['40P01', '40001'].includes(sqlState(error) ?? '');
}
