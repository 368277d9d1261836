import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { activeCouncils, enrol, openPeriodsUntil, sroCouncil } from './testing.ts';

type Who = 'admin' | 'partnerMhclg' | 'learner' | 'funder' | 'sro';

describe.each(backends)('places API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Tests work in financial years the demo data never uses.
    await openPeriodsUntil(t, '2039-40');
    for (const who of ['admin', 'partnerMhclg', 'learner', 'funder', 'sro'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });

  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status });
  };

  it('creates (201) and changes (200) an allocation, and lists it with taken and remaining', async () => {
    const [council] = await activeCouncils(t, 1, 5);
    const body = { councilId: council.id, level: 'practitioner', period: '2033-34', places: 6 };
    const created = await api('POST', '/places', 'admin', body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ councilId: council.id, councilName: council.name, gssCode: council.gss_code, level: 'practitioner', period: '2033-34', places: 6, taken: 0, released: 0, remaining: 6 });
    await enrol(t, council.id, 'practitioner', '2033-34');
    const changed = await api('POST', '/places', 'admin', { ...body, places: 8 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ id: created.json().id, places: 8, taken: 1, remaining: 7 });

    const list = await api('GET', `/places?councilId=${council.id}&period=2033-34`, 'admin');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ data: [changed.json()], meta: { total: 1, page: 1, pageSize: 50 } });
    expect(Object.keys(list.json().data[0]).sort()).toEqual(['councilId', 'councilName', 'gssCode', 'id', 'level', 'period', 'places', 'released', 'remaining', 'taken'].sort());
    const paged = await api('GET', '/places?period=2033-34&level=practitioner&pageSize=1&page=1', 'admin');
    expect(paged.json().meta).toEqual({ total: 1, page: 1, pageSize: 1 });
  });

  it('refuses bad input with 422 and field errors, writing nothing', async () => {
    const [council] = await activeCouncils(t, 1, 6);
    await api('POST', '/places', 'admin', { councilId: council.id, level: 'expert', period: '2033-34', places: 1 });
    await enrol(t, council.id, 'expert', '2033-34');
    const cases: [object, string, string][] = [
      [{ councilId: '00000000-0000-4000-8000-000000000000', level: 'expert', period: '2033-34', places: 1 }, 'councilId', 'Select a council from the list'],
      [{ councilId: 'nope', level: 'expert', period: '2033-34', places: 1 }, 'councilId', 'Select the council'],
      [{ councilId: council.id, level: 'master', period: '2033-34', places: 1 }, 'level', 'Select a level'],
      [{ councilId: council.id, level: 'expert', period: '2033', places: 1 }, 'period', 'Period must be a financial year'],
      [{ councilId: council.id, level: 'expert', period: '2033-34', places: -3 }, 'places', 'Places must be 0 or more'],
      [{ councilId: council.id, level: 'expert', period: '2033-34', places: 1.5 }, 'places', 'Places must be a whole number'],
      [{ councilId: council.id, level: 'expert', period: '2033-34', places: 20000 }, 'places', 'Places must be 10,000 or fewer'],
      [{ councilId: council.id, level: 'expert', period: '2033-34' }, 'places', 'Enter the number of places'],
      [{ councilId: council.id, level: 'expert', period: '2033-34', places: 0 }, 'places', `${council.name} has 1 Expert place taken in 2033-34, so the allocation cannot be lower than 1`],
    ];
    for (const [body, field, message] of cases) {
      const res = await api('POST', '/places', 'admin', body);
      expectProblem(res, 422);
      expect(res.json().errors, message).toContainEqual({ field, message: expect.stringContaining(message) });
    }
    const [row] = await queryRows<{ places: number; taken: number }>(
      t.db,
      sql`select places, taken from funded_places where council_id = ${council.id} and level = 'expert' and period = '2033-34'`,
    );
    expect(row).toEqual({ places: 1, taken: 1 });
    expectProblem(await api('POST', '/places', 'admin'), 422);
  });

  it('refuses an allocation for an organisation that is not a council, writing nothing (the list reads councils only)', async () => {
    const [partner] = await queryRows<{ id: string }>(t.db, sql`select id from organisations where kind <> 'council' order by name limit 1`);
    const refused = await api('POST', '/places', 'admin', { councilId: partner.id, level: 'foundation', period: '2033-34', places: 2 });
    expectProblem(refused, 422);
    expect(JSON.stringify(refused.json())).toContain('Select a council from the list');
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from funded_places where council_id = ${partner.id}`);
    expect(n).toBe(0);
  });

  it('applies the same access and scope as the pages', async () => {
    expectProblem(await api('GET', '/places'), 401);
    expectProblem(await api('GET', '/places', 'learner'), 403);
    const [council] = await activeCouncils(t, 1, 7);
    for (const who of ['sro', 'partnerMhclg', 'funder'] as const) {
      expectProblem(await api('POST', '/places', who, { councilId: council.id, level: 'foundation', period: '2033-34', places: 1 }), 403);
    }
    expectProblem(await api('GET', '/places?level=master', 'admin'), 400);
    expectProblem(await api('GET', '/places?period=2033', 'admin'), 400);
    expectProblem(await api('GET', '/places?pageSize=501', 'admin'), 400);

    const own = await sroCouncil(t);
    await api('POST', '/places', 'admin', { councilId: own.id, level: 'foundation', period: '2034-35', places: 3 });
    await api('POST', '/places', 'admin', { councilId: council.id, level: 'foundation', period: '2034-35', places: 3 });
    const sro = await api('GET', '/places?period=2034-35', 'sro');
    expect(sro.json().data.map((p: { councilId: string }) => p.councilId)).toEqual([own.id]);
    expect((await api('GET', `/places?councilId=${council.id}`, 'sro')).json().meta.total).toBe(0);
    const funder = await api('GET', '/places?period=2034-35', 'funder');
    expect(funder.json().meta.total).toBe(2);
    const mhclg = await api('GET', '/places?pageSize=500&period=2034-35', 'partnerMhclg');
    const [managed] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from funded_places f join participations p on p.council_id = f.council_id join organisations mp on mp.id = p.managing_partner_id
          where f.period = '2034-35' and mp.code = 'MHCLG'`,
    );
    expect(mhclg.json().meta.total).toBe(managed.n);
  });
});
