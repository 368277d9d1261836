/**
 * Two approvals racing for a council's last funded place: the database, not luck, decides the winner, and the
 * loser is told clearly. On PGlite (one connection) and PostgreSQL (a real pool, true concurrency).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';
import { openPeriodsUntil } from '../places/testing.ts';

describe.each(backends)('the race for the last funded place (%s)', (backend) => {
  let t: TestApp;
  let token: string;
  let councilId: string;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    // Tests work in financial years the demo data never uses.
    await openPeriodsUntil(t, '2039-40');
    const admin = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'race')).token;
    councilId = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
  });
  afterAll(async () => t?.close());

  const api = (url: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload });

  it('two approvals at once for one remaining place: exactly one wins, the other is refused with 409 and writes nothing', async () => {
    const period = '2031-32';
    await setPlaces(t.db, { councilId, level: 'foundation', period }, 1, t.clock.now());
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const res = await api('/enrolments', { councilId, level: 'foundation', period, person: { name: `Racer ${n}`, email: `racer.${n}@demo-council.example.gov.uk` } });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
    }
    const today = t.clock.now().toISOString().slice(0, 10);
    const results = await Promise.all(ids.map((id) => api(`/enrolments/${id}/events`, { type: 'approved', date: today })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.statusCode === 409)!;
    expect(loser.json().detail).toMatch(/has no Foundation places left for 2031-32/);

    const places = await one<{ taken: number; released: number }>(sql`
      select taken, released from funded_places where council_id = ${councilId} and level = 'foundation' and period = ${period}`);
    expect(places).toEqual({ taken: 1, released: 0 });
    const statuses = await queryRows<{ status: string }>(t.db, sql`select status from enrolments where id in (${ids[0]}::uuid, ${ids[1]}::uuid) order by status`);
    expect(statuses.map((s) => s.status)).toEqual(['approved', 'nominated']);
    const approvals = await one<{ n: number }>(sql`
      select count(*)::int as n from enrolment_events where enrolment_id in (${ids[0]}::uuid, ${ids[1]}::uuid) and type = 'approved'`);
    expect(approvals.n).toBe(1);
    const audits = await one<{ n: number }>(sql`
      select count(*)::int as n from audit_events where record_id in (${ids[0]}, ${ids[1]}) and action = 'enrolment.approved'`);
    expect(audits.n).toBe(1);
  });
});
