import { and, eq, sql } from 'drizzle-orm';
import { fundedPlaces } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';

type PlaceKey = { councilId: string; level: string; period: string };

const keyIs = (k: PlaceKey) => and(eq(fundedPlaces.councilId, k.councilId), eq(fundedPlaces.level, k.level), eq(fundedPlaces.period, k.period));

/**
 * Takes one place if any remain, in a single conditional UPDATE: two approvals racing for the last place are
 * serialised on the row by the database, and the second re-checks `taken < places` after the first commits, so
 * exactly one wins on PostgreSQL as on PGlite. False when there is no allocation or none is left.
 */
export async function takePlace(tx: DbOrTx, key: PlaceKey, now: Date): Promise<boolean> {
  const rows = await tx
    .update(fundedPlaces)
    .set({ taken: sql`${fundedPlaces.taken} + 1`, updatedAt: now })
    .where(and(keyIs(key), sql`${fundedPlaces.taken} < ${fundedPlaces.places}`))
    .returning({ id: fundedPlaces.id });
  return rows.length === 1;
}

/** Gives a place back (a withdrawal before the cut-off): it is no longer taken, and counts as released. */
export async function releasePlace(tx: DbOrTx, key: PlaceKey, now: Date): Promise<void> {
  const rows = await tx
    .update(fundedPlaces)
    .set({ taken: sql`${fundedPlaces.taken} - 1`, released: sql`${fundedPlaces.released} + 1`, updatedAt: now })
    .where(and(keyIs(key), sql`${fundedPlaces.taken} > 0`))
    .returning({ id: fundedPlaces.id });
  if (rows.length !== 1) throw new Error(`No taken place to release for ${key.councilId} ${key.level} ${key.period}`);
}

/** The allocation for one council, level and period, locked for a change. */
export async function lockAllocation(tx: DbOrTx, key: PlaceKey) {
  const [row] = await tx.select().from(fundedPlaces).where(keyIs(key)).for('update');
  return row ?? null;
}

/** Sets the number of places, creating the allocation the first time; refuses (false) to go below what is taken. */
export async function setPlaces(tx: DbOrTx, key: PlaceKey, places: number, now: Date): Promise<boolean> {
  const rows = await tx
    .insert(fundedPlaces)
    .values({ ...key, places, updatedAt: now })
    .onConflictDoUpdate({
      target: [fundedPlaces.councilId, fundedPlaces.level, fundedPlaces.period],
      set: { places, version: sql`${fundedPlaces.version} + 1`, updatedAt: now },
      setWhere: sql`${fundedPlaces.taken} <= ${places}`,
    })
    .returning({ id: fundedPlaces.id });
  return rows.length === 1;
}
