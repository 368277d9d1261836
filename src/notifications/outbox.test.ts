import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig, testNow } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { requestPasswordReset } from '../auth/service.ts';
import { memoryMailer } from './mailer.ts';
import { bulkPacer, deliverPending, enqueueEmail, mailPriority } from './outbox.ts';

// A password reset must not wait behind an upload's thousands of invitations.
describe.each(backends)('the outbox (%s)', (backend) => {
  let database: Database;
  const clock = fixedClock(testNow);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => database?.close());

  it('sends a reset queued after 2,000 bulk emails in the next batch', async () => {
    const { db } = database;
    await db.transaction(async (tx) => {
      await enqueueEmail(tx, { to: 'first@fixture-outbox.example.gov.uk', template: 'invite', subject: 'Invited', body: '…' }, 'bulk');
      await tx.execute(sql`
        insert into notifications (to_email, template, subject, body, priority)
        select 'officer' || n || '@fixture-outbox.example.gov.uk', 'invite', 'Invited', '…', ${mailPriority.bulk} from generate_series(1, 1999) as n`);
    });
    await requestPasswordReset(db, testConfig(), { actor: null, clock }, demoAccounts.sro.email);
    const mailer = memoryMailer();
    expect(await deliverPending(db, mailer, clock, { batch: 50, bulk: 50 })).toEqual({ sent: 50, bulk: 49 });
    expect(mailer.sent[0]).toMatchObject({ to: demoAccounts.sro.email, template: 'reset' });
    expect(new Set(mailer.sent.slice(1).map((e) => e.to)).size).toBe(49);
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from notifications where status = 'pending'`);
    expect(left.n).toBe(1951);
  });

  it('sends bulk mail only up to its allowance, and every personal email queued after it, first', async () => {
    const { db } = database;
    await db.execute(sql`update notifications set status = 'sent' where status = 'pending'`);
    await db.execute(sql`
      insert into notifications (to_email, template, subject, body, priority)
      select 'paced' || n || '@fixture-outbox.example.gov.uk', 'invite', 'Invited', '…', ${mailPriority.bulk} from generate_series(1, 100) as n`);
    for (const who of ['sro', 'lead', 'learner'] as const) await requestPasswordReset(db, testConfig(), { actor: null, clock }, demoAccounts[who].email);
    const mailer = memoryMailer();
    expect(await deliverPending(db, mailer, clock, { batch: 50, bulk: 10 })).toEqual({ sent: 13, bulk: 10 });
    expect(mailer.sent.slice(0, 3).map((e) => e.template)).toEqual(['reset', 'reset', 'reset']);
    expect(mailer.sent.slice(3).every((e) => e.template === 'invite')).toBe(true);
    // No allowance left: nothing bulk goes, however soon the outbox is kicked again.
    expect(await deliverPending(db, mailer, clock, { batch: 50, bulk: 0 })).toEqual({ sent: 0, bulk: 0 });
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from notifications where status = 'pending'`);
    expect(left.n).toBe(90);
  });
});

