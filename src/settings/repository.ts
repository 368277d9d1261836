import { asc, eq, inArray } from 'drizzle-orm';
import { organisations, people, settings } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';

/** The stored rows for these keys, with the name of whoever last changed each. */
export async function storedSettings(db: DbOrTx, keys: readonly string[]) {
  if (!keys.length) return [];
  return db
    .select({ key: settings.key, value: settings.value, updatedAt: settings.updatedAt, updatedByName: people.name })
    .from(settings)
    .leftJoin(people, eq(people.id, settings.updatedById))
    .where(inArray(settings.key, [...keys]));
}

/** Locks the stored rows for these keys for a change (rows not yet stored are covered by the upsert). */
export async function lockSettings(tx: DbOrTx, keys: readonly string[]) {
  if (!keys.length) return [];
  return tx.select({ key: settings.key, value: settings.value }).from(settings).where(inArray(settings.key, [...keys])).for('update');
}

/** Writes one setting's value (stored as JSON), creating the row the first time. */
export async function upsertSetting(tx: DbOrTx, row: { key: string; value: unknown; updatedAt: Date; updatedById: string | null }) {
  await tx
    .insert(settings)
    .values(row)
    .onConflictDoUpdate({ target: settings.key, set: { value: row.value, updatedAt: row.updatedAt, updatedById: row.updatedById } });
}

/** The programme's partner organisations (those that may manage councils), by name. */
export async function partnerOrganisations(db: DbOrTx) {
  return db
    .select({ code: organisations.code, name: organisations.name })
    .from(organisations)
    .where(eq(organisations.kind, 'partner'))
    .orderBy(asc(organisations.name));
}
