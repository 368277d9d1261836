import type { Db, DbOrTx } from '../db/client.ts';
import { statusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { allocationSchema, maxPlaces, type ApiPlace } from './schemas.ts';
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

/** The programme statuses of a council that places are normally allocated to; any other asks for confirmation. */
export const allocatableStatuses: readonly string[] = ['active', 'onboarding'];

/** Why an allocation to this council needs confirming (null when it does not), in the words the page and API show. */
export function inactiveCouncilRefusal(council: { name: string; status: string }): string | null {
  if (allocatableStatuses.includes(council.status)) return null;
  const status = (statusLabels[council.status as ProgrammeStatus] ?? council.status).toLowerCase();
  return `${council.name} is ${status}, not active or onboarding: confirm that you want to allocate places to it`;
}

type Council = { id: string; name: string; status: string };
type Key = { councilId: string; level: Level; period: string };

/**
 * Sets the allocation for one council, level and period inside the caller's transaction, with its audit event.
 * `places` may be a number or a function of the current allocation (a granted request adds to it) read under the
 * row's lock. Lowering below the places taken is refused by the same statement that writes (`setPlaces`), so an
 * approval racing with the change cannot slip underneath it. A council that is not active or onboarding needs
 * `confirmInactiveCouncil`. `created` tells a new allocation from a changed one.
 */
export async function allocateInTx(
  tx: DbOrTx,
  ctx: RequestContext,
  council: Council,
  key: Key,
  places: number | ((current: number) => number),
  confirmInactiveCouncil = false,
): Promise<{ created: boolean }> {
  const refusal = inactiveCouncilRefusal(council);
  if (refusal && !confirmInactiveCouncil) throw new ValidationError({ confirmInactiveCouncil: refusal });
  const before = await repo.lockAllocation(tx, key);
  const wanted = typeof places === 'number' ? places : places(before?.places ?? 0);
  if (wanted > maxPlaces) throw new ValidationError({ places: `${council.name} would have ${wanted} ${levelLabels[key.level]} places in ${key.period}: an allocation must be 10,000 or fewer` });
  const now = ctx.clock.now();
  if (!(await repo.setPlaces(tx, key, wanted, now))) {
    const taken = before?.taken ?? (await repo.lockAllocation(tx, key))?.taken ?? 0;
    throw new ValidationError({
      places: `${council.name} has ${taken} ${levelLabels[key.level]} place${taken === 1 ? '' : 's'} taken in ${key.period}, so the allocation cannot be lower than ${taken}`,
    });
  }
  const after = await repo.lockAllocation(tx, key);
  await recordAudit(tx, ctx, {
    action: 'places.allocated',
    recordType: 'funded_places',
    recordId: after!.id,
    before: before ? { ...key, places: before.places, taken: before.taken } : null,
    after: { ...key, places: after!.places, taken: after!.taken, ...(refusal ? { councilStatus: council.status } : {}) },
  });
  return { created: !before };
}

/**
 * Creates or changes the allocation for one council, level and open period, in one transaction with its audit event
 * (see allocateInTx for the rules).
 */
export async function allocate(db: Db, ctx: RequestContext, scope: CouncilScope, input: unknown): Promise<{ place: PlaceRow; created: boolean }> {
  const data = parseOrThrow(allocationSchema, input);
  // Places are allocated by the programme team, for any open period (periods.ts).
  const periodProblem = periodRefusal(data.period, await currentPeriodWindow(db, ctx.clock), true);
  if (periodProblem) throw new ValidationError({ period: periodProblem });
  const council = await repo.findCouncil(db, scope, data.councilId);
  if (!council) throw new ValidationError({ councilId: 'Select a council from the list' });
  const key = { councilId: council.id, level: data.level, period: data.period };
  const { created } = await db.transaction((tx) => allocateInTx(tx, ctx, council, key, data.places, data.confirmInactiveCouncil));
  const place = await repo.findPlace(db, { kind: 'all' }, key);
  return { place: place!, created };
}

/** One allocation (null when there is none), for the panels that show places left. */
export const findPlace = repo.findPlace;
export const findCouncil = repo.findCouncil;

export const councilChoices = repo.councilChoices;
export const councilRegions = repo.councilRegions;
