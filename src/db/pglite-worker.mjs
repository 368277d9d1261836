/**
 * The embedded database on a thread of its own (ADR 0023). PGlite is PostgreSQL compiled to WebAssembly: it plans and
 * runs every statement on the thread that calls it. On the service's thread that was the same core that renders the
 * pages, so on two cores a list page's statements and its rendering took turns. Here the database runs beside the
 * service; src/db/pglite-thread.ts is the service's side, with PGlite's own `query` and `transaction`.
 *
 * Plain JavaScript: a worker is started from a file, and this one must run the same from src/ (tests, tsx) and from
 * dist/ (the bundle; scripts/build.mjs copies it), with no TypeScript loader in the worker.
 *
 * Messages in: { id, op: 'query', sql, params, rowMode, textTypes, tx } · { id, op: 'begin' } ·
 * { id, op: 'end', tx, commit } · { id, op: 'dumpDataDir' } · { id, op: 'close' }. Out: { id, result } or { id, error }.
 */
import { Blob } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

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

/** Open transactions by id: PGlite's transaction handle, how to end it, and the promise that settles when it has. */
const transactions = new Map();
let lastTransaction = 0;

function begin() {
  return new Promise((started, failed) => {
    const done = db.transaction(
      (tx) =>
        new Promise((commit, rollback) => {
          const id = ++lastTransaction;
          transactions.set(id, { tx, commit, rollback, done });
          started(id);
        }),
    );
    done.catch((err) => failed(err));
  });
}

async function end(id, commit) {
  const open = transactions.get(id);
  if (!open) throw new Error(`No open transaction ${id} on the database thread.`);
  transactions.delete(id);
  if (commit) {
    open.commit();
    await open.done;
  } else {
    // Rejecting the callback's promise is how PGlite is told to roll back; its own rejection is that reason.
    const reason = new Error('rolled back');
    open.rollback(reason);
    await open.done.catch((err) => {
      if (err !== reason) throw err;
    });
  }
}

async function handle(message) {
  const target = message.tx ? transactions.get(message.tx)?.tx : db;
  if (!target) throw new Error(`No open transaction ${message.tx} on the database thread.`);
  switch (message.op) {
    case 'query':
      return plain(await target.query(message.sql, message.params, optionsOf(message)));
    case 'begin':
      return begin();
    case 'end':
      return end(message.tx, message.commit);
    case 'dumpDataDir':
      return new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
    case 'close':
      await db.close();
      return null;
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
