/**
 * All SQL of the retention rules (src/privacy/retention.ts). Each rule's condition is written once, as a fragment
 * that both the preview (counts and lists, for the admin page) and the run (deletes and updates) use, so the page
 * shows exactly what a run would remove.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { limitClause } from '../db/paging.ts';

/** The first moment after a UK calendar day: a record dated on or before `date` (UK time) is before it. */
const afterUkDay = (date: string) => sql`((${date}::date + 1)::timestamp at time zone 'Europe/London')`;

/** The day on or before which each kind of record is due (UK dates), and the moment sessions and links expire by. */
export type Cutoffs = { now: Date; invitationsOn: string; auditIpOn: string; deactivatedOn: string };

/** Sessions past their expiry (alias `s`). */
const expiredSession = (c: Cutoffs) => sql`s.expires_at < ${c.now}`;

/**
 * Links used or past their expiry (alias `t`), except the unused invitation of someone still invited: it dates their
 * invitation, which the invitation rule removes when it is old enough.
 */
const spentLink = (c: Cutoffs) => sql`(t.used_at is not null or t.expires_at < ${c.now})
  and not (t.purpose = 'invite' and t.used_at is null and exists (select 1 from people ip where ip.id = t.person_id and ip.status = 'invited'))`;

/**
 * Nothing the programme keeps is attached to the person (alias `p`): no nomination or journey, accreditation, CPD,
 * request for places, upload, specialist assignment, or council role. Someone invited with any of these (a nominated
 * learner who never signed in) is still followed by the programme, so only their old invitation link goes.
 */
const holdsNothingElse = sql`not exists (select 1 from enrolments e where e.person_id = p.id or e.nominated_by_id = p.id)
  and not exists (select 1 from enrolment_events ev where ev.actor_id = p.id)
  and not exists (select 1 from accreditations a where a.person_id = p.id)
  and not exists (select 1 from cpd_records c where c.person_id = p.id)
  and not exists (select 1 from place_requests r where r.requested_by_id = p.id or r.decided_by_id = p.id)
  and not exists (select 1 from import_runs i where i.uploaded_by_id = p.id)
  and not exists (select 1 from specialist_assignments sa where sa.person_id = p.id)
  and not exists (select 1 from participations pa where pa.sro_person_id = p.id or pa.lead_person_id = p.id)`;

/** Invited people (alias `p`) who never accepted, last invited on or before the cut-off, with nothing else held about them. */
const staleInvitee = (c: Cutoffs) => sql`p.status = 'invited' and p.erased_at is null and p.password_hash is null
  and p.created_at < ${afterUkDay(c.invitationsOn)}
  and not exists (select 1 from one_time_tokens t where t.person_id = p.id and t.purpose = 'invite' and t.created_at >= ${afterUkDay(c.invitationsOn)})
  and ${holdsNothingElse}`;

/** Unused invitation links (alias `t`) sent on or before the cut-off: those of people kept (nominated learners). */
const staleInvitationLink = (c: Cutoffs) => sql`t.purpose = 'invite' and t.used_at is null and t.created_at < ${afterUkDay(c.invitationsOn)}`;

/** Audit events (alias `a`) on or before the cut-off that still hold an IP address. */
const oldAuditIp = (c: Cutoffs) => sql`a.ip is not null and a.occurred_at < ${afterUkDay(c.auditIpOn)}`;

/** People (alias `p`) deactivated on or before the cut-off and not yet erased. */
const longDeactivated = (c: Cutoffs) => sql`p.status = 'deactivated' and p.erased_at is null and p.deactivated_at < ${afterUkDay(c.deactivatedOn)}`;

const count = async (db: DbOrTx, query: SQL) => (await queryRows<{ n: number }>(db, query))[0].n;

/** How many of each kind a run with these cut-offs would remove now. */
export async function dueCounts(db: DbOrTx, c: Cutoffs) {
  const sessions = await count(db, sql`select count(*)::int as n from sessions s where ${expiredSession(c)}`);
  const links = await count(db, sql`select count(*)::int as n from one_time_tokens t where ${spentLink(c)}`);
  const invitedPeople = await count(db, sql`select count(*)::int as n from people p where ${staleInvitee(c)}`);
  const auditIps = await count(db, sql`select count(*)::int as n from audit_events a where ${oldAuditIp(c)}`);
  const deactivatedPeople = await count(db, sql`select count(*)::int as n from people p where ${longDeactivated(c)}`);
  // Links of people the run removes go with them; the rest are the links of people kept.
  const invitationLinks = await count(
    db,
    sql`select count(*)::int as n from one_time_tokens t where ${staleInvitationLink(c)}
        and not exists (select 1 from people p where p.id = t.person_id and ${staleInvitee(c)})`,
  );
  return { sessions, links, invitedPeople, invitationLinks, auditIps, deactivatedPeople };
}

export type DuePerson = { id: string; name: string; organisation: string; since: Date };

