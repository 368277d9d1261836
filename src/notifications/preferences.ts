/**
 * Which reminders a person gets: all of them unless switched off, on the preferences page (signed in, their own
 * only) or with the unsubscribe link in a reminder (signed in or not). Decision emails are service messages and
 * are always sent.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { hashSecret } from '../auth/secrets.ts';
import { pgArray, queryRows, type Db, type DbOrTx } from '../db/client.ts';
import { UnauthenticatedError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { reminderHints, reminderKinds, reminderLabels, type ReminderKind } from './reminder-kinds.ts';
import { reminderPreferencesSchema } from './schemas.ts';

/** The kinds a person has switched off, in the page's order. */
async function remindersOff(db: DbOrTx, personId: string): Promise<ReminderKind[]> {
  const rows = await queryRows<{ kind: ReminderKind }>(db, sql`select kind from reminder_opt_outs where person_id = ${personId}`);
  const off = new Set(rows.map((r) => r.kind));
  return reminderKinds.filter((k) => off.has(k));
}

/** The signed-in person's reminders, each with whether it is on. */
export async function ownReminderPreferences(db: Db, ctx: RequestContext) {
  if (!ctx.actor) throw new UnauthenticatedError();
  const off = await remindersOff(db, ctx.actor.personId);
  return reminderKinds.map((kind) => ({ kind, label: reminderLabels[kind], hint: reminderHints[kind], on: !off.includes(kind) }));
}

/**
 * Saves the signed-in person's choice (the kinds left on), in one transaction with a
 * `notifications.preferences_changed` audit event when anything changed. Returns whether it did.
 */
export async function saveOwnReminderPreferences(db: Db, ctx: RequestContext, input: unknown): Promise<boolean> {
  if (!ctx.actor) throw new UnauthenticatedError();
  const personId = ctx.actor.personId;
  const { reminders } = parseOrThrow(reminderPreferencesSchema, input);
  const wantedOff = reminderKinds.filter((k) => !reminders.includes(k));
  return db.transaction(async (tx) => {
    // The person's row locked first, so two saves at once apply one after the other.
    await tx.execute(sql`select id from people where id = ${personId} for update`);
    const before = await remindersOff(tx, personId);
    if (before.join() === wantedOff.join()) return false;
    await tx.execute(sql`delete from reminder_opt_outs where person_id = ${personId}`);
    if (wantedOff.length) {
      await tx.execute(sql`insert into reminder_opt_outs (person_id, kind) select ${personId}, k from unnest(${pgArray(wantedOff)}::text[]) as k`);
    }
    await recordAudit(tx, ctx, { action: 'notifications.preferences_changed', recordType: 'person', recordId: personId, before: { remindersOff: before }, after: { remindersOff: wantedOff } });
    return true;
  });
}

/** Why an unsubscribe link does not work: not one we sent (mistyped, cut short, tampered with), or too old. */
export class UnsubscribeLinkError extends Error {
  constructor(readonly reason: 'unknown' | 'expired') {
    super(reason === 'expired' ? 'This unsubscribe link has expired' : 'This unsubscribe link is not valid');
  }
}

type UnsubscribeLink = { personId: string; name: string; email: string; kind: ReminderKind };

/** Whom and which kind an unsubscribe link is for; UnsubscribeLinkError when it is unknown or older than UNSUBSCRIBE_TTL_DAYS. */
export async function unsubscribeLink(db: DbOrTx, config: Pick<Config, 'unsubscribeTtlDays'>, ctx: RequestContext, token: string): Promise<UnsubscribeLink> {
  if (!/^[\w-]{20,100}$/.test(token)) throw new UnsubscribeLinkError('unknown');
  const [row] = await queryRows<{ person_id: string; name: string; email: string; kind: ReminderKind; sent_at: string }>(
    db,
    sql`select r.person_id, p.name, p.email, r.kind, r.sent_at from reminders_sent r join people p on p.id = r.person_id where r.unsubscribe_token_hash = ${hashSecret(token)}`,
  );
  if (!row) throw new UnsubscribeLinkError('unknown');
  if (new Date(row.sent_at).getTime() + config.unsubscribeTtlDays * 86_400_000 < ctx.clock.now().getTime()) throw new UnsubscribeLinkError('expired');
  return { personId: row.person_id, name: row.name, email: row.email, kind: row.kind };
}

/**
 * Switches off the link's kind of reminder for its person, with a `notifications.unsubscribed` audit event; using
 * the link again changes nothing. Works without signing in: the link is the proof.
 */
export async function unsubscribe(db: Db, config: Pick<Config, 'unsubscribeTtlDays'>, ctx: RequestContext, token: string): Promise<UnsubscribeLink> {
  return db.transaction(async (tx) => {
    const link = await unsubscribeLink(tx, config, ctx, token);
    const added = await queryRows<{ kind: string }>(
      tx,
      sql`insert into reminder_opt_outs (person_id, kind) values (${link.personId}, ${link.kind}) on conflict do nothing returning kind`,
    );
    if (added.length) {
      await recordAudit(tx, { ...ctx, systemLabel: 'anonymous' }, { action: 'notifications.unsubscribed', recordType: 'person', recordId: link.personId, after: { kind: link.kind } });
    }
    return link;
  });
}
