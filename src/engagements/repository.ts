import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import {
  engagementActionEvidence,
  engagementActionNotes,
  engagementActions,
  engagementMilestones,
  engagements,
  engagementSpecialists,
  engagementTimeEntries,
  organisations,
  people,
} from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { EngagementStatus } from './rules.ts';
import { builderLimit } from '../db/paging.ts';

const lead = alias(people, 'lead');

const usedMinutes = sql<number>`(select coalesce(sum(t.minutes), 0)::int from engagement_time_entries t where t.engagement_id = ${engagements.id})`;
const overdueActions = (today: string) =>
  sql<number>`(select count(*)::int from engagement_actions a where a.engagement_id = ${engagements.id} and a.status <> 'done' and a.due_date < ${today}::date)`;

const engagementFields = (today: string) => ({
  id: engagements.id,
  councilId: engagements.councilId,
  councilName: organisations.name,
  title: engagements.title,
  status: engagements.status,
  leadSpecialistId: engagements.leadSpecialistId,
  leadSpecialistName: lead.name,
  scope: engagements.scope,
  objectives: engagements.objectives,
  startDate: engagements.startDate,
  endDate: engagements.endDate,
  plannedMinutes: engagements.plannedMinutes,
  usedMinutes,
  overdueActions: overdueActions(today),
  planSignedOffAt: engagements.planSignedOffAt,
  planSignedOffByName: sql<string | null>`(select p.name from people p where p.id = ${engagements.planSignedOffById})`,
  completionSignedOffAt: engagements.completionSignedOffAt,
  completionSignedOffByName: sql<string | null>`(select p.name from people p where p.id = ${engagements.completionSignedOffById})`,
  specialistIds: sql<string[]>`array(select s.person_id::text from engagement_specialists s where s.engagement_id = ${engagements.id} order by s.person_id)`,
  version: engagements.version,
});

function selectEngagements(db: DbOrTx, today: string) {
  return db
    .select(engagementFields(today))
    .from(engagements)
    .innerJoin(organisations, eq(organisations.id, engagements.councilId))
    .innerJoin(lead, eq(lead.id, engagements.leadSpecialistId))
    .$dynamic();
}

export type EngagementFilters = { status?: EngagementStatus; councilId?: string; specialistId?: string };
export type EngagementSort = { sort: 'council' | 'startDate' | 'endDate' | 'status'; order: 'asc' | 'desc' };

function listWhere(scope: CouncilScope, f: EngagementFilters): SQL | undefined {
  return and(
    councilInScope(scope, sql`${engagements.councilId}`),
    f.status ? eq(engagements.status, f.status) : undefined,
    f.councilId ? eq(engagements.councilId, f.councilId) : undefined,
    f.specialistId
      ? sql`(${engagements.leadSpecialistId} = ${f.specialistId}::uuid or exists (select 1 from engagement_specialists s where s.engagement_id = ${engagements.id} and s.person_id = ${f.specialistId}::uuid))`
      : undefined,
  );
}

const sortColumns = { council: organisations.name, startDate: engagements.startDate, endDate: engagements.endDate, status: engagements.status };

/** One page of the engagements in scope that match, and how many match. */
export async function listEngagements(
  db: DbOrTx,
  scope: CouncilScope,
  filters: EngagementFilters,
  sort: EngagementSort,
  today: string,
  page: { limit: number; offset: number } | null,
) {
  const where = listWhere(scope, filters);
  const direction = sort.order === 'desc' ? desc : asc;
  const query = selectEngagements(db, today).where(where).orderBy(direction(sortColumns[sort.sort]), asc(engagements.startDate), asc(engagements.id));
  const rows = await (page ? query.limit(builderLimit(page.limit)).offset(page.offset) : query);
  const [{ total }] = await db.select({ total: count() }).from(engagements).innerJoin(organisations, eq(organisations.id, engagements.councilId)).where(where);
  return { rows, total };
}
export type EngagementRow = Awaited<ReturnType<typeof listEngagements>>['rows'][number];

