import { and, asc, count, desc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import { cohorts, enrolmentEvents, enrolments, organisations, people } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { builderLimit } from '../db/paging.ts';

export type CohortRow = typeof cohorts.$inferSelect;

/** A page of cohorts (optionally of one level) by start date, and how many there are. */
export async function listCohorts(db: DbOrTx, f: { level?: string; order: 'asc' | 'desc' }, page: { limit: number; offset: number }) {
  const where = f.level ? eq(cohorts.level, f.level) : undefined;
  const dir = f.order === 'desc' ? desc : asc;
  const rows = await db
    .select()
    .from(cohorts)
    .where(where)
    .orderBy(dir(cohorts.startDate), asc(cohorts.name), asc(cohorts.id))
    .limit(builderLimit(page.limit))
    .offset(page.offset);
  const [{ total }] = await db.select({ total: count() }).from(cohorts).where(where);
  return { rows, total };
}

export async function findCohort(db: DbOrTx, id: string): Promise<CohortRow | null> {
  const [row] = await db.select().from(cohorts).where(eq(cohorts.id, id));
  return row ?? null;
}

/** The cohort, locked so that placements in it are serialised and the seats left are exact. */
export async function lockCohort(tx: DbOrTx, id: string): Promise<CohortRow | null> {
  const [row] = await tx.select().from(cohorts).where(eq(cohorts.id, id)).for('update');
  return row ?? null;
}

/**
 * Cohorts locked in id order (a placement locks the one it fills and those its learners leave, after their
 * enrolments), so two placements moving learners between the same cohorts cannot deadlock.
 */
export async function lockCohorts(tx: DbOrTx, ids: string[]): Promise<CohortRow[]> {
  if (!ids.length) return [];
  return tx.select().from(cohorts).where(inArray(cohorts.id, ids)).orderBy(asc(cohorts.id)).for('update');
}

export async function nameTaken(db: DbOrTx, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: cohorts.id })
    .from(cohorts)
    .where(sql`lower(${cohorts.name}) = lower(${name})`);
  return !!row;
}

export async function insertCohort(tx: DbOrTx, row: typeof cohorts.$inferInsert): Promise<CohortRow> {
  const [created] = await tx.insert(cohorts).values(row).returning();
  return created;
}

/**
 * Cohorts of a level that learners may be placed in on `today`: not finished (upcoming or running, see lifecycle.ts)
 * and with a seat left, earliest start first.
 */
export async function placeableCohorts(db: DbOrTx, level: string, today: string) {
  return db
    .select({ id: cohorts.id, name: cohorts.name, startDate: cohorts.startDate, endDate: cohorts.endDate, capacity: cohorts.capacity, placed: cohorts.placed })
    .from(cohorts)
    .where(and(eq(cohorts.level, level), gte(cohorts.endDate, today), lt(cohorts.placed, cohorts.capacity)))
    .orderBy(asc(cohorts.startDate), asc(cohorts.name));
}

/**
 * What has happened in a cohort: the first and last day a learner placed in it started learning (null when none
 * has). Their enrolments are locked for share first, so a "learning started" recorded meanwhile waits for the
 * caller's transaction (the dates change and the step cannot contradict each other).
 */
export async function learningStarted(tx: DbOrTx, cohortId: string): Promise<{ first: string | null; last: string | null }> {
  await tx.select({ id: enrolments.id }).from(enrolments).where(eq(enrolments.cohortId, cohortId)).for('share');
  const [row] = await tx
    .select({ first: sql<string | null>`min(${enrolmentEvents.occurredOn})::text`, last: sql<string | null>`max(${enrolmentEvents.occurredOn})::text` })
    .from(enrolmentEvents)
    .innerJoin(enrolments, eq(enrolments.id, enrolmentEvents.enrolmentId))
    .where(and(eq(enrolments.cohortId, cohortId), eq(enrolmentEvents.type, 'learning_started')));
  return { first: row?.first ?? null, last: row?.last ?? null };
}

/** Writes a cohort's dates, new version; null when someone else changed it since `version` was read. */
export async function setDates(tx: DbOrTx, id: string, version: number, dates: { startDate: string; endDate: string; workshopDates: string[] }) {
  const [row] = await tx
    .update(cohorts)
    .set({ ...dates, version: sql`${cohorts.version} + 1` })
    .where(and(eq(cohorts.id, id), eq(cohorts.version, version)))
    .returning();
  return row ?? null;
}

/** Sets the capacity if it is not below the learners placed (one conditional UPDATE); null when refused. */
export async function setCapacity(tx: DbOrTx, id: string, capacity: number) {
  const [row] = await tx
    .update(cohorts)
    .set({ capacity, version: sql`${cohorts.version} + 1` })
    .where(and(eq(cohorts.id, id), sql`${cohorts.placed} <= ${capacity}`))
    .returning();
  return row ?? null;
}

const learnerFields = {
  id: enrolments.id,
  personId: enrolments.personId,
  name: people.name,
  email: people.email,
  councilId: enrolments.councilId,
  councilName: organisations.name,
  level: enrolments.level,
  period: enrolments.period,
  status: enrolments.status,
  cohortId: enrolments.cohortId,
};

/** The learners placed in a cohort, in the viewer's councils, by council and name. */
export async function cohortLearners(db: DbOrTx, scope: CouncilScope, cohortId: string) {
  return db
    .select(learnerFields)
    .from(enrolments)
    .innerJoin(people, eq(people.id, enrolments.personId))
    .innerJoin(organisations, eq(organisations.id, enrolments.councilId))
    .where(and(eq(enrolments.cohortId, cohortId), councilInScope(scope, sql`${enrolments.councilId}`)))
    .orderBy(asc(organisations.name), asc(people.name), asc(enrolments.id));
}

/** Statuses in which a learner may be placed in (or moved to) a cohort. */
export const placeableStatuses = ['approved', 'registered'];

/** Approved or registered learners of a level, in the viewer's councils, not yet in any cohort. */
export async function unplacedLearners(db: DbOrTx, scope: CouncilScope, level: string, limit: number) {
  return db
    .select(learnerFields)
    .from(enrolments)
    .innerJoin(people, eq(people.id, enrolments.personId))
    .innerJoin(organisations, eq(organisations.id, enrolments.councilId))
    .where(
      and(
        eq(enrolments.level, level),
        inArray(enrolments.status, placeableStatuses),
        isNull(enrolments.cohortId),
        councilInScope(scope, sql`${enrolments.councilId}`),
      ),
    )
    .orderBy(asc(organisations.name), asc(people.name), asc(enrolments.id))
    .limit(builderLimit(limit));
}

/** The enrolments named, in the viewer's councils, locked in id order (so two placements cannot deadlock). */
export async function lockEnrolments(tx: DbOrTx, scope: CouncilScope, ids: string[]) {
  return tx
    .select({ ...learnerFields, version: enrolments.version })
    .from(enrolments)
    .innerJoin(people, eq(people.id, enrolments.personId))
    .innerJoin(organisations, eq(organisations.id, enrolments.councilId))
    .where(and(inArray(enrolments.id, ids), councilInScope(scope, sql`${enrolments.councilId}`)))
    .orderBy(asc(enrolments.id))
    .for('update', { of: enrolments });
}
