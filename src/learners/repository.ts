import { and, eq, sql, type SQL } from 'drizzle-orm';
import { cpdRecords } from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope, LearnerScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { LearnerFilters } from './schemas.ts';
import { containsPattern } from '../db/search.ts';
import { pageClause } from '../db/paging.ts';

/** A learner as the pages and the API show them: a person and their council. */
export type LearnerRow = { id: string; name: string; email: string; jobTitle: string | null; councilId: string; councilName: string };

export type LearnerEnrolmentRow = {
  id: string;
  personId: string;
  councilId: string;
  level: string;
  period: string;
  status: string;
  resumeStatus: string | null;
  attempts: number;
  placeState: string;
  registeredOn: string | null;
  nominatedOn: string;
  cohortId: string | null;
  cohortName: string | null;
  cohortStartDate: string | null;
  workshopDates: string[] | null;
};

export type AccreditationRow = { id: string; personId: string; enrolmentId: string; level: string; awardedOn: string; renewedOn: string | null; certificateNumber: string };

export type CpdRow = { id: string; personId: string; date: string; hours: number; activity: string; reflection: string };

export type HistoryRow = { enrolmentId: string; level: string; type: string; fromStatus: string | null; toStatus: string; occurredOn: string; reason: string | null; recordedAt: Date };

const learnerColumns = sql`p.id, p.name, p.email, p.job_title as "jobTitle", o.id as "councilId", o.name as "councilName"`;

/**
 * Whose learner records the scope shows. Staff: people of the councils in their scope who have at least one
 * enrolment there. A learner: themself.
 */
function learnerInScope(scope: LearnerScope): SQL {
  if (scope.kind === 'self') return sql`p.id = ${scope.personId}::uuid`;
  return sql`${councilInScope(scope.councils, sql`p.organisation_id`)}
    and exists (select 1 from enrolments e where e.person_id = p.id and ${councilInScope(scope.councils, sql`e.council_id`)})`;
}

/** Enrolments the scope shows: for staff, those of councils in scope; a learner sees all of their own. */
function enrolmentInScope(scope: LearnerScope): SQL {
  return scope.kind === 'self' ? sql`true` : councilInScope(scope.councils, sql`e.council_id`);
}

function filtersWhere(filters: LearnerFilters): SQL {
  const parts: SQL[] = [sql`true`];
  if (filters.councilId) parts.push(sql`exists (select 1 from enrolments e where e.person_id = p.id and e.council_id = ${filters.councilId}::uuid)`);
  if (filters.level) parts.push(sql`exists (select 1 from enrolments e where e.person_id = p.id and e.level = ${filters.level})`);
  if (filters.q) {
    const like = containsPattern(filters.q);
    parts.push(sql`(p.name ilike ${like} or p.email ilike ${like})`);
  }
  return sql.join(parts, sql` and `);
}

/** One learner in the scope (null: unknown, outside the scope, or — for staff — never enrolled). */
export async function findLearner(db: DbOrTx, scope: LearnerScope, personId: string): Promise<LearnerRow | null> {
  const [row] = await queryRows<LearnerRow>(
    db,
    sql`select ${learnerColumns} from people p join organisations o on o.id = p.organisation_id
        where p.id = ${personId}::uuid and ${learnerInScope(scope)}`,
  );
  return row ?? null;
}

