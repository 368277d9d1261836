import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/client.ts';
import { loadReferenceData, registerCsvPath } from '../db/seed/reference.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { toCsv, toXlsx } from '../web/export.ts';
import { councilExportColumns } from './export.ts';
import { listCouncils, systemViewer } from './service.ts';
import { countCouncils } from './repository.ts';

/** `pioneer export councils`: every council, as an administrator sees the list, written to a file. */
export async function exportCouncils(db: Db, ctx: RequestContext, format: 'csv' | 'xlsx', out?: string): Promise<string> {
  const { rows } = await listCouncils(db, systemViewer, { sort: 'name', order: 'asc' }, null);
  const columns = councilExportColumns(systemViewer.personalData);
  const file = out ?? `councils-${todayIso(ctx.clock)}.${format}`;
  fs.writeFileSync(file, format === 'csv' ? toCsv(rows, columns) : await toXlsx(rows, columns, 'councils'));
  return `Wrote ${rows.length} councils to ${path.resolve(file)}.`;
}

/**
 * `pioneer import register`: reloads the council register (the shipped copy, or a newer mySociety file) in one
 * transaction, so a file with no English councils changes nothing. Councils already known are updated in place.
 */
export async function importRegister(db: Db, ctx: RequestContext, file = registerCsvPath): Promise<string> {
  if (!fs.existsSync(file)) throw new Error(`There is no file at ${path.resolve(file)}.`);
  const before = await countCouncils(db);
  const { inFile, added, changed } = await db.transaction(async (tx) => {
    const { councils, written } = await loadReferenceData(tx, file);
    if (councils === 0) throw new Error(`${file} has no current English councils: is it the mySociety register CSV? Nothing was changed.`);
    const added = (await countCouncils(tx)) - before;
    const counts = { inFile: councils, added, changed: written - added };
    await recordAudit(tx, ctx, { action: 'register.imported', recordType: 'register', recordId: path.basename(file), after: counts });
    return counts;
  });
  return `Register loaded from ${path.resolve(file)}: ${inFile} English councils in the file, ${added} new, ${changed} changed, ${inFile - added - changed} unchanged.`;
}
