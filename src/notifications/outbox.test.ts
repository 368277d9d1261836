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

  it('sends a reset queued after 2,000 bulk e-mails in the next batch', async () => {
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

  it('sends bulk mail only up to its allowance, and every personal e-mail queued after it, first', async () => {
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

  it('lets a rate below one e-mail a poll through one at a time', () => {
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