/** A page of learners in the scope, by name. */
export async function listLearners(db: DbOrTx, scope: LearnerScope, filters: LearnerFilters, page: { page: number; pageSize: number }) {
  const where = sql`${learnerInScope(scope)} and ${filtersWhere(filters)}`;
  const rows = await queryRows<LearnerRow>(
    db,
    sql`select ${learnerColumns} from people p join organisations o on o.id = p.organisation_id
        where ${where} order by p.name, p.id${pageClause(page.pageSize, (page.page - 1) * page.pageSize)}`,
  );
  const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from people p where ${where}`);
  return { rows, total };
}

/** The enrolments of these people that the scope shows, oldest first, with their cohort. */
export async function enrolmentsOf(db: DbOrTx, scope: LearnerScope, personIds: readonly string[]): Promise<LearnerEnrolmentRow[]> {
  if (!personIds.length) return [];
  return queryRows<LearnerEnrolmentRow>(
    db,
    sql`select e.id, e.person_id as "personId", e.council_id as "councilId", e.level, e.period, e.status, e.resume_status as "resumeStatus",
          e.attempts, e.place_state as "placeState", e.registered_on::text as "registeredOn", e.nominated_on::text as "nominatedOn",
          e.cohort_id as "cohortId", c.name as "cohortName", c.start_date::text as "cohortStartDate", c.workshop_dates::text[] as "workshopDates"
        from enrolments e left join cohorts c on c.id = e.cohort_id
        where e.person_id = any(${pgArray(personIds)}::uuid[]) and ${enrolmentInScope(scope)}
        order by e.nominated_on, e.created_at, e.id`,
  );
}

const accreditationColumns = sql`a.id, a.person_id as "personId", a.enrolment_id as "enrolmentId", a.level, a.awarded_on::text as "awardedOn",
  a.renewed_on::text as "renewedOn", a.certificate_number as "certificateNumber"`;

/** The accreditations of these people, oldest first. */
export async function accreditationsOf(db: DbOrTx, personIds: readonly string[]): Promise<AccreditationRow[]> {
  if (!personIds.length) return [];
  return queryRows<AccreditationRow>(
    db,
    sql`select ${accreditationColumns}
        from accreditations a where a.person_id = any(${pgArray(personIds)}::uuid[])
        order by a.awarded_on, a.id`,
  );
}

const cpdColumns = sql`r.id, r.person_id as "personId", r.activity_date::text as "date", r.hours::float8 as hours, r.activity_type as activity, r.reflection`;

/** Every CPD entry of these people (for the upkeep rules), newest first. */
export async function cpdOf(db: DbOrTx, personIds: readonly string[]): Promise<CpdRow[]> {
  if (!personIds.length) return [];
  return queryRows<CpdRow>(
    db,
    sql`select ${cpdColumns} from cpd_records r where r.person_id = any(${pgArray(personIds)}::uuid[])
        order by r.activity_date desc, r.created_at desc, r.id`,
  );
}

/** A page of one person's CPD log, newest first, with the totals of the whole log. */
export async function cpdPage(db: DbOrTx, personId: string, page: { page: number; pageSize: number }) {
  const rows = await queryRows<CpdRow>(
    db,
    sql`select ${cpdColumns} from cpd_records r where r.person_id = ${personId}::uuid
        order by r.activity_date desc, r.created_at desc, r.id${pageClause(page.pageSize, (page.page - 1) * page.pageSize)}`,
  );
  const [totals] = await queryRows<{ entries: number; hours: number }>(
    db,
    sql`select count(*)::int as entries, coalesce(sum(hours), 0)::float8 as hours from cpd_records where person_id = ${personId}::uuid`,
  );
  return { rows, totals };
}

/** Serialises one person's CPD writes until the transaction ends (so a check for a duplicate entry holds). */
/** Whether the person has, or has had, an enrolment or an accreditation: whether they have been a learner. */
export async function hasBeenLearner(db: DbOrTx, personId: string): Promise<boolean> {
  const [row] = await queryRows<{ learner: boolean }>(
    db,
    sql`select exists (select 1 from enrolments where person_id = ${personId}::uuid)
          or exists (select 1 from accreditations where person_id = ${personId}::uuid) as learner`,
  );
  return row.learner;
}

export async function lockCpdLog(tx: DbOrTx, personId: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`cpd:${personId}`}))`);
}

