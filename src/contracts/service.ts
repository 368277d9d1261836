/**
 * Key contracts (issue 12 item 6): a council's SRO and lead keep their council's key contracts and their KPIs;
 * programme admins may too; partner staff and assigned specialists read them. One transaction per command, each with
 * its audit event (recordType `contract`, the contract's id; `councilId` and `name` in every snapshot so the audit
 * log can name them).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../db/client.ts';
import { improvementsPointingAt } from '../improvements/repository.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { cachedRead } from '../db/read-cache.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { isUuid } from '../learners/service.ts';
import { assessmentSchema, contractSchema, kpiSchema, type ContractInput } from './schemas.ts';
import { contractFlags } from './rules.ts';
import { contractThresholds } from '../settings/service.ts';
import * as repo from './repository.ts';
import type { ContractFilters, ContractRow, ContractSort, KpiRow } from './repository.ts';

export type { ContractFilters, ContractRow, ContractSort, KpiRow } from './repository.ts';
export { councilPeople } from './repository.ts';

export const staleMessage = (what: string) => `Someone else changed this ${what} since you opened it. Check it and try again.`;

type Ctx = Pick<RequestContext, 'clock'>;

export async function listContracts(db: DbOrTx, ctx: Ctx, scope: CouncilScope, filters: ContractFilters, sort: ContractSort, page: { page: number; pageSize: number } | null) {
  const today = todayIso(ctx.clock);
  // Kept between changes (db/read-cache.ts) for the list's flags; one contract's page reads them afresh.
  const thresholds = await cachedRead(db, 'settings.contractThresholds', () => contractThresholds(db));
  const { rows, total } = await repo.listContracts(db, scope, filters, sort, today, thresholds, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
  return { rows: rows.map((r) => ({ ...r, flags: contractFlags(r, today, thresholds) })), total, thresholds };
}

/** A council in scope (404 otherwise). */
export async function councilFor(db: DbOrTx, scope: CouncilScope, councilId: string) {
  const council = isUuid(councilId) ? await repo.findCouncil(db, scope, councilId) : null;
  if (!council) throw new NotFoundError();
  return council;
}

/** One contract in scope with its KPIs and flags; 404 for an unknown id or one outside scope. */
export async function getContract(db: DbOrTx, ctx: Ctx, scope: CouncilScope, id: string) {
  const contract = isUuid(id) ? await repo.findContract(db, scope, id) : null;
  if (!contract) throw new NotFoundError();
  const kpis = await repo.listKpis(db, [contract.id]);
  const thresholds = await contractThresholds(db);
  return { contract, kpis, flags: contractFlags(contract, todayIso(ctx.clock), thresholds), thresholds };
}

/** The KPIs of a page of contracts, by contract id (the API's list). */
export async function kpisByContract(db: DbOrTx, contractIds: readonly string[]) {
  const byContract = new Map<string, KpiRow[]>(contractIds.map((id) => [id, []]));
  for (const k of await repo.listKpis(db, contractIds)) byContract.get(k.contractId)?.push(k);
  return byContract;
}

const duplicateMessage = 'Your council already has a contract with this name and supplier';

/**
 * The rules a contract must meet beyond its fields, for the form, the API and each upload row alike: the end on or
 * after the start, and a manager who is an active person of the same council.
 */
export function contractRefusal(data: Pick<ContractInput, 'startDate' | 'endDate' | 'managerId'>, managers: ReadonlySet<string>, councilName: string): Record<string, string> {
  const fields: Record<string, string> = {};
  if (data.endDate < data.startDate) fields.endDate = 'End date must be the same as or after the start date';
  if (data.managerId && !managers.has(data.managerId)) fields.managerId = `Select a contract manager from ${councilName}`;
  return fields;
}

async function checkContract(db: DbOrTx, council: { id: string; name: string }, data: ContractInput) {
  const managers = new Set((await repo.councilPeople(db, council.id)).map((p) => p.personId));
  const fields = contractRefusal(data, managers, council.name);
  if (Object.keys(fields).length) throw new ValidationError(fields);
}

