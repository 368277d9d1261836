import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type Agent, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

type Who = 'admin' | 'partnerLp' | 'funder' | 'sro';
type Item = { id: string; fundId: string; fundName: string; lineId: string; lineName: string; lineKind: string; supplier: string; spentOn: string; amountPence: number; reference: string; version: number };
type Page = { data: Item[]; meta: { total: number; page: number; pageSize: number } };

/** GET /api/v1/spend: the spend across funds, with the page's filters, sort and query. */
describe.each(backends)('spend across funds API (%s)', (backend) => {
  let t: TestApp;
  let partnerPage: Agent;
  const tokens = {} as Record<Who, string>;
  let fundA: string;
  let fundB: string;
  let lineA: string;
  let lineB: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const count = async (where: ReturnType<typeof sql> = sql`true`) =>
    (await one<{ n: number }>(sql`select count(*)::int as n from fund_spend s join fund_budget_lines l on l.id = s.line_id join funds f on f.id = l.fund_id where ${where}`)).n;

  const api = (url: string, who: Who | null) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });
  const list = async (query: string, who: Who = 'admin') => {
    const res = await api(`/spend${query}`, who);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Page;
  };
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'spend test')).token;
    }
    partnerPage = await t.signIn('partnerLp');
    fundA = (await one<{ id: string }>(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('CCS', 'Aardvark fund', 100000000, '2024-04-01', '2026-03-31') returning id`)).id;
    fundB = (await one<{ id: string }>(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('DLUHC', 'Zebra fund', 100000000, '2024-04-01', '2026-03-31') returning id`)).id;
    lineA = (await one<{ id: string }>(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${fundA}, 'evaluation', 'Evaluation', 1000000) returning id`)).id;
    lineB = (await one<{ id: string }>(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${fundB}, 'networks', 'Networks', 1000000) returning id`)).id;
    // 130 items across the two funds, many on the same day with the same amount (ties the order must still settle).
    await t.db.execute(sql`insert into fund_spend (line_id, supplier, spent_on, amount_pence, reference)
      select case when n % 3 = 0 then ${lineB}::uuid else ${lineA}::uuid end,
             case when n % 10 = 0 then 'Acme Venues' else 'Evaluators Ltd' end,
             date '2025-01-01' + (n % 4), 1000 * (1 + n % 5), 'API-' || n
      from generate_series(1, 130) as n`);
  });
  afterAll(async () => t?.close());

  it('lists every fund’s spend, newest first, with its fund and line kind; 50 a page by default', async () => {
    const total = await count();
    const first = await list('');
    expect(first.meta).toEqual({ total, page: 1, pageSize: 50 });
    expect(first.data).toHaveLength(50);
    const dates = first.data.map((i) => i.spentOn);
    expect(dates).toEqual([...dates].sort().reverse());
    const item = (await list(`?fundId=${fundB}&pageSize=1`)).data[0];
    expect(item).toMatchObject({ fundId: fundB, fundName: 'Zebra fund', lineId: lineB, lineName: 'Networks', lineKind: 'networks', version: 1 });
    expect(item.reference).toMatch(/^API-\d+$/);
    // Partner staff read spend rows too.
    expect((await list('?pageSize=1', 'partnerLp')).meta.total).toBe(total);
  });

  it('pages give every item once, whatever the sort (ties included)', async () => {
    const total = await count();
    for (const [sort, order] of [['spentOn', 'desc'], ['amount', 'asc'], ['fund', 'asc'], ['supplier', 'desc']] as const) {
      const seen: Item[] = [];
      for (let page = 1; ; page++) {
        const { data, meta } = await list(`?sort=${sort}&order=${order}&pageSize=17&page=${page}`);
        expect(meta.total).toBe(total);
        seen.push(...data);
        if (data.length < 17) break;
      }
      const ids = seen.map((i) => i.id);
      expect(new Set(ids).size, sort).toBe(total);
      expect(ids, sort).toHaveLength(total);
      // In the order asked (names compared among this test's, whose order no collation changes).
      const key = (i: Item) => (sort === 'amount' ? i.amountPence : sort === 'fund' ? i.fundName : sort === 'supplier' ? i.supplier : i.spentOn);
      const ours = new Set(['Aardvark fund', 'Zebra fund', 'Acme Venues', 'Evaluators Ltd']);
      const keys = seen.map(key).filter((k) => sort === 'amount' || sort === 'spentOn' || ours.has(k as string));
      const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(keys, sort).toEqual(order === 'asc' ? sorted : sorted.reverse());
    }
  });

  it('filters by fund, kind of line, line, supplier or reference and dates, as the page does (the same query)', async () => {
    expect((await list(`?fundId=${fundA}`)).meta.total).toBe(await count(sql`f.id = ${fundA}`));
    expect((await list('?lineKind=networks')).meta.total).toBe(await count(sql`l.kind = 'networks'`));
    expect((await list(`?lineId=${lineA}`)).meta.total).toBe(await count(sql`s.line_id = ${lineA}`));
    const acme = await list('?q=acme&from=2025-01-02&to=2025-01-03');
    expect(acme.meta.total).toBe(await count(sql`s.supplier = 'Acme Venues' and s.spent_on between '2025-01-02' and '2025-01-03'`));
    expect(acme.meta.total).toBeGreaterThan(0);
    expect(acme.data.every((i) => i.supplier === 'Acme Venues' && i.spentOn >= '2025-01-02' && i.spentOn <= '2025-01-03')).toBe(true);
    expect((await list('?q=API-13')).data.map((i) => i.reference).sort()).toEqual(['API-13', 'API-130']);
    // The search is "contains", with % and _ taken literally: "API_13" is not "API-13" with a wildcard.
    expect((await list('?q=API_13')).meta.total).toBe(0);
    expect((await list('?q=%25')).meta.total).toBe(await count(sql`position('%' in s.supplier) > 0 or position('%' in s.reference) > 0`));
    // A fund with no spend, or one that does not exist, lists nothing.
    expect((await list('?fundId=00000000-0000-4000-8000-000000000000')).meta.total).toBe(0);
    expect((await list(`?fundId=${fundA}&lineKind=networks`)).meta.total).toBe(0);

    // The page's download, with the same filters, has the same items.
    const query = `fundId=${fundB}&lineKind=networks&q=evaluators&from=01/01/2025&to=2025-01-02`;
    const csv = await partnerPage.get(`${paths.fundingSpendExport('csv')}?${query}`);
    expect(csv.statusCode).toBe(200);
    const csvRows = csv.body.trim().split(/\r?\n/).slice(1);
    const viaApi = await list(`?fundId=${fundB}&lineKind=networks&q=evaluators&from=2025-01-01&to=2025-01-02&pageSize=500`);
    expect(viaApi.meta.total).toBeGreaterThan(0);
    expect(csvRows).toHaveLength(viaApi.meta.total);
    expect(csvRows.map((r) => r.split(',').at(-1)).sort()).toEqual(viaApi.data.map((i) => i.reference).sort());
  });

  it('refuses a bad filter, sort or page with 400 naming it', async () => {
    const bad: [string, string][] = [
      ['fundId=nope', 'fundId'],
      ['lineId=nope', 'lineId'],
      ['lineKind=catering', 'lineKind'],
      ['sort=cost', 'sort'],
      ['order=up', 'order'],
      ['from=2025-02-30', 'from'],
      ['to=31/1/2025', 'to'],
      ['from=2025-02-01&to=2025-01-01', 'to'],
      ['q=' + 'x'.repeat(201), 'q'],
      ['page=0', 'page'],
      ['pageSize=501', 'pageSize'],
    ];
    for (const [query, field] of bad) {
      const res = await api(`/spend?${query}`, 'admin');
      expectProblem(res, 400);
      expect(res.json().errors.map((e: { field: string }) => e.field), query).toContain(field);
    }
  });

  it('refuses funders and observers (they see the funds’ figures only) and council staff with 403, and no token with 401', async () => {
    expectProblem(await api('/spend', 'funder'), 403);
    expectProblem(await api('/spend', 'sro'), 403);
    expectProblem(await api('/spend', null), 401);
    // As the page does.
    expect((await (await t.signIn('funder')).get(paths.fundingSpend())).statusCode).toBe(403);
  });
});
