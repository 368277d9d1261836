/**
 * Uploading a council's key contracts from a spreadsheet, with the rules of the other uploads (src/imports): the
 * file is read by the same parser, every row is checked before anything is written, and only a file with no errors
 * is applied, in one transaction: all or nothing, with every error reported by row and column. A row with an id
 * changes that contract of the council; one without creates a contract; a row that changes nothing is counted as
 * unchanged, so uploading a downloaded file again changes nothing. It runs inside the request (a council's key
 * contracts are tens of rows, not the thousands a nominations file may hold), so it needs no background job.
 */
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { fieldErrors } from '../web/forms.ts';
import { importLimits } from '../imports/limits.ts';
import { FileError, readSpreadsheet, type RowError } from '../imports/parse.ts';
import { contractColumns } from './columns.ts';
import { contractSchema } from './schemas.ts';
import { changes, contractRefusal, contractValues, councilFor, valuesOf } from './service.ts';
import { isUniqueViolation } from '../db/client.ts';
import { ConflictError } from '../web/errors.ts';
import * as repo from './repository.ts';
import type { ContractRow } from './repository.ts';

export type ContractUploadOutcome =
  | { ok: true; rows: number; created: number; changed: number; unchanged: number }
  | { ok: false; rows: number; fileErrors: string[]; rowErrors: RowError[] };

const monthNumbers = new Map(
  ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'].flatMap((m, i) => [
    [m, i + 1],
    [m.slice(0, 3), i + 1],
  ]),
);

/** A date cell the parser left as text: "31 October 2026" (as the pages write dates) becomes ISO; anything else stays. */
function dateText(value: string): string {
  const m = /^(\d{1,2}) ([A-Za-z]+) (\d{4})$/.exec(value.trim());
  const month = m && monthNumbers.get(m[2].toLowerCase());
  return m && month ? `${m[3]}-${String(month).padStart(2, '0')}-${m[1].padStart(2, '0')}` : value;
}

/** The schema's field names → the file's column names, for row errors. */
const columnOf: Record<string, string> = {
  name: 'name',
  supplier: 'supplier',
  annualValue: 'annual_value',
  totalValue: 'total_value',
  startDate: 'start_date',
  endDate: 'end_date',
  tier: 'tier',
  managerId: 'contract_manager_email',
  hasPlan: 'plan_in_place',
};

const yesNo = (v: string) => (/^(yes|y|true)$/i.test(v) ? true : /^(no|n|false)$/i.test(v) ? false : v === '' ? undefined : v);

/** Someone changed the council's contracts between the check and the write: nothing was written. */
const changedWhileChecking = 'Someone changed the council’s contracts while your file was being checked. Nothing was uploaded: upload the file again';

/** A checked row: the contract it changes (null: a new one) and its values. */
type Planned = { id: string | null; values: ReturnType<typeof contractValues> };

const key = (name: string, supplier: string) => `${name.toLowerCase()}\u0000${supplier.toLowerCase()}`;