/** The stored values of a checked contract. */
export const contractValues = (data: ContractInput) => ({
  name: data.name,
  supplier: data.supplier,
  annualValuePence: data.annualValue,
  totalValuePence: data.totalValue,
  startDate: data.startDate,
  endDate: data.endDate,
  tier: data.tier,
  managerId: data.managerId ?? null,
  hasPlan: data.hasPlan,
});
type Values = ReturnType<typeof contractValues>;

/** The fields that changed, with the contract named, for the audit event. */
export function changes(councilId: string, before: Values, after: Values) {
  const b: Record<string, unknown> = { councilId, name: before.name };
  const a: Record<string, unknown> = { councilId, name: after.name };
  for (const key of Object.keys(after) as (keyof Values)[]) {
    if (before[key] !== after[key]) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return { before: b, after: a, changed: Object.keys(a).length > 2 || before.name !== after.name };
}

/** Runs a write, turning the unique index on (council, name, supplier) into the form's message. */
async function refusingDuplicates<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(duplicateMessage, 'name');
    throw err;
  }
}

export async function createContract(db: Db, ctx: RequestContext, scope: CouncilScope, councilId: string, input: unknown): Promise<string> {
  const council = await councilFor(db, scope, councilId);
  const data = parseOrThrow(contractSchema, input);
  await checkContract(db, council, data);
  const values = contractValues(data);
  return refusingDuplicates(() =>
    db.transaction(async (tx) => {
      const id = await repo.insertContract(tx, { councilId: council.id, ...values, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
      await recordAudit(tx, ctx, { action: 'contract.created', recordType: 'contract', recordId: id, before: null, after: { councilId: council.id, ...values } });
      return id;
    }),
  );
}

/** A stored contract's values, as `contractValues` gives them from input (to compare and audit). */
export const valuesOf = (c: ContractRow): Values => ({
  name: c.name,
  supplier: c.supplier,
  annualValuePence: c.annualValuePence,
  totalValuePence: c.totalValuePence,
  startDate: c.startDate,
  endDate: c.endDate,
  tier: c.tier,
  managerId: c.managerId,
  hasPlan: c.hasPlan,
});

/** Changes a contract, refusing a stale version with 409. */
export async function updateContract(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const { contract: c } = await getContract(db, ctx, scope, id);
  const data = parseOrThrow(contractSchema, input);
  await checkContract(db, { id: c.councilId, name: c.councilName }, data);
  const values = contractValues(data);
  const diff = changes(c.councilId, valuesOf(c), values);
  await refusingDuplicates(() =>
    db.transaction(async (tx) => {
      if (!(await repo.updateContractIfVersion(tx, id, data.version ?? c.version, { ...values, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('contract'), 'version');
      if (diff.changed) await recordAudit(tx, ctx, { action: 'contract.updated', recordType: 'contract', recordId: id, before: diff.before, after: diff.after });
    }),
  );
}

/** Why a contract that improvements point at is not deleted (docs/contracts.md: refused rather than unlinked). */
export const linkedRefusal = (n: number) =>
  `This contract cannot be deleted because ${n === 1 ? '1 improvement points' : `${n} improvements point`} at it. Change ${n === 1 ? 'the improvement' : 'them'} so ${n === 1 ? 'it no longer points' : 'they no longer point'} at this contract first; a verified improvement keeps its contracts, so the contract stays.`;

/** The improvements that point at a contract, for its page and its delete page. */
export const improvementsOf = improvementsPointingAt;

/**
 * Deletes a contract and its KPIs, if still at the version the confirmation page showed. A contract that improvements
 * point at is refused (409), however the requests raced: the link's foreign key stops the delete too.
 */
export async function deleteContract(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, version: number | undefined) {
  const { contract: c, kpis } = await getContract(db, ctx, scope, id);
  const pointing = await improvementsPointingAt(db, id);
  if (pointing.length) throw new ConflictError(linkedRefusal(pointing.length));
  try {
    await db.transaction(async (tx) => {
      if (!(await repo.deleteContractIfVersion(tx, id, version ?? c.version))) throw new ConflictError(staleMessage('contract'), 'version');
      await recordAudit(tx, ctx, { action: 'contract.deleted', recordType: 'contract', recordId: id, before: { councilId: c.councilId, ...valuesOf(c), kpis: kpis.length }, after: null });
    });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new ConflictError(linkedRefusal(1));
    throw err;
  }
  return c;
}

// ---- KPIs ----

export async function kpiOf(db: DbOrTx, contractId: string, kpiId: string) {
  const kpi = isUuid(kpiId) ? await repo.findKpi(db, contractId, kpiId) : null;
  if (!kpi) throw new NotFoundError();
  return kpi;
}

export async function addKpi(db: Db, ctx: RequestContext, scope: CouncilScope, contractId: string, input: unknown): Promise<string> {
  const { contract: c } = await getContract(db, ctx, scope, contractId);
  const data = parseOrThrow(kpiSchema, input);
  return db.transaction(async (tx) => {
    const kpiId = await repo.insertKpi(tx, { contractId, name: data.name, target: data.target, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
    await recordAudit(tx, ctx, { action: 'contract.kpi_added', recordType: 'contract', recordId: contractId, after: { councilId: c.councilId, name: c.name, kpiId, kpi: data.name, target: data.target } });
    return kpiId;
  });
}

export async function editKpi(db: Db, ctx: RequestContext, scope: CouncilScope, contractId: string, kpiId: string, input: unknown) {
  const { contract: c } = await getContract(db, ctx, scope, contractId);
  const kpi = await kpiOf(db, contractId, kpiId);
  const data = parseOrThrow(kpiSchema, input);
  await db.transaction(async (tx) => {
    if (!(await repo.updateKpiIfVersion(tx, kpiId, data.version ?? kpi.version, { name: data.name, target: data.target, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('KPI'), 'version');
    await recordAudit(tx, ctx, {
      action: 'contract.kpi_changed',
      recordType: 'contract',
      recordId: contractId,
      before: { councilId: c.councilId, name: c.name, kpiId, kpi: kpi.name, target: kpi.target },
      after: { councilId: c.councilId, name: c.name, kpiId, kpi: data.name, target: data.target },
    });
  });
}

/** Records a KPI's latest assessment (replacing the one before, which the audit log keeps). Not in the future. */
export async function assessKpi(db: Db, ctx: RequestContext, scope: CouncilScope, contractId: string, kpiId: string, input: unknown) {
  const { contract: c } = await getContract(db, ctx, scope, contractId);
  const kpi = await kpiOf(db, contractId, kpiId);
  const data = parseOrThrow(assessmentSchema, input);
  if (data.assessedOn > todayIso(ctx.clock)) throw new ValidationError({ assessedOn: 'Date assessed must be today or in the past' });
  const values = { rating: data.rating, assessedOn: data.assessedOn, note: data.note || null };
  await db.transaction(async (tx) => {
    if (!(await repo.updateKpiIfVersion(tx, kpiId, data.version ?? kpi.version, { ...values, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('KPI'), 'version');
    await recordAudit(tx, ctx, {
      action: 'contract.kpi_assessed',
      recordType: 'contract',
      recordId: contractId,
      before: { councilId: c.councilId, name: c.name, kpiId, kpi: kpi.name, rating: kpi.rating, assessedOn: kpi.assessedOn },
      after: { councilId: c.councilId, name: c.name, kpiId, kpi: kpi.name, ...values },
    });
  });
}

/** Deletes a KPI of a contract (404 for one not of it); a stale version is refused (409). The audit log keeps it. */
export async function deleteKpi(db: Db, ctx: RequestContext, scope: CouncilScope, contractId: string, kpiId: string, version: number | undefined) {
  const { contract: c } = await getContract(db, ctx, scope, contractId);
  const kpi = await kpiOf(db, contractId, kpiId);
  await db.transaction(async (tx) => {
    if (!(await repo.deleteKpiIfVersion(tx, kpiId, version ?? kpi.version))) throw new ConflictError(staleMessage('KPI'), 'version');
    await recordAudit(tx, ctx, {
      action: 'contract.kpi_deleted',
      recordType: 'contract',
      recordId: contractId,
      before: { councilId: c.councilId, name: c.name, kpiId, kpi: kpi.name, target: kpi.target, rating: kpi.rating, assessedOn: kpi.assessedOn },
      after: null,
    });
  });
}