// Claim under a lease, send with no transaction open, then record: crash-safe, and PGlite's one connection stays free.
describe.each(backends)('the outbox’s claims (%s)', (backend) => {
  let database: Database;
  const clock = fixedClock(testNow);
  const statusOf = async (to: string) =>
    (await queryRows<{ status: string; attempts: number; last_error: string | null; claim_id: string | null }>(database.db, sql`select status, attempts, last_error, claim_id from notifications where to_email = ${to}`))[0];
  const queue = (to: string) => enqueueEmail(database.db, { to, template: 'reset', subject: 'Reset', body: '…' });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await database.db.execute(sql`update notifications set status = 'sent' where status = 'pending'`);
  });
  afterAll(async () => database?.close());

  it('sends with no transaction open: the database answers other queries while the mail server is slow', async () => {
    const { db } = database;
    await queue('slow@fixture-outbox.example.gov.uk');
    const seen: string[] = [];
    const mailer = {
      async deliver(email: { to: string }) {
        // On PGlite a transaction held during delivery would leave this query waiting for ever.
        const during = await Promise.race([
          queryRows<{ status: string }>(db, sql`select status from notifications where to_email = ${email.to}`).then((r) => r[0].status),
          new Promise<string>((resolve) => setTimeout(() => resolve('database blocked'), 2000)),
        ]);
        seen.push(during);
      },
    };
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 1, bulk: 0 });
    expect(seen).toEqual(['sending']);
    expect(await statusOf('slow@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'sent', attempts: 1, claim_id: null });
  });

  it('sends each email once when two deliveries run at once', async () => {
    const { db } = database;
    const to = ['once1@fixture-outbox.example.gov.uk', 'once2@fixture-outbox.example.gov.uk', 'once3@fixture-outbox.example.gov.uk'];
    for (const address of to) await queue(address);
    const mailer = memoryMailer();
    const slow = { deliver: async (e: Parameters<typeof mailer.deliver>[0]) => { await new Promise((r) => setTimeout(r, 20)); await mailer.deliver(e); } };
    const [a, b] = await Promise.all([deliverPending(db, slow, clock), deliverPending(db, slow, clock)]);
    expect(a.sent + b.sent).toBe(3);
    expect(mailer.sent.map((e) => e.to).sort()).toEqual([...to].sort());
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 0, bulk: 0 });
  });

  it('keeps an email the server refused for the next poll, and sends it then', async () => {
    const { db } = database;
    await queue('retry@fixture-outbox.example.gov.uk');
    let calls = 0;
    const flaky = memoryMailer();
    const mailer = { deliver: async (e: Parameters<typeof flaky.deliver>[0]) => { if (calls++ === 0) throw new Error('451 Try again later'); await flaky.deliver(e); } };
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 0, bulk: 0 });
    expect(await statusOf('retry@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Error: 451 Try again later', claim_id: null });
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 1, bulk: 0 });
    expect(flaky.sent.map((e) => e.to)).toEqual(['retry@fixture-outbox.example.gov.uk']);
    expect(await statusOf('retry@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('claims again an email whose sender stopped once its lease has lapsed, and leaves a live claim alone', async () => {
    const { db } = database;
    const lapsed = new Date(Date.parse(testNow) - 60_000).toISOString();
    const live = new Date(Date.parse(testNow) + 60_000).toISOString();
    await db.execute(sql`insert into notifications (to_email, template, subject, body, status, claim_id, lease_expires_at) values
      ('crashed@fixture-outbox.example.gov.uk', 'reset', 'Reset', '…', 'sending', gen_random_uuid(), ${lapsed}::timestamptz),
      ('busy@fixture-outbox.example.gov.uk', 'reset', 'Reset', '…', 'sending', gen_random_uuid(), ${live}::timestamptz)`);
    const mailer = memoryMailer();
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 1, bulk: 0 });
    expect(mailer.sent.map((e) => e.to)).toEqual(['crashed@fixture-outbox.example.gov.uk']);
    expect(await statusOf('crashed@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await statusOf('busy@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'sending' });
    // Once that lease lapses too, it is sent.
    expect(await deliverPending(db, mailer, fixedClock(new Date(Date.parse(testNow) + 16 * 60_000)))).toEqual({ sent: 1, bulk: 0 });
    expect(await statusOf('busy@fixture-outbox.example.gov.uk')).toMatchObject({ status: 'sent' });
  });

  it('passes a reminder’s unsubscribe link to the mailer', async () => {
    const { db } = database;
    await enqueueEmail(db, { to: 'unsub@fixture-outbox.example.gov.uk', template: 'reminder-cpd-shortfall', subject: 'CPD', body: '…', unsubscribeUrl: 'https://pioneer.example/unsubscribe/abc' });
    const mailer = memoryMailer();
    await deliverPending(db, mailer, clock);
    expect(mailer.lastTo('unsub@fixture-outbox.example.gov.uk')?.unsubscribeUrl).toBe('https://pioneer.example/unsubscribe/abc');
  });
});

describe('the bulk mail pace', () => {
  it('allows the configured number a minute, steadily, however often the outbox is kicked', () => {
    let now = 0;
    const pacer = bulkPacer(600, 5000, () => now);
    expect(pacer.allowance()).toBe(50);
    let sent = 0;
    // A kick every 100 ms for a minute, each sending all it is allowed.
    for (; now < 60_000; now += 100) {
      const n = pacer.allowance();
      pacer.spend(n);
      sent += n;
    }
    expect(sent).toBeGreaterThanOrEqual(600);
    expect(sent).toBeLessThanOrEqual(650);
    // Idle for an hour saves up one poll's worth, not an hour's.
    now += 3_600_000;
    expect(pacer.allowance()).toBe(50);
  });

  it('lets a rate below one email a poll through one at a time', () => {
    let now = 0;
    const pacer = bulkPacer(6, 5000, () => now);
    expect(pacer.allowance()).toBe(1);
    pacer.spend(1);
    now += 5000;
    expect(pacer.allowance()).toBe(0);
    now += 5000;
    expect(pacer.allowance()).toBe(1);
  });
});
