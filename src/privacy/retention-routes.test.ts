import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { retentionSettings } from '../settings/service.ts';

const form = (overrides: Record<string, string> = {}) => ({
  invitationRetentionDays: '90',
  auditIpRetentionMonths: '12',
  deactivatedRetentionMonths: '24',
  reason: 'Data protection officer’s review, November 2026',
  ...overrides,
});

describe.each(backends)('data retention pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const retentionAudits = async () =>
    (await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'settings.changed' and record_id like '%Retention%'`))[0].n;
  let deactivatedId: string;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    // Someone deactivated three years ago: due for anonymisation, listed by name for the admin.
    [{ id: deactivatedId }] = await rows<{ id: string }>(sql`insert into people (name, email, organisation_id, roles, status, created_at, deactivated_at)
      select 'Long Gone Officer', 'long.gone@partner.example.gov.uk', id, '{funder}', 'deactivated', '2022-01-01T09:00:00Z', '2023-11-01T09:00:00Z'
      from organisations where kind = 'partner' order by name limit 1 returning id`);
  });
  afterAll(async () => t?.close());

  it('shows an admin the periods and what the next run would remove, naming who would be anonymised', async () => {
    const page = await admin.get(paths.adminRetention());
    expect(page.statusCode).toBe(200);
    for (const text of ['Invitations not accepted are removed after', '90 days', '12 months', '24 months', 'What the next run would remove']) expect(page.body, text).toContain(text);
    expect(page.body).toMatch(/id="due-deactivatedPeople"[^>]*>1</);
    expect(page.body).toContain(`<a class="govuk-link" href="/people/${deactivatedId}">Long Gone Officer</a>`);
    expect(page.body).toContain('On or before 26 November 2024');
  });

  it('refuses other roles: 403 on the page, the confirmation and the run', async () => {
    for (const who of ['partnerLp', 'sro', 'learner', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.adminRetention())).statusCode, who).toBe(403);
      expect((await agent.get(paths.adminRetentionRun())).statusCode, who).toBe(403);
      expect((await agent.submit(paths.adminRetentionRun(), {})).statusCode, who).toBe(403);
    }
    expect(await rows(sql`select id from retention_runs`)).toEqual([]);
    expect((await t.agent().get(paths.adminRetention())).statusCode).toBe(302);
  });

  it('refuses a period of zero, a negative one or a fraction, naming the field, and saves nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ invitationRetentionDays: '0' }, 'Days to keep an invitation not accepted must be between 1 and 3650'],
      [{ auditIpRetentionMonths: '-3' }, 'Months to keep IP addresses in the audit log must be between 1 and 120'],
      [{ deactivatedRetentionMonths: '1.5' }, 'Months before a deactivated person is anonymised must be a whole number'],
      [{ deactivatedRetentionMonths: '' }, 'Enter the number of months a person may stay deactivated before they are anonymised'],
    ];
    for (const [overrides, message] of cases) {
      const res = await admin.submit(paths.settingsRetention(), form(overrides), { csrfFrom: paths.settingsRetention() });
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body), message).toContain(message);
    }
    expect(await retentionSettings(t.db)).toEqual({ invitationRetentionDays: 90, auditIpRetentionMonths: 12, deactivatedRetentionMonths: 24 });
    expect(await retentionAudits()).toBe(0);
  });

  it('saves new periods with a reason, audited, and the privacy notice and the page quote them', async () => {
    const res = await admin.submit(paths.settingsRetention(), form({ invitationRetentionDays: '30', deactivatedRetentionMonths: '36' }), { csrfFrom: paths.settingsRetention() });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/settings?done=retention');
    expect(await retentionSettings(t.db)).toEqual({ invitationRetentionDays: 30, auditIpRetentionMonths: 12, deactivatedRetentionMonths: 36 });
    expect(await retentionAudits()).toBe(2);
    const notice = (await t.agent().get(paths.privacy())).body;
    expect(notice).toContain('accepted it 30 days after it was sent');
    expect(notice).toContain('deactivated for 36 months');
    expect(notice).toContain('removed after 12 months');
    const page = await admin.get(paths.adminRetention());
    expect(page.body).toContain('36 months');
    expect(page.body).toContain('On or before 26 November 2023');
  });

  it('runs now after a confirmation page, audited by the admin, and the run is listed', async () => {
    const confirm = await admin.get(paths.adminRetentionRun());
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Apply the retention rules now');
    // Without the CSRF token nothing runs.
    const forged = await admin.submit(paths.adminRetentionRun(), { _csrf: 'forged' });
    expect(forged.statusCode).toBe(403);
    expect(await rows(sql`select id from retention_runs`)).toEqual([]);

    const res = await admin.submit(paths.adminRetentionRun(), {}, { csrfFrom: paths.adminRetentionRun() });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${paths.adminRetention()}?done=run`);
    const [person] = await rows<{ name: string }>(sql`select name from people where id = ${deactivatedId}::uuid`);
    expect(person.name).toMatch(/^Erased person \d+$/);
    const [event] = await rows<{ actorLabel: string; after: { trigger: string; counts: Record<string, number> } }>(
      sql`select actor_label as "actorLabel", after from audit_events where action = 'retention.run'`,
    );
    expect(event.actorLabel).toMatch(/<admin@pioneer.example.gov.uk>$/);
    expect(event.after).toMatchObject({ trigger: 'manual', counts: { deactivatedPeople: 1 } });

    const page = await admin.get(`${paths.adminRetention()}?done=run`);
    expect(page.body).toContain('Retention rules applied');
    expect(page.body).toContain('1 person anonymised');
    expect(page.body).not.toContain('Long Gone Officer');
    const log = await admin.get(`${paths.audit()}?action=retention.run`);
    expect(log.body).toContain('applied the retention rules: ');
  });
});
