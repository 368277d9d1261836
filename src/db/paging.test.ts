import { describe, expect, it } from 'vitest';
import { desc, sql } from 'drizzle-orm';
import { people } from './schema.ts';
import { PgDialect } from 'drizzle-orm/pg-core';
import { limitClause, orderByKeys, pageClause, pageFromNearerEnd, readFromNearerEnd, type PageFrom } from './paging.ts';

const render = (query: ReturnType<typeof sql>) => new PgDialect().sqlToQuery(query);

describe('a page in a statement', () => {
  it('writes the limit into the text, and the offset as a parameter only past the first page', () => {
    expect(render(sql`select id from people where name = ${'Ann'} order by id${pageClause(50, 0)}`)).toMatchObject({
      sql: 'select id from people where name = $1 order by id limit 50',
      params: ['Ann'],
    });
    expect(render(sql`select id from people order by id${pageClause(50, 14_950)}`)).toMatchObject({
      sql: 'select id from people order by id limit 50 offset $1',
      params: [14_950],
    });
  });

  it('writes a list’s order keys, builder-made or written out, comma-separated in their order', () => {
    expect(render(sql`select id from people order by ${orderByKeys([desc(people.name), sql`${people.id} asc nulls last`])}${pageClause(50, 0)}`).sql).toBe(
      'select id from people order by "people"."name" desc, "people"."id" asc nulls last limit 50',
    );
  });

  it('refuses a limit that is not a whole number of rows, rather than write it into a statement', () => {
    for (const bad of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => limitClause(bad)).toThrow(RangeError);
    expect(render(sql`select 1 limit ${limitClause(0)}`).sql).toBe('select 1 limit 0');
  });
});

describe('a page read from the nearer end of its list', () => {
  it.each([
    // [offset, total, expected]: 50 a page
    [0, 40_200, { offset: 0, reversed: false, skip: 0 }], // the first page: nothing to step over either way
    [20_050, 40_200, { offset: 20_050, reversed: false, skip: 0 }], // 20,050 before and 20,100 after: from the start
    [20_100, 40_200, { offset: 20_050, reversed: true, skip: 0 }], // 20,100 before, 20,050 after: from the end
    [39_950, 40_200, { offset: 200, reversed: true, skip: 0 }], // page 800 of 804
    [40_150, 40_200, { offset: 0, reversed: true, skip: 0 }], // the last page, full
    [40_150, 40_180, { offset: 0, reversed: true, skip: 20 }], // the last page, 30 rows: the first 20 read belong to the page before
    [40_200, 40_200, { offset: 40_200, reversed: false, skip: 0 }], // past the end: the empty page, as asked
    [50, 60, { offset: 0, reversed: true, skip: 40 }], // the second page of two, 10 rows
  ])('offset %i of %i', (offset, total, expected) => {
    expect(pageFromNearerEnd({ limit: 50, offset }, total)).toEqual(expected);
  });
});

describe('pages read from the nearer end put together', () => {
  // A list read as a database would: `limit` rows after stepping over `offset`, in its order or reversed, handed
  // back in the list's order. Every page, wherever it is read from, must be the list's own slice.
  it.each([[0], [1], [49], [50], [51], [130], [150]])('a list of %i rows, 50 a page', async (length) => {
    const list = Array.from({ length }, (_, i) => i);
    const reads: PageFrom[] = [];
    const read = async (from: PageFrom) => {
      reads.push(from);
      const source = from.reversed ? [...list].reverse() : list;
      const rows = source.slice(from.offset, from.offset + 50);
      return from.reversed ? rows.reverse() : rows;
    };
    for (let offset = 0; offset <= length + 50; offset += 50) {
      const page = await readFromNearerEnd({ limit: 50, offset }, Promise.resolve(length), read);
      expect(page).toEqual({ rows: list.slice(offset, offset + 50), total: length });
    }
    // Past the middle, the read came from the end and stepped over fewer rows than the page's offset.
    if (length === 150) expect(reads.find((r) => r.reversed)).toEqual({ offset: 0, reversed: true, skip: 0 });
    if (length === 130) {
      expect(reads.filter((r) => r.reversed)).toEqual([
        { offset: 30, reversed: true, skip: 0 }, // rows 50–99: 50 before them, 30 after
        { offset: 0, reversed: true, skip: 20 }, // rows 100–129: the last 50 read, the first 20 of them dropped
      ]);
    }
  });
});
