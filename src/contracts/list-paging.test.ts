import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { listKpis, type ContractSort } from './repository.ts';
import { listContracts } from './service.ts';

const sorts: ContractSort['sort'][] = ['name', 'supplier', 'totalValue', 'endDate', 'tier'];

// A page's ids are chosen by the filters, sort and scope, then its rows (and their KPIs) are read by id through
// statements built once: pages read one after another must be the whole list, row for row, and nothing outside scope.
describe.each(backends)('key contracts list pages (%s)', (backend) => {
  let t: TestApp;
  let councilId: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    [{ councilId }] = await queryRows<{ councilId: string }>(
      t.db,
      sql`select council_id as "councilId" from contracts group by council_id order by count(*) desc, council_id limit 1`,
    );
  });
  afterAll(async () => t?.close());

  const pagesOf = async (scope: CouncilScope, sort: ContractSort, pageSize: number) => {
    const rows = [];
    for (let page = 1; ; page++) {
      const found = await listContracts(t.db, { clock: t.clock }, scope, {}, sort, { page, pageSize });
      if (!found.rows.length) return rows;
      rows.push(...found.rows);
    }
  };

  it.each(sorts.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'by %s %s, pages put together are the whole list in order, every field the same',
    async (sort, order) => {
      const whole = (await listContracts(t.db, { clock: t.clock }, { kind: 'all' }, {}, { sort, order }, null)).rows;
      expect(whole.length).toBeGreaterThan(7);
      expect(await pagesOf({ kind: 'all' }, { sort, order }, 7)).toEqual(whole);
    },
  );

  it('pages of one council’s scope hold only its contracts, all of them', async () => {
    const own = await pagesOf({ kind: 'own', councilId }, { sort: 'name', order: 'asc' }, 2);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from contracts where council_id = ${councilId}`);
    expect(own.length).toBe(n);
    expect(n).toBeGreaterThan(2);
    expect(own.every((c) => c.councilId === councilId)).toBe(true);
  });

  it('reads the KPIs of several contracts at once as it reads each alone, in the order they were added', async () => {
    const ids = (await queryRows<{ id: string }>(t.db, sql`select distinct contract_id as id from contract_kpis order by contract_id limit 5`)).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(1);
    const together = await listKpis(t.db, ids);
    const alone = (await Promise.all(ids.map((id) => listKpis(t.db, [id])))).flat();
    expect([...together].sort((a, b) => a.id.localeCompare(b.id))).toEqual([...alone].sort((a, b) => a.id.localeCompare(b.id)));
    const inOrder = await queryRows<{ id: string }>(t.db, sql`select id from contract_kpis where contract_id in ${ids} order by created_at, id`);
    expect(together.map((k) => k.id)).toEqual(inOrder.map((k) => k.id));
    expect(await listKpis(t.db, [])).toEqual([]);
  });
});
