/**
 * Requests for more funded places: a managing partner (or admin) who finds a council has no places left asks for
 * some, with a reason; an admin grants (the allocation grows, through the allocation code) or refuses (with a note),
 * and the requester is told by email. One transaction per command, each with its audit event.
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import { can, type Actor, type CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { statusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, type Level } from '../enrolments/journey.ts';
import { currentPeriodWindow, periodRefusal } from '../enrolments/periods.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { cohortStatus, cohortStatusLabels } from '../cohorts/lifecycle.ts';
import { grantSchema, placeRequestSchema, refuseSchema, type ApiPlaceRequest } from './place-requests-schemas.ts';
import * as repo from './place-requests-repository.ts';
import { allocatableStatuses, allocateInTx, findCouncil, findPlace } from './service.ts';
import type { PlaceRequestFilters, PlaceRequestRow } from './place-requests-repository.ts';

export type { PlaceRequestFilters, PlaceRequestRow } from './place-requests-repository.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const levelOf = (level: string) => levelLabels[level as Level] ?? level;

export async function listRequests(db: Db, scope: CouncilScope, filters: PlaceRequestFilters, page: { page: number; pageSize: number } | null) {
  return repo.listRequests(db, scope, filters, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

export const countWaiting = repo.countWaiting;

/** One request in scope; 404 for an unknown id or one outside scope. */
export async function getRequest(db: Db, scope: CouncilScope, id: string): Promise<PlaceRequestRow> {
  const row = uuidPattern.test(id) ? await repo.findRequest(db, scope, id) : null;
  if (!row) throw new NotFoundError();
  return row;
}

export function toApiPlaceRequest(r: PlaceRequestRow): ApiPlaceRequest {
  return {
    id: r.id,
    councilId: r.councilId,
    councilName: r.councilName,
    level: r.level as Level,
    period: r.period,
    places: r.places,
    reason: r.reason,
    status: r.status,
    requestedById: r.requestedById,
    requestedByName: r.requestedByName,
    requestedAt: r.requestedAt.toISOString(),
    decidedById: r.decidedById,
    decidedByName: r.decidedByName,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionNote: r.decisionNote,
  };
}

const waitingMessage = (w: PlaceRequestRow) =>
  `A request for ${plural(w.places, `${levelOf(w.level)} place`)} for ${w.councilName} in ${w.period} is already waiting for a decision (asked on ${formatDate(w.requestedAt)})`;

/**
 * Asks for more places for a council in scope, an open period and a level. Only for a council that is active or
 * onboarding (a council in another state gets its places from an admin's allocation, which asks for confirmation),
 * and only one request waits per council, level and period (a partial unique index holds it under concurrency).
 */