/** The people a run would remove or anonymise, oldest first, at most `limit` of each. */
export async function duePeople(db: DbOrTx, c: Cutoffs, limit: number) {
  const list = (where: SQL, since: SQL) =>
    queryRows<DuePerson>(
      db,
      sql`select p.id, p.name, o.name as organisation, ${since} as since
          from people p join organisations o on o.id = p.organisation_id where ${where} order by ${since}, p.id limit ${limitClause(limit)}`,
    );
  return {
    invitedPeople: await list(staleInvitee(c), sql`coalesce((select max(t.created_at) from one_time_tokens t where t.person_id = p.id and t.purpose = 'invite'), p.created_at)`),
    deactivatedPeople: await list(longDeactivated(c), sql`p.deactivated_at`),
  };
}

/** The ids of invited people due for removal, or of deactivated people due for anonymisation. */
export async function dueIds(db: DbOrTx, c: Cutoffs, kind: 'invitedPeople' | 'deactivatedPeople'): Promise<string[]> {
  const where = kind === 'invitedPeople' ? staleInvitee(c) : longDeactivated(c);
  return (await queryRows<{ id: string }>(db, sql`select p.id from people p where ${where} order by p.id`)).map((r) => r.id);
}

/** Whether the person is still due (checked again once their row is locked: they may have accepted or been reactivated). */
export async function stillDue(tx: DbOrTx, c: Cutoffs, kind: 'invitedPeople' | 'deactivatedPeople', id: string): Promise<boolean> {
  const where = kind === 'invitedPeople' ? staleInvitee(c) : longDeactivated(c);
  await tx.execute(sql`select id from people where id = ${id}::uuid for update`);
  return (await count(tx, sql`select count(*)::int as n from people p where p.id = ${id}::uuid and ${where}`)) === 1;
}

/** Runs a `delete … returning 1` or `update … returning 1` and says how many rows it changed. */
const countOf = (tx: DbOrTx, change: SQL) => count(tx, sql`with changed as (${change}) select count(*)::int as n from changed`);

export const deleteExpiredSessions = (tx: DbOrTx, c: Cutoffs) => countOf(tx, sql`delete from sessions s where ${expiredSession(c)} returning 1`);

export const deleteSpentLinks = (tx: DbOrTx, c: Cutoffs) => countOf(tx, sql`delete from one_time_tokens t where ${spentLink(c)} returning 1`);

export const deleteStaleInvitationLinks = (tx: DbOrTx, c: Cutoffs) =>
  countOf(tx, sql`delete from one_time_tokens t where ${staleInvitationLink(c)} returning 1`);

/** Drops old IP addresses from the audit log: one of the two rewrites its append-only trigger allows (`pioneer.erasing`). */
export async function dropOldAuditIps(tx: DbOrTx, c: Cutoffs) {
  await tx.execute(sql`select set_config('pioneer.erasing', 'on', true)`);
  return countOf(tx, sql`update audit_events a set ip = null where ${oldAuditIp(c)} returning 1`);
}

/**
 * Deletes an invited person's row and what hangs off it, after their erasure in the same transaction scrubbed the
 * audit log and mail of them (the audit events keep their id, shown unlinked).
 */
export async function deletePerson(tx: DbOrTx, id: string) {
  for (const table of ['one_time_tokens', 'sessions', 'api_tokens', 'reminders_sent', 'reminder_opt_outs']) {
    await tx.execute(sql`delete from ${sql.identifier(table)} where person_id = ${id}::uuid`);
  }
  await tx.execute(sql`delete from people where id = ${id}::uuid`);
}

/**
 * Claims today's daily run: inserts the day's row, or takes over one whose run started before `staleBefore` and never
 * finished (its instance stopped). Returns the run's id, or null when another instance has the day.
 */
export async function claimDay(db: DbOrTx, runOn: string, claimId: string, now: Date, staleBefore: Date): Promise<string | null> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into retention_runs (run_on, trigger, claim_id, started_at) values (${runOn}::date, 'daily', ${claimId}::uuid, ${now})
        on conflict (run_on) where trigger = 'daily'
        do update set claim_id = excluded.claim_id, started_at = excluded.started_at
          where retention_runs.finished_at is null and retention_runs.started_at < ${staleBefore}
        returning id, claim_id as "claimId"`,
  );
  return row ? row.id : null;
}

/** Records a manual run (the admin page's "Run now"), which never stands in for the day's run. */
export async function startManualRun(db: DbOrTx, runOn: string, claimId: string, now: Date): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into retention_runs (run_on, trigger, claim_id, started_at) values (${runOn}::date, 'manual', ${claimId}::uuid, ${now}) returning id`,
  );
  return row.id;
}

/** Marks a run finished with its counts, if the claim is still ours. */
export async function finishRun(db: DbOrTx, id: string, claimId: string, now: Date, counts: Record<string, number>) {
  await db.execute(sql`update retention_runs set finished_at = ${now}, counts = ${JSON.stringify(counts)}::jsonb where id = ${id}::uuid and claim_id = ${claimId}::uuid`);
}

/** The latest runs, newest first, for the admin page. */
export function recentRuns(db: DbOrTx, limit: number) {
  return queryRows<{ id: string; runOn: string; trigger: 'daily' | 'manual'; startedAt: Date; finishedAt: Date | null; counts: Record<string, number> | null }>(
    db,
    sql`select id, run_on::text as "runOn", trigger, started_at as "startedAt", finished_at as "finishedAt", counts
        from retention_runs order by started_at desc, id limit ${limitClause(limit)}`,
  );
}