/** An entry of the person's log with exactly these date, hours, activity and reflection, if there is one. */
export async function findSameCpd(tx: DbOrTx, row: typeof cpdRecords.$inferInsert): Promise<{ id: string } | null> {
  const [found] = await tx
    .select({ id: cpdRecords.id })
    .from(cpdRecords)
    .where(
      and(
        eq(cpdRecords.personId, row.personId),
        eq(cpdRecords.activityDate, row.activityDate),
        eq(cpdRecords.hours, row.hours),
        eq(cpdRecords.activityType, row.activityType),
        eq(cpdRecords.reflection, row.reflection),
      ),
    )
    .limit(1);
  return found ?? null;
}

/** One entry of this person's log, or null when the id is unknown or names someone else's entry. */
export async function findOwnCpd(db: DbOrTx, personId: string, id: string): Promise<CpdRow | null> {
  const [row] = await queryRows<CpdRow>(db, sql`select ${cpdColumns} from cpd_records r where r.id = ${id}::uuid and r.person_id = ${personId}::uuid`);
  return row ?? null;
}

/** Rewrites one entry of this person's log; false when it is no longer there. */
export async function updateCpd(tx: DbOrTx, personId: string, id: string, row: Omit<typeof cpdRecords.$inferInsert, 'personId'>): Promise<boolean> {
  const rows = await tx
    .update(cpdRecords)
    .set(row)
    .where(and(eq(cpdRecords.id, id), eq(cpdRecords.personId, personId)))
    .returning({ id: cpdRecords.id });
  return rows.length === 1;
}

/** Deletes one entry of this person's log; false when it was already gone. */
export async function deleteCpd(tx: DbOrTx, personId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(cpdRecords)
    .where(and(eq(cpdRecords.id, id), eq(cpdRecords.personId, personId)))
    .returning({ id: cpdRecords.id });
  return rows.length === 1;
}

export async function insertCpd(tx: DbOrTx, row: typeof cpdRecords.$inferInsert) {
  const [created] = await tx.insert(cpdRecords).values(row).returning({ id: cpdRecords.id });
  return created;
}

/** The journey events of one person's enrolments that the scope shows, oldest first. */
export async function historyOf(db: DbOrTx, scope: LearnerScope, personId: string): Promise<HistoryRow[]> {
  return queryRows<HistoryRow>(
    db,
    sql`select ev.enrolment_id as "enrolmentId", e.level, ev.type, ev.from_status as "fromStatus", ev.to_status as "toStatus",
          ev.occurred_on::text as "occurredOn", ev.reason, ev.recorded_at as "recordedAt"
        from enrolment_events ev join enrolments e on e.id = ev.enrolment_id
        where e.person_id = ${personId}::uuid and ${enrolmentInScope(scope)}
        order by ev.occurred_on, ev.recorded_at, ev.id`,
  );
}


/**
 * One accreditation of one person, earned through an enrolment at a council in `scope` (null when the id is unknown,
 * names someone else's, or was earned at a council outside the scope — as a journey step is scoped by its
 * enrolment's council, not by where the person works now).
 */
export async function findAccreditation(db: DbOrTx, scope: CouncilScope, personId: string, accreditationId: string): Promise<AccreditationRow | null> {
  const [row] = await queryRows<AccreditationRow>(
    db,
    sql`select ${accreditationColumns} from accreditations a join enrolments e on e.id = a.enrolment_id
        where a.id = ${accreditationId}::uuid and a.person_id = ${personId}::uuid and ${councilInScope(scope, sql`e.council_id`)}`,
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

/** The name of the partner organisation that manages each council (it decides the council's nominations). */
export async function managingPartnerNames(db: DbOrTx, councilIds: readonly string[]): Promise<Map<string, string>> {
  if (!councilIds.length) return new Map();
  const found = await queryRows<{ councilId: string; name: string }>(
    db,
    sql`select p.council_id as "councilId", o.name from participations p join organisations o on o.id = p.managing_partner_id
        where p.council_id = any(${pgArray(councilIds)}::uuid[])`,
  );
  return new Map(found.map((r) => [r.councilId, r.name]));
}