export async function findEngagement(db: DbOrTx, scope: CouncilScope, id: string, today: string): Promise<EngagementRow | null> {
  const [row] = await selectEngagements(db, today).where(and(eq(engagements.id, id), councilInScope(scope, sql`${engagements.councilId}`)));
  return row ?? null;
}

/** The engagement's team: the lead first, then the others by name. */
export async function team(db: DbOrTx, engagementId: string) {
  return db
    .select({ personId: people.id, name: people.name, email: people.email, lead: sql<boolean>`${people.id} = ${engagements.leadSpecialistId}` })
    .from(engagements)
    .innerJoin(people, sql`${people.id} = ${engagements.leadSpecialistId} or ${people.id} in (select person_id from engagement_specialists s where s.engagement_id = ${engagements.id})`)
    .where(eq(engagements.id, engagementId))
    .orderBy(desc(sql`${people.id} = ${engagements.leadSpecialistId}`), asc(people.name));
}

/** The council's active people (owners of actions). */
export async function councilPeople(db: DbOrTx, councilId: string) {
  return db
    .select({ personId: people.id, name: people.name, jobTitle: people.jobTitle })
    .from(people)
    .where(and(eq(people.organisationId, councilId), eq(people.status, 'active')))
    .orderBy(asc(people.name));
}

