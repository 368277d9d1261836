import { Column, is, sql, type SQL } from 'drizzle-orm';

/** Drizzle's column types whose values the select builder turns into Dates. */
const dateColumnTypes = new Set(['PgTimestamp', 'PgDate']);

/**
 * A select list naming each field by its key (`"organisations"."name" as "councilName"`), for a statement run with
 * `queryRows`: the driver then gives each row as an object with those keys, as Drizzle's select builder would. The
 * builder builds the statement from its parts on every call and maps every cell of every row through its column's
 * decoder, checking what kind of field each is as it goes: a quarter to a third of the service's CPU for an API list
 * of fifty rows (docs/performance.md, issue 9's twenty-fourth slice). Built once, at module load.
 *
 * `queryRows` gives what the driver gives, which is what the builder gives for text, numbers, booleans, uuids, arrays,
 * jsonb, and dates and timestamps kept as strings. A column the builder turns into a Date (a timestamp, or a date in
 * `mode: 'date'`) would come as PostgreSQL's text, so one is refused here rather than change its type unseen.
 */
export function selectList(fields: Readonly<Record<string, Column | SQL>>): SQL {
  return sql.join(
    Object.entries(fields).map(([key, field]) => {
      if (is(field, Column) && dateColumnTypes.has(field.columnType)) throw new Error(`selectList: ${key} is read as a Date, which queryRows gives as text.`);
      return sql`${field} as ${sql.identifier(key)}`;
    }),
    sql`, `,
  );
}
