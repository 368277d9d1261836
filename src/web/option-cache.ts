/**
 * The options of the lists' filters (organisations with people, councils with learners, regions, council types,
 * managing partners) change a few times a year but were read on every list page: up to five statements a request,
 * more than the page's rows. They are kept here, per database, until the next recorded change or for at most
 * OPTIONS_CACHE_SECONDS, whichever comes first.
 *
 * Any change an app makes writes an audit event (recordAudit, and the uploads' bulk audit insert), which calls
 * `optionsChanged()`: this instance then reads every option list again, so what someone just changed shows at once.
 * Another instance sharing the database sees it within the time limit. A list of filter options that is briefly
 * out of date only offers an option that finds nothing, or misses a new one for seconds; nothing that decides what a
 * person may see or do is cached.
 */
type Entry = { value: Promise<unknown>; at: number; generation: number };
type Store = { ttlMs: number; entries: Map<string, Entry> };

/** Per database object, so apps on different databases (tests, two instances in one process) never share options. */
const stores = new WeakMap<object, Store>();
let generation = 0;
const defaultTtlMs = 30_000;

/** Something was written: every option list of this process is read again next time. */
export function optionsChanged() {
  generation++;
}

/** Sets how long option lists read from `db` may be kept (0: not kept). The app calls it with its configuration. */
export function configureOptionCache(db: object, seconds: number) {
  stores.set(db, { ttlMs: seconds * 1000, entries: new Map() });
}

/** The options under `key` read from `db`, loading them when missing, older than the time limit or older than the last change. */
export function cachedOptions<T>(db: object, key: string, load: () => Promise<T>): Promise<T> {
  let store = stores.get(db);
  if (!store) stores.set(db, (store = { ttlMs: defaultTtlMs, entries: new Map() }));
  const now = performance.now();
  const entry = store.entries.get(key);
  if (entry && entry.generation === generation && now - entry.at < store.ttlMs) return entry.value as Promise<T>;
  const value = load();
  const fresh = { value, at: now, generation };
  store.entries.set(key, fresh);
  // A failed read (the database restarting) is not kept: the next page tries again.
  const entries = store.entries;
  value.catch(() => entries.get(key) === fresh && entries.delete(key));
  return value;
}
