import { and, asc, count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { contractKpis, contracts, organisations, people } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import { idsParam, oneOfIds, preparedPerDatabase } from '../db/prepared-statements.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { pageByIds } from '../db/page-by-ids.ts';
import { keptTotal } from '../db/read-cache.ts';
import { flagDates, type ContractThresholds, type FlagKey, type Tier } from './rules.ts';
import { containsPattern } from '../db/search.ts';
import { builderLimit } from '../db/paging.ts';

const kpiCount = sql<number>`(select count(*)::int from contract_kpis k where k.contract_id = ${contracts.id})`;
const latestAssessedOn = sql<string | null>`(select max(k.assessed_on)::text from contract_kpis k where k.contract_id = ${contracts.id})`;

const contractFields = {
  id: contracts.id,
  councilId: contracts.councilId,
  councilName: organisations.name,
  name: contracts.name,
  supplier: contracts.supplier,
  annualValuePence: contracts.annualValuePence,
  totalValuePence: contracts.totalValuePence,
  startDate: contracts.startDate,
  endDate: contracts.endDate,
  tier: contracts.tier,
  managerId: contracts.managerId,
  managerName: people.name,
  managerEmail: people.email,
  hasPlan: contracts.hasPlan,
  kpiCount,
  latestAssessedOn,
  version: contracts.version,
};

function selectContracts(db: DbOrTx) {
  return db
    .select(contractFields)
    .from(contracts)
    .innerJoin(organisations, eq(organisations.id, contracts.councilId))
    .leftJoin(people, eq(people.id, contracts.managerId))
    .$dynamic();
}

/**
 * A list page's contracts by id, and their KPIs: asked on every page of the list and the API, so built once
 * (db/prepared-statements.ts); building the seventeen fields' SQL was a quarter of an API page's CPU.
 */
const contractsById = preparedPerDatabase((db) =>
  selectContracts(db).where(oneOfIds(contracts.id)).prepare('contracts_by_id'),
);

export type ContractFilters = { councilId?: string; tier?: Tier; flag?: FlagKey; q?: string };
export type ContractSort = { sort: 'name' | 'supplier' | 'totalValue' | 'endDate' | 'tier'; order: 'asc' | 'desc' };

/** The flag filters as SQL, on the same dates the pages' flags use (rules.ts). */
function flagWhere(flag: FlagKey, today: string, thresholds: ContractThresholds): SQL {
  const { reprocureBy, assessedSince } = flagDates(today, thresholds);
  const overAct = sql`${contracts.totalValuePence} > ${thresholds.procurementActThresholdPence}`;
  switch (flag) {
    case 'procurement-act':
      return overAct;
    case 'assessment-overdue':
      return sql`(${overAct} and coalesce(${latestAssessedOn} < ${assessedSince}, true))`;
    case 'reprocure':
      return sql`(${contracts.endDate} >= ${today}::date and ${contracts.endDate} <= ${reprocureBy}::date)`;
  }
}


function listWhere(scope: CouncilScope, f: ContractFilters, today: string, thresholds: ContractThresholds): SQL | undefined {
  return and(
    councilInScope(scope, sql`${contracts.councilId}`),
    f.councilId ? eq(contracts.councilId, f.councilId) : undefined,
    f.tier ? eq(contracts.tier, f.tier) : undefined,
    f.flag ? flagWhere(f.flag, today, thresholds) : undefined,
    f.q ? or(ilike(contracts.name, containsPattern(f.q)), ilike(contracts.supplier, containsPattern(f.q))) : undefined,
  );
}

/** Gold first when sorting by tier ascending. */
const tierOrder = sql`case ${contracts.tier} when 'gold' then 1 when 'silver' then 2 else 3 end`;
const sortColumns = { name: sql`lower(${contracts.name})`, supplier: sql`lower(${contracts.supplier})`, totalValue: sql`${contracts.totalValuePence}`, endDate: sql`${contracts.endDate}`, tier: tierOrder };

/** One page of the contracts in scope that match (all of them when `page` is null), and how many match. */
export async function listContracts(
  db: DbOrTx,
  scope: CouncilScope,
  filters: ContractFilters,
  sort: ContractSort,
  today: string,
  thresholds: ContractThresholds,
  page: { limit: number; offset: number } | null,
) {
  const where = listWhere(scope, filters, today, thresholds);
  const direction = sort.order === 'desc' ? desc : asc;
  const order = [direction(sortColumns[sort.sort]), asc(contracts.name), asc(contracts.id)];
  const rows = page
    ? await pageByIds(
        (await db.select({ id: contracts.id }).from(contracts).where(where).orderBy(...order).limit(builderLimit(page.limit)).offset(page.offset)).map((r) => r.id),
        (ids) => contractsById(db).execute(idsParam(ids)),
      )
    : await selectContracts(db).where(where).orderBy(...order);
  // The total depends on the day (the flags' dates) as well as the filters; the thresholds are settings, whose change is a recorded change.
  const [{ total }] = await keptTotal(db, 'contracts', scope, { ...filters, today }, () => db.select({ total: count() }).from(contracts).where(where));
  return { rows, total };
}
export type ContractRow = Awaited<ReturnType<typeof listContracts>>['rows'][number];

export async function findContract(db: DbOrTx, scope: CouncilScope, id: string): Promise<ContractRow | null> {
  const [row] = await selectContracts(db).where(and(eq(contracts.id, id), councilInScope(scope, sql`${contracts.councilId}`)));
  return row ?? null;
}

/** A council's contracts by id (for an upload's rows that name one). */
export async function contractsOfCouncil(db: DbOrTx, councilId: string) {
  return selectContracts(db).where(eq(contracts.councilId, councilId));
}

const kpiFields = {
  id: contractKpis.id,
  contractId: contractKpis.contractId,
  name: contractKpis.name,
  target: contractKpis.target,
  rating: contractKpis.rating,
  assessedOn: contractKpis.assessedOn,
  note: contractKpis.note,
  version: contractKpis.version,
};

/** The KPIs of these contracts, in the order they were added. */
const kpisOfContracts = preparedPerDatabase((db) =>
  db
    .select(kpiFields)
    .from(contractKpis)
    .where(oneOfIds(contractKpis.contractId))
    .orderBy(asc(contractKpis.createdAt), asc(contractKpis.id))
    .prepare('kpis_of_contracts'),
);

export async function listKpis(db: DbOrTx, contractIds: readonly string[]) {
  if (!contractIds.length) return [];
  return kpisOfContracts(db).execute(idsParam(contractIds));
}
export type KpiRow = Awaited<ReturnType<typeof listKpis>>[number];

export async function findKpi(db: DbOrTx, contractId: string, id: string): Promise<KpiRow | null> {
  const [row] = await db.select(kpiFields).from(contractKpis).where(and(eq(contractKpis.contractId, contractId), eq(contractKpis.id, id)));
  return row ?? null;
}

/** A council's active people, who may manage its contracts. */
export async function councilPeople(db: DbOrTx, councilId: string) {
  return db
    .select({ personId: people.id, name: people.name, email: people.email, jobTitle: people.jobTitle })
    .from(people)
    .where(and(eq(people.organisationId, councilId), eq(people.status, 'active')))
    .orderBy(asc(people.name), asc(people.id));
}

/** A council in scope, by id (null outside scope or not a council). */
export async function findCouncil(db: DbOrTx, scope: CouncilScope, councilId: string) {
  const [row] = await db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .where(and(eq(organisations.id, councilId), eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`)));
  return row ?? null;
}

export type ContractValues = Omit<typeof contracts.$inferInsert, 'id' | 'version' | 'createdAt'>;

export async function insertContract(tx: DbOrTx, values: ContractValues & { createdAt: Date }): Promise<string> {
  const [row] = await tx.insert(contracts).values(values).returning({ id: contracts.id });
  return row.id;
}

/** Updates a contract if it is still at the version read; false when someone changed it since. */
export async function updateContractIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<ContractValues>): Promise<boolean> {
  const rows = await tx
    .update(contracts)
    .set({ ...values, version: sql`${contracts.version} + 1` })
    .where(and(eq(contracts.id, id), eq(contracts.version, version)))
    .returning({ id: contracts.id });
  return rows.length === 1;
}

/** Deletes a contract (its KPIs go with it) if still at the version read. */
export async function deleteContractIfVersion(tx: DbOrTx, id: string, version: number): Promise<boolean> {
  const rows = await tx.delete(contracts).where(and(eq(contracts.id, id), eq(contracts.version, version))).returning({ id: contracts.id });
  return rows.length === 1;
}

export async function deleteKpiIfVersion(tx: DbOrTx, id: string, version: number): Promise<boolean> {
  const rows = await tx.delete(contractKpis).where(and(eq(contractKpis.id, id), eq(contractKpis.version, version))).returning({ id: contractKpis.id });
  return rows.length === 1;
}

export async function insertKpi(tx: DbOrTx, values: { contractId: string; name: string; target: string; createdAt: Date; updatedAt: Date }) {
  const [row] = await tx.insert(contractKpis).values(values).returning({ id: contractKpis.id });
  return row.id;
}

export async function updateKpiIfVersion(tx: DbOrTx, id: string, version: number, values: Partial<typeof contractKpis.$inferInsert>) {
  const rows = await tx
    .update(contractKpis)
    .set({ ...values, version: sql`${contractKpis.version} + 1` })
    .where(and(eq(contractKpis.id, id), eq(contractKpis.version, version)))
    .returning({ id: contractKpis.id });
  return rows.length === 1;
}
