import { isUniqueViolation, type Db } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { freeSeat, takeSeat, updateEnrolment } from '../enrolments/repository.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { capacitySchema, cohortDatesSchema, cohortSchema, placementSchema, type ApiCohort } from './schemas.ts';
import { cohortStatus, finishedMessage, takesLearners } from './lifecycle.ts';
import { todayIso } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import * as repo from './repository.ts';
import type { CohortRow } from './repository.ts';

export type { CohortRow } from './repository.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const listCohorts = repo.listCohorts;

/** A cohort as the API answers it on `today`, with its status and the seats left (none once it has finished). */
export function toApiCohort(c: CohortRow, today: string): ApiCohort {
  return {
    id: c.id,
    level: c.level as Level,
    name: c.name,
    startDate: c.startDate,
    endDate: c.endDate,
    status: cohortStatus(c, today),
    workshopDates: c.workshopDates,
    capacity: c.capacity,
    placed: c.placed,
    seatsLeft: takesLearners(c, today) ? c.capacity - c.placed : 0,
    version: c.version,
  };
}

/** One cohort; unknown and malformed ids are "not found". */
export async function getCohort(db: Db, id: string): Promise<CohortRow> {
  const cohort = uuidPattern.test(id) ? await repo.findCohort(db, id) : null;
  if (!cohort) throw new NotFoundError();
  return cohort;
}

/** The cohort page: the cohort, its learners in the viewer's councils, and (for managers) those who could be placed. */
export async function cohortOverview(db: Db, scope: CouncilScope, id: string, withCandidates: boolean) {
  const cohort = await getCohort(db, id);
  const learners = await repo.cohortLearners(db, scope, cohort.id);
  const candidates = withCandidates ? await repo.unplacedLearners(db, scope, cohort.level, 500) : [];
  return { cohort, learners, candidates };
}

const duplicateName = (name: string) => new ConflictError(`There is already a cohort called ${name}: choose another name`, 'name');