export async function createRequest(db: Db, ctx: RequestContext, scope: CouncilScope, input: unknown): Promise<PlaceRequestRow> {
  const data = parseOrThrow(placeRequestSchema, input);
  const periodProblem = periodRefusal(data.period, await currentPeriodWindow(db, ctx.clock), true);
  if (periodProblem) throw new ValidationError({ period: periodProblem });
  const council = await findCouncil(db, scope, data.councilId);
  if (!council) throw new ValidationError({ councilId: 'Select a council from the list' });
  if (!allocatableStatuses.includes(council.status)) {
    const status = (statusLabels[council.status as ProgrammeStatus] ?? council.status).toLowerCase();
    throw new ValidationError({ councilId: `${council.name} is ${status}: places can be requested only for a council that is active or onboarding` });
  }
  const key = { councilId: council.id, level: data.level, period: data.period };
  let id: string;
  try {
    id = await db.transaction(async (tx) => {
      const waiting = await repo.findWaiting(tx, key);
      if (waiting) throw new ConflictError(waitingMessage(waiting), 'places');
      const newId = await repo.insertRequest(tx, { ...key, places: data.places, reason: data.reason, requestedById: ctx.actor?.personId ?? null, requestedAt: ctx.clock.now() });
      await recordAudit(tx, ctx, {
        action: 'place_request.created',
        recordType: 'place_request',
        recordId: newId,
        before: null,
        after: { ...key, places: data.places, reason: data.reason },
      });
      return newId;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const waiting = await repo.findWaiting(db, key);
    throw new ConflictError(waiting ? waitingMessage(waiting) : 'A request for these places is already waiting for a decision', 'places');
  }
  return (await repo.findRequest(db, { kind: 'all' }, id))!;
}

export type Decision = 'grant' | 'refuse';

/** The message for a request someone has already decided (a second admin, a second click, an API retry). */
export const alreadyDecidedMessage = (r: PlaceRequestRow) =>
  `This request was already ${r.status} by ${r.decidedByName ?? 'someone'} on ${formatDate(r.decidedAt)}: nothing was changed`;

function decisionEmail(r: PlaceRequestRow, decision: Decision, note: string | null, allocated: number | null) {
  if (!r.requestedByEmail) return null;
  const what = `${plural(r.places, `${levelOf(r.level)} place`)} for ${r.councilName} in ${r.period}`;
  return {
    to: r.requestedByEmail,
    template: `place-request-${decision === 'grant' ? 'granted' : 'refused'}`,
    subject: decision === 'grant' ? `Your request for ${what} is granted` : `Your request for ${what} was refused`,
    body:
      decision === 'grant'
        ? `Dear ${r.requestedByName},\n\nYour request for ${what} has been granted. The council now has ${plural(allocated ?? 0, `${levelOf(r.level)} place`)} allocated for ${r.period}.\n\nSign in to Pioneer to approve the nominations that were waiting for a place.`
        : `Dear ${r.requestedByName},\n\nYour request for ${what} was refused.\n\nThe programme team’s note: ${note}\n\nSign in to Pioneer to see the council’s places.`,
  };
}

/**
 * Grants or refuses a waiting request in one transaction. The request is marked decided first by a conditional
 * UPDATE, so a second decision (another admin, a retry) finds it decided and changes nothing (409); granting then
 * adds the places to the allocation through allocateInTx (audited there too), which asks for confirmation when the
 * council is no longer active or onboarding. The requester is told by email through the outbox.
 */
export async function decide(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, decision: Decision, input: unknown): Promise<PlaceRequestRow> {
  const request = await getRequest(db, scope, id);
  const grant = decision === 'grant' ? parseOrThrow(grantSchema, input ?? {}) : null;
  const note = decision === 'refuse' ? parseOrThrow(refuseSchema, input ?? {}).note : null;
  if (request.status !== 'requested') throw new ConflictError(alreadyDecidedMessage(request));
  await db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const status = decision === 'grant' ? 'granted' : 'refused';
    if (!(await repo.decideIfWaiting(tx, id, { status, decidedById: ctx.actor?.personId ?? null, decidedAt: now, decisionNote: note }))) {
      throw new ConflictError(alreadyDecidedMessage((await repo.findRequest(tx, { kind: 'all' }, id))!));
    }
    const key = { councilId: request.councilId, level: request.level as Level, period: request.period };
    let allocated: number | null = null;
    if (grant) {
      const council = (await findCouncil(tx, { kind: 'all' }, request.councilId))!;
      await allocateInTx(tx, ctx, council, key, (current) => current + request.places, grant.confirmInactiveCouncil);
      allocated = (await findPlace(tx, { kind: 'all' }, key))!.places;
    }
    await recordAudit(tx, ctx, {
      action: `place_request.${status}`,
      recordType: 'place_request',
      recordId: id,
      before: { status: 'requested' },
      after: { status, ...key, places: request.places, ...(note ? { note } : {}) },
    });
    const email = decisionEmail(request, decision, note, allocated);
    if (email) await enqueueEmail(tx, email);
  });
  return (await repo.findRequest(db, { kind: 'all' }, id))!;
}

/**
 * What the nomination decision page shows before approving: the council's places for the level and period
 * (allocated, taken, left), the next cohorts of the level with seats (from the list the page already read), and,
 * when none are left, a waiting request or a link to ask for more.
 */
export async function decisionPanel(
  db: DbOrTx,
  actor: Actor,
  enrolment: { councilId: string; level: string; period: string },
  cohorts: readonly { name: string; startDate: string; endDate: string; capacity: number; placed: number }[],
  today: string,
) {
  const key = { councilId: enrolment.councilId, level: enrolment.level, period: enrolment.period };
  const place = await findPlace(db, { kind: 'all' }, key);
  const left = place?.remaining ?? 0;
  const waiting = left > 0 ? null : await repo.findWaiting(db, key);
  const query = new URLSearchParams(key).toString();
  return {
    level: levelOf(enrolment.level),
    period: enrolment.period,
    allocated: place?.places ?? 0,
    taken: place?.taken ?? 0,
    left,
    cohorts: cohorts.slice(0, 3).map((c) => ({
      name: c.name,
      status: cohortStatusLabels[cohortStatus(c, today)],
      startDate: formatDate(c.startDate),
      seatsLeft: c.capacity - c.placed,
    })),
    waiting: waiting && { places: waiting.places, requestedOn: formatDate(waiting.requestedAt), href: can(actor, 'place-request:decide') ? paths.placeRequest(waiting.id) : null },
    requestHref: left <= 0 && !waiting && can(actor, 'place-request:create') ? `${paths.placeRequestNew()}?${query}` : null,
  };
}
export type DecisionPanel = Awaited<ReturnType<typeof decisionPanel>>;
