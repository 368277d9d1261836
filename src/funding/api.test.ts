import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'partnerLp' | 'funder' | 'sro';

describe.each(backends)('funding API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let fundId: string;
  let lineId: string;
  let otherFundLine: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    fundId = (await one<{ id: string }>(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('CCS', 'API fund', 200000000, '2023-10-01', '2026-04-30') returning id`)).id;
    lineId = (await one<{ id: string }>(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${fundId}, 'evaluation', 'Evaluation', 1000000) returning id`)).id;
    const other = (await one<{ id: string }>(sql`insert into funds (source, name, amount_pence, start_date, end_date) values ('DLUHC', 'Other API fund', 100, '2023-10-01', '2026-04-30') returning id`)).id;
    otherFundLine = (await one<{ id: string }>(sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence) values (${other}, 'networks', 'Networks', 100) returning id`)).id;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, who: Who | null, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };
  const spend = (extra: object = {}) => ({ supplier: 'Evaluators Ltd', spentOn: '2024-01-31', lineId, amount: '1234.56', reference: '', ...extra });

  it('records spend (201) in pence and the fund’s figures add it up to the penny', async () => {
    expectProblem(await api('POST', `/funds/${fundId}/spend`, null, spend()), 401);
    const first = await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ reference: 'INV-1' }));
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ supplier: 'Evaluators Ltd', spentOn: '2024-01-31', amountPence: 123456, reference: 'INV-1', lineName: 'Evaluation', version: 1 });
    expect((await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ amount: 0.1 }))).statusCode).toBe(201);
    expect((await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ amount: '0.20' }))).statusCode).toBe(201);

    const fund = await api('GET', `/funds/${fundId}`, 'funder');
    expect(fund.statusCode, fund.body).toBe(200);
    expect(fund.json().totals.spentPence).toBe(123486);
    expect(fund.json().lines).toEqual([expect.objectContaining({ name: 'Evaluation', kind: 'evaluation', budgetPence: 1000000, spentPence: 123486, committedPence: 123486, remainingPence: 876514 })]);
    const list = await api('GET', '/funds', 'funder');
    expect(list.json().data.find((f: { id: string }) => f.id === fundId)).toMatchObject({ name: 'API fund', amountPence: 200000000, totals: { spentPence: 123486 } });
  });

  it('refuses bad spend with 422 naming the field, a repeated reference with 409, and writes nothing', async () => {
    const count = async () => (await one<{ n: number }>(sql`select count(*)::int as n from fund_spend where line_id = ${lineId}`)).n;
    await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ reference: 'DUP-1' }));
    const before = await count();
    const cases: [object, string, string][] = [
      [{ amount: -5 }, 'amount', 'Amount must be £0 or more'],
      [{ amount: 'lots' }, 'amount', 'Amount must be an amount of money in pounds'],
      [{ amount: '1.001' }, 'amount', 'Amount must not have more than 2 decimal places'],
      [{ amount: 0 }, 'amount', 'Amount must be more than £0'],
      [{ spentOn: '2026-05-01' }, 'spentOn', 'Date must be within the fund'],
      [{ lineId: otherFundLine }, 'lineId', 'Select a budget line of this fund'],
      [{ supplier: '' }, 'supplier', 'Enter the supplier'],
    ];
    for (const [extra, field, message] of cases) {
      const res = await api('POST', `/funds/${fundId}/spend`, 'admin', spend(extra));
      expectProblem(res, 422);
      expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringContaining(message) })]));
    }
    const dup = await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ reference: 'dup-1' }));
    expectProblem(dup, 409);
    expect(await count()).toBe(before);
  });

  it('shows spend rows to admins and partners, 403 to funders, 404 to councils and for unknown funds', async () => {
    await api('POST', `/funds/${fundId}/spend`, 'admin', spend({ supplier: 'Acme Venues', spentOn: '2025-06-15', amount: 99.99, reference: 'ACME-1' }));
    const rows = await api('GET', `/funds/${fundId}/spend?q=acme&from=2025-06-01&to=2025-06-30&lineId=${lineId}`, 'partnerLp');
    expect(rows.statusCode, rows.body).toBe(200);
    expect(rows.json()).toMatchObject({ data: [{ supplier: 'Acme Venues', amountPence: 9999, reference: 'ACME-1' }], meta: { total: 1, page: 1, pageSize: 50 } });
    expect((await api('GET', `/funds/${fundId}/spend`, 'admin')).json().meta.total).toBeGreaterThan(1);
    const funder = await api('GET', `/funds/${fundId}/spend`, 'funder');
    expectProblem(funder, 403);
    expect(funder.json().detail).toContain('figures, not its spend rows');
    expectProblem(await api('GET', `/funds/${fundId}/spend`, 'sro'), 404);
    expectProblem(await api('GET', '/funds', 'sro'), 403);
    expectProblem(await api('GET', `/funds/${fundId}`, 'sro'), 404);
    expectProblem(await api('POST', `/funds/${fundId}/spend`, 'partnerLp', spend()), 404);
    expectProblem(await api('POST', `/funds/${fundId}/spend`, 'funder', spend()), 404);
    expectProblem(await api('GET', '/funds/00000000-0000-4000-8000-000000000000', 'admin'), 404);
    expectProblem(await api('GET', '/funds/00000000-0000-4000-8000-000000000000/spend', 'funder'), 404);
    expectProblem(await api('GET', `/funds/${fundId}/spend?from=2025-02-30`, 'admin'), 400);
    expectProblem(await api('GET', `/funds/${fundId}/spend?from=2025-06-01&to=2025-01-01`, 'admin'), 400);
  });
});
