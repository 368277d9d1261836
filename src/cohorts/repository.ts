import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { cohorts, enrolments, organisations, people } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';

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
    .limit(page.limit)
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
    .limit(limit);
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
