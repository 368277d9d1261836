/**
 * Requests that race: the database, not luck, decides the winner, and the loser is told clearly.
 * Runs on PGlite (one connection, queries serialised) and on PostgreSQL (a real pool, true concurrency).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from './helpers.ts';
import { queryRows } from '../src/db/client.ts';
import { demoAccounts } from '../src/db/seed/demo.ts';
import { createApiToken } from '../src/auth/service.ts';

describe.each(backends)('concurrent requests (%s)', (backend) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'race')).token;
  });
  afterAll(async () => t?.close());

  const api = (method: 'POST', url: string, payload: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, payload });

  it('two invitations of one email at once: exactly one person is created, the other request is refused', async () => {
    const [lp] = await queryRows<{ id: string }>(t.db, sql`select id from organisations where code = 'LP'`);
    const body = (email: string) => ({ name: 'Race Runner', email, organisationId: lp.id, roles: ['partner_staff'] });
    const results = await Promise.all([api('POST', '/people', body('race.runner@example.gov.uk')), api('POST', '/people', body('RACE.RUNNER@example.gov.uk'))]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const [count] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from people where lower(email) = 'race.runner@example.gov.uk'`);
    expect(count.n).toBe(1);
    const [mails] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from notifications where lower(to_email) = 'race.runner@example.gov.uk'`);
    expect(mails.n).toBe(1);
  });

  it('two status moves from the same version at once: one wins, one is told the council changed, history has one row', async () => {
    const [council] = await queryRows<{ id: string; version: number }>(
      t.db,
      sql`select council_id as id, version from participations where status = 'interested' order by council_id limit 1`,
    );
    const move = () => api('POST', `/councils/${council.id}/status`, { status: 'eligibility_review', version: council.version });
    const results = await Promise.all([move(), move()]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const [rows] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from participation_status_history where council_id = ${council.id} and to_status = 'eligibility_review'`,
    );
    expect(rows.n).toBe(1);
    const [audit] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from audit_events where record_id = ${council.id} and action = 'council.status_changed'`,
    );
    expect(audit.n).toBe(1);
  });
});
