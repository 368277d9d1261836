import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { pgArray, type Db } from './client.ts';

/** How many rows an export reads from the database at a time. */
export const exportBatchSize = 2000;

/**
 * How many batches are asked for ahead of the one being handed on. On PostgreSQL each is a statement on a pooled
 * connection of its own, so with two the database reads (and sends) two batches while the download formats a third:
 * with one, a learners download waited on the database for about as long as it formatted. On PGlite they queue on
 * its one connection, so another user's statement waits behind at most two batches (tens of milliseconds).
 */
const batchesAhead = 2;

/**
 * Reads rows in the order of `ids`, `size` ids at a time, for an export of a long list. The ids (chosen, filtered
 * and sorted in one narrow statement) fix which rows the export holds and in what order, whatever the sort, so every
 * row comes once even when someone edits the list meanwhile; `read` applies the list's conditions again, so a row
 * that no longer matches (or left the reader's scope) is left out. No transaction stays open while the download
 * goes (PGlite has one connection; PostgreSQL's pool ten): each batch is one statement.
 */
export async function* readInBatches<T extends { id: string }>(ids: readonly string[], size: number, read: (ids: string[]) => Promise<T[]>): AsyncGenerator<T> {
  const inFlight: Promise<T[]>[] = [];
  let asked = 0;
  const askAhead = () => {
    for (; inFlight.length < batchesAhead && asked < ids.length; asked += size) {
      const batch = read(ids.slice(asked, asked + size));
      // A batch that fails while an earlier one is handed on (or after the reader went away) is not unhandled: the
      // failure reaches the download when its turn comes, or nobody if the download has stopped.
      batch.catch(() => {});
      inFlight.push(batch);
    }
  };
  askAhead();
  for (let start = 0; inFlight.length; start += size) {
    const found = new Map((await inFlight.shift()!).map((r) => [r.id, r]));
    askAhead();
    for (const id of ids.slice(start, start + size)) {
      const row = found.get(id);
      if (row) yield row;
    }
  }
}

/**
 * A `from` item for one batch of `readInBatches`: the rows of `table` whose ids are in `ids`, named `alias`, each found
 * through the primary key. Written as a lateral subquery (`offset 0` keeps the planner from flattening it) because
 * `id = any(ids)` made PostgreSQL scan the whole table for every batch — with random uuids it judges a seq scan
 * cheaper than thousands of index probes — so a download's cost grew with the square of the table.
 */
export function rowsWithIds(table: SQL, alias: SQL, ids: readonly string[]): SQL {
  return sql`unnest(${pgArray(ids)}::uuid[]) as batch_ids(id) cross join lateral (select * from ${table} where id = batch_ids.id offset 0) as ${alias}`;
}

/**
 * The types Drizzle's raw statements (`queryRows`) leave as PostgreSQL's text: dates, times, intervals, numeric[] and
 * arrays of dates and times (drizzle-orm's node-postgres and pglite sessions), so a batch read here has the same values.
 */
const textTypes = [1082, 1114, 1184, 1186, 1182, 1115, 1185, 1187, 1231];
const asText = (value: string) => value;
const pgTypes = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (textTypes.includes(oid) ? asText : pg.types.getTypeParser(oid, format)) };
const pgliteParsers = Object.fromEntries(textTypes.map((oid) => [oid, asText]));
const dialect = new PgDialect();

/**
 * The rows of a raw statement as arrays of values in its select list's order, for a download's batches, on either
 * driver. pg 8 builds each object row by copying a null-prototype template, which V8 keeps in dictionary mode, so
 * every later read of a property is a hash lookup, tens of them a row in a download; the caller turns each array into
 * an object literal instead, read at full speed. (PGlite's object rows are ordinary objects; arrays cost it no more.)
 */
export async function queryArrays(db: Db, query: SQL): Promise<unknown[][]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const client = (db as unknown as { $client: pg.Pool | PGlite }).$client;
  if (client instanceof PGlite) return (await client.query<unknown[]>(text, params, { rowMode: 'array', parsers: pgliteParsers })).rows;
  return (await client.query<unknown[]>({ text, values: params, rowMode: 'array', types: pgTypes })).rows;
}
