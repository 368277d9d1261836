import { and, asc, count, desc, eq, ilike, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { keptTotal } from '../db/read-cache.ts';
import { alias } from 'drizzle-orm/pg-core';
import { organisations, participations, participationStatusHistory, people, specialistAssignments } from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { programmeStatuses } from './rules.ts';
import type { councilSortKeys } from './schemas.ts';
import { containsPattern } from '../db/search.ts';
import { orderByKeys, pageClause } from '../db/paging.ts';
import { selectList } from '../db/select-list.ts';

/** What a council list can be narrowed and ordered by. */
export type CouncilFilters = {
  q?: string;
  region?: string;
  type?: string;
  status?: string;
  /** A partner code, or 'none' for councils without a managing partner. */
  managingPartner?: string;
  sort: (typeof councilSortKeys)[number];
  order: 'asc' | 'desc';
};

const partner = alias(organisations, 'partner');
const sro = alias(people, 'sro');
const lead = alias(people, 'lead');

/** The scope from the policy module as a WHERE condition on the council. */
const inScope = (scope: CouncilScope): SQL => councilInScope(scope, sql`${organisations.id}`);

/** LIKE metacharacters typed by a user are searched for literally. */

function listWhere(scope: CouncilScope, f: Omit<CouncilFilters, 'sort' | 'order'>): SQL | undefined {
  return and(
    eq(organisations.kind, 'council'),
    inScope(scope),
    f.q ? or(ilike(organisations.name, containsPattern(f.q)), ilike(organisations.gssCode, containsPattern(f.q)), ilike(organisations.code, containsPattern(f.q))) : undefined,
    f.region ? eq(organisations.region, f.region) : undefined,
    f.type ? eq(organisations.laType, f.type) : undefined,
    f.status ? eq(participations.status, f.status) : undefined,
    f.managingPartner === 'none' ? isNull(participations.managingPartnerId) : f.managingPartner ? eq(partner.code, f.managingPartner) : undefined,
  );
}

function listOrder(sort: CouncilFilters['sort'], order: CouncilFilters['order']): SQL[] {
  const dir = order === 'desc' ? desc : asc;
  const byName = [asc(organisations.name), asc(organisations.id)];
  switch (sort) {
    case 'name':
      return [dir(organisations.name), asc(organisations.id)];
    case 'type':
      return [dir(organisations.laTypeName), ...byName];
    case 'region':
      return [dir(organisations.region), ...byName];
    case 'status':
      // The programme's order (interested before active), not the alphabet.
      return [dir(sql`array_position(${pgArray(programmeStatuses)}::text[], ${participations.status})`), ...byName];
    case 'onboardingDate':
      // Councils not yet onboarded go last whichever way the dates run.
      return [sql`${participations.onboardingDate} ${sql.raw(order)} nulls last`, ...byName];
  }
}

const listFields = {
  id: organisations.id,
  code: organisations.code,
  gssCode: organisations.gssCode,
  name: organisations.name,
  type: organisations.laType,
  typeName: organisations.laTypeName,
  region: organisations.region,
  programmeStatus: participations.status,
  onboardingDate: participations.onboardingDate,
  version: participations.version,
  managingPartnerId: participations.managingPartnerId,
  managingPartnerCode: partner.code,
  managingPartnerName: partner.name,
  sroName: sro.name,
};

/** A council in the list: its organisation, its participation, its managing partner and its SRO's name. */
export type CouncilRow = {
  id: string;
  code: string;
  gssCode: string | null;
  name: string;
  type: string | null;
  typeName: string | null;
  region: string | null;
  programmeStatus: string;
  onboardingDate: string | null;
  version: number;
  managingPartnerId: string | null;
  managingPartnerCode: string | null;
  managingPartnerName: string | null;
  sroName: string | null;
};

/** The list's columns with their keys, for a page read as raw rows (db/select-list.ts). */
const listColumns = selectList(listFields);

/** The list's tables: each council with its participation, managing partner and SRO (`partner` and `sro` are aliases). */
const listTables = sql`${organisations} join ${participations} on ${participations.councilId} = ${organisations.id}
  left join ${organisations} "partner" on ${partner.id} = ${participations.managingPartnerId}
  left join ${people} "sro" on ${sro.id} = ${participations.sroPersonId}`;

/** One page of the councils in scope that match the filters (every match when `page` is null), and how many match. */
export async function listCouncils(db: DbOrTx, scope: CouncilScope, filters: CouncilFilters, page: { limit: number; offset: number } | null) {
  const where = listWhere(scope, filters);
  const [rows, total] = await Promise.all([
    queryRows<CouncilRow>(
      db,
      sql`select ${listColumns} from ${listTables} where ${where ?? sql`true`} order by ${orderByKeys(listOrder(filters.sort, filters.order))}${page ? pageClause(page.limit, page.offset) : sql``}`,
    ),
    keptTotal(db, 'councils', scope, filters, async () => {
      const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from ${listTables} where ${where ?? sql`true`}`);
      return total;
    }),
  ]);
  return { rows, total };
}

/** One council in scope with its participation, or null. */
export async function findCouncil(db: DbOrTx, scope: CouncilScope, id: string) {
  const [row] = await db
    .select({
      ...listFields,
      nation: organisations.nation,
      managingPartnerReason: participations.managingPartnerReason,
      statusChangedAt: participations.statusChangedAt,
      agreementSignedDate: participations.agreementSignedDate,
      baselineBookedDate: participations.baselineBookedDate,
      sroPersonId: participations.sroPersonId,
      leadPersonId: participations.leadPersonId,
      emailDomains: participations.emailDomains,
      leadName: lead.name,
    })
    .from(organisations)
    .innerJoin(participations, eq(participations.councilId, organisations.id))
    .leftJoin(partner, eq(partner.id, participations.managingPartnerId))
    .leftJoin(sro, eq(sro.id, participations.sroPersonId))
    .leftJoin(lead, eq(lead.id, participations.leadPersonId))
    .where(and(eq(organisations.kind, 'council'), eq(organisations.id, id), inScope(scope)));
  return row ?? null;
}
export type CouncilDetail = NonNullable<Awaited<ReturnType<typeof findCouncil>>>;

/** A council's participation row, locked for the rest of the transaction, when the council is in scope. */
export async function lockParticipation(tx: DbOrTx, scope: CouncilScope, id: string) {
  const [row] = await tx
    .select({ participation: participations })
    .from(participations)
    .innerJoin(organisations, eq(organisations.id, participations.councilId))
    .where(and(eq(participations.councilId, id), eq(organisations.kind, 'council'), inScope(scope)))
    .for('update', { of: participations });
  return row?.participation ?? null;
}
export type Participation = typeof participations.$inferSelect;

/** Writes changes to a participation if it is still at `version`, moving it to the next version; null when stale. */
export async function updateParticipation(tx: DbOrTx, id: string, version: number, changes: Partial<Participation>, now: Date) {
  const [row] = await tx
    .update(participations)
    .set({ ...changes, version: sql`${participations.version} + 1`, updatedAt: now })
    .where(and(eq(participations.councilId, id), eq(participations.version, version)))
    .returning();
  return row ?? null;
}

export async function insertStatusChange(tx: DbOrTx, change: typeof participationStatusHistory.$inferInsert) {
  await tx.insert(participationStatusHistory).values(change);
}

/** A council's status history, newest first, with who made each change. */
export async function statusHistory(db: DbOrTx, councilId: string) {
  return db
    .select({
      fromStatus: participationStatusHistory.fromStatus,
      toStatus: participationStatusHistory.toStatus,
      reason: participationStatusHistory.reason,
      changedAt: participationStatusHistory.changedAt,
      changedByName: people.name,
    })
    .from(participationStatusHistory)
    .leftJoin(people, eq(people.id, participationStatusHistory.changedById))
    .where(eq(participationStatusHistory.councilId, councilId))
    .orderBy(desc(participationStatusHistory.changedAt), desc(participationStatusHistory.id));
}

/** The people who belong to a council, by name. */
export async function councilPeople(db: DbOrTx, councilId: string) {
  return db
    .select({ id: people.id, name: people.name, jobTitle: people.jobTitle, roles: people.roles, status: people.status })
    .from(people)
    .where(eq(people.organisationId, councilId))
    .orderBy(asc(people.name), asc(people.id));
}

/** The commercial specialists assigned to a council, by name. */
export async function assignedSpecialists(db: DbOrTx, councilId: string) {
  return db
    .select({ personId: people.id, name: people.name, email: people.email, status: people.status })
    .from(specialistAssignments)
    .innerJoin(people, eq(people.id, specialistAssignments.personId))
    .where(eq(specialistAssignments.councilId, councilId))
    .orderBy(asc(people.name), asc(people.id));
}

/**
 * Active people holding the specialist role, by name: those assigned to the council (who may lead or join its
 * engagements) or those not yet assigned (who may be).
 */
export async function activeSpecialists(db: DbOrTx, councilId: string, which: 'assigned' | 'unassigned') {
  const assignment = sql`exists (select 1 from specialist_assignments a where a.person_id = ${people.id} and a.council_id = ${councilId}::uuid)`;
  return db
    .select({ personId: people.id, name: people.name, email: people.email })
    .from(people)
    .where(and(eq(people.status, 'active'), sql`'specialist' = any(${people.roles})`, which === 'assigned' ? assignment : sql`not ${assignment}`))
    .orderBy(asc(people.name), asc(people.id));
}

/** People by id, with what decides whether they may be assigned as a specialist. */
export async function peopleForAssignment(db: DbOrTx, ids: readonly string[]) {
  if (!ids.length) return [];
  return db
    .select({ id: people.id, name: people.name, status: people.status, roles: people.roles })
    .from(people)
    .where(inArray(people.id, [...ids]));
}

export async function insertAssignments(tx: DbOrTx, councilId: string, personIds: readonly string[]) {
  if (!personIds.length) return;
  await tx.insert(specialistAssignments).values(personIds.map((personId) => ({ personId, councilId })));
}

export async function deleteAssignments(tx: DbOrTx, councilId: string, personIds: readonly string[]) {
  if (!personIds.length) return;
  await tx
    .delete(specialistAssignments)
    .where(and(eq(specialistAssignments.councilId, councilId), inArray(specialistAssignments.personId, [...personIds])));
}

/** Partner organisations by code (the possible managing partners). */
export async function partnersByCode(db: DbOrTx, codes: readonly string[]) {
  if (!codes.length) return [];
  return db
    .select({ id: organisations.id, code: organisations.code, name: organisations.name })
    .from(organisations)
    .where(and(eq(organisations.kind, 'partner'), inArray(organisations.code, [...codes])))
    .orderBy(asc(organisations.name));
}

/** Partners that manage at least one council, or whose code is given (the rule's current two), by name. */
export async function managingPartners(db: DbOrTx, alsoCodes: readonly string[]) {
  return db
    .select({ id: organisations.id, code: organisations.code, name: organisations.name })
    .from(organisations)
    .where(
      and(
        eq(organisations.kind, 'partner'),
        or(
          inArray(organisations.code, [...alsoCodes]),
          sql`exists (select 1 from participations pa where pa.managing_partner_id = ${organisations.id})`,
        ),
      ),
    )
    .orderBy(asc(organisations.name));
}

/** The regions and council types present in the register, for the filter panel. */
export async function filterOptions(db: DbOrTx) {
  const councils = and(eq(organisations.kind, 'council'), isNotNull(organisations.region));
  const regions = await db.selectDistinct({ region: organisations.region }).from(organisations).where(councils).orderBy(asc(organisations.region));
  const types = await db
    .selectDistinct({ code: organisations.laType, name: organisations.laTypeName })
    .from(organisations)
    .where(and(councils, isNotNull(organisations.laType)))
    .orderBy(asc(organisations.laTypeName));
  return { regions: regions.map((r) => r.region as string), types: types.map((t) => ({ code: t.code as string, name: t.name ?? (t.code as string) })) };
}

/** Is a GSS code or register code already used by an organisation? */
export async function organisationCodeTaken(db: DbOrTx, gssCode: string, code: string): Promise<'gssCode' | 'code' | null> {
  const [row] = await db
    .select({ gssCode: organisations.gssCode, code: organisations.code })
    .from(organisations)
    .where(or(eq(organisations.gssCode, gssCode), eq(organisations.code, code)))
    .limit(1);
  if (!row) return null;
  return row.gssCode === gssCode ? 'gssCode' : 'code';
}

/** Adds a council to the register, not yet engaged in the programme. */
export async function insertCouncil(tx: DbOrTx, council: { code: string; gssCode: string; name: string; laType: string; laTypeName: string; region: string }) {
  const [row] = await tx
    .insert(organisations)
    .values({ kind: 'council', nation: 'England', ...council })
    .returning({ id: organisations.id });
  await tx.insert(participations).values({ councilId: row.id });
  return row.id;
}

/** How many councils the register holds. */
export async function countCouncils(db: DbOrTx): Promise<number> {
  const [{ n }] = await db.select({ n: count() }).from(organisations).where(eq(organisations.kind, 'council'));
  return n;
}
