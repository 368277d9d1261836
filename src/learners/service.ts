/**
 * Learners' records: their enrolments on the journey, accreditations with upkeep, and CPD log. The same views
 * serve the learner's own pages, the staff view and the API; who may see whose record is the policy module's
 * `learnerScope`, turned into SQL by the repository.
 */
import { z } from 'zod';
import { canLogCpd, learnerScope, type Actor, type LearnerScope } from '../auth/policy.ts';
import type { Db } from '../db/client.ts';
import { changedFields, recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import {
  assessmentDueOn,
  isOverdue,
  journeyStateOf,
  mainLineStatuses,
  nextStep,
  statusLabels,
  type JourneyRules,
  type Level,
  type Status,
} from '../enrolments/journey.ts';
import { assessmentBooking, journeyRules, upkeepRules } from '../settings/service.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { cpdYearOf, upkeepOf, type Upkeep, type UpkeepRules } from './upkeep.ts';
import { cpdEntrySchema, type LearnerFilters } from './schemas.ts';
import { isLive, nextStepOf } from './next-step.ts';
import * as repo from './repository.ts';

/** Ids in URLs are uuids; anything else is a record that does not exist. */
export const isUuid = (id: string) => z.uuid().safeParse(id).success;

/** The signed-in person behind a command. */
export const actorOf = (ctx: RequestContext): Actor => {
  if (!ctx.actor) throw new UnauthenticatedError();
  return ctx.actor;
};


export type StepState = 'done' | 'current' | 'stopped' | 'not_yet';
export type Step = { status: Status; label: string; state: StepState; reachedOn: string | null };

/**
 * Where an enrolment stands on the main line (the learner's task list). A step before the current one is done;
 * the current one is in progress (or done, once accredited); later ones are not started yet. Off the main line:
 * "not passed" sits on the assessment step, "deferred" on the step it will resume to, and a declined or
 * withdrawn enrolment stops on the step it had reached.
 */
export function mainLineSteps(enrolment: Pick<repo.LearnerEnrolmentRow, 'status' | 'resumeStatus'>, history: readonly Pick<repo.HistoryRow, 'toStatus' | 'occurredOn'>[]): Step[] {
  const status = enrolment.status as Status;
  const onLine = (s: Status | null | undefined): Status | null => (s === 'not_passed' ? 'assessment_booked' : s && mainLineStatuses.includes(s) ? s : null);
  let position: Status;
  if (status === 'deferred') position = onLine(enrolment.resumeStatus as Status | null) ?? 'approved';
  else if (status === 'withdrawn' || status === 'declined') {
    const reached = history.map((h) => onLine(h.toStatus as Status)).filter((s): s is Status => !!s);
    position = reached[reached.length - 1] ?? 'nominated';
  } else position = onLine(status) ?? 'nominated';
  const at = mainLineStatuses.indexOf(position);
  const stopped = status === 'withdrawn' || status === 'declined';
  return mainLineStatuses.map((s, i) => {
    const reachedOn = history.find((h) => h.toStatus === s)?.occurredOn ?? null;
    let state: StepState;
    if (i < at || (i === at && status === 'accredited')) state = 'done';
    else if (i === at) state = stopped ? 'stopped' : 'current';
    else state = 'not_yet';
    return { status: s, label: statusLabels[s], state, reachedOn };
  });
}

/** An enrolment with what follows from the rules: deadline, overdue, next step, attempts left. */
export function enrolmentView(e: repo.LearnerEnrolmentRow, rules: JourneyRules, today: string) {
  const state = journeyStateOf(e);
  return {
    ...e,
    level: e.level as Level,
    status: e.status as Status,
    dueOn: assessmentDueOn(state, rules),
    overdue: isOverdue(state, rules, today),
    nextStep: nextStep(state, rules),
    attemptsLeft: Math.max(0, rules.maxAttempts - e.attempts),
    maxAttempts: rules.maxAttempts,
  };
}
export type EnrolmentView = ReturnType<typeof enrolmentView>;

export type AccreditationView = repo.AccreditationRow & { level: Level } & Upkeep;

/** Accreditations with their upkeep (current / due soon / lapsed), from the holder's CPD log. */
export function accreditationViews(accreditations: readonly repo.AccreditationRow[], cpd: readonly repo.CpdRow[], rules: UpkeepRules, today: string): AccreditationView[] {
  return accreditations.map((a) => ({
    ...a,
    level: a.level as Level,
    ...upkeepOf(
      { level: a.level as Level, awardedOn: a.awardedOn, renewedOn: a.renewedOn },
      cpd.filter((c) => c.personId === a.personId).map((c) => ({ activityDate: c.date, hours: c.hours })),
      rules,
      today,
    ),
  }));
}

/** A learner's whole record in one go: for the API item and the staff page. */
async function records(db: Db, scope: LearnerScope, learners: readonly repo.LearnerRow[], today: string) {
  const ids = learners.map((l) => l.id);
  const [enrolments, accreditations, cpd, jRules, uRules] = await Promise.all([
    repo.enrolmentsOf(db, scope, ids),
    repo.accreditationsOf(db, ids),
    repo.cpdOf(db, ids),
    journeyRules(db),
    upkeepRules(db),
  ]);
  const accreditationList = accreditationViews(accreditations, cpd, uRules, today);
  return learners.map((l) => ({
    ...l,
    enrolments: enrolments.filter((e) => e.personId === l.id).map((e) => enrolmentView(e, jRules, today)),
    accreditations: accreditationList.filter((a) => a.personId === l.id),
  }));
}
export type LearnerRecord = Awaited<ReturnType<typeof records>>[number];

/** The learner record the actor may see (404 when malformed, unknown or outside their scope). */
export async function getLearner(db: Db, ctx: RequestContext, id: string): Promise<LearnerRecord> {
  const scope = learnerScope(actorOf(ctx));
  const learner = isUuid(id) ? await repo.findLearner(db, scope, id) : null;
  if (!learner) throw new NotFoundError('We could not find that learner.');
  const [record] = await records(db, scope, [learner], todayIso(ctx.clock));
  return record;
}

/** A page of the learners the actor may see. */
export async function listLearners(db: Db, ctx: RequestContext, filters: LearnerFilters, page: { page: number; pageSize: number }) {
  const scope = learnerScope(actorOf(ctx));
  const { rows, total } = await repo.listLearners(db, scope, filters, page);
  return { rows: await records(db, scope, rows, todayIso(ctx.clock)), total };
}

/**
 * A learner's own journey page: every enrolment with its task list, cohort, history and — while it is live — the
 * learner's next step; accreditations with upkeep; and how to book an assessment (settings, blank when not set).
 */
export async function myJourney(db: Db, ctx: RequestContext) {
  const actor = actorOf(ctx);
  const scope: LearnerScope = { kind: 'self', personId: actor.personId };
  const today = todayIso(ctx.clock);
  const [enrolments, history, accreditations, cpd, jRules, uRules, booking] = await Promise.all([
    repo.enrolmentsOf(db, scope, [actor.personId]),
    repo.historyOf(db, scope, actor.personId),
    repo.accreditationsOf(db, [actor.personId]),
    repo.cpdOf(db, [actor.personId]),
    journeyRules(db),
    upkeepRules(db),
    assessmentBooking(db),
  ]);
  const deciders = await repo.managingPartnerNames(db, [...new Set(enrolments.filter((e) => e.status === 'nominated').map((e) => e.councilId))]);
  const accreditationList = accreditationViews(accreditations, cpd, uRules, today);
  const cpdYear = cpdYearFrom(accreditations, cpd, uRules, today);
  return {
    enrolments: enrolments.map((e) => {
      const own = history.filter((h) => h.enrolmentId === e.id);
      const view = enrolmentView(e, jRules, today);
      const next = isLive(view)
        ? nextStepOf(view, {
            decider: deciders.get(e.councilId) ?? null,
            bookedOn: own.filter((h) => h.toStatus === 'assessment_booked').at(-1)?.occurredOn ?? null,
            accreditation: accreditationList.find((a) => a.enrolmentId === e.id) ?? null,
            cpdYear,
          })
        : null;
      return { ...view, steps: mainLineSteps(e, own), history: own, next };
    }),
    accreditations: accreditationList,
    booking,
    cpdTotal: cpd.reduce((total, c) => total + c.hours, 0),
    cpdEntries: cpd.length,
  };
}

/** The learner's staff page: their record, their journey history, and a page of their CPD log. */
export async function learnerPage(db: Db, ctx: RequestContext, id: string, page: { page: number; pageSize: number }) {
  const record = await getLearner(db, ctx, id);
  const scope = learnerScope(actorOf(ctx));
  const [history, cpd] = await Promise.all([repo.historyOf(db, scope, id), repo.cpdPage(db, id, page)]);
  return { record, history, cpd };
}

/** A page of a learner's CPD log with the totals of the whole log, if the actor may see the learner. */
export async function cpdLog(db: Db, ctx: RequestContext, personId: string, page: { page: number; pageSize: number }) {
  const scope = learnerScope(actorOf(ctx));
  const learner = isUuid(personId) ? await repo.findLearner(db, scope, personId) : null;
  if (!learner) throw new NotFoundError('We could not find that learner.');
  return repo.cpdPage(db, personId, page);
}

/** A page of the actor's own CPD log. */
export async function ownCpdPage(db: Db, ctx: RequestContext, page: { page: number; pageSize: number }) {
  return repo.cpdPage(db, actorOf(ctx).personId, page);
}

/** Every entry of the actor's own CPD log, newest first (their download). */
export async function ownCpd(db: Db, ctx: RequestContext) {
  return repo.cpdOf(db, [actorOf(ctx).personId]);
}

const notALearner = 'Only people who are or have been learners on the programme can add to a CPD log.';

/** Whether the actor may add to their own CPD log (the policy's rule, with the facts from their record). */
export async function mayLogOwnCpd(db: Db, ctx: RequestContext): Promise<boolean> {
  const actor = actorOf(ctx);
  return canLogCpd(actor, { personId: actor.personId, hasBeenLearner: await repo.hasBeenLearner(db, actor.personId) });
}

/** Refuses (403) an actor who may not add to their own CPD log: one who has never been a learner. */
export async function authoriseOwnCpd(db: Db, ctx: RequestContext): Promise<void> {
  if (!(await mayLogOwnCpd(db, ctx))) throw new ForbiddenError(notALearner);
}

/**
 * Checks that the actor may add to this person's CPD log: a learner outside their scope is not found (404); one
 * they may see but who is not themself, or themself when they have never been a learner, is forbidden (403).
 */
export async function authoriseCpdEntry(db: Db, ctx: RequestContext, personId: string) {
  const actor = actorOf(ctx);
  const learner = isUuid(personId) ? await repo.findLearner(db, learnerScope(actor), personId) : null;
  if (!learner) throw new NotFoundError('We could not find that learner.');
  if (!canLogCpd(actor, { personId: learner.id, hasBeenLearner: await repo.hasBeenLearner(db, learner.id) })) {
    throw new ForbiddenError(learner.id === actor.personId ? notALearner : 'Only the learner can add to their CPD log.');
  }
}

/** Adds one entry to a learner's CPD log (only their own), audited as `cpd.logged`. */
export async function logCpd(db: Db, ctx: RequestContext, personId: string, input: unknown): Promise<{ entry: repo.CpdRow; created: boolean }> {
  await authoriseCpdEntry(db, ctx, personId);
  return insertOwnCpd(db, ctx, input);
}

/** Adds one entry to the actor's own CPD log (their page), if they are or have been a learner; see insertOwnCpd. */
export async function logOwnCpd(db: Db, ctx: RequestContext, input: unknown): Promise<{ entry: repo.CpdRow; created: boolean }> {
  await authoriseOwnCpd(db, ctx);
  return insertOwnCpd(db, ctx, input);
}

/**
 * Adds one entry to the actor's own CPD log, audited as `cpd.logged` (the callers have authorised it). An entry
 * identical to one already in the log (same date, hours, activity and reflection: a double click, or a form sent
 * twice) is not logged again; `created` is false and the existing entry is answered. The person's entries are
 * serialised by a transaction-level lock, so two identical submissions racing each other still log one.
 */
async function insertOwnCpd(db: Db, ctx: RequestContext, input: unknown): Promise<{ entry: repo.CpdRow; created: boolean }> {
  const personId = actorOf(ctx).personId;
  const data = parseOrThrow(cpdEntrySchema(todayIso(ctx.clock)), input);
  const row = { personId, activityDate: data.date, hours: data.hours, activityType: data.activity, reflection: data.reflection };
  return db.transaction(async (tx) => {
    await repo.lockCpdLog(tx, personId);
    const existing = await repo.findSameCpd(tx, row);
    const entry = { personId, date: data.date, hours: data.hours, activity: data.activity, reflection: data.reflection };
    if (existing) return { entry: { id: existing.id, ...entry }, created: false };
    const { id } = await repo.insertCpd(tx, row);
    await recordAudit(tx, ctx, { action: 'cpd.logged', recordType: 'cpd_record', recordId: id, after: { personId, date: data.date, hours: data.hours, activity: data.activity } });
    return { entry: { id, ...entry }, created: true };
  });
}

const noSuchEntry = () => new NotFoundError('We could not find that entry in your CPD log.');

/** One entry of the actor's own CPD log; anyone else's, or an unknown id, is not found. */
export async function ownCpdEntry(db: Db, ctx: RequestContext, id: string): Promise<repo.CpdRow> {
  const entry = isUuid(id) ? await repo.findOwnCpd(db, actorOf(ctx).personId, id) : null;
  if (!entry) throw noSuchEntry();
  return entry;
}

/** Corrects an entry of the actor's own CPD log, checked as a new entry is, audited as `cpd.changed` with what changed. */
export async function editOwnCpd(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const entry = await ownCpdEntry(db, ctx, id);
  const data = parseOrThrow(cpdEntrySchema(todayIso(ctx.clock)), input);
  const changes = changedFields(
    { date: entry.date, hours: entry.hours, activity: entry.activity, reflection: entry.reflection },
    { date: data.date, hours: data.hours, activity: data.activity, reflection: data.reflection },
  );
  if (!Object.keys(changes.after).length) return;
  await db.transaction(async (tx) => {
    await repo.lockCpdLog(tx, entry.personId);
    const row = { activityDate: data.date, hours: data.hours, activityType: data.activity, reflection: data.reflection };
    if (!(await repo.updateCpd(tx, entry.personId, entry.id, row))) throw noSuchEntry();
    await recordAudit(tx, ctx, { action: 'cpd.changed', recordType: 'cpd_record', recordId: entry.id, ...changes });
  });
}

/** Deletes an entry of the actor's own CPD log, audited as `cpd.deleted` with what it was. */
export async function deleteOwnCpd(db: Db, ctx: RequestContext, id: string): Promise<void> {
  const entry = await ownCpdEntry(db, ctx, id);
  await db.transaction(async (tx) => {
    await repo.lockCpdLog(tx, entry.personId);
    if (!(await repo.deleteCpd(tx, entry.personId, entry.id))) throw noSuchEntry();
    await recordAudit(tx, ctx, {
      action: 'cpd.deleted',
      recordType: 'cpd_record',
      recordId: entry.id,
      before: { personId: entry.personId, date: entry.date, hours: entry.hours, activity: entry.activity },
    });
  });
}

/** The CPD year a learner's log is measured against (upkeep.ts), from their stored accreditations and log. */
const cpdYearFrom = (accreditations: readonly repo.AccreditationRow[], cpd: readonly repo.CpdRow[], rules: UpkeepRules, today: string) =>
  cpdYearOf(
    accreditations.map((a) => ({ level: a.level as Level, awardedOn: a.awardedOn })),
    cpd.map((c) => ({ activityDate: c.date, hours: c.hours })),
    rules,
    today,
  );

/** The actor's CPD year (their accreditation year, or the 12 months to today) and the hours logged in it. */
export async function ownCpdYear(db: Db, ctx: RequestContext) {
  const personId = actorOf(ctx).personId;
  const [accreditations, cpd, rules] = await Promise.all([repo.accreditationsOf(db, [personId]), repo.cpdOf(db, [personId]), upkeepRules(db)]);
  return cpdYearFrom(accreditations, cpd, rules, todayIso(ctx.clock));
}
