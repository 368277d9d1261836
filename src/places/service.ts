import type { Db } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { allocationSchema, type ApiPlace } from './schemas.ts';
import * as repo from './repository.ts';
import { currentPeriodWindow, periodRefusal } from '../enrolments/periods.ts';
import type { PlaceFilters, PlaceRow } from './repository.ts';

export type { PlaceFilters, PlaceRow } from './repository.ts';

/** A page of allocations in scope (every match when `page` is null), with the totals of every match. */
export async function listPlaces(db: Db, scope: CouncilScope, filters: PlaceFilters, page: { page: number; pageSize: number } | null) {
  return repo.listPlaces(db, scope, filters, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

export function toApiPlace(row: PlaceRow): ApiPlace {
  return {
    id: row.id,
    councilId: row.councilId,
    councilName: row.councilName,
    gssCode: row.gssCode,
    level: row.level as Level,
    period: row.period,
    places: row.places,
    taken: row.taken,
    released: row.released,
    remaining: row.remaining,
  };
}

/**
 * Creates or changes the allocation for one council, level and open period, in one transaction with its audit event.
 * Lowering below the places taken is refused by the same statement that writes (`setPlaces`), so an approval
 * racing with the change cannot slip underneath it. `created` tells a new allocation from a changed one.
 */
export async function allocate(db: Db, ctx: RequestContext, scope: CouncilScope, input: unknown): Promise<{ place: PlaceRow; created: boolean }> {
  const data = parseOrThrow(allocationSchema, input);
  // Places are allocated by the programme team, for any open period (periods.ts).
  const periodProblem = periodRefusal(data.period, await currentPeriodWindow(db, ctx.clock), true);
  if (periodProblem) throw new ValidationError({ period: periodProblem });
  const council = await repo.findCouncil(db, scope, data.councilId);
  if (!council) throw new ValidationError({ councilId: 'Select a council from the list' });
  const key = { councilId: council.id, level: data.level, period: data.period };
  const created = await db.transaction(async (tx) => {
    const before = await repo.lockAllocation(tx, key);
    const now = ctx.clock.now();
    if (!(await repo.setPlaces(tx, key, data.places, now))) {
      const taken = before?.taken ?? (await repo.lockAllocation(tx, key))?.taken ?? 0;
      const level = levelLabels[data.level];
      throw new ValidationError({
        places: `${council.name} has ${taken} ${level} place${taken === 1 ? '' : 's'} taken in ${data.period}, so the allocation cannot be lower than ${taken}`,
      });
    }
    const after = await repo.lockAllocation(tx, key);
    await recordAudit(tx, ctx, {
      action: 'places.allocated',
      recordType: 'funded_places',
      recordId: after!.id,
      before: before ? { councilId: council.id, level: data.level, period: data.period, places: before.places, taken: before.taken } : null,
      after: { councilId: council.id, level: data.level, period: data.period, places: after!.places, taken: after!.taken },
    });
    return !before;
  });
  const place = await repo.findPlace(db, { kind: 'all' }, key);
  return { place: place!, created };
}

export const councilChoices = repo.councilChoices;
export const councilRegions = repo.councilRegions;
