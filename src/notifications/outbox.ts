import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { notifications } from '../db/schema.ts';
import { queryRows, type Db, type DbOrTx } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import type { Mailer } from './mailer.ts';
import { MailServerUnavailable } from './delivery-error.ts';
import { limitClause } from '../db/paging.ts';

/**
 * How soon an email should go: `personal` mail is one a person is waiting for (a sign-in or reset link, an invitation
 * to one person) and goes ahead of any `bulk` mail (an upload's invitations and decisions), however much is queued.
 */
export type MailPriority = 'personal' | 'bulk';
export const mailPriority: Record<MailPriority, number> = { personal: 0, bulk: 1 };

/** What the outbox queues: an email, and for a reminder the link that unsubscribes from it in one click. */
export type QueuedEmail = { to: string; template: string; subject: string; body: string; unsubscribeUrl?: string };

/** Queues an email in the same transaction as the change that causes it; it is sent only if that commits. */
export async function enqueueEmail(tx: DbOrTx, email: QueuedEmail, priority: MailPriority = 'personal') {
  await tx.insert(notifications).values({
    toEmail: email.to,
    template: email.template,
    subject: email.subject,
    body: email.body,
    unsubscribeUrl: email.unsubscribeUrl ?? null,
    priority: mailPriority[priority],
  });
}

const maxAttempts = 5;

/**
 * How long a claim on an email lasts. Longer than a whole batch can take (each email is bounded by
 * MAIL_TIMEOUT_SECONDS): a claim still held after this belongs to a process that stopped mid-batch, and its emails
 * are claimed again (sent at least once; at worst, twice if the process stopped between sending and recording it).
 */
export const outboxLeaseMs = 15 * 60_000;

type Claimed = { id: string; to_email: string; template: string; subject: string; body: string; unsubscribe_url: string | null; priority: number; created_at: string };

/** How much one delivery sends: at most `batch` emails, of which at most `bulk` are bulk mail; personal mail is never held back for bulk. */
export type DeliveryLimits = { batch: number; bulk: number };

/**
 * Claims up to `limit` emails of one priority, pending or with a lapsed claim, in a short transaction of its own
 * (SKIP LOCKED: instances claiming at once take different rows), and commits the claim before anything is sent.
 */
async function claim(db: Db, claimId: string, now: Date, priority: MailPriority, limit: number): Promise<Claimed[]> {
  if (limit <= 0) return [];
  const nowIso = now.toISOString();
  const leaseIso = new Date(now.getTime() + outboxLeaseMs).toISOString();
  const rows = await db.transaction((tx) =>
    queryRows<Claimed>(
      tx,
      sql`update notifications set status = 'sending', claim_id = ${claimId}, lease_expires_at = ${leaseIso}::timestamptz
          where id in (
            select id from notifications
            where (status = 'pending' or (status = 'sending' and lease_expires_at < ${nowIso}::timestamptz))
              and ${priority === 'personal' ? sql`priority = ${mailPriority.personal}` : sql`priority > ${mailPriority.personal}`}
            order by priority, created_at limit ${limitClause(limit)} for update skip locked)
          returning id, to_email, template, subject, body, unsubscribe_url, priority, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') as created_at`,
    ),
  );
  // UPDATE … RETURNING gives no order: send oldest first, as chosen.
  return rows.sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at));
}

/** Records what became of a claimed email, if the claim is still ours (a lapsed one may have been taken over). */
const settle = (db: Db, row: Claimed, claimId: string, set: SQL) =>
  db.execute(sql`update notifications set ${set}, claim_id = null, lease_expires_at = null where id = ${row.id} and claim_id = ${claimId}`);

/**
 * Sends what is pending, personal mail before bulk and then oldest first. The emails are first claimed under a
 * lease in a committed transaction, then sent with no transaction open (on PGlite, whose one connection a
 * transaction holds, a slow mail server would otherwise stall every request), then each is marked sent, or kept
 * for another poll with its error (up to 5 attempts, then failed). When the server cannot be reached the batch stops
 * (MailServerUnavailable) and the rest of the claim is handed back without costing an attempt. A claim whose sender
 * stopped lapses after `outboxLeaseMs` and is claimed again.
 * Returns how many were sent, and how many bulk emails it took on (they count against the bulk rate whether or not the mail server took them).
 */
export async function deliverPending(db: Db, mailer: Mailer, clock: Clock, limits: DeliveryLimits = { batch: 50, bulk: 50 }): Promise<{ sent: number; bulk: number }> {
  const claimId = randomUUID();
  const personal = await claim(db, claimId, clock.now(), 'personal', limits.batch);
  const bulkRows = await claim(db, claimId, clock.now(), 'bulk', Math.min(limits.bulk, limits.batch - personal.length));
  const rows = [...personal, ...bulkRows];
  let sent = 0;
  for (const [i, row] of rows.entries()) {
    try {
      await mailer.deliver({ to: row.to_email, template: row.template, subject: row.subject, body: row.body, ...(row.unsubscribe_url ? { unsubscribeUrl: row.unsubscribe_url } : {}) });
    } catch (err) {
      if (err instanceof MailServerUnavailable) {
        // Not this email's fault: note why, keep its attempts, and hand the rest of the batch back for the next poll.
        await settle(db, row, claimId, sql`status = 'pending', last_error = ${String(err)}`);
        for (const rest of rows.slice(i + 1)) await settle(db, rest, claimId, sql`status = 'pending'`);
        break;
      }
      await settle(db, row, claimId, sql`status = case when attempts + 1 >= ${maxAttempts} then 'failed' else 'pending' end, attempts = attempts + 1, last_error = ${String(err)}`);
      continue;
    }
    await settle(db, row, claimId, sql`status = 'sent', sent_at = ${clock.now().toISOString()}::timestamptz, attempts = attempts + 1`);
    sent++;
  }
  return { sent, bulk: bulkRows.length };
}

/**
 * A steady allowance of bulk emails: `perMinute` accrues continuously and at most one poll's worth is saved up, so
 * however often the outbox is kicked (after every request that queues mail) bulk mail never goes faster than the rate.
 * `now` counts milliseconds of real time (pacing is about the mail server, not the programme's dates).
 */
export function bulkPacer(perMinute: number, intervalMs: number, now: () => number = () => performance.now()) {
  const perMs = perMinute / 60_000;
  const capacity = Math.max(1, perMs * intervalMs);
  let saved = capacity;
  let last = now();
  return {
    /** How many bulk emails may go now. */
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
