import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { listImprovements, type ImprovementFilters, type ImprovementSort } from './repository.ts';

const all = { kind: 'all' } as const;
const sorts: ImprovementSort['sort'][] = ['date', 'value', 'council', 'status'];
const filterSets: ImprovementFilters[] = [{}, { status: 'verified', cashable: 'cashable' }];

// A page's ids are chosen in one statement (which the value index, migration 0037, can answer by walking it) and
// then read by id: pages read one after another must be the whole list in its order, nothing repeated or left out.
describe.each(backends)('improvements list pages (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  const pagesOf = async (filters: ImprovementFilters, sort: ImprovementSort, limit: number) => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += limit) {
      const { rows } = await listImprovements(t.db, all, filters, sort, { limit, offset });
      if (!rows.length) return ids;
      ids.push(...rows.map((r) => r.id));
    }
  };

  it.each(filterSets.flatMap((filters) => sorts.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order, filters] as const))))(
    'by %s %s (filters %j), pages put together are the whole list in order',
    async (sort, order, filters) => {
      const whole = (await listImprovements(t.db, all, filters, { sort, order }, null)).rows;
      expect(whole.length).toBeGreaterThan(7);
      expect(await pagesOf(filters, { sort, order }, 7)).toEqual(whole.map((r) => r.id));
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
