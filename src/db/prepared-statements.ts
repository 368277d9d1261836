import { sql, type Column } from 'drizzle-orm';
import { pgArrayLiteral, type DbOrTx } from './client.ts';

/**
 * A statement asked on (nearly) every request, built once per database handle: Drizzle does not build its SQL again
 * on each request, and on PostgreSQL it is sent under the given name. (Every other parameterised statement is named
 * from its text, statement-names.ts, so the database parses it once per connection either way.) On PGlite the name
 * is not passed on; the database's thread names it from its text like every other statement (pglite-worker.mjs).
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

/** A prepared statement's condition: `column` is one of the ids its `execute` is given with `idsParam`. */
export const oneOfIds = (column: Column) => sql`${column} = any(${sql.placeholder('ids')}::uuid[])`;

/** The ids for a statement prepared with `oneOfIds`, as one array parameter (any number of them, one statement). */
export const idsParam = (ids: readonly string[]) => ({ ids: pgArrayLiteral(ids) });
