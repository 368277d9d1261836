import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { createApiToken } from '../auth/service.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { pageCountLimit } from './service.ts';

/** A log longer than the audit page counts (src/audit/service.ts `pageCountLimit`): the page says "more than", the API stays exact. */
describe.each(backends)('a long audit log (%s)', (backend) => {
  let t: TestApp;
  const extra = pageCountLimit + 50;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    // One event a minute from midnight on 1 January 2026 (GMT, so UK days and UTC days agree): 1,440 a day.
    await t.db.execute(sql`insert into audit_events (occurred_at, actor_label, action, record_type, record_id)
      select timestamptz '2026-01-01 00:00Z' + g * interval '1 minute', 'Import job', 'person.invited', 'long_log', g::text
      from generate_series(0, ${extra - 1}) g`);
  });
  afterAll(async () => t?.close());

  it('says there are more than it counted, and pages back that far and no further', async () => {
    const admin = await t.signIn('admin');
    const first = await admin.get(`${paths.audit()}?recordType=long_log`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Showing 1 to 50 of more than 10,000 events');
    expect(first.body).toContain('To see earlier ones, choose dates, or download them all.');
    const lastPage = pageCountLimit / 50;
    const last = await admin.get(`${paths.audit()}?recordType=long_log&page=${lastPage}`);
    expect(last.body).toContain(`Showing 9,951 to 10,000 of more than 10,000 events`);
    const beyond = await admin.get(`${paths.audit()}?recordType=long_log&page=${lastPage + 1}`);
    expect(beyond.statusCode).toBe(302);
    expect(beyond.headers.location).toMatch(new RegExp(`recordType=long_log&page=${lastPage}$`));
  });

  it('counts exactly once the dates narrow it below the limit', async () => {
    const admin = await t.signIn('admin');
    const days = await admin.get(`${paths.audit()}?recordType=long_log&from-day=1&from-month=1&from-year=2026&to-day=2&to-month=1&to-year=2026`);
    expect(days.body).toContain('Showing 1 to 50 of 2880 events');
    expect(days.body).not.toContain('more than');
  });

  it('offers the record types in the log and every action the service records as filters', async () => {
    const page = (await (await t.signIn('admin')).get(paths.audit())).body;
    expect(page).toContain('<option value="long_log"');
    expect(page).toContain('<option value="council.status_changed"');
  });

  it('gives the API the exact total', async () => {
    const me = (await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`))[0];
    const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, me.id, 'long log');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit-events?recordType=long_log&pageSize=1', headers: { authorization: `Bearer ${token}` } });
    expect(res.json().meta.total).toBe(extra);
  });
});