/** Creates a cohort, audited; a name already used (whatever its case) is refused, even by a racing request. */
export async function createCohort(db: Db, ctx: RequestContext, input: unknown): Promise<CohortRow> {
  const data = parseOrThrow(cohortSchema, input);
  if (await repo.nameTaken(db, data.name)) throw duplicateName(data.name);
  try {
    return await db.transaction(async (tx) => {
      const cohort = await repo.insertCohort(tx, {
        level: data.level,
        name: data.name,
        startDate: data.startDate,
        endDate: data.endDate,
        workshopDates: data.workshopDates,
        capacity: data.capacity,
      });
      await recordAudit(tx, ctx, {
        action: 'cohort.created',
        recordType: 'cohort',
        recordId: cohort.id,
        after: { level: cohort.level, name: cohort.name, startDate: cohort.startDate, endDate: cohort.endDate, workshopDates: cohort.workshopDates, capacity: cohort.capacity },
      });
      return cohort;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(data.name);
    throw err;
  }
}

/** Changes a cohort's capacity; never below the learners already placed (checked by the statement that writes). */
export async function changeCapacity(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<CohortRow> {
  const cohort = await getCohort(db, id);
  const data = parseOrThrow(capacitySchema, input);
  return db.transaction(async (tx) => {
    const before = await repo.lockCohort(tx, cohort.id);
    if (!before) throw new NotFoundError();
    if (data.version !== undefined && data.version !== before.version) {
      throw new ConflictError('Someone else changed this cohort since you opened the page. Check its capacity and try again.', 'version');
    }
    const after = await repo.setCapacity(tx, cohort.id, data.capacity);
    if (!after) {
      throw new ValidationError({ capacity: `${before.name} has ${before.placed} learner${before.placed === 1 ? '' : 's'} placed, so its capacity cannot be lower than ${before.placed}` });
    }
    await recordAudit(tx, ctx, { action: 'cohort.capacity_changed', recordType: 'cohort', recordId: cohort.id, before: { capacity: before.capacity }, after: { capacity: after.capacity } });
    return after;
  });
}

export const staleCohortMessage = 'Someone else changed this cohort since you opened the page. Check its dates and try again.';

/** The dates as they are compared and audited. */
const datesOf = (c: { startDate: string; endDate: string; workshopDates: string[] }) => ({ startDate: c.startDate, endDate: c.endDate, workshopDates: c.workshopDates });

/**
 * Changes a cohort's start, end and workshop dates in one transaction with its audit event (`cohort.dates_changed`).
 * The dates may not exclude what has happened: the start not after the first day a learner placed in the cohort
 * started learning, the end not before the last such day. A stale version is refused (409); the same dates sent
 * again change nothing and write no audit.
 */
export async function changeDates(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<CohortRow> {
  const cohort = await getCohort(db, id);
  const data = parseOrThrow(cohortDatesSchema, input);
  const wanted = datesOf({ ...data, workshopDates: data.workshopDates ?? [] });
  return db.transaction(async (tx) => {
    const before = await repo.lockCohort(tx, cohort.id);
    if (!before) throw new NotFoundError();
    if (data.version !== undefined && data.version !== before.version) throw new ConflictError(staleCohortMessage, 'version');
    const started = await repo.learningStarted(tx, before.id);
    const problems: Record<string, string> = {};
    if (started.first && wanted.startDate > started.first) {
      problems.startDate = `Start date must be on or before ${formatDate(started.first)}, when a learner in this cohort started learning`;
    }
    if (started.last && wanted.endDate < started.last) {
      problems.endDate = `End date must be on or after ${formatDate(started.last)}, when a learner in this cohort started learning`;
    }
    if (Object.keys(problems).length) throw new ValidationError(problems);
    if (JSON.stringify(datesOf(before)) === JSON.stringify(wanted)) return before;
    const after = await repo.setDates(tx, before.id, before.version, wanted);
    if (!after) throw new ConflictError(staleCohortMessage, 'version');
    await recordAudit(tx, ctx, { action: 'cohort.dates_changed', recordType: 'cohort', recordId: before.id, before: datesOf(before), after: datesOf(after) });
    return after;
  });
}

const seats = (n: number) => `${n} seat${n === 1 ? '' : 's'}`;

/**
 * Places learners in a cohort, all or none, in one transaction. The cohort must not have finished; each learner
 * must be approved or registered on the cohort's level and in the caller's councils; one already in another cohort moves, freeing that seat.
 *
 * Lock order: the enrolments first (in id order), then the cohorts (this one and those the learners leave, in id
 * order). A journey event holds its enrolment's lock and then takes a seat in a cohort, so locking the cohort
 * first here could deadlock with it on PostgreSQL. The cohort lock still serialises placements in one cohort, so
 * the seats left are exact; each seat is also taken by a conditional UPDATE (`takeSeat`), so the capacity holds.
 * Writes the enrolment's cohort (new version) and one audit event per learner; no journey event.
 */
export async function placeInCohort(db: Db, ctx: RequestContext, scope: CouncilScope, enrolmentIds: unknown, cohortId: string): Promise<number> {
  const cohort = await getCohort(db, cohortId);
  const { enrolmentIds: ids } = parseOrThrow(placementSchema, { enrolmentIds });
  const unique = [...new Set(ids.map((i) => i.toLowerCase()))];
  const level = levelLabels[cohort.level as Level] ?? cohort.level;
  return db.transaction(async (tx) => {
    const enrolments = await repo.lockEnrolments(tx, scope, unique);
    if (enrolments.length !== unique.length) throw new ValidationError({ enrolmentIds: 'Select learners from the list: one or more of them could not be found' });
    for (const e of enrolments) {
      if (e.cohortId === cohort.id) throw new ValidationError({ enrolmentIds: `${e.name} is already in ${cohort.name}` });
      if (e.level !== cohort.level) throw new ValidationError({ enrolmentIds: `${e.name} is not enrolled on the ${level} level, so cannot join ${cohort.name}` });
      if (!repo.placeableStatuses.includes(e.status)) {
        throw new ValidationError({ enrolmentIds: `${e.name} cannot be placed: only approved or registered learners join a cohort` });
      }
    }
    const leaving = enrolments.flatMap((e) => (e.cohortId ? [e.cohortId] : []));
    const locked = (await repo.lockCohorts(tx, [...new Set([cohort.id, ...leaving])])).find((c) => c.id === cohort.id);
    if (!locked) throw new NotFoundError();
    if (!takesLearners(locked, todayIso(ctx.clock))) throw new ConflictError(finishedMessage(locked), 'enrolmentIds');
    const left = locked.capacity - locked.placed;
    if (enrolments.length > left) {
      throw new ConflictError(
        left === 0
          ? `${cohort.name} is full: it has no seats left`
          : `${cohort.name} has ${seats(left)} left, so ${enrolments.length} learners cannot be placed. Select ${left} or fewer, or raise its capacity.`,
        'enrolmentIds',
      );
    }
    const now = ctx.clock.now();
    for (const e of enrolments) {
      if (!(await takeSeat(tx, cohort.id, cohort.level))) throw new ConflictError(`${cohort.name} is full: it has no seats left`, 'enrolmentIds');
      if (e.cohortId) await freeSeat(tx, e.cohortId);
      await updateEnrolment(tx, e.id, { cohortId: cohort.id }, now);
      await recordAudit(tx, ctx, {
        action: 'enrolment.placed_in_cohort',
        recordType: 'enrolment',
        recordId: e.id,
        before: { cohortId: e.cohortId },
        after: { cohortId: cohort.id, cohortName: cohort.name },
      });
    }
    return enrolments.length;
  });
}
