/**
 * The service's side of the embedded database's thread (src/db/pglite-worker.mjs, ADR 0023): an object with the part
 * of PGlite's interface the service and Drizzle use — `query`, `transaction`, `close` — each call a message
 * to the thread and its answer. Statements wait for one another there as in PGlite itself: a transaction holds the
 * database until it ends, and everything else waits its turn.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Results } from '@electric-sql/pglite';
import { maxPerConnection, namedWithoutParameters, plannedEachTime } from './statement-names.ts';

const pgliteFiles = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
let compiled: Promise<{ pgliteWasmModule: WebAssembly.Module; initdbWasmModule: WebAssembly.Module }> | undefined;

/**
 * PGlite's WebAssembly (PostgreSQL, and initdb for a new database) compiled once per process and given to each
 * thread. In one thread PGlite keeps what it compiled for its next instance; every new thread would compile its 9 MB
 * again (about a second of CPU), which the test suite, opening a database per test file or test, paid each time.
 */
const compiledOnce = () =>
  (compiled ??= (async () => ({
    pgliteWasmModule: await WebAssembly.compile(await fs.readFile(path.join(pgliteFiles, 'pglite.wasm'))),
    initdbWasmModule: await WebAssembly.compile(await fs.readFile(path.join(pgliteFiles, 'initdb.wasm'))),
  }))());

type QueryOptions = { rowMode?: 'object' | 'array'; parsers?: Record<number, unknown> };

/** The part of PGlite's interface a transaction's callback is given. */
export type PgliteThreadTransaction = {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
};

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

/** An error from the thread as the service knows it: the message, with PostgreSQL's fields (code, constraint…). */
function revive(data: Record<string, unknown>): Error {
  const { message, name, ...fields } = data;
  const err = Object.assign(new Error(String(message)), fields);
  if (typeof name === 'string' && name !== 'Error') err.name = name;
  return err;
}

/** Why every call fails once the thread has gone: class 08 (connection exception), so requests answer 503. */
class ThreadStoppedError extends Error {
  readonly code = '08006';
}

export class PgliteThread implements PgliteThreadTransaction {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #broken: Error | null = null;
  #closing = false;

  private constructor(worker: Worker, onStopped: (err: Error) => void) {
    this.#worker = worker;
    worker.on('message', (message: { id: number; result?: unknown; error?: Record<string, unknown> }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(revive(message.error));
      else pending.resolve(message.result);
    });
    // An uncaught error ends the thread too ('exit' follows), so both end up here.
    const stopped = (why: string) => {
      if (this.#broken) return;
      this.#fail(new ThreadStoppedError(`The embedded database stopped: ${why}.`));
      if (!this.#closing) onStopped(this.#broken!);
    };
    worker.on('error', (err) => stopped(`${err.name} on its thread`));
    worker.on('exit', (code) => stopped(`its thread exited with code ${code}`));
  }

  /**
   * Starts the thread on `dataDir` (in memory when not given) and waits until its database is open. `onStopped` hears
   * once if the thread stops other than by `close`.
   */
  static async start(opts: { dataDir?: string; loadDataDir?: Blob; onStopped: (err: Error) => void }): Promise<PgliteThread> {
    const loadDataDir = opts.loadDataDir ? new Uint8Array(await opts.loadDataDir.arrayBuffer()) : undefined;
    const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
      // The thread names statements by the same rules as the PostgreSQL pool's connections (statement-names.ts).
      workerData: { dataDir: opts.dataDir, loadDataDir, naming: { maxNames: maxPerConnection, plannedEachTime, namedWithoutParameters }, ...(await compiledOnce()) },
      transferList: loadDataDir ? [loadDataDir.buffer] : [],
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`The database thread stopped while opening the database (exit code ${code}).`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', () => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        resolve();
      });
    });
    return new PgliteThread(worker, opts.onStopped);
  }

  /** Every call waiting, and every later one, fails with why the thread went. */
  #fail(err: Error) {
    this.#broken = err;
    for (const pending of this.#pending.values()) pending.reject(this.#broken);
    this.#pending.clear();
  }

  #call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = ++this.#lastId;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  #query<T>(tx: number | undefined, sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    // The service's parsers only ever leave a type as PostgreSQL's text (Drizzle's, and db/batches.ts's): the thread
    // is told which types, since functions cannot cross to it.
    const textTypes = options.parsers ? Object.keys(options.parsers).map(Number) : undefined;
    return this.#call({ op: 'query', tx, sql, params, rowMode: options.rowMode, textTypes });
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#query(undefined, sql, params, options);
  }

  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  async transaction<T>(fn: (tx: PgliteThreadTransaction) => Promise<T>): Promise<T> {
    const id = await this.#call<number>({ op: 'begin' });
    const tx: PgliteThreadTransaction = {
      query: (sql, params, options) => this.#query(id, sql, params, options),
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      await this.#call({ op: 'end', tx: id, commit: false }).catch(() => {});
      throw err;
    }
    await this.#call({ op: 'end', tx: id, commit: true });
    return result;
  }

  /** The database's files as one uncompressed tar (PGlite's dumpDataDir), e.g. to start test databases from. */
  async dumpDataDir(): Promise<Blob> {
    return new Blob([await this.#call<Uint8Array<ArrayBuffer>>({ op: 'dumpDataDir' })]);
  }

  /** Stops the thread at once, as a crash of the database would (the tests of what follows one). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Closes the database (PGlite writes what it holds) and ends the thread. */
  async close(): Promise<void> {
    if (this.#broken) return;
    this.#closing = true;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    await this.#call({ op: 'close' });
    await exited;
  }
}
