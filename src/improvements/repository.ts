import { and, asc, count, desc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { contracts, improvementContracts, improvementEvidence, improvementLearners, improvements, organisations, people } from '../db/schema.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { idsParam, oneOfIds, preparedPerDatabase } from '../db/prepared-statements.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { pageByIds } from '../db/page-by-ids.ts';
import type { ImprovementStatus, ImprovementType } from './rules.ts';
import { containsPattern } from '../db/search.ts';
import { cachedRead } from '../db/read-cache.ts';
import { orderByKeys, pageClause } from '../db/paging.ts';
import { plannedEachTime } from '../db/statement-names.ts';

const reviewer = alias(people, 'reviewer');
const recorder = alias(people, 'recorder');

const improvementFields = {
  id: improvements.id,
  councilId: improvements.councilId,
  councilName: organisations.name,
  type: sql<ImprovementType>`${improvements.type}`,
  description: improvements.description,
  improvedOn: improvements.improvedOn,
  valuePence: improvements.valuePence,
  cashable: improvements.cashable,
  status: improvements.status,
  reviewNote: improvements.reviewNote,
  reviewedAt: improvements.reviewedAt,
  reviewedByName: reviewer.name,
  recordedByName: recorder.name,
  createdAt: improvements.createdAt,
  learnerIds: sql<string[]>`array(select l.person_id::text from improvement_learners l where l.improvement_id = ${improvements.id} order by l.person_id)`,
  contractIds: sql<string[]>`array(select c.contract_id::text from improvement_contracts c where c.improvement_id = ${improvements.id} order by c.contract_id)`,
  version: improvements.version,
};

function selectImprovements(db: DbOrTx) {
  return db
    .select(improvementFields)
    .from(improvements)
    .innerJoin(organisations, eq(organisations.id, improvements.councilId))
    .leftJoin(reviewer, eq(reviewer.id, improvements.reviewedById))
    .leftJoin(recorder, eq(recorder.id, improvements.recordedById))
    .$dynamic();
}

/** A list page's improvements by id: asked on every page of the list and the API, so built once (db/prepared-statements.ts). */
const improvementsById = preparedPerDatabase((db) =>
  selectImprovements(db).where(oneOfIds(improvements.id)).prepare('improvements_by_id'),
);

export type ImprovementFilters = {
  type?: ImprovementType;
  status?: ImprovementStatus;
  councilId?: string;
  cashable?: 'cashable' | 'non_cashable' | 'none';
  q?: string;
};
export type ImprovementSort = { sort: 'date' | 'value' | 'council' | 'status'; order: 'asc' | 'desc' };


/**
 * The councils whose name contains the search term, read first (a few hundred rows) so the improvements' search is
 * "description contains, or council is one of these ids": with the ids known the planner reads the description's
 * trigram index and the council index, where a join condition on the name made it read every improvement.
 */
async function councilsNamed(db: DbOrTx, q: string | undefined): Promise<string[]> {
  if (!q) return [];
  // Kept between changes (db/read-cache.ts): paging through a search asks again on every page.
  return cachedRead(db, `improvements.councils-named:${q}`, async () => {
    const rows = await db.select({ id: organisations.id }).from(organisations).where(and(eq(organisations.kind, 'council'), ilike(organisations.name, containsPattern(q))));
    return rows.map((r) => r.id);
  });
}

function listWhere(scope: CouncilScope, f: ImprovementFilters, namedCouncilIds: string[]): SQL | undefined {
  return and(
    councilInScope(scope, sql`${improvements.councilId}`),
    f.type ? eq(improvements.type, f.type) : undefined,
    f.status ? eq(improvements.status, f.status) : undefined,
    f.councilId ? eq(improvements.councilId, f.councilId) : undefined,
    f.cashable === 'none' ? sql`${improvements.valuePence} is null` : f.cashable ? eq(improvements.cashable, f.cashable === 'cashable') : undefined,
    // The kept lower-cased description (schema.ts) against the lower-cased term: what `ilike` compares, without
    // lower-casing every row it checks.
    f.q ? or(sql`${improvements.descriptionFolded} like lower(${containsPattern(f.q)})`, namedCouncilIds.length ? inArray(improvements.councilId, namedCouncilIds) : undefined) : undefined,
  );
}

const sortColumns = { date: improvements.improvedOn, value: improvements.valuePence, council: organisations.name, status: improvements.status };

/** One page of the improvements in scope that match (all of them for a download), how many match, and their totals. */
export async function listImprovements(db: DbOrTx, scope: CouncilScope, filters: ImprovementFilters, sort: ImprovementSort, page: { limit: number; offset: number } | null) {
  const where = listWhere(scope, filters, await councilsNamed(db, filters.q));
  // Improvements with no value sort last whichever way the value is sorted.
  const direction = sort.order === 'desc' ? desc : asc;
  const nulls = sort.sort === 'value' ? [sql`${improvements.valuePence} is null`] : [];
  const order = [...nulls, direction(sortColumns[sort.sort]), desc(improvements.improvedOn), asc(improvements.id)];
  // The page's ids first, then its rows (db/page-by-ids.ts): each row gathers its learners and contracts and joins
  // its reviewer and recorder (130 ms for the first page of 20,000 read in one go). Only the council order joins the
  // councils to choose the ids: joined for any other order, PostgreSQL read and sorted every match instead of walking
  // the order's index (page 40 by value on PGlite: 10 ms, 3 without the join).
  const pageIds = async ({ limit, offset }: { limit: number; offset: number }) => {
    const joinCouncils = sort.sort === 'council' ? sql` join ${organisations} on ${organisations.id} = ${improvements.councilId}` : sql``;
    // A search is planned for its term (db/statement-names.ts): a term most improvements match is a walk of the
    // order's index checking each, a rare one a read of the trigram index and a sort; one generic plan for both read
    // 2,500 matches of "renewal" through the trigram index on every page (7.6 ms of PostgreSQL's time a request).
    const found = await queryRows<{ id: string }>(
      db,
      sql`${sql.raw(filters.q ? plannedEachTime : '')}select ${improvements.id} from ${improvements}${joinCouncils}${where ? sql` where ${where}` : sql``}
        order by ${orderByKeys(order)}${pageClause(limit, offset)}`,
    );
    return found.map((r) => r.id);
  };
  const rows = page
    ? await pageByIds(await pageIds(page), (ids) => improvementsById(db).execute(idsParam(ids)))
    : await selectImprovements(db).where(where).orderBy(...order);
  // The count and sums read every improvement that matches (4 ms at national scale, more than the page's rows): for a
  // page they are kept between changes like the other lists' counts (db/read-cache.ts); a download needs none.
  const readTotals = () => db
    .select({
      total: count(),
      valuePence: sql<number>`coalesce(sum(${improvements.valuePence}), 0)::bigint`.mapWith(Number),
      cashablePence: sql<number>`coalesce(sum(${improvements.valuePence}) filter (where ${improvements.cashable}), 0)::bigint`.mapWith(Number),
      nonCashablePence: sql<number>`coalesce(sum(${improvements.valuePence}) filter (where not ${improvements.cashable}), 0)::bigint`.mapWith(Number),
    })
    .from(improvements)
    .innerJoin(organisations, eq(organisations.id, improvements.councilId))
    .where(where)
    .then(([totals]) => totals);
  const totals = await cachedRead(db, `improvements.totals:${JSON.stringify([scope, filters])}`, readTotals);
  return { rows, total: totals.total, totals };
}
export type ImprovementRow = Awaited<ReturnType<typeof listImprovements>>['rows'][number];

export async function findImprovement(db: DbOrTx, scope: CouncilScope, id: string): Promise<ImprovementRow | null> {
  const [row] = await selectImprovements(db).where(and(eq(improvements.id, id), councilInScope(scope, sql`${improvements.councilId}`)));
  return row ?? null;
}

/** The learners an improvement credits, by name. */
export async function learnersOf(db: DbOrTx, improvementId: string) {
  return db
    .select({ personId: people.id, name: people.name, jobTitle: people.jobTitle })
    .from(improvementLearners)
    .innerJoin(people, eq(people.id, improvementLearners.personId))
    .where(eq(improvementLearners.improvementId, improvementId))
    .orderBy(asc(people.name));
}

/** The evidence links of each of the improvements (an API page's in one statement), oldest first. */
export async function evidenceOfEach(db: DbOrTx, improvementIds: readonly string[]) {
  const rows = improvementIds.length
    ? await db
        .select({
          improvementId: improvementEvidence.improvementId,
          id: improvementEvidence.id,
          title: improvementEvidence.title,
          url: improvementEvidence.url,
          addedAt: improvementEvidence.addedAt,
          addedByName: people.name,
        })
        .from(improvementEvidence)
        .leftJoin(people, eq(people.id, improvementEvidence.addedById))
        .where(inArray(improvementEvidence.improvementId, [...improvementIds]))
        .orderBy(asc(improvementEvidence.addedAt), asc(improvementEvidence.id))
    : [];
  const each = new Map(improvementIds.map((id) => [id, [] as typeof rows]));
  for (const row of rows) each.get(row.improvementId)!.push(row);
  return each;
}

/** One improvement's evidence links, oldest first. */
export const evidenceOf = async (db: DbOrTx, improvementId: string) => (await evidenceOfEach(db, [improvementId])).get(improvementId)!;

/**
 * The council's active learners (people of the council with the learner role), who an improvement may credit, and
 * those it already credits (`keep`), so a learner who has left stays credited when it is changed. Invited people are
 * left out: the retention job deletes those who never accept, and a credit would hold their row.
 */
export async function councilLearners(db: DbOrTx, councilId: string, keep: readonly string[] = []) {
  return db
    .select({ personId: people.id, name: people.name, jobTitle: people.jobTitle })
    .from(people)
    .where(
      and(
        eq(people.organisationId, councilId),
        sql`'learner' = any(${people.roles})`,
        sql`(${people.status} = 'active' or ${people.id} = any(${pgArray([...keep])}::uuid[]))`,
      ),
    )
    .orderBy(asc(people.name), asc(people.id));
}

export async function insertImprovement(tx: DbOrTx, values: Omit<typeof improvements.$inferInsert, 'id'>, learnerIds: readonly string[], contractIds: readonly string[]): Promise<string> {
  const [row] = await tx.insert(improvements).values(values).returning({ id: improvements.id });
  await replaceLearners(tx, row.id, learnerIds);
  await replaceContracts(tx, row.id, contractIds);
  return row.id;
}

/** The council's key contracts, which an improvement may point at, by name. */
export async function councilContracts(db: DbOrTx, councilId: string) {
  return db
    .select({ contractId: contracts.id, name: contracts.name, supplier: contracts.supplier })
    .from(contracts)
    .where(eq(contracts.councilId, councilId))
    .orderBy(asc(sql`lower(${contracts.name})`), asc(contracts.id));
}

/** The key contracts an improvement points at, by name. */
export async function contractsOf(db: DbOrTx, improvementId: string) {
  return db
    .select({ contractId: contracts.id, name: contracts.name, supplier: contracts.supplier })
    .from(improvementContracts)
    .innerJoin(contracts, eq(contracts.id, improvementContracts.contractId))
    .where(eq(improvementContracts.improvementId, improvementId))
    .orderBy(asc(sql`lower(${contracts.name})`), asc(contracts.id));
}

/** The improvements that point at a contract (for its page and for refusing its deletion), newest first. */
export async function improvementsPointingAt(db: DbOrTx, contractId: string) {
  return db
    .select({ id: improvements.id, type: sql<ImprovementType>`${improvements.type}`, description: improvements.description, improvedOn: improvements.improvedOn, status: improvements.status })
    .from(improvementContracts)
    .innerJoin(improvements, eq(improvements.id, improvementContracts.improvementId))
    .where(eq(improvementContracts.contractId, contractId))
    .orderBy(desc(improvements.improvedOn), asc(improvements.id));
}

export async function replaceContracts(tx: DbOrTx, improvementId: string, contractIds: readonly string[]) {
  await tx.delete(improvementContracts).where(eq(improvementContracts.improvementId, improvementId));
  if (contractIds.length) {
    await tx.execute(sql`insert into improvement_contracts (improvement_id, contract_id) select ${improvementId}::uuid, unnest(${pgArray([...contractIds])}::uuid[])`);
  }
}

export async function replaceLearners(tx: DbOrTx, improvementId: string, learnerIds: readonly string[]) {
  await tx.delete(improvementLearners).where(eq(improvementLearners.improvementId, improvementId));
  if (learnerIds.length) {
    await tx.execute(sql`insert into improvement_learners (improvement_id, person_id) select ${improvementId}::uuid, unnest(${pgArray([...learnerIds])}::uuid[])`);
  }
}

/** Updates an improvement if it is still at the version read; false when someone changed it since. */
export async function updateImprovementIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof improvements.$inferInsert>): Promise<boolean> {
  const rows = await tx
    .update(improvements)
    .set({ ...values, version: sql`${improvements.version} + 1` })
    .where(and(eq(improvements.id, id), eq(improvements.version, version)))
    .returning({ id: improvements.id });
  return rows.length === 1;
}

export async function insertEvidence(tx: DbOrTx, values: Omit<typeof improvementEvidence.$inferInsert, 'id'>) {
  await tx.insert(improvementEvidence).values(values);
}

/** The improvement's status, its row locked until the transaction ends (so a review cannot land in between). */
export async function lockedStatus(tx: DbOrTx, id: string): Promise<ImprovementStatus | undefined> {
  const [row] = await tx.select({ status: improvements.status }).from(improvements).where(eq(improvements.id, id)).for('update');
  return row?.status;
}
