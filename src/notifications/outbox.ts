import { sql } from 'drizzle-orm';
import { notifications } from '../db/schema.ts';
import { queryRows, type Db, type DbOrTx } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import type { Mailer } from './mailer.ts';
import { MailServerUnavailable } from './delivery-error.ts';

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

type Pending = { id: string; to_email: string; template: string; subject: string; body: string; attempts: number };

/** How much one delivery sends: at most `batch` e-mails, of which at most `bulk` are bulk mail; personal mail is never held back for bulk. */
export type DeliveryLimits = { batch: number; bulk: number };

/**
 * Sends what is pending, personal mail before bulk and then oldest first. Rows are claimed with SKIP LOCKED, so
 * several app instances can run this at once without sending an e-mail twice. An e-mail the server refuses is tried
 * again at later polls, up to 5 times; when the server cannot be reached the batch stops (MailServerUnavailable).
 * Returns how many were sent, and how many bulk e-mails it took on (they count against the bulk rate whether or not the mail server took them).
 */
export async function deliverPending(db: Db, mailer: Mailer, clock: Clock, limits: DeliveryLimits = { batch: 50, bulk: 50 }): Promise<{ sent: number; bulk: number }> {
  let sent = 0;
  let bulk = 0;
  await db.transaction(async (tx) => {
    const claim = (priority: MailPriority, limit: number) =>
      limit > 0
        ? queryRows<Pending>(
            tx,
            sql`select id, to_email, template, subject, body, attempts from notifications
                where status = 'pending' and ${priority === 'personal' ? sql`priority = ${mailPriority.personal}` : sql`priority > ${mailPriority.personal}`}
                order by priority, created_at limit ${limit} for update skip locked`,
          )
        : Promise.resolve([]);
    const personal = await claim('personal', limits.batch);
    const bulkRows = await claim('bulk', Math.min(limits.bulk, limits.batch - personal.length));
    bulk = bulkRows.length;
    for (const row of [...personal, ...bulkRows]) {
      try {
        await mailer.deliver({ to: row.to_email, template: row.template, subject: row.subject, body: row.body });
        await tx.execute(sql`update notifications set status = 'sent', sent_at = ${clock.now().toISOString()}::timestamptz, attempts = attempts + 1 where id = ${row.id}`);
        sent++;
      } catch (err) {
        if (err instanceof MailServerUnavailable) {
          // Not this e-mail's fault: note why, keep its attempts, and leave the rest of the batch for the next poll.
          await tx.execute(sql`update notifications set last_error = ${String(err)} where id = ${row.id}`);
          break;
        }
        const status = row.attempts + 1 >= maxAttempts ? 'failed' : 'pending';
        await tx.execute(sql`update notifications set status = ${status}, attempts = attempts + 1, last_error = ${String(err)} where id = ${row.id}`);
      }
    }
  });
  return { sent, bulk };
}

/**
 * A steady allowance of bulk e-mails: `perMinute` accrues continuously and at most one poll's worth is saved up, so
 * however often the outbox is kicked (after every request that queues mail) bulk mail never goes faster than the rate.
 * `now` counts milliseconds of real time (pacing is about the mail server, not the programme's dates).
 */
export function bulkPacer(perMinute: number, intervalMs: number, now: () => number = () => performance.now()) {
  const perMs = perMinute / 60_000;
  const capacity = Math.max(1, perMs * intervalMs);
  let saved = capacity;
  let last = now();
  return {
    /** How many bulk e-mails may go now. */
    allowance() {
      const t = now();
      saved = Math.min(capacity, saved + (t - last) * perMs);
      last = t;
      return Math.floor(saved);
    },
    spend(n: number) {
      saved -= n;
    },
  };
}

export type OutboxOptions = { intervalMs: number; batch: number; bulkPerMinute: number };

/** Polls the outbox until stopped; `kick()` delivers straight away (after a request queued something). */
export function startOutboxWorker(db: Db, mailer: Mailer, clock: Clock, options: OutboxOptions, onError: (err: unknown) => void = () => {}) {
  const pacer = bulkPacer(options.bulkPerMinute, options.intervalMs);
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running
      .then(async () => pacer.spend((await deliverPending(db, mailer, clock, { batch: options.batch, bulk: pacer.allowance() })).bulk))
      .catch(onError);
    return running;
  };
  const timer = setInterval(run, options.intervalMs);
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
