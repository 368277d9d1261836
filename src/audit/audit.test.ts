import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { describeChange } from './service.ts';

describe.each(backends)('audit log (%s)', (backend) => {
  let t: TestApp;
  let invitedId: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    const admin = await t.signIn('admin');
    const [lp] = await queryRows<{ id: string }>(t.db, sql`select id from organisations where code = 'LP'`);
    const res = await admin.submit('/people/invite', { name: 'Audit Subject', email: 'audit.subject@pioneer.example.gov.uk', organisationId: lp.id, roles: 'funder' });
    invitedId = (res.headers.location as string).split('/')[2].split('?')[0];
  });
  afterAll(async () => t?.close());

  it('refuses UPDATE and DELETE on audit_events: the table is append-only', async () => {
    await expect(t.db.execute(sql`update audit_events set action = 'tampered'`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    const [row] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_events where action = 'tampered'`);
    expect(row.n).toBe(0);
  });

  it('lists events newest first with who, what and a readable before → after', async () => {
    const admin = await t.signIn('admin');
    const res = await admin.get('/audit');
    expect(res.statusCode).toBe(200);
    const body = res.body;
    expect(body.indexOf('person.invited')).toBeGreaterThan(-1);
    expect(body.indexOf('person.invited')).toBeLessThan(body.indexOf('seed.demo') === -1 ? Infinity : body.indexOf('seed.demo'));
    expect(body).toContain(`${demoAccounts.admin.email}`);
    expect(body).toContain('govuk-details');
    expect(body).toContain('audit.subject@pioneer.example.gov.uk');
  });

  it('filters by person, record type, record id, action and dates', async () => {
    const admin = await t.signIn('admin');
    const byRecord = await admin.get(`/audit?recordType=person&recordId=${invitedId}`);
    expect(byRecord.body).toContain('Showing 1 to 1 of 1 event');
    expect(byRecord.body).toContain('person.invited');
    const byAction = await admin.get('/audit?action=auth.sign_in&person=admin%40pioneer');
    expect(byAction.body).toMatch(/Showing 1 to \d+ of \d+ event/);
    expect(byAction.body).not.toContain('<code>person.invited</code>');
    const [me] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    const byId = await admin.get(`/audit?person=${me.id}&action=person.invited`);
    expect(byId.body).toContain('Showing 1 to 1 of 1 event');
    const today = await admin.get('/audit?from=2026-11-26&to=26/11/2026&action=person.invited');
    expect(today.body).toContain('Showing 1 to 1 of 1 event');
    const future = await admin.get('/audit?from=2026-11-27');
    expect(future.body).toContain('No audit events found');
    const bad = await admin.get('/audit?from=2026-02-31&to=2020-01-01');
    expect(bad.statusCode).toBe(200);
    expect(bad.body).toContain('Date from must be a real date');
  });

  it('downloads the filtered log as CSV', async () => {
    const admin = await t.signIn('admin');
    const csv = await admin.get(`/audit/export.csv?recordId=${invitedId}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toContain('audit-log-2026-11-26.csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('person.invited');
  });

  it('is for programme admins only', async () => {
    for (const who of ['partnerLp', 'sro', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get('/audit')).statusCode).toBe(403);
      expect((await agent.get('/audit/export.csv')).statusCode).toBe(403);
    }
  });

  it('describes a change field by field', () => {
    expect(describeChange({ roles: ['learner'] }, { roles: ['learner', 'council_lead'] })).toEqual([{ field: 'roles', before: 'learner', after: 'learner, council_lead' }]);
    expect(describeChange(null, { status: 'active' })).toEqual([{ field: 'status', before: '(none)', after: 'active' }]);
    expect(describeChange(null, null)).toEqual([]);
  });
});
