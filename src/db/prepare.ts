import type { Database } from './client.ts';
import { migrate } from './client.ts';
import { loadReferenceData } from './seed/reference.ts';
import { demoAccounts, hasPeople, seedDemo } from './seed/demo.ts';
import type { Clock } from '../clock.ts';
import type { FileStorage } from '../files/storage.ts';
import { seedDemoResources } from './seed/resources.ts';
import { seedDemoEvidenceFiles } from './seed/improvements.ts';
import { upsertFrameworks } from '../maturity/framework.ts';

/**
 * Brings a database up to date: migrations, then the council register and the maturity frameworks (reference data, every start),
 * then demo data when asked and the database has no people yet (the resource library's files go to `storage`, when
 * given). Returns whether demo data was seeded now.
 */
export async function prepareDatabase(database: Database, opts: { demo: boolean; clock: Clock; storage?: FileStorage }): Promise<{ seeded: boolean }> {
  await migrate(database);
  await database.db.transaction(async (tx) => {
    await loadReferenceData(tx);
    // The maturity frameworks are reference data too, written by their keys so their ids never change (docs/maturity.md).
    await upsertFrameworks(tx);
  });
  if (opts.demo && !(await hasPeople(database.db))) {
    await seedDemo(database.db, opts.clock);
    await seedDemoResources(database.db, opts.clock, opts.storage ?? null, 2021);
    await seedDemoEvidenceFiles(database.db, opts.storage ?? null, demoAccounts.sro.email);
    return { seeded: true };
  }
  return { seeded: false };
}
