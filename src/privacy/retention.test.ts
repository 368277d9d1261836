/**
 * Retention runs on the fixed test clock (26 November 2026, 10:00 UTC) with the default periods: invitations 90 days
 * (due if last sent on or before 28 August 2026, UK date), audit IP addresses 12 months (on or before 26 November
 * 2025), deactivated people 24 months (on or before 26 November 2024). Each rule has a record on its cut-off day (goes)
 * and one the day after (stays), placed either side of UK midnight so the UK date, not the UTC one, decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import type { RequestContext } from '../audit/record.ts';
import { retentionPreview, runDailyRetention, runRetentionNow, retentionLeaseMs } from './retention.ts';

const noneDue = { sessions: 0, links: 0, auditIps: 0, invitedPeople: 0, invitationLinks: 0, deactivatedPeople: 0 };

describe.each(backends)('retention rules on a fixed clock (%s)', (backend) => {
  let t: TestApp;
  let ctx: RequestContext;
  let partnerId: string;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const ids: Record<string, string> = {};
  let tokenNumber = 0;

  /** A person as the fixture needs them: inserted directly, so their dates can be anything. */
  async function person(key: string, p: { status: 'invited' | 'active' | 'deactivated'; createdAt: string; deactivatedAt?: string; erased?: boolean }) {
    const [row] = await rows<{ id: string }>(sql`insert into people (name, email, organisation_id, roles, status, created_at, deactivated_at, erased_at)
      values (${`Retention ${key} Person`}, ${`retention.${key}@partner.example.gov.uk`}, ${partnerId}::uuid, '{specialist}', ${p.status},
              ${p.createdAt}::timestamptz, ${p.deactivatedAt ?? null}::timestamptz, ${p.erased ? p.createdAt : null}::timestamptz) returning id`);
    ids[key] = row.id;
    return row.id;
  }
  async function link(personId: string, l: { purpose: 'invite' | 'reset' | 'email-change'; createdAt: string; expiresAt: string; usedAt?: string }) {
    tokenNumber += 1;
    const [row] = await rows<{ id: string }>(sql`insert into one_time_tokens (person_id, purpose, token_hash, created_at, expires_at, used_at)
      values (${personId}::uuid, ${l.purpose}, ${`retention-test-hash-${tokenNumber}`}, ${l.createdAt}::timestamptz, ${l.expiresAt}::timestamptz, ${l.usedAt ?? null}::timestamptz) returning id`);
    return row.id;
  }
  const exists = async (table: string, id: string) =>
    (await rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)} where id = ${id}::uuid`))[0].n === 1;
  const nameOf = async (id: string) => (await rows<{ name: string }>(sql`select name from people where id = ${id}::uuid`))[0]?.name;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    ctx = { actor: null, systemLabel: 'retention test', clock: t.clock };
    [{ id: partnerId }] = await rows<{ id: string }>(sql`select id from organisations where kind = 'partner' order by name limit 1`);
    // The demo's own sessions, links and audit IPs are not what this suite counts: start from none due.
    await runRetentionNow(t.db, ctx, t.config.baseUrl);

    // Invitations: A last invited on the cut-off day (12:00 UTC, 13:00 in the UK), B just after UK midnight the next
    // day (23:30 UTC on the cut-off day), C invited long ago but a specialist with an assignment (kept, old link
    // deleted), D invited long ago and sent a new invitation within the period.
    const a = await person('a', { status: 'invited', createdAt: '2026-08-01T09:00:00Z' });
    await link(a, { purpose: 'invite', createdAt: '2026-08-28T12:00:00Z', expiresAt: '2026-08-31T12:00:00Z' });
    await rows(sql`insert into audit_events (occurred_at, actor_label, action, record_type, record_id, after)
      values ('2026-08-01T09:00:00Z', 'Ann Admin', 'person.invited', 'person', ${a}, ${JSON.stringify({ name: 'Retention a Person', email: 'retention.a@partner.example.gov.uk' })}::jsonb)`);
    const b = await person('b', { status: 'invited', createdAt: '2026-08-28T23:30:00Z' });
    ids.bLink = await link(b, { purpose: 'invite', createdAt: '2026-08-28T23:30:00Z', expiresAt: '2026-08-31T23:30:00Z' });
    const c = await person('c', { status: 'invited', createdAt: '2026-03-01T09:00:00Z' });
    ids.cLink = await link(c, { purpose: 'invite', createdAt: '2026-03-01T09:00:00Z', expiresAt: '2026-03-04T09:00:00Z' });
    await rows(sql`insert into specialist_assignments (person_id, council_id) select ${c}::uuid, id from organisations where kind = 'council' order by id limit 1`);
    const d = await person('d', { status: 'invited', createdAt: '2026-03-01T09:00:00Z' });
    await link(d, { purpose: 'invite', createdAt: '2026-03-01T09:00:00Z', expiresAt: '2026-03-04T09:00:00Z', usedAt: '2026-09-01T09:00:00Z' });
    ids.dLink = await link(d, { purpose: 'invite', createdAt: '2026-09-01T09:00:00Z', expiresAt: '2026-09-04T09:00:00Z' });

    // Deactivated: E on the cut-off day, F the next UK day, G long ago but already erased.
    await person('e', { status: 'deactivated', createdAt: '2023-01-01T09:00:00Z', deactivatedAt: '2024-11-26T12:00:00Z' });
    await person('f', { status: 'deactivated', createdAt: '2023-01-01T09:00:00Z', deactivatedAt: '2024-11-27T00:00:30Z' });
    await person('g', { status: 'deactivated', createdAt: '2022-01-01T09:00:00Z', deactivatedAt: '2023-01-01T09:00:00Z', erased: true });

    // Audit IP addresses: one on the cut-off day, one a minute into the next UK day.
    const [old] = await rows<{ id: number }>(sql`insert into audit_events (occurred_at, actor_label, action, record_type, record_id, ip)
      values ('2025-11-26T23:59:00Z', 'Ann Admin', 'auth.signed_in', 'person', ${ids.f}, '192.0.2.1') returning id`);
    const [recent] = await rows<{ id: number }>(sql`insert into audit_events (occurred_at, actor_label, action, record_type, record_id, ip)
      values ('2025-11-27T00:01:00Z', 'Ann Admin', 'auth.signed_in', 'person', ${ids.f}, '192.0.2.2') returning id`);
    ids.oldIp = String(old.id);
    ids.recentIp = String(recent.id);

    // Sessions and links: one expired a second ago, one still running; a used email-change link, an unused reset link.
    const f = ids.f;
    await rows(sql`insert into sessions (id, person_id, csrf_token, created_at, expires_at) values
      ('retention-expired', ${f}::uuid, 'x', '2026-11-26T01:59:59Z', '2026-11-26T09:59:59Z'),
      ('retention-running', ${f}::uuid, 'x', '2026-11-26T09:00:00Z', '2026-11-26T17:00:00Z')`);
    ids.usedLink = await link(f, { purpose: 'email-change', createdAt: '2026-11-25T09:00:00Z', expiresAt: '2026-11-26T09:00:00Z', usedAt: '2026-11-25T10:00:00Z' });
    ids.liveLink = await link(f, { purpose: 'reset', createdAt: '2026-11-26T09:30:00Z', expiresAt: '2026-11-26T11:30:00Z' });
  });
  afterAll(async () => t?.close());

  it('previews exactly what is due, with the people by name', async () => {
    const preview = await retentionPreview(t.db, ctx);
    expect(preview.cutoffs).toMatchObject({ invitationsOn: '2026-08-28', auditIpOn: '2025-11-26', deactivatedOn: '2024-11-26' });
    // Links: the used email-change link, and D's first invitation, used up when they were sent a new one.
    expect(preview.counts).toEqual({ sessions: 1, links: 2, auditIps: 1, invitedPeople: 1, invitationLinks: 1, deactivatedPeople: 1 });
    expect(preview.people.invitedPeople.map((p) => p.name)).toEqual(['Retention a Person']);
    expect(preview.people.deactivatedPeople.map((p) => p.name)).toEqual(['Retention e Person']);
  });

  it('removes exactly what is due, audits the anonymisation as an erasure, and a second run finds nothing', async () => {
    const counts = await runRetentionNow(t.db, ctx, t.config.baseUrl);
    expect(counts).toEqual({ sessions: 1, links: 2, auditIps: 1, invitedPeople: 1, invitationLinks: 1, deactivatedPeople: 1 });

    // A is gone, and no audit event or email names them any more; B, C and D stay, C without its old link.
    expect(await exists('people', ids.a)).toBe(false);
    const naming = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where coalesce(after::text, '') || actor_label ilike '%retention.a@%' or coalesce(after::text, '') ilike '%Retention a Person%'`);
    expect(naming[0].n).toBe(0);
    expect([await nameOf(ids.b), await nameOf(ids.c), await nameOf(ids.d)]).toEqual(['Retention b Person', 'Retention c Person', 'Retention d Person']);
    expect(await exists('one_time_tokens', ids.cLink)).toBe(false);
    expect(await exists('one_time_tokens', ids.bLink)).toBe(true);
    expect(await exists('one_time_tokens', ids.dLink)).toBe(true);

    // E is anonymised by the erasure, audited with the retention reason; F and the already-erased G are untouched.
    expect(await nameOf(ids.e)).toMatch(/^Erased person \d+$/);
    expect(await nameOf(ids.f)).toBe('Retention f Person');
    expect(await nameOf(ids.g)).toBe('Retention g Person');
    const erasures = await rows<{ recordId: string; actorLabel: string; reason: string }>(
      sql`select record_id as "recordId", actor_label as "actorLabel", after ->> 'reason' as reason from audit_events where action = 'person.erased' order by id`,
    );
    expect(erasures).toEqual([
      { recordId: ids.a, actorLabel: 'retention test', reason: 'retention period' },
      { recordId: ids.e, actorLabel: 'retention test', reason: 'retention period' },
    ]);

    const ips = await rows<{ id: number; ip: string | null }>(sql`select id, ip from audit_events where id in (${Number(ids.oldIp)}, ${Number(ids.recentIp)}) order by id`);
    expect(ips.map((r) => r.ip)).toEqual([null, '192.0.2.2']);
    expect((await rows<{ id: string }>(sql`select id from sessions where id like 'retention-%' order by id`)).map((r) => r.id)).toEqual(['retention-running']);
    expect(await exists('one_time_tokens', ids.usedLink)).toBe(false);
    expect(await exists('one_time_tokens', ids.liveLink)).toBe(true);

    // The run's own audit event holds counts only.
    const [run] = await rows<{ after: unknown }>(sql`select after from audit_events where action = 'retention.run' order by id desc limit 1`);
    expect(run.after).toEqual({ trigger: 'manual', counts });

    expect((await retentionPreview(t.db, ctx)).counts).toEqual(noneDue);
    expect(await runRetentionNow(t.db, ctx, t.config.baseUrl)).toEqual(noneDue);
  });

  it('runs the daily run once per UK day, even when two instances ask at the same moment', async () => {
    // H is due, so a run that happened twice would show as two erasures.
    const h = await person('h', { status: 'deactivated', createdAt: '2023-01-01T09:00:00Z', deactivatedAt: '2024-01-01T09:00:00Z' });
    const results = await Promise.all([runDailyRetention(t.db, ctx, t.config.baseUrl), runDailyRetention(t.db, ctx, t.config.baseUrl)]);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    expect(results.find((r) => r !== null)).toMatchObject({ deactivatedPeople: 1 });
    const erasedH = await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'person.erased' and record_id = ${h}`);
    expect(erasedH[0].n).toBe(1);
    // Later the same day: taken. The next UK day: runs again, and what stayed for being a day short is now due
    // (B's invitation, F's deactivation, the later IP address, the session and reset link that have since expired).
    expect(await runDailyRetention(t.db, ctx, t.config.baseUrl)).toBeNull();
    const tomorrow = { ...ctx, clock: { now: () => new Date('2026-11-27T00:00:01Z') } };
    expect(await runDailyRetention(t.db, tomorrow, t.config.baseUrl)).toEqual({ sessions: 1, links: 1, auditIps: 1, invitedPeople: 1, invitationLinks: 0, deactivatedPeople: 1 });
    expect(await exists('people', ids.b)).toBe(false);
    expect(await nameOf(ids.f)).toMatch(/^Erased person \d+$/);
    expect(await rows(sql`select run_on::text as "runOn", count(*)::int as n from retention_runs where trigger = 'daily' group by run_on order by run_on`)).toEqual([
      { runOn: '2026-11-26', n: 1 },
      { runOn: '2026-11-27', n: 1 },
    ]);
  });

  it('takes over a day whose run stopped half-way once its claim has lapsed, and not before', async () => {
    const dayAfter = (at: string) => ({ ...ctx, clock: { now: () => new Date(at) } });
    const started = new Date('2026-11-28T08:00:00Z');
    await rows(sql`insert into retention_runs (run_on, trigger, claim_id, started_at) values ('2026-11-28', 'daily', gen_random_uuid(), ${started})`);
    const i = await person('i', { status: 'deactivated', createdAt: '2023-01-01T09:00:00Z', deactivatedAt: '2024-01-01T09:00:00Z' });
    expect(await runDailyRetention(t.db, dayAfter(new Date(started.getTime() + retentionLeaseMs - 60_000).toISOString()), t.config.baseUrl)).toBeNull();
    expect(await nameOf(i)).toBe('Retention i Person');
    expect(await runDailyRetention(t.db, dayAfter(new Date(started.getTime() + retentionLeaseMs + 60_000).toISOString()), t.config.baseUrl)).toMatchObject({ deactivatedPeople: 1 });
    expect(await nameOf(i)).toMatch(/^Erased person \d+$/);
    const [row] = await rows<{ finished: boolean }>(sql`select finished_at is not null as finished from retention_runs where run_on = '2026-11-28' and trigger = 'daily'`);
    expect(row.finished).toBe(true);
  });

  it('follows the periods in settings', async () => {
    await rows(sql`insert into settings (key, value) values ('deactivatedRetentionMonths', '1'::jsonb)`);
    const j = await person('j', { status: 'deactivated', createdAt: '2026-01-01T09:00:00Z', deactivatedAt: '2026-10-26T09:00:00Z' });
    const preview = await retentionPreview(t.db, ctx);
    expect(preview.cutoffs.deactivatedOn).toBe('2026-10-26');
    expect(preview.people.deactivatedPeople.map((p) => p.id)).toEqual([j]);
    await rows(sql`delete from settings where key = 'deactivatedRetentionMonths'`);
  });
});
