import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema.ts';
import { invalidateAfterTransactions } from './read-cache.ts';
import { nameStatements } from './statement-names.ts';
import { PgliteThread } from './pglite-thread.ts';

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

export const migrationsFolder = path.join(projectRoot, 'src/db/migrations');

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

/**
 * Gives a lent-out connection back to the pool (which discards it) as soon as it breaks. Drizzle's transaction sends
 * BEGIN before its try/finally, so a connection that was already cut when lent never returns to the pool: after a few
 * database restarts the pool would be used up for good, and closing it would hang. The connection's own release is
 * made idempotent, so Drizzle's later release of a connection broken mid-transaction does no harm.
 */
function releaseBrokenConnections(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool);
  const lend = (client: pg.PoolClient): pg.PoolClient => {
    const release = client.release.bind(client);
    let released = false;
    const onBroken = (err: Error) => client.release(err);
    client.release = (err?: Error | boolean) => {
      if (released) return;
      released = true;
      client.removeListener('error', onBroken);
      release(err);
    };
    client.once('error', onBroken);
    return client;
  };
  // pg-pool's own query() connects with a callback and always releases: only the promise form (Drizzle's) is wrapped.
  pool.connect = ((callback?: Parameters<pg.Pool['connect']>[0]) => (callback ? connect(callback) : connect().then(lend))) as pg.Pool['connect'];
}

/** Logs a lost connection by its code alone: a driver's message may quote the statement it was running. */
const logLostConnection = (err: Error) =>
  console.error(JSON.stringify({ level: 'warn', msg: 'database connection lost; new connections are made as needed', code: errorCode(err) ?? null }));

/** PGlite's thread stopped: nothing more can be read or written (the service stops itself: see `serve`). */
const logEmbeddedStopped = (err: Error) => console.error(JSON.stringify({ level: 'error', msg: err.message }));

/**
 * Opens PostgreSQL when a URL is given, otherwise PGlite in `dataDir` (or in memory when dataDir is null).
 * `onConnectionError` hears of PostgreSQL connections that broke (server restarted, backend terminated), and of
 * PGlite's thread stopping (which it does not do by itself: a crash of the database, or the process running out of
 * memory), after which every statement fails as the database being unavailable.
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string | null;
  loadDataDir?: Blob;
  onConnectionError?: (err: Error) => void;
}): Promise<Database> {
  if (opts.databaseUrl) {
    // Past the timeout a request answers 503 (isDatabaseUnavailable) instead of waiting on an unreachable server.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, connectionTimeoutMillis: 10_000 });
    const onError = opts.onConnectionError ?? logLostConnection;
    // Without these listeners a dropped connection is an unhandled 'error' event, which ends the process. The pool
    // reports (and discards) idle connections that broke. A connection lent out that breaks fails its own queries, so
    // its events need no second report: they are heard here, and releaseBrokenConnections hands it back.
    pool.on('error', onError);
    pool.on('connect', (client) => {
      client.on('error', () => {});
      nameStatements(client);
    });
    releaseBrokenConnections(pool);
    const db = invalidateAfterTransactions(drizzlePg(pool, { schema }) as unknown as Db);
    return { db, kind: 'postgres', close: () => pool.end() };
  }
  let release = () => {};
  let pgliteDir: string | undefined;
  if (opts.dataDir) {
    release = lockDataDir(opts.dataDir);
    pgliteDir = path.join(opts.dataDir, 'pglite');
  }
  try {
    // PGlite runs on a thread of its own, beside the one that renders the pages (ADR 0023). Its thread stopping is
    // this database's connection breaking, for good: every statement from then on fails as unavailable.
    const client = await PgliteThread.start({ dataDir: pgliteDir, loadDataDir: opts.loadDataDir, onStopped: opts.onConnectionError ?? logEmbeddedStopped });
    // Drizzle's PGlite session needs only query and transaction, which the thread's client has.
    const db = invalidateAfterTransactions(drizzlePglite({ client: client as unknown as PGlite, schema }) as unknown as Db);
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
  return sql`${pgArrayLiteral(values)}`;
}

/** The array-literal text pgArray sends, for a prepared statement's placeholder (db/prepared-statements.ts). */
export function pgArrayLiteral(values: readonly (string | number | boolean | null | undefined)[]): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    const text = String(v);
    // Most values (ids, dates, codes) need no escaping; testing first halves the cost of a 20,000-row upload's arrays.
    return needsEscape.test(text) ? `"${text.replace(escaped, '\\$&')}"` : `"${text}"`;
  });
  return `{${items.join(',')}}`;
}
const needsEscape = /[\\"]/;
const escaped = /[\\"]/g;

/**
 * JSON values as one `jsonb` array parameter, for bulk inserts of jsonb columns: read them back row by row with
 * `jsonb_array_elements(${jsonArray(values)})`, beside the other columns' unnest in one `rows from (…) with
 * ordinality` (the functions step together, no join). Cheaper than a text[] of JSON strings, whose every quote has to
 * be escaped on the way in and parsed on the way out, and than `json`, whose elements are parsed again as jsonb.
 * null and undefined become JSON null.
 */
export function jsonArray(values: readonly unknown[]): SQL {
  return sql`${JSON.stringify(values.map((v) => v ?? null))}::jsonb`;
}

/** An error's own `code`: a SQLSTATE from the server, or a Node system error code (ECONNREFUSED). */
function errorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The SQLSTATE of a database error (Drizzle wraps the driver's error in `cause`). */
function sqlState(error: unknown): string | undefined {
  return errorCode(error) ?? errorCode((error as { cause?: unknown })?.cause);
}

/** Is this PostgreSQL's unique violation (e.g. two requests racing to create the same email or code)? */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

/** Is this PostgreSQL's foreign key violation (e.g. a row deleted while another request points a new row at it)? */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === '23503';
}

/** The constraint a database error names (PostgreSQL and PGlite both report it), if any. */
export function violatedConstraint(error: unknown): string | undefined {
  for (const e of [error, (error as { cause?: unknown })?.cause]) {
    const name = typeof e === 'object' && e !== null ? (e as { constraint?: unknown }).constraint : undefined;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

/** Is this a deadlock or serialisation failure: two transactions touched the same rows and PostgreSQL stopped one? */
export function isConcurrencyFailure(error: unknown): boolean {
  return ['40P01', '40001'].includes(sqlState(error) ?? '');
}

/**
 * The server cannot be reached or dropped the connection: refused, reset, timed out, shut down or restarting
 * (57P01-57P03), too many connections (53300), any connection exception (class 08).
 */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);
/** What node-postgres says, without a code, when a connection ends, cannot be made in time, or was already broken. */
const unavailableMessage = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)/;

/**
 * Is this error the database being unreachable (rather than a fault in the request)? Such a request wrote
 * nothing: a transaction cut off mid-way is rolled back by the server. Looks through Drizzle's `cause` wrapping.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = errorCode(e);
    if (code && (unavailableCodes.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (unavailableMessage.test(e.message)) return true;
  }
  return false;
}

/** True on embedded PGlite: its data folder is locked to this process, so no other process can be doing its work. */
export function isEmbedded(db: Db): boolean {
  return (db as unknown as { $client: unknown }).$client instanceof PgliteThread;
}
