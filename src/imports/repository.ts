import { eq, getTableColumns, sql } from 'drizzle-orm';
import { enrolments, importRuns } from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';

/**
 * A run as the pages and reports read it: every column but the held file, which only the upload's job reads (when
 * it claims the run). A status page reloaded every few seconds must not fetch several megabytes each time.
 */
const { upload: _heldFile, ...runColumns } = getTableColumns(importRuns);

export type ImportRunRow = Omit<typeof importRuns.$inferSelect, 'upload'>;

export type CouncilByCode = { id: string; name: string; gssCode: string; status: string | null; emailDomains: string[]; inScope: boolean };

/** Councils with these GSS codes (upper case), each saying whether it is in the uploader's scope. */
export async function councilsByCode(db: DbOrTx, scope: CouncilScope, codes: string[]): Promise<CouncilByCode[]> {
  if (!codes.length) return [];
  return queryRows<CouncilByCode>(
    db,
    sql`select o.id, o.name, upper(o.gss_code) as "gssCode", p.status, coalesce(p.email_domains, '{}') as "emailDomains", ${councilInScope(scope, sql`o.id`)} as "inScope"
        from organisations o left join participations p on p.council_id = o.id
        where o.kind = 'council' and upper(o.gss_code) = any(${pgArray(codes)}::text[])`,
  );
}

export type PersonByEmail = { id: string; name: string; email: string; organisationId: string; status: string };

/** People with these email addresses (compared in lower case). */
export async function peopleByEmail(db: DbOrTx, emails: string[]): Promise<PersonByEmail[]> {
  if (!emails.length) return [];
  return queryRows<PersonByEmail>(
    db,
    sql`select id, name, email, organisation_id as "organisationId", status from people
        where lower(email) = any(${pgArray(emails)}::text[])`,
  );
}

export type LatestEnrolment = {
  id: string;
  personId: string;
  level: string;
  period: string;
  status: string;
  resumeStatus: string | null;
  attempts: number;
  placeState: string;
  registeredOn: string | null;
  lastEventOn: string;
};

/** Each person's latest enrolment per level: a live one first, else the most recently created. */
export async function latestEnrolments(db: DbOrTx, personIds: string[]): Promise<LatestEnrolment[]> {
  if (!personIds.length) return [];
  return queryRows<LatestEnrolment>(
    db,
    sql`select distinct on (person_id, level) id, person_id as "personId", level, period, status, resume_status as "resumeStatus", attempts,
               place_state as "placeState", registered_on::text as "registeredOn", last_event_on::text as "lastEventOn"
        from enrolments where person_id = any(${pgArray(personIds)}::uuid[])
        order by person_id, level, (status not in ('declined', 'withdrawn')) desc, created_at desc, id`,
  );
}

export type HistoryEvent = { enrolmentId: string; type: string; occurredOn: string; certificateNumber: string | null };

/** The recorded events of these enrolments (for "already uploaded" checks). */
export async function eventsOf(db: DbOrTx, enrolmentIds: string[], onDates: string[]): Promise<HistoryEvent[]> {
  if (!enrolmentIds.length || !onDates.length) return [];
  return queryRows<HistoryEvent>(
    db,
    sql`select enrolment_id as "enrolmentId", type, occurred_on::text as "occurredOn", certificate_number as "certificateNumber"
        from enrolment_events where enrolment_id = any(${pgArray(enrolmentIds)}::uuid[]) and occurred_on = any(${pgArray(onDates)}::date[])`,
  );
}

/** Certificate numbers (upper case) already recorded, with the enrolment each belongs to. */
export async function certificatesTaken(db: DbOrTx, certificates: string[]): Promise<{ certificate: string; enrolmentId: string }[]> {
  if (!certificates.length) return [];
  return queryRows<{ certificate: string; enrolmentId: string }>(
    db,
    sql`select upper(certificate_number) as certificate, enrolment_id as "enrolmentId" from accreditations
        where upper(certificate_number) = any(${pgArray(certificates)}::text[])`,
  );
}

/**
 * Locks the enrolments an upload moves, all at once and in id order, so two uploads touching the same learners
 * queue behind each other instead of deadlocking.
 */
export async function lockEnrolments(tx: DbOrTx, ids: string[]): Promise<(typeof enrolments.$inferSelect)[]> {
  if (!ids.length) return [];
  return tx
    .select()
    .from(enrolments)
    .where(sql`${enrolments.id} = any(${pgArray(ids)}::uuid[])`)
    .orderBy(enrolments.id)
    .for('update');
}

/** What an upload's outcome sets on its run. */
export type RunOutcome = Pick<typeof importRuns.$inferInsert, 'status' | 'rowCount' | 'format' | 'created' | 'unchanged' | 'invited' | 'errors' | 'reportRows'>;

/** A queued or running run's outcome: it is finished, and its stored file is dropped. */
export async function finishRun(db: DbOrTx, id: string, outcome: RunOutcome, now: Date): Promise<ImportRunRow> {
  const [row] = await db
    .update(importRuns)
    .set({ ...outcome, phase: null, upload: null, processed: outcome.rowCount ?? 0, updatedAt: now, finishedAt: now })
    .where(eq(importRuns.id, id))
    .returning(runColumns);
  if (!row) throw new Error(`Import run ${id} does not exist`);
  return row;
}

export async function insertRun(db: DbOrTx, row: typeof importRuns.$inferInsert): Promise<ImportRunRow> {
  const [created] = await db.insert(importRuns).values(row).returning(runColumns);
  return created;
}

export async function findRun(db: DbOrTx, id: string): Promise<ImportRunRow | null> {
  const [row] = await db.select(runColumns).from(importRuns).where(eq(importRuns.id, id));
  return row ?? null;
}
