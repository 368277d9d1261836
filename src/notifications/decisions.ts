/**
 * The council's side of a nomination decision: when a nomination is approved or declined, the council's SRO(s) are
 * told too (the learner's own email is `decisionEmail` in src/enrolments/service.ts). Queued in the decision's
 * transaction. These are service messages: they cannot be unsubscribed from (docs/email.md).
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { enqueueEmail, type QueuedEmail } from './outbox.ts';

type Decision = { type: string; reason?: string | null };
type Nominee = { id: string; name: string };
type Enrolment = { councilId: string; level: string; period: string };

/**
 * The council's SROs: its named SRO and everyone at the council holding the SRO role, not deactivated, once each,
 * leaving out the nominee (who has their own email).
 */
export async function councilSros(tx: DbOrTx, councilId: string, exceptPersonId: string) {
  return queryRows<{ id: string; name: string; email: string }>(
    tx,
    sql`select p.id, p.name, p.email from people p
        where p.status <> 'deactivated' and p.id <> ${exceptPersonId}
          and (p.id = (select sro_person_id from participations where council_id = ${councilId})
               or (p.organisation_id = ${councilId} and 'council_sro' = any(p.roles)))
        order by lower(p.name), p.id`,
  );
}

/** The email telling an SRO that one of their council's nominations was approved or declined (null for other events). */
export function sroDecisionEmail(sro: { name: string; email: string }, nominee: Nominee, enrolment: Enrolment, event: Decision): QueuedEmail | null {
  if (event.type !== 'approved' && event.type !== 'declined') return null;
  const level = levelLabels[enrolment.level as Level] ?? enrolment.level;
  const approved = event.type === 'approved';
  return {
    to: sro.email,
    template: `nomination-${event.type}-sro`,
    subject: approved ? `${nominee.name}’s ${level} nomination is approved` : `${nominee.name}’s ${level} nomination was declined`,
    body: approved
      ? `Dear ${sro.name},\n\n${nominee.name}’s nomination for the ${level} level of the Contract Management Pioneer Programme has been approved, with a funded place for ${enrolment.period}.\n\nSign in to Pioneer to follow your council’s learners.`
      : `Dear ${sro.name},\n\n${nominee.name}’s nomination for the ${level} level of the Contract Management Pioneer Programme was declined.\n\nReason: ${event.reason ?? ''}\n\nSign in to Pioneer to see your council’s nominations.`,
  };
}

/** Queues the decision email to each of the council's SROs, in the caller's (the decision's) transaction. */
export async function enqueueSroDecisionEmails(tx: DbOrTx, nominee: Nominee, enrolment: Enrolment, event: Decision) {
  if (event.type !== 'approved' && event.type !== 'declined') return;
  for (const sro of await councilSros(tx, enrolment.councilId, nominee.id)) {
    const email = sroDecisionEmail(sro, nominee, enrolment, event);
    if (email) await enqueueEmail(tx, email);
  }
}
