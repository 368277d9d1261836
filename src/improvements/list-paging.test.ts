import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { listImprovements, type ImprovementFilters, type ImprovementSort } from './repository.ts';

const all = { kind: 'all' } as const;
const sorts: ImprovementSort['sort'][] = ['date', 'value', 'council', 'status'];
const filterSets: ImprovementFilters[] = [{}, { status: 'verified', cashable: 'cashable' }];

// A page's ids are chosen in one statement (which the value index, migration 0037, can answer by walking it) and
// then read by id: pages read one after another must be the whole list in its order, nothing repeated or left out,
// each row as the whole list reads it.
describe.each(backends)('improvements list pages (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  const pagesOf = async (filters: ImprovementFilters, sort: ImprovementSort, limit: number) => {
    const found = [];
    for (let offset = 0; ; offset += limit) {
      const { rows } = await listImprovements(t.db, all, filters, sort, { limit, offset });
      if (!rows.length) return found;
      found.push(...rows);
    }
  };

  it.each(filterSets.flatMap((filters) => sorts.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order, filters] as const))))(
    'by %s %s (filters %j), pages put together are the whole list in order',
    async (sort, order, filters) => {
      const whole = (await listImprovements(t.db, all, filters, { sort, order }, null)).rows;
      expect(whole.length).toBeGreaterThan(7);
      const paged = await pagesOf(filters, { sort, order }, 7);
      expect(paged.map((r) => r.id)).toEqual(whole.map((r) => r.id));
      // Read by id through the statement built once, each row as the whole list's (its learners, contracts, names).
      expect(paged).toEqual(whole);
    },
  );

  it('by value, largest first, those without a value last, ties newest first', async () => {
    const rows = (await listImprovements(t.db, all, {}, { sort: 'value', order: 'desc' }, null)).rows;
    const valued = rows.filter((r) => r.valuePence !== null);
    expect(valued.length).toBeGreaterThan(3);
    expect(rows.slice(0, valued.length)).toEqual(valued);
    for (let i = 1; i < valued.length; i++) {
      const [a, b] = [valued[i - 1], valued[i]];
      expect(a.valuePence! > b.valuePence! || (a.valuePence === b.valuePence && a.improvedOn >= b.improvedOn)).toBe(true);
    }
  });
});
