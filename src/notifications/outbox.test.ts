import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig, testNow } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { requestPasswordReset } from '../auth/service.ts';
import { memoryMailer } from './mailer.ts';
import { deliverPending, enqueueEmail, mailPriority } from './outbox.ts';

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
    expect(await deliverPending(db, mailer, clock, 50)).toBe(50);
    expect(mailer.sent[0]).toMatchObject({ to: demoAccounts.sro.email, template: 'reset' });
    expect(new Set(mailer.sent.slice(1).map((e) => e.to)).size).toBe(49);
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from notifications where status = 'pending'`);
    expect(left.n).toBe(1951);
  });
});
