import { sql } from 'drizzle-orm';
import { notifications } from '../db/schema.ts';
import { queryRows, type Db, type DbOrTx } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import type { Mailer } from './mailer.ts';

/**
 * How soon an e-mail should go: `personal` mail is one a person is waiting for (a sign-in or reset link, an invitation
 * to one person) and goes ahead of any `bulk` mail (an upload's invitations and decisions), however much is queued.
 */
export type MailPriority = 'personal' | 'bulk';
export const mailPriority: Record<MailPriority, number> = { personal: 0, bulk: 1 };

/** Queues an e-mail in the same transaction as the change that causes it; it is sent only if that commits. */
export async function enqueueEmail(tx: DbOrTx, email: { to: string; template: string; subject: string; body: string }, priority: MailPriority = 'personal') {
  await tx.insert(notifications).values({ toEmail: email.to, template: email.template, subject: email.subject, body: email.body, priority: mailPriority[priority] });
}

const maxAttempts = 5;

/**
 * Sends what is pending, personal mail before bulk and then oldest first. Rows are claimed with SKIP LOCKED, so
 * several app instances can run this at once without sending an e-mail twice. Returns how many were sent.
 */
export async function deliverPending(db: Db, mailer: Mailer, clock: Clock, batch = 50): Promise<number> {
  let sent = 0;
  await db.transaction(async (tx) => {
    const pending = await queryRows<{ id: string; to_email: string; template: string; subject: string; body: string; attempts: number }>(
      tx,
      sql`select id, to_email, template, subject, body, attempts from notifications
          where status = 'pending' order by priority, created_at limit ${batch} for update skip locked`,
    );
    for (const row of pending) {
      try {
        await mailer.deliver({ to: row.to_email, template: row.template, subject: row.subject, body: row.body });
        await tx.execute(sql`update notifications set status = 'sent', sent_at = ${clock.now().toISOString()}::timestamptz, attempts = attempts + 1 where id = ${row.id}`);
        sent++;
      } catch (err) {
        const status = row.attempts + 1 >= maxAttempts ? 'failed' : 'pending';
        await tx.execute(sql`update notifications set status = ${status}, attempts = attempts + 1, last_error = ${String(err)} where id = ${row.id}`);
      }
    }
  });
  return sent;
}

/** Polls the outbox until stopped; `kick()` delivers straight away (after a request queued something). */
export function startOutboxWorker(db: Db, mailer: Mailer, clock: Clock, intervalMs = 5000, onError: (err: unknown) => void = () => {}) {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(() => deliverPending(db, mailer, clock)).catch(onError);
    return running;
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    kick: run,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export type OutboxWorker = ReturnType<typeof startOutboxWorker>;
