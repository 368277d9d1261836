import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'specialist' | 'sro' | 'lead' | 'funder';

describe.each(backends)('improvements API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let sroCouncil: string;
  let ownLearner: string;
  let otherLearner: string;
  let counter = 0;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'specialist', 'sro', 'lead', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    ownLearner = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.learner.email}`)).id;
    otherLearner = (await one<{ id: string }>(sql`select id from people where organisation_id <> ${sroCouncil} and 'learner' = any(roles) order by email limit 1`)).id;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, who: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };
  const body = (extra: object = {}) => ({ type: 'cost_avoidance', description: `Refused an increase (${++counter})`, date: '2026-10-15', valueKind: 'non_cashable', value: 3000.25, learnerIds: [ownLearner], ...extra });
  type Improvement = { id: string; status: string; valuePence: number | null; cashable: boolean | null; version: number; learnerIds: string[]; evidence: { title: string }[] };
  const create = async (extra: object = {}) => {
    const res = await api('POST', '/improvements', 'sro', body(extra));
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Improvement;
  };

  it('records (201) in pence, gets and lists with filters; refuses malformed input with 422 naming fields', async () => {
    const i = await create();
    expect(i).toMatchObject({ status: 'submitted', valuePence: 300025, cashable: false, version: 1, learnerIds: [ownLearner] });
    expect((await api('GET', `/improvements/${i.id}`, 'specialist')).json()).toMatchObject({ id: i.id });
    const list = await api('GET', `/improvements?councilId=${sroCouncil}&type=cost_avoidance&status=submitted&cashable=non_cashable&q=${encodeURIComponent('Refused an increase')}`, 'lead');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data.map((x: { id: string }) => x.id)).toContain(i.id);
    expectProblem(await api('GET', '/improvements?status=done', 'admin'), 400);

    const bad = await api('POST', '/improvements', 'sro', { type: 'x', description: '', date: '2026-12-01', valueKind: 'cashable', value: '12.345', learnerIds: ['nope'] });
    expectProblem(bad, 422);
    expect(bad.json().errors.map((x: { field: string }) => x.field)).toEqual(expect.arrayContaining(['type', 'description', 'value']));
    const negative = await api('POST', '/improvements', 'sro', body({ value: -10 }));
    expectProblem(negative, 422);
    expect(negative.json().errors).toEqual([{ field: 'value', message: 'Financial value must be £0.01 or more' }]);
    expectProblem(await api('POST', '/improvements', 'sro', body({ date: '2026-11-27' })), 422);
    const outsider = await api('POST', '/improvements', 'sro', body({ learnerIds: [otherLearner] }));
    expectProblem(outsider, 422);
    expect(outsider.json().errors).toEqual([{ field: 'learnerIds', message: 'Select learners of the council from the list' }]);
  });

  it('refuses a duplicate with 409 and a recording by anyone but council staff with 403', async () => {
    const same = body({ description: 'The same thing twice' });
    expect((await api('POST', '/improvements', 'sro', same)).statusCode).toBe(201);
    expectProblem(await api('POST', '/improvements', 'lead', same), 409);
    expectProblem(await api('POST', '/improvements', 'admin', body()), 403);
    expectProblem(await api('POST', '/improvements', 'specialist', body()), 403);
    expectProblem(await api('GET', '/improvements', 'funder'), 403);
  });

  it('verifies or queries (the specialist), resubmits (the council), and refuses stale or final changes with 409', async () => {
    const i = await create();
    expectProblem(await api('POST', `/improvements/${i.id}/review`, 'sro', { decision: 'verified' }), 403);
    expectProblem(await api('POST', `/improvements/${i.id}/review`, 'specialist', { decision: 'queried' }), 422);
    const queried = await api('POST', `/improvements/${i.id}/review`, 'specialist', { decision: 'queried', note: 'Which contract?', version: 1 });
    expect(queried.json()).toMatchObject({ status: 'queried', reviewNote: 'Which contract?', version: 2 });
    expectProblem(await api('POST', `/improvements/${i.id}/review`, 'admin', { decision: 'verified', version: 2 }), 409);
    expectProblem(await api('PUT', `/improvements/${i.id}`, 'specialist', body()), 403);
    expectProblem(await api('PUT', `/improvements/${i.id}`, 'sro', body({ version: 1 })), 409);
    const resubmitted = await api('PUT', `/improvements/${i.id}`, 'sro', body({ valueKind: 'none', value: null, version: 2 }));
    expect(resubmitted.json()).toMatchObject({ status: 'submitted', valuePence: null, cashable: null, version: 3 });
    const evidence = await api('POST', `/improvements/${i.id}/evidence`, 'lead', { title: 'The contract', url: 'https://example.org/contract' });
    expect(evidence.statusCode, evidence.body).toBe(201);
    expect((evidence.json() as Improvement).evidence).toEqual([expect.objectContaining({ title: 'The contract' })]);
    // A list page carries each improvement's own evidence (read for the whole page at once), as the single GET does.
    const page = (await api('GET', `/improvements?councilId=${sroCouncil}&pageSize=100`, 'lead')).json().data as Improvement[];
    const own = await one<{ n: number }>(sql`select count(*)::int as n from improvement_evidence ev join improvements i on i.id = ev.improvement_id where i.council_id = ${sroCouncil}`);
    expect(page.find((x) => x.id === i.id)?.evidence).toEqual([expect.objectContaining({ title: 'The contract' })]);
    expect(page.reduce((n, x) => n + x.evidence.length, 0)).toBe(own.n);
    for (const x of page.slice(0, 5)) expect((await api('GET', `/improvements/${x.id}`, 'lead')).json().evidence).toEqual(x.evidence);
    // A decision over the version read before the resubmission: refused as stale (the improvement is submitted again).
    const staleReview = await api('POST', `/improvements/${i.id}/review`, 'admin', { decision: 'verified', version: 2 });
    expectProblem(staleReview, 409);
    expect(staleReview.json()).toMatchObject({ status: 409, detail: expect.stringContaining('Someone else changed this improvement') });
    expect((await api('GET', `/improvements/${i.id}`, 'admin')).json()).toMatchObject({ status: 'submitted', version: 3 });
    const verified = await api('POST', `/improvements/${i.id}/review`, 'admin', { decision: 'verified', version: 3 });
    expect(verified.json()).toMatchObject({ status: 'verified' });
    expectProblem(await api('PUT', `/improvements/${i.id}`, 'sro', body({ version: 4 })), 409);
  });

  it('answers 404 for an improvement outside the caller’s councils', async () => {
    const other = (await one<{ id: string }>(sql`select id from improvements where council_id <> ${sroCouncil}
      and council_id not in (select council_id from specialist_assignments a join people p on p.id = a.person_id where p.email = ${demoAccounts.specialist.email}) limit 1`)).id;
    expectProblem(await api('GET', `/improvements/${other}`, 'sro'), 404);
    expectProblem(await api('POST', `/improvements/${other}/review`, 'specialist', { decision: 'verified' }), 404);
    expectProblem(await api('PUT', `/improvements/${other}`, 'lead', body()), 404);
    expect((await api('GET', `/improvements/${other}`, 'admin')).statusCode).toBe(200);
  });
});