/** Councils (in scope) an engagement may be opened for: active or onboarding ones. */
export async function councilChoices(db: DbOrTx, scope: CouncilScope) {
  return db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .where(and(eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`)))
    .orderBy(asc(organisations.name));
}

export async function insertEngagement(
  tx: DbOrTx,
  values: Omit<typeof engagements.$inferInsert, 'id'>,
  specialistIds: readonly string[],
): Promise<string> {
  const [row] = await tx.insert(engagements).values(values).returning({ id: engagements.id });
  await replaceSpecialists(tx, row.id, specialistIds);
  return row.id;
}

export async function replaceSpecialists(tx: DbOrTx, engagementId: string, specialistIds: readonly string[]) {
  await tx.delete(engagementSpecialists).where(eq(engagementSpecialists.engagementId, engagementId));
  if (specialistIds.length) {
    await tx.execute(sql`insert into engagement_specialists (engagement_id, person_id) select ${engagementId}::uuid, unnest(${pgArray([...specialistIds])}::uuid[])`);
  }
}

/** Updates an engagement if it is still at the version read; false when someone changed it since. */
export async function updateEngagementIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof engagements.$inferInsert>): Promise<boolean> {
  const rows = await tx
    .update(engagements)
    .set({ ...values, version: sql`${engagements.version} + 1` })
    .where(and(eq(engagements.id, id), eq(engagements.version, version)))
    .returning({ id: engagements.id });
  return rows.length === 1;
}

// ---- Time ----

const timeFields = {
  id: engagementTimeEntries.id,
  engagementId: engagementTimeEntries.engagementId,
  personId: engagementTimeEntries.personId,
  personName: people.name,
  date: engagementTimeEntries.workDate,
  minutes: engagementTimeEntries.minutes,
  unit: engagementTimeEntries.unit,
  activity: engagementTimeEntries.activity,
  note: engagementTimeEntries.note,
  version: engagementTimeEntries.version,
};

export async function listTime(db: DbOrTx, engagementId: string, page: { limit: number; offset: number } | null = null) {
  const where = eq(engagementTimeEntries.engagementId, engagementId);
  const query = db
    .select(timeFields)
    .from(engagementTimeEntries)
    .innerJoin(people, eq(people.id, engagementTimeEntries.personId))
    .where(where)
    .orderBy(desc(engagementTimeEntries.workDate), desc(engagementTimeEntries.createdAt), asc(engagementTimeEntries.id));
  const rows = await (page ? query.limit(builderLimit(page.limit)).offset(page.offset) : query);
  const [{ total }] = await db.select({ total: count() }).from(engagementTimeEntries).where(where);
  return { rows, total };
}
export type TimeRow = Awaited<ReturnType<typeof listTime>>['rows'][number];

export async function findTime(db: DbOrTx, engagementId: string, id: string): Promise<TimeRow | null> {
  const [row] = await db
    .select(timeFields)
    .from(engagementTimeEntries)
    .innerJoin(people, eq(people.id, engagementTimeEntries.personId))
    .where(and(eq(engagementTimeEntries.engagementId, engagementId), eq(engagementTimeEntries.id, id)));
  return row ?? null;
}

export async function insertTime(tx: DbOrTx, values: Omit<typeof engagementTimeEntries.$inferInsert, 'id'>): Promise<string> {
  const [row] = await tx.insert(engagementTimeEntries).values(values).returning({ id: engagementTimeEntries.id });
  return row.id;
}

export async function updateTimeIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof engagementTimeEntries.$inferInsert>) {
  const rows = await tx
    .update(engagementTimeEntries)
    .set({ ...values, version: sql`${engagementTimeEntries.version} + 1` })
    .where(and(eq(engagementTimeEntries.id, id), eq(engagementTimeEntries.version, version)))
    .returning({ id: engagementTimeEntries.id });
  return rows.length === 1;
}

/** Whether there was an entry to delete. */
export async function deleteTime(tx: DbOrTx, id: string): Promise<boolean> {
  const gone = await tx.delete(engagementTimeEntries).where(eq(engagementTimeEntries.id, id)).returning({ id: engagementTimeEntries.id });
  return gone.length > 0;
}

// ---- Milestones ----

export async function listMilestones(db: DbOrTx, engagementId: string) {
  return db
    .select({ id: engagementMilestones.id, title: engagementMilestones.title, dueDate: engagementMilestones.dueDate, doneOn: engagementMilestones.doneOn, version: engagementMilestones.version })
    .from(engagementMilestones)
    .where(eq(engagementMilestones.engagementId, engagementId))
    .orderBy(asc(engagementMilestones.dueDate), asc(engagementMilestones.id));
}
export type MilestoneRow = Awaited<ReturnType<typeof listMilestones>>[number];

export async function findMilestone(db: DbOrTx, engagementId: string, id: string): Promise<MilestoneRow | null> {
  return (await listMilestones(db, engagementId)).find((m) => m.id === id) ?? null;
}

export async function insertMilestone(tx: DbOrTx, values: { engagementId: string; title: string; dueDate: string }) {
  const [row] = await tx.insert(engagementMilestones).values(values).returning({ id: engagementMilestones.id });
  return row.id;
}

export async function updateMilestoneIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof engagementMilestones.$inferInsert>) {
  const rows = await tx
    .update(engagementMilestones)
    .set({ ...values, version: sql`${engagementMilestones.version} + 1` })
    .where(and(eq(engagementMilestones.id, id), eq(engagementMilestones.version, version)))
    .returning({ id: engagementMilestones.id });
  return rows.length === 1;
}

// ---- Actions ----

const owner = alias(people, 'owner');
const actionFields = {
  id: engagementActions.id,
  engagementId: engagementActions.engagementId,
  title: engagementActions.title,
  maturityAreaKey: engagementActions.maturityAreaKey,
  ownerId: engagementActions.ownerId,
  ownerName: owner.name,
  dueDate: engagementActions.dueDate,
  status: engagementActions.status,
  rag: engagementActions.rag,
  version: engagementActions.version,
};

export async function listActions(db: DbOrTx, engagementId: string) {
  return db
    .select(actionFields)
    .from(engagementActions)
    .innerJoin(owner, eq(owner.id, engagementActions.ownerId))
    .where(eq(engagementActions.engagementId, engagementId))
    .orderBy(asc(engagementActions.dueDate), asc(engagementActions.createdAt), asc(engagementActions.id));
}
export type ActionRow = Awaited<ReturnType<typeof listActions>>[number];

export async function findAction(db: DbOrTx, engagementId: string, id: string): Promise<ActionRow | null> {
  const [row] = await db
    .select(actionFields)
    .from(engagementActions)
    .innerJoin(owner, eq(owner.id, engagementActions.ownerId))
    .where(and(eq(engagementActions.engagementId, engagementId), eq(engagementActions.id, id)));
  return row ?? null;
}

export async function insertAction(tx: DbOrTx, values: Omit<typeof engagementActions.$inferInsert, 'id'>) {
  const [row] = await tx.insert(engagementActions).values(values).returning({ id: engagementActions.id });
  return row.id;
}

export async function updateActionIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof engagementActions.$inferInsert>) {
  const rows = await tx
    .update(engagementActions)
    .set({ ...values, version: sql`${engagementActions.version} + 1` })
    .where(and(eq(engagementActions.id, id), eq(engagementActions.version, version)))
    .returning({ id: engagementActions.id });
  return rows.length === 1;
}

export async function listNotes(db: DbOrTx, actionId: string) {
  return db
    .select({ id: engagementActionNotes.id, text: engagementActionNotes.text, writtenAt: engagementActionNotes.writtenAt, authorName: people.name })
    .from(engagementActionNotes)
    .leftJoin(people, eq(people.id, engagementActionNotes.authorId))
    .where(eq(engagementActionNotes.actionId, actionId))
    .orderBy(asc(engagementActionNotes.writtenAt), asc(engagementActionNotes.id));
}

export async function insertNote(tx: DbOrTx, values: { actionId: string; authorId: string | null; text: string; writtenAt: Date }) {
  await tx.insert(engagementActionNotes).values(values);
}

export async function listEvidence(db: DbOrTx, actionId: string) {
  return db
    .select({ id: engagementActionEvidence.id, title: engagementActionEvidence.title, url: engagementActionEvidence.url, addedAt: engagementActionEvidence.addedAt, addedByName: people.name })
    .from(engagementActionEvidence)
    .leftJoin(people, eq(people.id, engagementActionEvidence.addedById))
    .where(eq(engagementActionEvidence.actionId, actionId))
    .orderBy(asc(engagementActionEvidence.addedAt), asc(engagementActionEvidence.id));
}

export async function insertEvidence(tx: DbOrTx, values: { actionId: string; title: string; url: string; addedById: string | null; addedAt: Date }) {
  await tx.insert(engagementActionEvidence).values(values);
}

/** A council's engagements (in scope) with their overdue actions, for the council page. */
export async function councilSummary(db: DbOrTx, scope: CouncilScope, councilId: string, today: string) {
  return selectEngagements(db, today)
    .where(and(eq(engagements.councilId, councilId), councilInScope(scope, sql`${engagements.councilId}`)))
    .orderBy(desc(engagements.startDate), asc(engagements.id));
}

/** Active specialists, for the list's filter. */
export async function specialistChoices(db: DbOrTx) {
  return db
    .select({ personId: people.id, name: people.name })
    .from(people)
    .where(and(eq(people.status, 'active'), sql`'specialist' = any(${people.roles})`))
    .orderBy(asc(people.name));
}

/**
 * Whether an action's record is final (done, and its engagement's completion signed off), the engagement's row locked
 * until the transaction ends so a sign-off cannot land in between; undefined when the action is gone.
 */
export async function lockedActionFinal(tx: DbOrTx, id: string, actionId: string): Promise<boolean | undefined> {
  const [row] = await queryRows<{ final: boolean }>(
    tx,
    sql`select a.status = 'done' and e.completion_signed_off_at is not null as final
      from engagements e join engagement_actions a on a.engagement_id = e.id
      where e.id = ${id}::uuid and a.id = ${actionId}::uuid for update of e`,
  );
  return row?.final;
}
