import { cachedRead, keptTotal } from '../db/read-cache.ts';
import { and, asc, desc, eq, ilike, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import { fundedPlaces, organisations, participations } from '../db/schema.ts';
import { queryRows, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { placeSortKeys } from './schemas.ts';
import { containsPattern } from '../db/search.ts';
import { orderByKeys, pageClause } from '../db/paging.ts';
import { selectList } from '../db/select-list.ts';

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

/** What the funded places list can be narrowed and ordered by. */
export type PlaceFilters = {
  q?: string;
  councilId?: string;
  level?: string;
  /** A financial year, or undefined for every period. */
  period?: string;
  region?: string;
  sort: (typeof placeSortKeys)[number];
  order: 'asc' | 'desc';
};

/** LIKE metacharacters typed by a user are searched for literally. */

const remaining = sql<number>`(${fundedPlaces.places} - ${fundedPlaces.taken})`;
const levelOrder = sql`array_position(array['foundation','practitioner','expert']::text[], ${fundedPlaces.level})`;

function listWhere(scope: CouncilScope, f: Omit<PlaceFilters, 'sort' | 'order'>): SQL | undefined {
  return and(
    // Every allocation is a council's (findCouncil checks it before one is made); saying so lets the database walk
    // councils by name (organisations_kind_name_idx) into their allocations for the default sort, rather than sort
    // every allocation for one page.
    eq(organisations.kind, 'council'),
    councilInScope(scope, sql`${fundedPlaces.councilId}`),
    f.q ? or(ilike(organisations.name, containsPattern(f.q)), ilike(organisations.gssCode, containsPattern(f.q))) : undefined,
    f.councilId ? eq(fundedPlaces.councilId, f.councilId) : undefined,
    f.level ? eq(fundedPlaces.level, f.level) : undefined,
    f.period ? eq(fundedPlaces.period, f.period) : undefined,
    f.region ? eq(organisations.region, f.region) : undefined,
  );
}

function listOrder(sort: PlaceFilters['sort'], order: PlaceFilters['order']): SQL[] {
  const dir = order === 'desc' ? desc : asc;
  const rest = [asc(organisations.name), asc(levelOrder), asc(fundedPlaces.period), asc(fundedPlaces.id)];
  switch (sort) {
    case 'council':
      return [dir(organisations.name), asc(levelOrder), asc(fundedPlaces.period), asc(fundedPlaces.id)];
    case 'level':
      return [dir(levelOrder), ...rest];
    case 'period':
      return [dir(fundedPlaces.period), ...rest];
    case 'allocated':
      return [dir(fundedPlaces.places), ...rest];
    case 'remaining':
      return [dir(remaining), ...rest];
  }
}

const placeFields = {
  id: fundedPlaces.id,
  councilId: fundedPlaces.councilId,
  councilName: organisations.name,
  gssCode: organisations.gssCode,
  region: organisations.region,
  level: fundedPlaces.level,
  period: fundedPlaces.period,
  places: fundedPlaces.places,
  taken: fundedPlaces.taken,
  released: fundedPlaces.released,
  remaining,
  version: fundedPlaces.version,
};

/** An allocation in the list, with its council. */
export type PlaceRow = {
  id: string;
  councilId: string;
  councilName: string;
  gssCode: string | null;
  region: string | null;
  level: string;
  period: string;
  places: number;
  taken: number;
  released: number;
  remaining: number;
  version: number;
};

/** The list's columns with their keys, for a page read as raw rows (db/select-list.ts). */
const placeColumns = selectList(placeFields);

/** Each allocation with its council. */
const placeTables = sql`${fundedPlaces} join ${organisations} on ${organisations.id} = ${fundedPlaces.councilId}`;

/** What the allocations in a list add up to. */
type PlaceTotals = { places: number; taken: number; released: number; remaining: number };

/** One page of the allocations in scope that match (every match when `page` is null), how many, and their totals. */
export async function listPlaces(db: DbOrTx, scope: CouncilScope, filters: PlaceFilters, page: { limit: number; offset: number } | null) {
  const where = listWhere(scope, filters) ?? sql`true`;
  const [rows, [totals]] = await Promise.all([
    queryRows<PlaceRow>(
      db,
      sql`select ${placeColumns} from ${placeTables} where ${where}
          order by ${orderByKeys(listOrder(filters.sort, filters.order))}${page ? pageClause(page.limit, page.offset) : sql``}`,
    ),
    keptTotal(db, 'places', scope, filters, () =>
      queryRows<{ rows: number } & PlaceTotals>(
        db,
        sql`select count(*)::int as "rows", coalesce(sum(${fundedPlaces.places}), 0)::int as places, coalesce(sum(${fundedPlaces.taken}), 0)::int as taken,
              coalesce(sum(${fundedPlaces.released}), 0)::int as released, coalesce(sum(${remaining}), 0)::int as remaining
            from ${placeTables} where ${where}`,
      ),
    ),
  ]);
  const { rows: total, ...sums } = totals;
  return { rows, total, totals: sums };
}

/** One allocation with its council, in scope, or null. */
export async function findPlace(db: DbOrTx, scope: CouncilScope, key: PlaceKey) {
  const [row] = await db
    .select(placeFields)
    .from(fundedPlaces)
    .innerJoin(organisations, eq(organisations.id, fundedPlaces.councilId))
    .where(and(keyIs(key), councilInScope(scope, sql`${fundedPlaces.councilId}`)));
  return row ? { ...row, remaining: Number(row.remaining) } : null;
}

/** A council in scope (by id) with its programme status, for an allocation or a request for places. */
export async function findCouncil(db: DbOrTx, scope: CouncilScope, id: string) {
  const [row] = await db
    .select({ id: organisations.id, name: organisations.name, gssCode: organisations.gssCode, status: sql<string>`coalesce(${participations.status}, 'not_engaged')` })
    .from(organisations)
    .leftJoin(participations, eq(participations.councilId, organisations.id))
    .where(and(eq(organisations.id, id), eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`)));
  return row ?? null;
}

/** Every council in scope by name, for the allocation form's select. */
export async function councilChoices(db: DbOrTx, scope: CouncilScope) {
  return db
    .select({ id: organisations.id, name: organisations.name, gssCode: organisations.gssCode })
    .from(organisations)
    .where(and(eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`)))
    .orderBy(asc(organisations.name), asc(organisations.id));
}

/** The regions councils are in, for the filter: kept between changes like the other lists' options (db/read-cache.ts). */
export function councilRegions(db: DbOrTx) {
  return cachedRead(db, 'places.regions', async () => {
    const rows = await db
      .selectDistinct({ region: organisations.region })
      .from(organisations)
      .where(and(eq(organisations.kind, 'council'), isNotNull(organisations.region)))
      .orderBy(asc(organisations.region));
    return rows.map((r) => r.region!);
  });
}
