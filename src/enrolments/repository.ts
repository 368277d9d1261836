import { cachedRead } from '../db/read-cache.ts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { accreditations, cohorts, enrolmentEvents, enrolments, organisations, participations, people } from '../db/schema.ts';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';

export type EnrolmentRow = typeof enrolments.$inferSelect;

/** One enrolment in the scope, locked for a move (null: unknown or outside the scope). */
export async function lockEnrolment(tx: DbOrTx, scope: CouncilScope, id: string): Promise<EnrolmentRow | null> {
  const [row] = await tx
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.id, id), councilInScope(scope, sql`${enrolments.councilId}`)))
    .for('update');
  return row ?? null;
}

/** A council with its programme status, if it is in the scope. */
export async function findCouncil(db: DbOrTx, scope: CouncilScope, id: string) {
  const [row] = await findCouncils(db, scope, [id]);
  return row ?? null;
}

/** The councils among `ids` that are in the scope, with their programme status (an upload's, in one statement). */
export function findCouncils(db: DbOrTx, scope: CouncilScope, ids: readonly string[]) {
  return db
    .select({ id: organisations.id, name: organisations.name, gssCode: organisations.gssCode, status: participations.status, emailDomains: participations.emailDomains })
    .from(organisations)
    .leftJoin(participations, eq(participations.councilId, organisations.id))
    .where(and(inArray(organisations.id, [...ids]), eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`)));
}

const nomineeFields = {
  id: people.id,
  name: people.name,
  email: people.email,
  jobTitle: people.jobTitle,
  organisationId: people.organisationId,
  roles: people.roles,
  status: people.status,
  erased: sql<boolean>`${people.erasedAt} is not null`,
};

export async function findPersonById(db: DbOrTx, id: string) {
  const [row] = await db
    .select(nomineeFields)
    .from(people)
    .where(eq(people.id, id));
  return row ?? null;
}

export async function findPersonByEmail(db: DbOrTx, email: string) {
  const [row] = await db
    .select(nomineeFields)
    .from(people)
    .where(sql`lower(${people.email}) = lower(${email})`);
  return row ?? null;
}

/** Adds the learner role to a person who does not hold it yet. */
export async function addLearnerRole(tx: DbOrTx, personId: string, now: Date) {
  await tx
    .update(people)
    .set({ roles: sql`array_append(${people.roles}, 'learner')`, version: sql`${people.version} + 1`, updatedAt: now })
    .where(and(eq(people.id, personId), sql`not ('learner' = any(${people.roles}))`));
}

/** The person's live (not declined or withdrawn) enrolment on a level, if any. */
export async function liveEnrolment(db: DbOrTx, personId: string, level: string) {
  const [row] = await db
    .select({ id: enrolments.id, status: enrolments.status })
    .from(enrolments)
    .where(and(eq(enrolments.personId, personId), eq(enrolments.level, level), sql`${enrolments.status} not in ('declined', 'withdrawn')`));
  return row ?? null;
}

/**
 * What the person already has on a level, for the rule that a level held or being worked towards cannot be nominated
 * again: their active enrolment on it (other than `exceptId`, the one being corrected), and the accreditations of it.
 */
export async function levelStanding(db: DbOrTx, personId: string, level: string, exceptId?: string) {
  const [active] = await db
    .select({ id: enrolments.id, status: enrolments.status })
    .from(enrolments)
    .where(
      and(
        eq(enrolments.personId, personId),
        eq(enrolments.level, level),
        sql`${enrolments.status} not in ('declined', 'withdrawn', 'accredited')`,
        exceptId ? sql`${enrolments.id} <> ${exceptId}` : undefined,
      ),
    );
  const held = await db
    .select({ level: accreditations.level, awardedOn: accreditations.awardedOn, renewedOn: accreditations.renewedOn })
    .from(accreditations)
    .where(and(eq(accreditations.personId, personId), eq(accreditations.level, level)));
  return { active: active ?? null, held };
}

export async function insertEnrolment(tx: DbOrTx, row: typeof enrolments.$inferInsert) {
  const [created] = await tx.insert(enrolments).values(row).returning();
  return created;
}

export async function updateEnrolment(tx: DbOrTx, id: string, changes: Partial<typeof enrolments.$inferInsert>, now: Date) {
  await tx
    .update(enrolments)
    .set({ ...changes, version: sql`${enrolments.version} + 1`, updatedAt: now })
    .where(eq(enrolments.id, id));
}

export async function insertEvent(tx: DbOrTx, row: typeof enrolmentEvents.$inferInsert) {
  await tx.insert(enrolmentEvents).values(row);
}

export async function insertAccreditation(tx: DbOrTx, row: typeof accreditations.$inferInsert) {
  await tx.insert(accreditations).values(row);
}

export async function certificateTaken(db: DbOrTx, certificateNumber: string): Promise<boolean> {
  const [row] = await db
    .select({ id: accreditations.id })
    .from(accreditations)
    .where(sql`upper(${accreditations.certificateNumber}) = upper(${certificateNumber})`);
  return !!row;
}

/**
 * Takes a seat in a cohort of the enrolment's level, in one conditional UPDATE (like funded places): false when
 * the cohort is unknown, of another level, or full.
 */
export async function takeSeat(tx: DbOrTx, cohortId: string, level: string): Promise<boolean> {
  const rows = await tx
    .update(cohorts)
    .set({ placed: sql`${cohorts.placed} + 1` })
    .where(and(eq(cohorts.id, cohortId), eq(cohorts.level, level), sql`${cohorts.placed} < ${cohorts.capacity}`))
    .returning({ id: cohorts.id });
  return rows.length === 1;
}

export async function freeSeat(tx: DbOrTx, cohortId: string) {
  await tx
    .update(cohorts)
    .set({ placed: sql`${cohorts.placed} - 1` })
    .where(and(eq(cohorts.id, cohortId), sql`${cohorts.placed} > 0`));
}

export async function findCohort(db: DbOrTx, id: string) {
  const [row] = await db.select({ id: cohorts.id, name: cohorts.name, level: cohorts.level, capacity: cohorts.capacity, placed: cohorts.placed }).from(cohorts).where(eq(cohorts.id, id));
  return row ?? null;
}

/**
 * The periods that hold data (an enrolment or a funded places allocation), oldest first. Enrolments may be many, so
 * their periods are found by skipping through the period index (one probe per period) rather than by scanning them;
 * allocations are a few per council. Kept between changes like the lists' other filter options (db/read-cache.ts).
 */
export function periodsHoldingData(db: DbOrTx): Promise<string[]> {
  return cachedRead(db, 'enrolments.periods', () => readPeriodsHoldingData(db));
}

async function readPeriodsHoldingData(db: DbOrTx): Promise<string[]> {
  const rows = await queryRows<{ period: string }>(
    db,
    sql`with recursive e(period) as (
          (select period from enrolments order by period limit 1)
          union all
          select (select n.period from enrolments n where n.period > e.period order by n.period limit 1) from e where e.period is not null
        )
        select period from e where period is not null
        union
        select distinct period from funded_places
        order by 1`,
  );
  return rows.map((r) => r.period);
}
