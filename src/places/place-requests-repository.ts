import { and, asc, count, eq, sql, type SQL } from 'drizzle-orm';
import { keptTotal } from '../db/read-cache.ts';
import { alias } from 'drizzle-orm/pg-core';
import { organisations, people, placeRequests } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import type { PlaceRequestStatus } from './place-requests-schemas.ts';
import { builderLimit } from '../db/paging.ts';

const requester = alias(people, 'requester');
const decider = alias(people, 'decider');

const requestFields = {
  id: placeRequests.id,
  councilId: placeRequests.councilId,
  councilName: organisations.name,
  gssCode: organisations.gssCode,
  level: placeRequests.level,
  period: placeRequests.period,
  places: placeRequests.places,
  reason: placeRequests.reason,
  status: placeRequests.status,
  requestedById: placeRequests.requestedById,
  requestedByName: requester.name,
  requestedByEmail: requester.email,
  requestedAt: placeRequests.requestedAt,
  decidedById: placeRequests.decidedById,
  decidedByName: decider.name,
  decidedAt: placeRequests.decidedAt,
  decisionNote: placeRequests.decisionNote,
};

/** The requests with their council's, requester's and decider's names. */
function selectRequests(db: DbOrTx) {
  return db
    .select(requestFields)
    .from(placeRequests)
    .innerJoin(organisations, eq(organisations.id, placeRequests.councilId))
    .leftJoin(requester, eq(requester.id, placeRequests.requestedById))
    .leftJoin(decider, eq(decider.id, placeRequests.decidedById))
    .$dynamic();
}

export type PlaceRequestFilters = { status?: PlaceRequestStatus; councilId?: string; level?: string; period?: string };

function listWhere(scope: CouncilScope, f: PlaceRequestFilters): SQL | undefined {
  return and(
    councilInScope(scope, sql`${placeRequests.councilId}`),
    f.status ? eq(placeRequests.status, f.status) : undefined,
    f.councilId ? eq(placeRequests.councilId, f.councilId) : undefined,
    f.level ? eq(placeRequests.level, f.level) : undefined,
    f.period ? eq(placeRequests.period, f.period) : undefined,
  );
}

/** One page of the requests in scope that match, oldest first (the queue's order), and how many match. */
export async function listRequests(db: DbOrTx, scope: CouncilScope, filters: PlaceRequestFilters, page: { limit: number; offset: number } | null) {
  const where = listWhere(scope, filters);
  const query = selectRequests(db).where(where).orderBy(asc(placeRequests.requestedAt), asc(placeRequests.id));
  const [rows, [{ total }]] = await Promise.all([
    page ? query.limit(builderLimit(page.limit)).offset(page.offset) : query,
    keptTotal(db, 'place-requests', scope, filters, () => db.select({ total: count() }).from(placeRequests).where(where)),
  ]);
  return { rows, total };
}
export type PlaceRequestRow = Awaited<ReturnType<typeof listRequests>>['rows'][number];

/** How many requests in scope wait for a decision. */
export async function countWaiting(db: DbOrTx, scope: CouncilScope): Promise<number> {
  const [{ n }] = await keptTotal(db, 'place-requests.waiting', scope, {}, () =>
    db.select({ n: count() }).from(placeRequests).where(listWhere(scope, { status: 'requested' })),
  );
  return n;
}

/** One request in scope, or null. */
export async function findRequest(db: DbOrTx, scope: CouncilScope, id: string): Promise<PlaceRequestRow | null> {
  const [row] = await selectRequests(db).where(and(eq(placeRequests.id, id), councilInScope(scope, sql`${placeRequests.councilId}`)));
  return row ?? null;
}

/** The request waiting for this council, level and period, if any. */
export async function findWaiting(db: DbOrTx, key: { councilId: string; level: string; period: string }): Promise<PlaceRequestRow | null> {
  const [row] = await selectRequests(db).where(
    and(eq(placeRequests.councilId, key.councilId), eq(placeRequests.level, key.level), eq(placeRequests.period, key.period), eq(placeRequests.status, 'requested')),
  );
  return row ?? null;
}

export async function insertRequest(
  tx: DbOrTx,
  values: { councilId: string; level: string; period: string; places: number; reason: string; requestedById: string | null; requestedAt: Date },
): Promise<string> {
  const [row] = await tx.insert(placeRequests).values(values).returning({ id: placeRequests.id });
  return row.id;
}

/**
 * Decides a request that is still waiting, in one conditional UPDATE: two admins deciding at once are serialised on
 * the row, and the second finds it no longer `requested` (false), so a request is never granted twice.
 */
export async function decideIfWaiting(
  tx: DbOrTx,
  id: string,
  decision: { status: Exclude<PlaceRequestStatus, 'requested'>; decidedById: string | null; decidedAt: Date; decisionNote: string | null },
): Promise<boolean> {
  const rows = await tx
    .update(placeRequests)
    .set(decision)
    .where(and(eq(placeRequests.id, id), eq(placeRequests.status, 'requested')))
    .returning({ id: placeRequests.id });
  return rows.length === 1;
}