export async function uploadContracts(db: Db, config: Config, ctx: RequestContext, scope: CouncilScope, councilId: string, buffer: Buffer): Promise<ContractUploadOutcome> {
  const council = await councilFor(db, scope, councilId);
  let sheet;
  try {
    sheet = await readSpreadsheet(buffer, contractColumns, importLimits(config));
  } catch (err) {
    if (err instanceof FileError) return { ok: false, rows: 0, fileErrors: err.messages, rowErrors: [] };
    throw err;
  }
  if (!sheet.rows.length && !sheet.errors.length) return { ok: false, rows: 0, fileErrors: ['The file has no rows under the header: add a row for each contract'], rowErrors: [] };

  const people = await repo.councilPeople(db, council.id);
  const byEmail = new Map(people.map((p) => [p.email.toLowerCase(), p.personId]));
  const managers = new Set(people.map((p) => p.personId));
  const existing = new Map((await repo.contractsOfCouncil(db, council.id)).map((c) => [c.id, c]));
  const errors: RowError[] = [...sheet.errors];
  const add = (row: number, column: string, message: string) => errors.push({ row, column, message });
  /** Which row claims each (name, supplier) and each id, so two rows cannot describe one contract. */
  const namesTaken = new Map<string, number | string>([...existing.values()].map((c) => [key(c.name, c.supplier), c.id]));
  const idsSeen = new Map<string, number>();
  const planned: Planned[] = [];

  for (const r of sheet.rows) {
    const v = r.values;
    const id = v.id || null;
    if (id) {
      if (!existing.has(id)) add(r.row, 'id', `No contract of ${council.name} has this id: leave it empty for a new contract`);
      else if (idsSeen.has(id)) add(r.row, 'id', `Row ${idsSeen.get(id)} has the same id: each contract once`);
      else idsSeen.set(id, r.row);
    }
    const email = v.contract_manager_email.toLowerCase();
    const managerId = email ? (byEmail.get(email) ?? null) : undefined;
    if (managerId === null) add(r.row, 'contract_manager_email', `No one at ${council.name} has this email address in Pioneer`);
    const parsed = contractSchema.safeParse({
      name: v.name,
      supplier: v.supplier,
      annualValue: v.annual_value,
      totalValue: v.total_value,
      startDate: dateText(v.start_date),
      endDate: dateText(v.end_date),
      tier: v.tier.toLowerCase() || undefined,
      managerId: managerId ?? undefined,
      hasPlan: yesNo(v.plan_in_place),
    });
    if (!parsed.success) {
      for (const [field, message] of Object.entries(fieldErrors(parsed.error))) {
        add(r.row, columnOf[field] ?? field, field === 'hasPlan' ? 'Enter yes or no' : field === 'tier' ? 'Enter gold, silver or bronze' : message);
      }
      continue;
    }
    for (const [field, message] of Object.entries(contractRefusal(parsed.data, managers, council.name))) add(r.row, columnOf[field], message);
    const k = key(parsed.data.name, parsed.data.supplier);
    const holder = namesTaken.get(k);
    if (holder !== undefined && holder !== id) {
      add(r.row, 'name', typeof holder === 'number' ? `Row ${holder} has the same name and supplier` : `${council.name} already has a contract with this name and supplier`);
    } else {
      namesTaken.set(k, id ?? r.row);
    }
    planned.push({ id, values: contractValues(parsed.data) });
  }

  if (errors.length) return { ok: false, rows: sheet.rows.length, fileErrors: [], rowErrors: errors.sort((a, b) => a.row - b.row) };

  try {
    return { ok: true, rows: sheet.rows.length, ...(await applyRows(db, ctx, council.id, planned, existing)) };
  } catch (err) {
    if (err instanceof ConflictError || isUniqueViolation(err)) return { ok: false, rows: sheet.rows.length, fileErrors: [changedWhileChecking], rowErrors: [] };
    throw err;
  }
}

/** Writes checked rows in one transaction, each with its audit event; a contract changed since the check rolls all back. */
async function applyRows(db: Db, ctx: RequestContext, councilId: string, planned: Planned[], existing: ReadonlyMap<string, ContractRow>) {
  const counts = { created: 0, changed: 0, unchanged: 0 };
  await db.transaction(async (tx) => {
    for (const p of planned) {
      const now = ctx.clock.now();
      if (!p.id) {
        const id = await repo.insertContract(tx, { councilId, ...p.values, createdAt: now, updatedAt: now });
        await recordAudit(tx, ctx, { action: 'contract.created', recordType: 'contract', recordId: id, before: null, after: { councilId, ...p.values, upload: true } });
        counts.created++;
        continue;
      }
      const c = existing.get(p.id)!;
      const diff = changes(councilId, valuesOf(c), p.values);
      if (!diff.changed) {
        counts.unchanged++;
        continue;
      }
      if (!(await repo.updateContractIfVersion(tx, p.id, c.version, { ...p.values, updatedAt: now }))) throw new ConflictError(changedWhileChecking);
      await recordAudit(tx, ctx, { action: 'contract.updated', recordType: 'contract', recordId: p.id, before: diff.before, after: { ...diff.after, upload: true } });
      counts.changed++;
    }
  });
  return counts;
}
