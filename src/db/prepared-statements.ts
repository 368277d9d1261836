import type { DbOrTx } from './client.ts';

/**
 * A statement asked on (nearly) every request, prepared once per database handle. On PostgreSQL Drizzle sends a
 * prepared query under its name, so each pooled connection parses it once and, after a few runs, keeps one plan
 * (for lookups by key the plan is the same whatever the values); an unnamed statement is parsed and planned on every
 * request, which cost the database more than running it. On PGlite the name is ignored and nothing changes.
 * `prepare` must build the statement with `sql.placeholder`s and call `.prepare(name)` with a name used nowhere else.
 */
export function preparedPerDatabase<S>(prepare: (db: DbOrTx) => S): (db: DbOrTx) => S {
  const statements = new WeakMap<DbOrTx, S>();
  return (db) => {
    let statement = statements.get(db);
    if (!statement) statements.set(db, (statement = prepare(db)));
    return statement;
  };
}
