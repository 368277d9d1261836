/**
 * What the list pages read on every request but the records change seldom: the filters' options (organisations with
 * people, councils with learners, regions, council types, managing partners), the rules a list applies, and the
 * learners list's and councils list's counts. Reading them cost more than the page's own rows. They are kept here,
 * per database, until the next change recorded in this process or for at most READ_CACHE_SECONDS, whichever is first.
 *
 * Every change writes an audit event (recordAudit, and the uploads' bulk audit insert), which calls `recordsChanged()`.
 * That happens inside the change's transaction, before it commits, so a page read in between could keep what was
 * there before: `invalidateAfterTransactions` makes every transaction that recorded a change mark the kept reads
 * stale again once it has ended. So someone who has just made a change sees it on the next page; another instance
 * sharing the database shows it within the time limit.
 *
 * Nothing that decides what a person may see or do is read from here: scope is part of every key, and services
 * that act (the journey's state machine, the policy) read the records themselves. Keys are bounded (the learners
 * counts have one per filter combination), the oldest read going first.
 */
type Entry = { value: Promise<unknown>; at: number; generation: number };
type Store = { ttlMs: number; entries: Map<string, Entry> };

/** Per database object, so apps on different databases (tests, two instances in one process) never share reads. */
const stores = new WeakMap<object, Store>();
let generation = 0;
const defaultTtlMs = 30_000;
/** Beyond this many keys per database the least recently used goes: a few hundred kilobytes at most. */
export const maxEntries = 500;

/** Something was written: every read kept in this process is read again next time. */
export function recordsChanged() {
  generation++;
}

/** Sets how long reads from `db` may be kept (0: not kept). The app calls it with its configuration. */
export function configureReadCache(db: object, seconds: number) {
  stores.set(db, { ttlMs: seconds * 1000, entries: new Map() });
}

/** The value under `key` read from `db`, loading it when missing, older than the time limit or older than the last change. */
export function cachedRead<T>(db: object, key: string, load: () => PromiseLike<T>): Promise<T> {
  let store = stores.get(db);
  if (!store) stores.set(db, (store = { ttlMs: defaultTtlMs, entries: new Map() }));
  const now = performance.now();
  const { entries } = store;
  const entry = entries.get(key);
  if (entry && entry.generation === generation && now - entry.at < store.ttlMs) {
    // A Map keeps insertion order: moving a used key to the end makes the first key the least recently used.
    entries.delete(key);
    entries.set(key, entry);
    return entry.value as Promise<T>;
  }
  // A Drizzle query is a thenable that runs its statement each time it is awaited: kept as it is, every page would
  // run it again (and `.catch` below once more). Resolved into a promise, it runs once and its answer is kept.
  const value = Promise.resolve(load());
  if (store.ttlMs === 0) return value;
  const fresh = { value, at: now, generation };
  entries.delete(key);
  entries.set(key, fresh);
  if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  // A failed read (the database restarting) is not kept: the next page tries again.
  value.catch(() => entries.get(key) === fresh && entries.delete(key));
  return value;
}

/**
 * Makes `db.transaction` mark the kept reads stale once a transaction that recorded a change has ended (committed or
 * not), closing the gap between the audit event's `recordsChanged()` and the commit. Transactions that change nothing
 * (reads under one snapshot) leave the kept reads alone.
 */
export function invalidateAfterTransactions<D extends { transaction: (...args: never[]) => Promise<unknown> }>(db: D): D {
  const transaction = db.transaction.bind(db) as (...args: unknown[]) => Promise<unknown>;
  (db as { transaction: unknown }).transaction = async (...args: unknown[]) => {
    const before = generation;
    try {
      return await transaction(...args);
    } finally {
      if (generation !== before) recordsChanged();
    }
  };
  return db;
}

/**
 * A list's total (or totals) kept between changes: counting every matching row cost the database more than reading
 * the page. Keyed by the list, the reader's scope and the filters that decide which rows belong (not the order).
 */
export function keptTotal<T>(db: object, list: string, scope: unknown, filters: object, load: () => PromiseLike<T>): Promise<T> {
  const { sort: _sort, order: _order, ...membership } = filters as Record<string, unknown>;
  return cachedRead(db, `${list}.total:${JSON.stringify([scope, membership])}`, load);
}
