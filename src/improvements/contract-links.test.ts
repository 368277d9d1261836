import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';

/** Improvements point at the council's key contracts (docs/improvements.md, docs/contracts.md). */
describe.each(backends)('improvements and key contracts (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let sro: Agent;
  let sroCouncil: string;
  let highways: string;
  let waste: string;
  let otherCouncilContract: string;
  let sroToken: string;
  let counter = 0;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, sro] = await Promise.all(['admin', 'sro'].map((who) => t.signIn(who)));
    const person = await one<{ id: string; council: string }>(sql`select id, organisation_id as council from people where email = ${demoAccounts.sro.email}`);
    sroCouncil = person.council;
    sroToken = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    highways = (await one<{ id: string }>(sql`select id from contracts where council_id = ${sroCouncil} and name = 'Highways maintenance'`)).id;
    waste = (await one<{ id: string }>(sql`select id from contracts where council_id = ${sroCouncil} and name = 'Waste collection and recycling'`)).id;
    otherCouncilContract = (await one<{ id: string }>(sql`select id from contracts where council_id <> ${sroCouncil} order by name limit 1`)).id;
  });
  afterAll(async () => t?.close());

  const form = (extra: Record<string, string | string[]> = {}) => ({
    type: 'kpis',
    description: `KPIs agreed with the supplier (${++counter})`,
    ...dateFields('date', '2', '11', '2026'),
    valueKind: 'none',
    value: '',
    ...extra,
  });
  const linkCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from improvement_contracts`)).n;

  it('records an improvement about two contracts: both listed with links on its page, it on theirs, and the audit names them', async () => {
    const res = await sro.submit(paths.improvementNew(), form({ contractIds: [highways, waste] }));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    const id = /\/improvements\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
    const page = await sro.get(paths.improvement(id));
    expect(page.body).toContain(`<a class="govuk-link" href="${paths.contract(highways)}">Highways maintenance</a>`);
    expect(page.body).toContain(`<a class="govuk-link" href="${paths.contract(waste)}">Waste collection and recycling</a>`);
    const contractPage = await sro.get(paths.contract(highways));
    expect(contractPage.body).toContain(`href="${paths.improvement(id)}"`);
    expect(contractPage.body).toMatch(/KPIs introduced: KPIs agreed with the supplier \(\d+\)/);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('about the key contracts “Highways maintenance” and “Waste collection and recycling”');

    // The edit form shows them ticked; dropping one says so in the audit log.
    const edit = await sro.get(`/improvements/${id}/edit`);
    expect(edit.body).toMatch(new RegExp(`value="${highways}" checked`));
    const changed = await sro.submit(`/improvements/${id}/edit`, form({ description: `Still about highways (${++counter})`, contractIds: [highways], version: '1' }));
    expect(changed.statusCode, errorSummary(changed.body)).toBe(302);
    expect((await admin.get(paths.audit())).body).toContain('the key contracts from “Highways maintenance” and “Waste collection and recycling” to “Highways maintenance”');
    expect((await sro.get(paths.contract(waste))).body).not.toContain(`href="${paths.improvement(id)}"`);
  });

  it('refuses another council’s contract, or anything not a contract, with the message beside the boxes, and writes nothing', async () => {
    const before = await linkCount();
    for (const contractIds of [[otherCouncilContract], [highways, otherCouncilContract], ['not-a-contract']]) {
      const res = await sro.submit(paths.improvementNew(), form({ contractIds }));
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Select contracts of the council from the list');
      expect(res.body).toContain('id="contractIds-error"');
    }
    expect(await linkCount()).toBe(before);
  });

  it('refuses to delete a contract that improvements point at, saying which, and keeps it', async () => {
    const res = await sro.submit(paths.improvementNew(), form({ contractIds: [waste] }));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    const confirm = await sro.get(paths.contractDelete(waste));
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('You cannot delete Waste collection and recycling yet');
    expect(confirm.body).toContain('This contract cannot be deleted because 1 improvement points at it');
    expect(confirm.body).not.toContain('Delete contract');
    const version = (await one<{ version: number }>(sql`select version from contracts where id = ${waste}`)).version;
    const refused = await sro.submit(paths.contractDelete(waste), { version: String(version) });
    expect(refused.statusCode).toBe(409);
    expect(errorSummary(refused.body)).toContain('a verified improvement keeps its contracts');
    expect((await one<{ n: number }>(sql`select count(*)::int as n from contracts where id = ${waste}`)).n).toBe(1);
  });

  it('takes and answers contractIds over the API; another council’s contract is a 422 naming the field', async () => {
    const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
      t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${sroToken}` }, ...(payload ? { payload } : {}) });
    const body = (contractIds: string[]) => ({ type: 'kpis', description: `API improvement (${++counter})`, date: '2026-10-01', valueKind: 'none', contractIds });
    const created = await api('POST', '/improvements', body([waste, highways]));
    expect(created.statusCode, created.body).toBe(201);
    const i = created.json() as { id: string; version: number; contractIds: string[] };
    expect(i.contractIds).toEqual([highways, waste].sort());
    expect((await api('GET', `/improvements/${i.id}`)).json()).toMatchObject({ contractIds: [highways, waste].sort() });
    const refused = await api('PUT', `/improvements/${i.id}`, { ...body([otherCouncilContract]), version: i.version });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().errors).toEqual([{ field: 'contractIds', message: 'Select contracts of the council from the list' }]);
    const tooMany = await api('POST', '/improvements', body(Array.from({ length: 51 }, () => highways)));
    expect(tooMany.statusCode).toBe(422);
    const spec = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(JSON.stringify(spec)).toContain('contractIds');
  });

  describe('a contract deleted while the improvement is saved', () => {
    /**
     * A contract of the council, deleted by a trigger the moment the improvement's row is written: after the service has
     * checked the contracts, before it links them, as when someone deletes the contract at the same moment. (The trigger's
     * delete is in the save's transaction, so it is rolled back with it; a real delete would have committed.)
     */
    const vanishingContract = async (when: 'insert' | 'update') => {
      const id = (await one<{ id: string }>(sql`insert into contracts (council_id, name, supplier, annual_value_pence, total_value_pence, start_date, end_date, tier)
        values (${sroCouncil}, ${`Short-lived contract (${++counter})`}, 'Acme Ltd', 100000, 300000, '2026-01-01', '2028-12-31', 'bronze') returning id`)).id;
      await t.db.execute(sql.raw(`create or replace function pioneer_test_vanish() returns trigger language plpgsql as $$
        begin delete from contracts where id = '${id}'; return new; end $$`));
      await t.db.execute(sql.raw(`create trigger pioneer_test_vanish before ${when} on improvements for each row execute function pioneer_test_vanish()`));
      return id;
    };
    const stopVanishing = () => t.db.execute(sql`drop trigger if exists pioneer_test_vanish on improvements`);
    const counts = async () => one<{ improvements: number; links: number; audit: number }>(sql`select
      (select count(*)::int from improvements) as improvements, (select count(*)::int from improvement_contracts) as links,
      (select count(*)::int from audit_events where record_type = 'improvement') as audit`);

    it('answers the page with the error beside the boxes (not a 500) and writes nothing, when recording or changing one', async () => {
      const before = await counts();
      const gone = await vanishingContract('insert');
      try {
        const res = await sro.submit(paths.improvementNew(), form({ contractIds: [highways, gone] }));
        expect(res.statusCode, errorSummary(res.body)).toBe(400);
        expect(errorSummary(res.body)).toContain('Select contracts of the council from the list');
        expect(res.body).toContain('id="contractIds-error"');
      } finally {
        await stopVanishing();
      }
      expect(await counts()).toEqual(before);

      const recorded = await sro.submit(paths.improvementNew(), form({ contractIds: [highways] }));
      expect(recorded.statusCode, errorSummary(recorded.body)).toBe(302);
      const id = /\/improvements\/([0-9a-f-]{36})/.exec(recorded.headers.location as string)![1];
      const saved = await counts();
      const goneToo = await vanishingContract('update');
      try {
        const res = await sro.submit(`/improvements/${id}/edit`, form({ contractIds: [goneToo], version: '1' }));
        expect(res.statusCode, errorSummary(res.body)).toBe(400);
        expect(errorSummary(res.body)).toContain('Select contracts of the council from the list');
      } finally {
        await stopVanishing();
      }
      expect(await counts()).toEqual(saved);
      expect(await one(sql`select contract_id as "contractId", (select version from improvements where id = ${id}) as version from improvement_contracts where improvement_id = ${id}`)).toEqual({
        contractId: highways,
        version: 1,
      });
    });

    it('answers the API with a 422 naming contractIds and writes nothing', async () => {
      const before = await counts();
      const gone = await vanishingContract('insert');
      try {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/improvements',
          headers: { authorization: `Bearer ${sroToken}` },
          payload: { type: 'kpis', description: `KPIs for a contract about to go (${++counter})`, date: '2026-11-02', valueKind: 'none', learnerIds: [], contractIds: [gone] },
        });
        expect(res.statusCode, res.body).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().errors).toEqual([{ field: 'contractIds', message: 'Select contracts of the council from the list' }]);
      } finally {
        await stopVanishing();
      }
      expect(await counts()).toEqual(before);
    });
  });
});
