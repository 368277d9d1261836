import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'specialist' | 'sro' | 'lead' | 'funder';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('key contracts API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let sroCouncil: string;
  let otherCouncil: string;
  let leadId: string;
  let outsiderId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'specialist', 'sro', 'lead', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    otherCouncil = (await one<{ id: string }>(sql`select council_id as id from contracts where council_id <> ${sroCouncil} limit 1`)).id;
    leadId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.lead.email}`)).id;
    outsiderId = (await one<{ id: string }>(sql`select id from people where organisation_id = ${otherCouncil} limit 1`)).id;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, who: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };
  const body = (extra: object = {}) => ({
    councilId: sroCouncil,
    name: 'API contract',
    supplier: 'Api Ltd',
    annualValue: '1250000.50',
    totalValue: 5_000_000.01,
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    tier: 'gold',
    managerId: leadId,
    hasPlan: false,
    ...extra,
  });

  it('lists the contracts in scope with their KPIs and flags, filtered', async () => {
    const own = await api('GET', '/contracts?pageSize=100', 'sro');
    expect(own.statusCode, own.body).toBe(200);
    const list = own.json() as { data: { councilId: string; name: string; flags: { procurementAct: boolean; assessmentOverdue: boolean }; kpis: unknown[] }[]; meta: { total: number } };
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((c) => c.councilId === sroCouncil)).toBe(true);
    const highways = list.data.find((c) => c.name === 'Highways maintenance')!;
    expect(highways.flags).toMatchObject({ procurementAct: true, assessmentOverdue: true });
    expect(highways.kpis).toHaveLength(3);
    const reprocure = (await api('GET', '/contracts?flag=reprocure&pageSize=100', 'sro')).json() as { data: { name: string }[] };
    expect(reprocure.data.map((c) => c.name)).toContain('Office stationery');
    expect(reprocure.data.map((c) => c.name)).not.toContain('Waste collection and recycling');
    expectProblem(await api('GET', '/contracts?flag=soon', 'sro'), 400);
    expectProblem(await api('GET', '/contracts', 'funder'), 403);
    const all = (await api('GET', '/contracts', 'admin')).json() as { meta: { total: number } };
    expect(all.meta.total).toBeGreaterThan(list.meta.total);
  });

  it('creates and updates a contract in pounds, answering in pence, refusing bad input, other councils and stale versions', async () => {
    const created = await api('POST', '/contracts', 'sro', body());
    expect(created.statusCode, created.body).toBe(201);
    const c = created.json() as { id: string; annualValuePence: number; totalValuePence: number; version: number; flags: { procurementAct: boolean; nextAssessmentDue: string | null; assessmentOverdue: boolean } };
    expect(c.annualValuePence).toBe(125_000_050);
    expect(c.totalValuePence).toBe(500_000_001);
    expect(c.flags).toMatchObject({ procurementAct: true, nextAssessmentDue: null, assessmentOverdue: true });
    expect(created.headers.location).toBe(`/api/v1/contracts/${c.id}`);

    const bad = await api('POST', '/contracts', 'sro', body({ annualValue: -1, totalValue: '1.999', tier: 'platinum', endDate: '2025-01-01' }));
    expectProblem(bad, 422);
    const fields = (bad.json() as { errors: { field: string; message: string }[] }).errors;
    expect(fields).toEqual(expect.arrayContaining([
      { field: 'annualValue', message: 'Annual value must be £0 or more' },
      { field: 'totalValue', message: 'Total value must not have more than 2 decimal places' },
    ]));
    const order = await api('POST', '/contracts', 'sro', body({ name: 'Order', endDate: '2025-01-01' }));
    expectProblem(order, 422);
    expect(order.body).toContain('End date must be the same as or after the start date');
    const foreignManager = await api('POST', '/contracts', 'sro', body({ name: 'Foreign', managerId: outsiderId }));
    expectProblem(foreignManager, 422);
    expect(foreignManager.body).toContain('Select a contract manager from');
    expectProblem(await api('POST', '/contracts', 'sro', body({ councilId: otherCouncil })), 422);
    expectProblem(await api('POST', '/contracts', 'sro', body()), 409);
    expectProblem(await api('POST', '/contracts', 'specialist', body({ name: 'Specialist' })), 403);

    const updated = await api('PUT', `/contracts/${c.id}`, 'lead', { ...body({ totalValue: 4_000_000 }), version: c.version });
    expect(updated.statusCode, updated.body).toBe(200);
    expect((updated.json() as { flags: { procurementAct: boolean }; version: number }).flags.procurementAct).toBe(false);
    expectProblem(await api('PUT', `/contracts/${c.id}`, 'sro', { ...body(), version: c.version }), 409);
    expectProblem(await api('PUT', `/contracts/${c.id}`, 'sro', { ...body(), totalValue: 'many', version: c.version + 1 }), 422);

    const theirs = (await one<{ id: string }>(sql`select id from contracts where council_id = ${otherCouncil} limit 1`)).id;
    expectProblem(await api('GET', `/contracts/${theirs}`, 'sro'), 404);
    expectProblem(await api('PUT', `/contracts/${theirs}`, 'sro', { ...body(), version: 1 }), 404);
    expect((await api('GET', `/contracts/${c.id}`, 'specialist')).statusCode).toBe(200);
    expectProblem(await api('PUT', `/contracts/${c.id}`, 'specialist', { ...body(), version: 2 }), 404);
  });

  it('creates one contract when the same one is sent twice at once, answering the other with 409 and auditing one', async () => {
    const same = body({ name: 'Twice at once', supplier: 'Race Ltd' });
    const answers = await Promise.all([api('POST', '/contracts', 'sro', same), api('POST', '/contracts', 'lead', { ...same, name: 'TWICE AT ONCE' })]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    expectProblem(answers.find((a) => a.statusCode === 409)!, 409);
    const rows = await queryRows<{ id: string }>(t.db, sql`select id from contracts where council_id = ${sroCouncil} and lower(name) = 'twice at once'`);
    expect(rows).toHaveLength(1);
    const audited = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_events where record_id = ${rows[0].id}`);
    expect(audited[0].n).toBe(1);
  });

  it('adds, changes, assesses and deletes a KPI, refusing bad input, stale versions, other councils and roles', async () => {
    type Kpi = { id: string; name: string; rating: string | null; assessedOn: string | null; version: number };
    type Contract = { id: string; kpis: Kpi[]; flags: { tooFewKpis: boolean; nextAssessmentDue: string | null } };
    const c = (await api('POST', '/contracts', 'sro', body({ name: 'KPI API contract' }))).json() as Contract;
    const added = await api('POST', `/contracts/${c.id}/kpis`, 'lead', { name: 'Calls answered', target: '90% within a minute' });
    expect(added.statusCode, added.body).toBe(201);
    const kpi = (added.json() as Contract).kpis.find((k) => k.name === 'Calls answered')!;
    expect(kpi).toMatchObject({ rating: null, assessedOn: null });
    expectProblem(await api('POST', `/contracts/${c.id}/kpis`, 'sro', { name: '', target: 'x' }), 422);
    expect((await api('POST', `/contracts/${c.id}/kpis`, 'sro', { target: 'x' })).body).toContain('name');

    const changed = await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}`, 'sro', { name: 'Calls answered quickly', target: '90%', version: kpi.version });
    expect(changed.statusCode, changed.body).toBe(200);
    expectProblem(await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}`, 'sro', { name: 'Stale', target: '90%', version: kpi.version }), 409);

    const assessed = await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}/assessment`, 'sro', { rating: 'good', assessedOn: '2026-11-20', note: 'On target', version: kpi.version + 1 });
    expect(assessed.statusCode, assessed.body).toBe(200);
    const after = assessed.json() as Contract;
    expect(after.kpis[0]).toMatchObject({ rating: 'good', assessedOn: '2026-11-20', version: kpi.version + 2 });
    expect(after.flags.nextAssessmentDue).toBe('2027-11-20');
    // An assessment over the version read before that one is stale: refused, nothing written.
    const storedKpi = () => one<{ rating: string; assessedOn: string; note: string; version: number }>(sql`select rating, to_char(assessed_on, 'YYYY-MM-DD') as "assessedOn", note, version from contract_kpis where id = ${kpi.id}`);
    const auditCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;
    const [kpiBefore, auditsBefore] = [await storedKpi(), await auditCount()];
    expectProblem(await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}/assessment`, 'sro', { rating: 'inadequate', assessedOn: '2026-11-25', note: 'Stale', version: kpi.version + 1 }), 409);
    expect(await storedKpi()).toEqual(kpiBefore);
    expect(await auditCount()).toBe(auditsBefore);
    expectProblem(await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}/assessment`, 'sro', { rating: 'good', assessedOn: '2026-12-01', version: kpi.version + 2 }), 422);
    expectProblem(await api('PUT', `/contracts/${c.id}/kpis/${kpi.id}/assessment`, 'sro', { rating: 'great', assessedOn: '2026-11-20', version: kpi.version + 2 }), 422);

    // Other roles and councils: a specialist reads but may not write; another council's contract is not found.
    expectProblem(await api('DELETE', `/contracts/${c.id}/kpis/${kpi.id}`, 'specialist'), 404);
    const theirs = await one<{ id: string; kpiId: string }>(sql`select c.id, k.id as "kpiId" from contracts c join contract_kpis k on k.contract_id = c.id where c.council_id = ${otherCouncil} limit 1`);
    expectProblem(await api('DELETE', `/contracts/${theirs.id}/kpis/${theirs.kpiId}`, 'sro'), 404);
    expectProblem(await api('POST', `/contracts/${theirs.id}/kpis`, 'sro', { name: 'Not mine', target: 'x' }), 404);
    // A KPI of another contract, through this one, is not found.
    expectProblem(await api('DELETE', `/contracts/${c.id}/kpis/${theirs.kpiId}`, 'admin'), 404);

    expectProblem(await api('DELETE', `/contracts/${c.id}/kpis/${kpi.id}?version=${kpi.version}`, 'sro'), 409);
    const deleted = await api('DELETE', `/contracts/${c.id}/kpis/${kpi.id}?version=${kpi.version + 2}`, 'sro');
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect((deleted.json() as Contract).kpis).toEqual([]);
    expectProblem(await api('DELETE', `/contracts/${c.id}/kpis/${kpi.id}`, 'sro'), 404);
    const audits = await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${c.id} and action like 'contract.kpi_%' order by id`);
    expect(audits.map((a) => a.action)).toEqual(['contract.kpi_added', 'contract.kpi_changed', 'contract.kpi_assessed', 'contract.kpi_deleted']);
    expect((await one<{ n: number }>(sql`select count(*)::int as n from contract_kpis where contract_id = ${theirs.id} and id = ${theirs.kpiId}`)).n).toBe(1);
  });
});
