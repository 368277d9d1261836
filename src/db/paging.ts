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

/** A list's ORDER BY keys (`asc(…)`, `desc(…)`, `sql\`… nulls last\``) as one comma-separated list, for a statement written with `sql`. */
export const orderByKeys = (keys: readonly SQL[]): SQL => sql.join([...keys], sql`, `);

/**
 * The same LIMIT for Drizzle's query builder, whose `.limit()` is typed for a number or a placeholder but writes any
 * SQL it is given into the statement (a number becomes a parameter). Its `.offset()` leaves out an offset of 0.
 */
export const builderLimit = (limit: number) => limitClause(limit) as unknown as Placeholder;

/** Where a page's rows are read from: `offset` rows in, in the list's order or (`reversed`) from its end. */
export type PageFrom = { offset: number; reversed: boolean; skip: number };

/**
 * Where to read a page from: the start of the list, or its end with the order reversed. OFFSET makes the database
 * step over every row before the page: page 800 of the learners list stepped over 39,950 index entries, 3–4 ms of
 * PostgreSQL's CPU a request and the dearest part of the page. Past the middle of a list whose length is known, the
 * same rows are met sooner from the other end: read in the reversed order after stepping over the rows behind the
 * page (`offset`), they are the page, to be put back in the list's order. On the last page, shorter than a page,
 * the reversed read takes a whole page's `limit` from the end and `skip` says how many of its first rows (in the
 * list's order) belong to the page before.
 */
export function pageFromNearerEnd(page: { limit: number; offset: number }, total: number): PageFrom {
  const behind = total - page.offset - page.limit;
  if (page.offset === 0 || page.offset >= total || page.offset <= behind) return { offset: page.offset, reversed: false, skip: 0 };
  return { offset: Math.max(0, behind), reversed: true, skip: Math.max(0, -behind) };
}

/**
 * A page of a list and the list's count, the page read from its nearer end. The first page is read alongside the
 * count; a later one needs the count first (kept between changes, so usually at hand). `read` reads `limit` rows from
 * where it is told, in the reversed order when told so, and returns them in the list's order.
 *
 * A kept count can be behind another instance's writes for up to READ_CACHE_SECONDS (db/read-cache.ts); a page read
 * from the end then sits as many rows off as the count is, as a page read from the start does when rows are added
 * before it between two clicks: offset paging never promised more.
 */
export async function readFromNearerEnd<R>(page: { limit: number; offset: number }, total: Promise<number>, read: (from: PageFrom) => Promise<R[]>) {
  if (page.offset === 0) {
    const [rows, n] = await Promise.all([read({ offset: 0, reversed: false, skip: 0 }), total]);
    return { rows, total: n };
  }
  const n = await total;
  const from = pageFromNearerEnd(page, n);
  const rows = await read(from);
  return { rows: from.skip ? rows.slice(from.skip) : rows, total: n };
}
