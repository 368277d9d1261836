/**
 * The embedded database on a thread of its own (ADR 0023). PGlite is PostgreSQL compiled to WebAssembly: it plans and
 * runs every statement on the thread that calls it. On the service's thread that was the same core that renders the
 * pages, so on two cores a list page's statements and its rendering took turns. Here the database runs beside the
 * service; src/db/pglite-thread.ts is the service's side, with the `query` and `transaction` of PGlite's interface.
 * Here each statement is one exchange of protocol messages with PGlite, and the thread queues statements and
 * transactions itself (ADR 0023, amended).
 *
 * Plain JavaScript: a worker is started from a file, and this one must run the same from src/ (tests, tsx) and from
 * dist/ (the bundle; scripts/build.mjs copies it), with no TypeScript loader in the worker.
 *
 * Messages in: { id, op: 'query', sql, params, rowMode, textTypes, tx } · { id, op: 'begin' } ·
 * { id, op: 'end', tx, commit } · { id, op: 'dumpDataDir' } · { id, op: 'close' }. Out: { id, result } or { id, error }.
 */
import { Blob } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import pgUtils from 'pg/lib/utils.js';

const asText = (value) => value;

/** PGlite's query options for a message: the types to leave as text (the only parsers the service gives). */
const optionsOf = (message) => ({
  rowMode: message.rowMode ?? 'object',
  ...(message.textTypes?.length ? { parsers: Object.fromEntries(message.textTypes.map((oid) => [oid, asText])) } : {}),
});

/** A result without what cannot cross to the other thread. */
const plain = (result) => ({ rows: result.rows, fields: result.fields, affectedRows: result.affectedRows });

/** An error as data: its message and PostgreSQL's fields (code, constraint, detail…) that the service reads. */
function errorData(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === 'function' || (typeof value === 'object' && value !== null)) continue;
    fields[key] = value;
  }
  return { ...fields, message: err.message, name: err.name };
}

const { dataDir, loadDataDir, pgliteWasmModule, initdbWasmModule } = workerData;
// pg_trgm backs the lists' search indexes (migration 0032); PostgreSQL has it built in, PGlite loads it per instance.
// The WebAssembly comes compiled from the service's thread, once per process (pglite-thread.ts).
const db = await PGlite.create(dataDir ?? undefined, {
  extensions: { pg_trgm },
  pgliteWasmModule,
  initdbWasmModule,
  ...(loadDataDir ? { loadDataDir: new Blob([loadDataDir]) } : {}),
});

/**
 * One statement in one exchange with PostgreSQL: Parse, Bind, Describe, Execute and Sync in a single protocol message,
 * read back with PGlite's own result parser and type parsers. PGlite's `query` sends the same messages one call at a
 * time (with a Describe of the statement first, to choose serialisers by parameter type) and awaits each: about
 * 0.1–0.3 ms a statement of this thread's time, which is what limits PGlite's throughput (docs/performance.md,
 * "seventeenth slice"). The parameters are serialised as node-postgres serialises them for PostgreSQL — the same
 * statements run there — and sent untyped, so PostgreSQL infers their types from the statement as before. The
 * filesystem is NodeFS or memory, whose sync after a statement does nothing; PostgreSQL writes its files itself.
 *
 * A statement is named from its text, as on PostgreSQL's pooled connections (statement-names.ts, ADR 0021, by the
 * same rules: one with parameters or a lone `select`; at most `maxNames`; none marked `plannedEachTime`): parsed once, and
 * after five runs planned once when PostgreSQL judges a generic plan no worse. Planning is dearer here, in
 * WebAssembly, than in PostgreSQL: the contracts' rows by id took 5.2 ms planned each time and 2.8 named (alone, while
 * other work ran; docs/performance.md).
 */
// A RegExp crosses to the thread as a copy (structured clone).
const { maxNames, plannedEachTime, namedWithoutParameters } = workerData.naming;
const named = new Map();

