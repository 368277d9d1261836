import type { Database } from './client.ts';
import { migrate } from './client.ts';
import { loadReferenceData } from './seed/reference.ts';
import { hasPeople, seedDemo } from './seed/demo.ts';
import type { Clock } from '../clock.ts';

/**
 * Brings a database up to date: migrations, then the council register (reference data, every start),
 * then demo data when asked and the database has no people yet. Returns whether demo data was seeded now.
 */
export async function prepareDatabase(database: Database, opts: { demo: boolean; clock: Clock }): Promise<{ seeded: boolean }> {
  await migrate(database);
  await database.db.transaction(async (tx) => {
    await loadReferenceData(tx);
  });
  if (opts.demo && !(await hasPeople(database.db))) {
    await seedDemo(database.db, opts.clock);
    return { seeded: true };
  }
  return { seeded: false };
}
