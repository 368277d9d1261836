import { sql, type Placeholder, type SQL } from 'drizzle-orm';

/**
 * A list page's LIMIT written into the statement's text, and its OFFSET a parameter only past the first page.
 *
 * PostgreSQL keeps one generic plan for a named statement (statement-names.ts) only when its estimate is no worse
 * than planning for the values. A generic plan cannot see a LIMIT or OFFSET given as a parameter and guesses a tenth
 * of the rows, which always looks dearer than a page of fifty: every list page was planned afresh on every request,
 * about 0.45 ms of PostgreSQL's ~0.8 ms for the learners list's page (more in PGlite's WebAssembly). A page size is
 * one of a few values (settings), so each is a statement of its own; the first page, by far the most asked for, has
 * no OFFSET at all. Later pages keep theirs as a parameter (one statement for every page, planned for its offset).
 */
export function limitClause(limit: number): SQL {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`A page's limit must be a whole number, not ${limit}.`);
  return sql.raw(String(limit));
}

/** ` limit N` and, past the first row, ` offset $n`, for a statement written with `sql`. */
export function pageClause(limit: number, offset: number): SQL {
  return offset > 0 ? sql` limit ${limitClause(limit)} offset ${offset}` : sql` limit ${limitClause(limit)}`;
}

/**
 * The same LIMIT for Drizzle's query builder, whose `.limit()` is typed for a number or a placeholder but writes any
 * SQL it is given into the statement (a number becomes a parameter). Its `.offset()` leaves out an offset of 0.
 */
export const builderLimit = (limit: number) => limitClause(limit) as unknown as Placeholder;