function nameFor(sql, values) {
  if (sql.startsWith(plannedEachTime) || (!values.length && !namedWithoutParameters.test(sql))) return undefined;
  const name = named.get(sql);
  if (name || named.size >= maxNames) return name;
  return `pn_${named.size + 1}`;
}

async function exchange(sql, params, options) {
  const values = (params ?? []).map((value) => pgUtils.prepareValue(value));
  const name = nameFor(sql, values);
  const parsed = name !== undefined && named.get(sql) === name;
  const parts = [
    ...(parsed ? [] : [protocol.serialize.parse({ text: sql, name })]),
    protocol.serialize.bind({ values, statement: name }),
    protocol.serialize.describe({ type: 'P' }),
    protocol.serialize.execute({}),
    protocol.serialize.sync(),
  ];
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    message.set(part, at);
    at += part.length;
  }
  const { messages } = await db.execProtocol(message, { syncToFs: false, throwOnError: false });
  // A statement PostgreSQL parsed is kept under its name even when what followed failed (or its transaction rolls
  // back); one it could not parse is not.
  if (name !== undefined && !parsed && messages.some((m) => m.name === 'parseComplete')) named.set(sql, name);
  const failure = messages.find((m) => m.name === 'error');
  if (failure) throw failure;
  return parse.parseResults(messages, db.parsers, options)[0];
}

/**
 * Statements one after another: PGlite gathers a message's results on the instance across an await, so two exchanges
 * in flight at once would mix them up (PGlite's `query` queues behind a lock for the same reason).
 */
let previous = Promise.resolve();
function run(sql, params, options) {
  const result = previous.then(() => exchange(sql, params, options));
  previous = result.catch(() => {});
  return result;
}

/**
 * Who holds the database: an open transaction's id, a single statement, or nobody. PGlite has one connection: while a
 * transaction is open only its own statements run, and every other statement and the next transaction wait for it to
 * end, in the order they came, as PGlite's own `query` and `transaction` made them wait. The database passes straight
 * from one holder to the next, so no two can take it at once.
 */
let holder = null;
const queue = [];
let lastTransaction = 0;

function acquire(owner) {
  if (holder === null) {
    holder = owner;
    return Promise.resolve();
  }
  return new Promise((resolve) =>
    queue.push(() => {
      holder = owner;
      resolve();
    }),
  );
}

function release() {
  const next = queue.shift();
  if (next) next();
  else holder = null;
}

async function statement(message) {
  if (message.tx) {
    if (holder !== message.tx) throw new Error(`No open transaction ${message.tx} on the database thread.`);
    return run(message.sql, message.params, optionsOf(message));
  }
  await acquire(message);
  try {
    return await run(message.sql, message.params, optionsOf(message));
  } finally {
    release();
  }
}

async function begin() {
  const id = ++lastTransaction;
  await acquire(id);
  try {
    await run('begin');
  } catch (err) {
    release();
    throw err;
  }
  return id;
}

async function end(id, commit) {
  if (holder !== id) throw new Error(`No open transaction ${id} on the database thread.`);
  try {
    await run(commit ? 'commit' : 'rollback');
  } finally {
    release();
  }
}

/** PGlite's own operations on the whole database, when nobody else holds it. */
async function alone(operation) {
  const owner = {};
  await acquire(owner);
  try {
    return await operation();
  } finally {
    release();
  }
}

async function handle(message) {
  switch (message.op) {
    case 'query':
      return plain(await statement(message));
    case 'begin':
      return begin();
    case 'end':
      return end(message.tx, message.commit);
    case 'dumpDataDir':
      return alone(async () => new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer()));
    case 'close':
      return alone(async () => {
        await db.close();
        return null;
      });
    default:
      throw new Error(`Unknown database thread operation ${message.op}.`);
  }
}

parentPort.on('message', (message) => {
  handle(message).then(
    (result) => {
      parentPort.postMessage({ id: message.id, result });
      if (message.op === 'close') parentPort.close();
    },
    (err) => parentPort.postMessage({ id: message.id, error: errorData(err) }),
  );
});
parentPort.postMessage({ ready: true });
