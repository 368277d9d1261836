import type { DbOrTx } from './client.ts';

/**
 * A statement asked on (nearly) every request, built once per database handle: Drizzle does not build its SQL again
 * on each request, and on PostgreSQL it is sent under the given name. (Every other parameterised statement is named
 * from its text, statement-names.ts, so the database parses it once per connection either way.) On PGlite the name
 * is ignored. `prepare` must build the statement with `sql.placeholder`s and call `.prepare(name)` with a name used
 * nowhere else.
 */
export function preparedPerDatabase<S>(prepare: (db: DbOrTx) => S): (db: DbOrTx) => S {
  const statements = new WeakMap<DbOrTx, S>();
  return (db) => {
    let statement = statements.get(db);
    if (!statement) statements.set(db, (statement = prepare(db)));
    return statement;
  };
}
