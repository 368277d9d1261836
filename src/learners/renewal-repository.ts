/**
 * The SQL of recording a Foundation renewal. Kept apart from repository.ts (the learner reads) so the renewal
 * command's writes sit in one small file.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { AccreditationRow } from './repository.ts';

const accreditationColumns = sql`a.id, a.person_id as "personId", a.enrolment_id as "enrolmentId", a.level, a.awarded_on::text as "awardedOn",
  a.renewed_on::text as "renewedOn", a.certificate_number as "certificateNumber"`;

/** One accreditation of one person (null when the id is unknown or names someone else's). */
export async function findAccreditation(db: DbOrTx, personId: string, accreditationId: string): Promise<AccreditationRow | null> {
  const [row] = await queryRows<AccreditationRow>(
    db,
    sql`select ${accreditationColumns} from accreditations a where a.id = ${accreditationId}::uuid and a.person_id = ${personId}::uuid`,
  );
  return row ?? null;
}

/**
 * Moves a Foundation accreditation's renewal date forward to `date`, and only forward: the guard in the WHERE
 * clause is evaluated against the row as it is when the UPDATE takes its lock, so a renewal committed meanwhile
 * by someone else with a later (or the same) date makes this one change nothing rather than move the date back.
 * Answers the renewal date it replaced, read under the same lock (so the audit's "before" is the true one), or
 * null when nothing was changed.
 */
export async function renewForward(tx: DbOrTx, accreditationId: string, date: string): Promise<{ previous: string | null } | null> {
  const [row] = await queryRows<{ previous: string | null }>(
    tx,
    sql`update accreditations a set renewed_on = ${date}::date
        from (select id, renewed_on from accreditations where id = ${accreditationId}::uuid for update) prev
        where a.id = prev.id and a.level = 'foundation' and a.awarded_on <= ${date}::date
          and (a.renewed_on is null or a.renewed_on < ${date}::date)
        returning prev.renewed_on::text as previous`,
  );
  return row ?? null;
}
