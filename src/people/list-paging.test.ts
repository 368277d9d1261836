import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, rowsOf, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { exportPeople, listPeople, type PeopleFilters, type PersonRow } from './repository.ts';

const all = { kind: 'all' } as const;
const sorts: PeopleFilters['sort'][] = ['name', 'email', 'organisation', 'status'];

// A page's ids are chosen from the people table alone and then joined to their organisations: the pages, read one
// after another, must be the whole list in the export's order (one query), nothing repeated or left out, each
// carrying the whole count.
describe.each(backends)('people list pages (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  const pagesOf = async (filters: PeopleFilters, pageSize: number) => {
    const ids: string[] = [];
    let total = -1;
    for (let page = 1; ; page++) {
      const found = await listPeople(t.db, all, filters, { page, pageSize });
      if (!found.rows.length) return { ids, total: found.total, lastTotal: total };
      total = found.total;
      ids.push(...found.rows.map((r) => r.id));
    }
  };

  const wholeList = async (filters: PeopleFilters) => {
    return (await rowsOf(await exportPeople(t.db, all, filters))).map((row) => row.id);
  };

  it.each(sorts.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'by %s %s, pages put together are the whole list in order',
    async (sort, order) => {
      const filters: PeopleFilters = { sort, order };
      const whole = await wholeList(filters);
      expect(whole.length).toBeGreaterThan(50);
      const paged = await pagesOf(filters, 13);
      expect(paged.ids).toEqual(whole);
      expect(paged.total).toBe(whole.length);
      expect(paged.lastTotal).toBe(whole.length);
    },
  );

  it('a council sees only its own people on every page, those read from the list\'s end included', async () => {
    const [council] = await queryRows<{ id: string; n: number }>(
      t.db,
      sql`select organisation_id as id, count(*)::int as n from people group by organisation_id order by 2 desc, 1 limit 1`,
    );
    expect(council.n).toBeGreaterThan(4);
    const own = { kind: 'inCouncils', councils: { kind: 'own', councilId: council.id } } as const;
    const filters: PeopleFilters = { sort: 'status', order: 'desc' };
    const ids: string[] = [];
    for (let page = 1; ; page++) {
      const found = await listPeople(t.db, own, filters, { page, pageSize: 2 });
      expect(found.total).toBe(council.n);
      if (!found.rows.length) break;
      expect(found.rows.every((r) => r.organisationId === council.id)).toBe(true);
      ids.push(...found.rows.map((r) => r.id));
    }
    expect(ids).toEqual((await rowsOf(await exportPeople(t.db, own, filters))).map((r) => r.id));
  });

  it('downloads each person as the list shows them', async () => {
    const filters: PeopleFilters = { sort: 'organisation', order: 'desc' };
    const rows = await rowsOf(await exportPeople(t.db, all, filters, 7));
    expect(rows).toEqual((await listPeople(t.db, all, filters, { page: 1, pageSize: 100_000 })).rows);
    expect(rows.some((r) => r.jobTitle)).toBe(true);
    expect(new Set(rows.map((r) => r.hasPassword))).toEqual(new Set([true, false]));
  });

  it('downloads each person once, in the order fixed when it began, leaving out one who stopped matching meanwhile', async () => {
    const filters: PeopleFilters = { sort: 'name', order: 'asc', status: 'active' };
    const before = await wholeList(filters);
    expect(before.length).toBeGreaterThan(50);
    const [stopped, renamed] = [before[40], before[45]];
    const [{ name: formerName }] = await queryRows<{ name: string }>(t.db, sql`select name from people where id = ${renamed}::uuid`);
    const download = (await exportPeople(t.db, all, filters, 7)).batches[Symbol.asyncIterator]();
    const got: PersonRow[] = [...((await download.next()).value ?? [])];
    // Batches 1 and 2 are already asked for; rows 40 and 45 are in batches 5 and 6, read after these changes.
    await queryRows(t.db, sql`update people set status = 'deactivated' where id = ${stopped}::uuid`);
    await queryRows(t.db, sql`update people set name = 'Aaron Moved-Since' where id = ${renamed}::uuid`);
    for (let next = await download.next(); !next.done; next = await download.next()) got.push(...next.value);
    expect(got.map((r) => r.id)).toEqual(before.filter((id) => id !== stopped));
    expect(got.find((r) => r.id === renamed)?.name).toBe('Aaron Moved-Since');
    await queryRows(t.db, sql`update people set status = 'active' where id = ${stopped}::uuid`);
    await queryRows(t.db, sql`update people set name = ${formerName} where id = ${renamed}::uuid`);
  });

  it('sorts by name whatever the case, and a search narrows the pages and their count alike', async () => {
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from people where email ilike '%demo-council%'`);
    const filters: PeopleFilters = { sort: 'name', order: 'asc', q: 'demo-council' };
    const paged = await pagesOf(filters, 2);
    expect(paged.total).toBe(n);
    expect(paged.ids).toEqual(await wholeList(filters));
    const names = (await listPeople(t.db, all, { sort: 'name', order: 'asc' }, { page: 1, pageSize: 500 })).rows.map((r) => r.name.toLowerCase());
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});
