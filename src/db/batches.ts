import { sql, type QueryPromise, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { PgliteThread } from './pglite-thread.ts';
import pg from 'pg';
import { pgArray, type Db } from './client.ts';

/** How many rows an export reads from the database at a time. */
export const exportBatchSize = 2000;

/**
 * Lets the event loop run what is waiting before going on: other requests' sockets and database answers, and timers
 * that fell due meanwhile. One setImmediate lets the sockets in but resumes before the timers; from within it, a second
 * one comes back only after a whole turn of the loop (timers, then I/O, then immediates) — without setTimeout's
 * millisecond.
 */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * Rows a bulk statement takes at a time. A 20,000-row upload built each statement's parameters (about a megabyte of
 * array text), or mapped each statement's 20,000 rows, in one go, holding the event loop for 100–250 ms at a time:
 * the longest another user's page then waited on PostgreSQL (issue 9's target 5 is 100 ms). In slices, with a turn of
 * the event loop between, other requests get in between; the rows, their order and the one transaction are unchanged.
 */
export const sliceRows = 2500;

/**
 * A transaction's bulk statements, sent in the order given, each built while the one before it runs: a Drizzle query
 * works out its text and parameters (for a bulk insert, a megabyte of array text) when it is made and is sent only when
 * awaited, so each is made at once and sent as soon as the one before it has finished. The database goes from one
 * statement to the next instead of waiting while the app builds each; the connection still runs one at a time (pg 8
 * deprecates queueing statements on a client). A 20,000-row nominations upload wrote a tenth faster so
 * (docs/performance.md, issue 9's twenty-sixth slice).
 *
 * After a failure nothing more is sent; the failure is reported by the next `add` or `slices`, or by `done()`. Call
 * `done()` before reading through the same transaction.
 */
export function orderedWrites() {
  let running: Promise<unknown> = Promise.resolve();
  const add = async (query: QueryPromise<unknown>) => {
    const before = running;
    running = before.then(() => query);
    running.catch(() => {}); // reported by the next await of it, below or in done()
    await before;
  };
  return {
    /** Queues one statement, to be sent once those queued before it have run. */
    add,
    /** Queues `build`'s statement for each slice of `sliceRows` rows, letting other work in between slices. */
    slices: <T>(rows: readonly T[], build: (slice: readonly T[]) => QueryPromise<unknown>) => inSlices(rows, (slice) => add(build(slice))),
    /** Waits for every statement queued so far. */
    done: () => running,
  };
}
export type OrderedWrites = ReturnType<typeof orderedWrites>;

/** Calls `work` with `rows` a slice at a time, in order, letting other work in between slices. */
export async function inSlices<T>(rows: readonly T[], work: (slice: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < rows.length; start += sliceRows) {
    if (start) await nextTurn();
    await work(rows.slice(start, start + sliceRows));
  }
}

/** `rows.map(map)`, letting other work in between slices of `sliceRows` rows (the work a bulk write prepares). */
export async function mapInSlices<T, U>(rows: readonly T[], map: (row: T, index: number) => U): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i && i % sliceRows === 0) await nextTurn();
    out.push(map(rows[i], i));
  }
  return out;
}

/**
 * How many batches are asked for ahead of the one being handed on. On PostgreSQL each is a statement on a pooled
 * connection of its own, so with two the database reads (and sends) two batches while the download formats a third:
 * with one, a learners download waited on the database for about as long as it formatted. On PGlite they queue on
 * its one connection, so another user's statement waits behind at most two batches (tens of milliseconds).
 */
const batchesAhead = 2;

/**
 * Rows read from the database a batch at a time for a download, and handed on a batch at a time: through two or three
 * async generators (the read, the due dates, the CSV) each row cost a promise and a turn of the microtask queue per
 * generator, and the garbage of them, a tenth of a learners download's CPU.
 */
export type RowBatches<T> = { readonly batches: AsyncIterable<readonly T[]> };

/** The same batches with `map` applied to each row. */
export function mapBatches<T, U>(rows: RowBatches<T>, map: (row: T) => U): RowBatches<U> {
  return {
    batches: (async function* () {
      for await (const batch of rows.batches) yield batch.map(map);
    })(),
  };
}

/**
 * Reads rows in the order of `ids`, `size` ids at a time, for an export of a long list. The ids (chosen, filtered
 * and sorted in one narrow statement) fix which rows the export holds and in what order, whatever the sort, so every
 * row comes once even when someone edits the list meanwhile; `read` applies the list's conditions again, so a row
 * that no longer matches (or left the reader's scope) is left out, and gives the rest in its ids' order
 * (`batchStatement`). No transaction stays open while the download goes (PGlite has one connection;
 * PostgreSQL's pool ten): each batch is one statement.
 */
export function readInBatches<T>(ids: readonly string[], size: number, read: (ids: string[]) => Promise<T[]>): RowBatches<T> {
  return {
    batches: (async function* () {
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
      while (inFlight.length) {
        const batch = await inFlight.shift()!;
        askAhead();
        yield batch;
      }
    })(),
  };
}

/**
 * The statement of one batch of `readInBatches`: `select <columns> from <table> as <alias> <joins> where <where>` for
 * the rows whose ids are in `ids`, in the order of `ids`. Each row is found through the primary key by a lateral
 * subquery (`offset 0` keeps the planner from flattening it) because `id = any(ids)` made PostgreSQL scan the whole
 * table for every batch — with random uuids it judges a seq scan cheaper than thousands of index probes — so a
 * download's cost grew with the square of the table. The ids are numbered (`with ordinality`) and the batch ordered
 * by that number, so it comes in the list's order without a map from id to row in JavaScript (a tenth of a download's
 * formatting time); that costs the database nothing: the numbered ids drive nested loops that keep their order, and
 * PostgreSQL adds no sort (`explain` shows none). A row that no longer matches `where` is simply absent.
 */
export function batchStatement(q: { columns: SQL; table: SQL; alias: SQL; joins: SQL; where: SQL }, ids: readonly string[]): SQL {
  return sql`select ${q.columns}
    from unnest(${pgArray(ids)}::uuid[]) with ordinality as batch_ids(id, place)
      cross join lateral (select * from ${q.table} where id = batch_ids.id offset 0) as ${q.alias}
      ${q.joins}
    where ${q.where}
    order by batch_ids.place`;
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
  const client = (db as unknown as { $client: pg.Pool | PgliteThread }).$client;
  if (client instanceof PgliteThread) return (await client.query<unknown[]>(text, params, { rowMode: 'array', parsers: pgliteParsers })).rows;
  return (await client.query<unknown[]>({ text, values: params, rowMode: 'array', types: pgTypes })).rows;
}
