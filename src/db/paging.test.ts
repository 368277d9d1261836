import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { limitClause, pageClause } from './paging.ts';

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

  it('refuses a limit that is not a whole number of rows, rather than write it into a statement', () => {
    for (const bad of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => limitClause(bad)).toThrow(RangeError);
    expect(render(sql`select 1 limit ${limitClause(0)}`).sql).toBe('select 1 limit 0');
  });
});
