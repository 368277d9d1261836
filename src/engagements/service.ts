/**
 * Transformation engagements (issue 12): an admin opens one for a council; the specialists on it log time and,
 * with admins, keep its milestones and action plan; the council's SRO signs the plan off and, once every action is
 * done, its completion. One transaction per command, each with its audit event (recordType `engagement`, the
 * engagement's id, `councilId` and `title` in the snapshot so the audit log can name them).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { engagementAccess, type Actor, type CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { getSetting } from '../settings/service.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import { isUuid } from '../learners/service.ts';
import {
  actionNoteSchema,
  actionSchema,
  actionUpdateSchema,
  engagementEditSchema,
  engagementSchema,
  engagementStatusSchema,
  evidenceLinkSchema,
  milestoneDoneSchema,
  milestoneSchema,
  hundredths,
  signOffSchema,
  timeEntrySchema,
  type EngagementEditInput,
} from './schemas.ts';
import {
  actionStatusLabels,
  engagementStatusLabels,
  maxEntry,
  mayMoveAction,
  mayMoveEngagement,
  minutesOf,
  minutesPerDay,
  type ActionStatus,
  type EngagementStatus,
} from './rules.ts';
import { activeSpecialists } from '../councils/repository.ts';
import { lockSupportDaysBudgets, sameWarnings, supportDaysOverBudgetWarnings, type EngagementPlan } from '../funding/service.ts';
import * as repo from './repository.ts';
import { cachedRead } from '../db/read-cache.ts';
import * as files from '../files/evidence.ts';
import type { EvidenceDeps } from '../files/evidence.ts';
import type { UploadedFile } from '../files/upload.ts';
import type { EngagementFilters, EngagementRow, EngagementSort } from './repository.ts';

export type { EngagementFilters, EngagementRow, TimeRow, ActionRow, MilestoneRow } from './repository.ts';

const staleMessage = (what: string) => `Someone else changed this ${what} since you opened it. Check it and try again.`;

export async function listEngagements(db: Db, ctx: { clock: RequestContext['clock'] }, scope: CouncilScope, filters: EngagementFilters, sort: EngagementSort, page: { page: number; pageSize: number } | null) {
  return repo.listEngagements(db, scope, filters, sort, todayIso(ctx.clock), page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

/** What the actor may do on an engagement they see, from the record. */
export function accessTo(actor: Actor, e: EngagementRow) {
  const onTeam = e.leadSpecialistId === actor.personId || e.specialistIds.includes(actor.personId);
  const ownCouncil = actor.organisationKind === 'council' && actor.organisationId === e.councilId;
  return engagementAccess(actor, { onTeam, ownCouncil });
}
export type EngagementAccess = ReturnType<typeof accessTo>;

/** One engagement in scope, with what the actor may do on it; 404 for an unknown id or one outside scope. */
export async function getEngagement(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string) {
  const e = isUuid(id) ? await repo.findEngagement(db, scope, id, todayIso(ctx.clock)) : null;
  if (!e || !ctx.actor) throw new NotFoundError();
  return { engagement: e, access: accessTo(ctx.actor, e) };
}

const refuse = (allowed: boolean, message: string) => {
  if (!allowed) throw new ForbiddenError(message);
};

/** Why each kind of change is refused to someone who sees the engagement but may not make it. */
const refusals = {
  manage: 'Only the programme team changes an engagement’s details and status',
  logTime: 'Only the specialists on this engagement log time on it',
  milestones: 'Only the specialists on this engagement and the programme team keep its milestones',
  work: 'Only the specialists on this engagement and the programme team keep its action plan',
  signOff: 'Only the council’s SRO signs off the action plan',
} as const;

/** The engagement in scope (404 otherwise), if the actor may make this kind of change to it (403 otherwise). */
async function engagementFor(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string, may: keyof typeof refusals) {
  const { engagement, access } = await getEngagement(db, ctx, scope, id);
  refuse(access[may === 'milestones' ? 'work' : may], refusals[may]);
  return engagement;
}

const snapshot = (e: { councilId: string; title: string }) => ({ councilId: e.councilId, title: e.title });

/** The lead and the other specialists must be active specialists assigned to the council. */
async function checkTeam(db: DbOrTx, councilId: string, councilName: string, leadId: string, others: readonly string[]) {
  const assigned = new Set((await activeSpecialists(db, councilId, 'assigned')).map((s) => s.personId));
  if (!assigned.has(leadId)) throw new ValidationError({ leadSpecialistId: `Select a specialist assigned to ${councilName}` });
  if (others.some((id) => !assigned.has(id))) throw new ValidationError({ specialistIds: `Select specialists assigned to ${councilName}` });
  return [...new Set(others)].filter((id) => id !== leadId);
}

const checkDates = (startDate: string, endDate: string) => {
  if (endDate < startDate) throw new ValidationError({ endDate: 'End date must be the same as or after the start date' });
};

const plannedMinutesOf = (days: number) => Math.round((hundredths(days) * minutesPerDay) / 100);

/** A save held back because it would take support-days lines over budget; the page asks to confirm it. */
export class OverBudgetError extends Error {
  constructor(readonly warnings: string[]) {
    super('This engagement would take a budget line over its budget');
  }
}

/**
 * What a save does about support-days lines it would take over budget: `hold` (the pages, for those who read the
 * funds' figures) refuses it with the warnings unless they are exactly the `confirmed` ones (those the person was
 * shown and said "Save anyway" to); `report` (the API) saves and answers them; without either nothing is worked out.
 */
export type SaveOptions = { budget?: 'hold' | 'report'; confirmed?: readonly string[] };

async function checkBudget(db: DbOrTx, opts: SaveOptions, after: EngagementPlan, before: EngagementPlan | null): Promise<string[]> {
  if (!opts.budget) return [];
  const warnings = await supportDaysOverBudgetWarnings(db, { after, before });
  if (warnings.length && opts.budget === 'hold' && !sameWarnings(warnings, opts.confirmed ?? [])) throw new OverBudgetError(warnings);
  return warnings;
}

/** The fields of an engagement's details as they are written: when it is opened, and when they are changed. */
const detailValues = (data: Omit<EngagementEditInput, 'version'>) => ({
  title: data.title,
  leadSpecialistId: data.leadSpecialistId,
  scope: data.scope,
  objectives: data.objectives,
  startDate: data.startDate,
  endDate: data.endDate,
  plannedMinutes: plannedMinutesOf(data.plannedDays),
});

/** A saved engagement and the support-days lines it took over budget (with `budget: 'report'`). */
export type Saved = { id: string; budgetWarnings: string[] };

export async function createEngagement(db: Db, ctx: RequestContext, scope: CouncilScope, input: unknown, opts: SaveOptions = {}): Promise<Saved> {
  const data = parseOrThrow(engagementSchema, input);
  const council = (await repo.councilChoices(db, scope)).find((c) => c.id === data.councilId);
  if (!council) throw new ValidationError({ councilId: 'Select a council from the list' });
  checkDates(data.startDate, data.endDate);
  const others = await checkTeam(db, council.id, council.name, data.leadSpecialistId, data.specialistIds);
  const plan = { startDate: data.startDate, endDate: data.endDate, plannedMinutes: plannedMinutesOf(data.plannedDays), closed: false };
  let budgetWarnings: string[] = [];
  const id = await db.transaction(async (tx) => {
    // Checked in the transaction, the lines locked, so a concurrent save's planned days are counted (funding/service.ts).
    if (opts.budget) await lockSupportDaysBudgets(tx);
    budgetWarnings = await checkBudget(tx, opts, plan, null);
    const values = { councilId: council.id, ...detailValues(data), createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() };
    const id = await repo.insertEngagement(tx, values, others);
    const { createdAt: _c, updatedAt: _u, ...after } = values;
    await recordAudit(tx, ctx, { action: 'engagement.created', recordType: 'engagement', recordId: id, before: null, after: { ...after, specialistIds: others } });
    return id;
  });
  return { id, budgetWarnings };
}

/** A change's part in the support-days commitments, after it and before it (the engagement as recorded). */
const changedPlans = (e: EngagementRow, values: ReturnType<typeof detailValues>) => {
  const closed = e.status === 'closed';
  return {
    after: { startDate: values.startDate, endDate: values.endDate, plannedMinutes: values.plannedMinutes, closed },
    before: { startDate: e.startDate, endDate: e.endDate, plannedMinutes: e.plannedMinutes, closed },
  };
};

/** Changes an engagement's details (admins), refusing a stale version with 409. */
export async function updateEngagement(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown, opts: SaveOptions = {}): Promise<Saved> {
  const e = await engagementFor(db, ctx, scope, id, 'manage');
  const data = parseOrThrow(engagementEditSchema, input);
  checkDates(data.startDate, data.endDate);
  const others = await checkTeam(db, e.councilId, e.councilName, data.leadSpecialistId, data.specialistIds);
  const values = detailValues(data);
  const plans = changedPlans(e, values);
  let budgetWarnings: string[] = [];
  await db.transaction(async (tx) => {
    if (opts.budget) await lockSupportDaysBudgets(tx);
    budgetWarnings = await checkBudget(tx, opts, plans.after, plans.before);
    if (!(await repo.updateEngagementIfVersion(tx, id, data.version ?? e.version, { ...values, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('engagement'), 'version');
    await repo.replaceSpecialists(tx, id, others);
    const before: Record<string, unknown> = { title: e.title, leadSpecialistId: e.leadSpecialistId, scope: e.scope, objectives: e.objectives, startDate: e.startDate, endDate: e.endDate, plannedMinutes: e.plannedMinutes, specialistIds: e.specialistIds };
    const after: Record<string, unknown> = { ...values, specialistIds: [...others].sort() };
    const changedBefore: Record<string, unknown> = { councilId: e.councilId, title: e.title };
    const changedAfter: Record<string, unknown> = { councilId: e.councilId, title: data.title };
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        changedBefore[key] = before[key];
        changedAfter[key] = after[key];
      }
    }
    await recordAudit(tx, ctx, { action: 'engagement.updated', recordType: 'engagement', recordId: id, before: changedBefore, after: changedAfter });
  });
  return { id, budgetWarnings };
}

/**
 * The support-days lines a change of an engagement's details would take over budget, against the engagement as it is
 * now: after a stale save the form shows them again, so that "Save anyway" is ticked for today's figures, not those
 * read before someone else's change. None for input the save would refuse (the form says what is wrong instead).
 */
export async function changeBudgetWarnings(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<string[]> {
  const e = await engagementFor(db, ctx, scope, id, 'manage');
  const parsed = engagementEditSchema.safeParse(input);
  if (!parsed.success || parsed.data.endDate < parsed.data.startDate) return [];
  const plans = changedPlans(e, detailValues(parsed.data));
  return checkBudget(db, { budget: 'report' }, plans.after, plans.before);
}

/** Moves an engagement along its status machine (admins); an illegal move or a stale version is 409. */
export async function changeStatus(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'manage');
  const data = parseOrThrow(engagementStatusSchema, input);
  const from = e.status as EngagementStatus;
  if (!mayMoveEngagement(from, data.status)) {
    throw new ConflictError(`An engagement that is ${engagementStatusLabels[from].toLowerCase()} cannot move to ${engagementStatusLabels[data.status].toLowerCase()}`, 'status');
  }
  await db.transaction(async (tx) => {
    if (!(await repo.updateEngagementIfVersion(tx, id, data.version ?? e.version, { status: data.status, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('engagement'), 'version');
    await recordAudit(tx, ctx, { action: 'engagement.status_changed', recordType: 'engagement', recordId: id, before: { ...snapshot(e), status: from }, after: { ...snapshot(e), status: data.status } });
  });
}

// ---- Time ----

/** The time rules: within the engagement's dates, not in the future, more than nothing and at most a day (24 hours). */
function checkTime(e: EngagementRow, data: { date: string; unit: 'days' | 'hours'; amount: number }, today: string) {
  if (data.date > today) throw new ValidationError({ date: 'Date must be today or in the past' });
  if (data.date < e.startDate || data.date > e.endDate) {
    throw new ValidationError({ date: `Date must be between ${formatDate(e.startDate)} and ${formatDate(e.endDate)}, the engagement’s dates` });
  }
  if (hundredths(data.amount) > maxEntry[data.unit] * 100) {
    throw new ValidationError({ amount: data.unit === 'days' ? 'Time must be 1 day or less for one entry' : 'Time must be 24 hours or less for one entry' });
  }
}

export async function logTime(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<string> {
  const e = await engagementFor(db, ctx, scope, id, 'logTime');
  const data = parseOrThrow(timeEntrySchema, input);
  checkTime(e, data, todayIso(ctx.clock));
  if (e.status === 'closed') throw new ConflictError('This engagement is closed: no more time can be logged on it');
  const minutes = minutesOf(hundredths(data.amount), data.unit);
  return db.transaction(async (tx) => {
    const values = { engagementId: id, personId: ctx.actor!.personId, workDate: data.date, minutes, unit: data.unit, activity: data.activity, note: data.note || null };
    const entryId = await repo.insertTime(tx, { ...values, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
    await recordAudit(tx, ctx, {
      action: 'engagement.time_logged',
      recordType: 'engagement',
      recordId: id,
      after: { ...snapshot(e), entryId, date: data.date, minutes, unit: data.unit, activity: data.activity },
    });
    return entryId;
  });
}

/** A time entry of the engagement that the actor logged; 404 when it is not there, 403 when it is someone else's. */
export async function ownTimeEntry(db: DbOrTx, ctx: RequestContext, engagementId: string, entryId: string) {
  const entry = isUuid(entryId) ? await repo.findTime(db, engagementId, entryId) : null;
  if (!entry) throw new NotFoundError();
  refuse(entry.personId === ctx.actor?.personId, 'You can change only the time you logged yourself');
  return entry;
}

/** A closed engagement's time is its final account (what was used against the plan): it stays as it was closed. */
function refuseChangeWhenClosed(e: EngagementRow) {
  if (e.status === 'closed') throw new ConflictError('This engagement is closed: its time entries can no longer be changed');
}

export async function editTime(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, entryId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'logTime');
  const entry = await ownTimeEntry(db, ctx, id, entryId);
  refuseChangeWhenClosed(e);
  const data = parseOrThrow(timeEntrySchema, input);
  checkTime(e, data, todayIso(ctx.clock));
  const minutes = minutesOf(hundredths(data.amount), data.unit);
  await db.transaction(async (tx) => {
    const values = { workDate: data.date, minutes, unit: data.unit, activity: data.activity, note: data.note || null };
    if (!(await repo.updateTimeIfVersion(tx, entryId, data.version ?? entry.version, { ...values, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('time entry'), 'version');
    await recordAudit(tx, ctx, {
      action: 'engagement.time_changed',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), entryId, date: entry.date, minutes: entry.minutes, activity: entry.activity },
      after: { ...snapshot(e), entryId, date: data.date, minutes, activity: data.activity },
    });
  });
}

export async function deleteTime(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, entryId: string) {
  const e = await engagementFor(db, ctx, scope, id, 'logTime');
  const entry = await ownTimeEntry(db, ctx, id, entryId);
  refuseChangeWhenClosed(e);
  await db.transaction(async (tx) => {
    // Deleted by a request a moment ago (a double click): nothing more to delete or audit.
    if (!(await repo.deleteTime(tx, entryId))) throw new NotFoundError();
    await recordAudit(tx, ctx, {
      action: 'engagement.time_deleted',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), entryId, date: entry.date, minutes: entry.minutes, activity: entry.activity },
      after: null,
    });
  });
}

export const listTime = repo.listTime;

// ---- Milestones ----

const notBeforeStart = (e: EngagementRow, field: string, date: string) => {
  if (date < e.startDate) throw new ValidationError({ [field]: `Due date must be the same as or after ${formatDate(e.startDate)}, when the engagement starts` });
};

export async function addMilestone(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<string> {
  const e = await engagementFor(db, ctx, scope, id, 'milestones');
  const data = parseOrThrow(milestoneSchema, input);
  notBeforeStart(e, 'dueDate', data.dueDate);
  return db.transaction(async (tx) => {
    const milestoneId = await repo.insertMilestone(tx, { engagementId: id, title: data.title, dueDate: data.dueDate });
    await recordAudit(tx, ctx, { action: 'engagement.milestone_added', recordType: 'engagement', recordId: id, after: { ...snapshot(e), milestoneId, milestone: data.title, dueDate: data.dueDate } });
    return milestoneId;
  });
}

export async function milestoneOf(db: DbOrTx, engagementId: string, milestoneId: string) {
  const m = isUuid(milestoneId) ? await repo.findMilestone(db, engagementId, milestoneId) : null;
  if (!m) throw new NotFoundError();
  return m;
}

export async function editMilestone(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, milestoneId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'milestones');
  const m = await milestoneOf(db, id, milestoneId);
  const data = parseOrThrow(milestoneSchema, input);
  notBeforeStart(e, 'dueDate', data.dueDate);
  await db.transaction(async (tx) => {
    if (!(await repo.updateMilestoneIfVersion(tx, milestoneId, data.version ?? m.version, { title: data.title, dueDate: data.dueDate }))) throw new ConflictError(staleMessage('milestone'), 'version');
    await recordAudit(tx, ctx, {
      action: 'engagement.milestone_changed',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), milestoneId, milestone: m.title, dueDate: m.dueDate },
      after: { ...snapshot(e), milestoneId, milestone: data.title, dueDate: data.dueDate },
    });
  });
}

/** Marks a milestone done today (or not done again). */
export async function markMilestone(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, milestoneId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'milestones');
  const m = await milestoneOf(db, id, milestoneId);
  const data = parseOrThrow(milestoneDoneSchema, input);
  const doneOn = data.done ? todayIso(ctx.clock) : null;
  if (Boolean(m.doneOn) === data.done) return;
  await db.transaction(async (tx) => {
    if (!(await repo.updateMilestoneIfVersion(tx, milestoneId, data.version ?? m.version, { doneOn }))) throw new ConflictError(staleMessage('milestone'), 'version');
    await recordAudit(tx, ctx, {
      action: 'engagement.milestone_done',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), milestoneId, milestone: m.title, doneOn: m.doneOn },
      after: { ...snapshot(e), milestoneId, milestone: m.title, doneOn },
    });
  });
}

export const listMilestones = repo.listMilestones;

// ---- Actions ----

/** The owner must be an active person of the engagement's council. */
async function checkOwner(db: DbOrTx, e: EngagementRow, ownerId: string) {
  const people = await repo.councilPeople(db, e.councilId);
  if (!people.some((p) => p.personId === ownerId)) throw new ValidationError({ ownerId: `Select a person from ${e.councilName}` });
}

export async function addAction(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<string> {
  const e = await engagementFor(db, ctx, scope, id, 'work');
  const data = parseOrThrow(actionSchema, input);
  notBeforeStart(e, 'dueDate', data.dueDate);
  await checkOwner(db, e, data.ownerId);
  return db.transaction(async (tx) => {
    const values = { title: data.title, maturityAreaKey: data.maturityAreaKey ?? null, ownerId: data.ownerId, dueDate: data.dueDate, rag: data.rag };
    const actionId = await repo.insertAction(tx, { engagementId: id, ...values, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now() });
    await recordAudit(tx, ctx, {
      action: 'engagement.action_added',
      recordType: 'engagement',
      recordId: id,
      after: { ...snapshot(e), actionId, action: data.title, personId: data.ownerId, dueDate: data.dueDate, rag: data.rag, maturityAreaKey: values.maturityAreaKey },
    });
    return actionId;
  });
}

export async function actionOf(db: DbOrTx, engagementId: string, actionId: string) {
  const a = isUuid(actionId) ? await repo.findAction(db, engagementId, actionId) : null;
  if (!a) throw new NotFoundError();
  return a;
}

/** Changes an action's fields and status (along its status machine), refusing a stale version with 409. */
export async function updateAction(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'work');
  const a = await actionOf(db, id, actionId);
  const data = parseOrThrow(actionUpdateSchema, input);
  if (data.dueDate) notBeforeStart(e, 'dueDate', data.dueDate);
  if (data.ownerId && data.ownerId !== a.ownerId) await checkOwner(db, e, data.ownerId);
  const from = a.status as ActionStatus;
  if (data.status && !mayMoveAction(from, data.status)) {
    throw new ConflictError(`An action that is ${actionStatusLabels[from].toLowerCase()} cannot move to ${actionStatusLabels[data.status].toLowerCase()}`, 'status');
  }
  const values = {
    title: data.title,
    maturityAreaKey: 'maturityAreaKey' in data ? (data.maturityAreaKey ?? null) : undefined,
    ownerId: data.ownerId,
    dueDate: data.dueDate,
    status: data.status,
    rag: data.rag,
  };
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const current: Record<string, unknown> = { title: a.title, maturityAreaKey: a.maturityAreaKey, ownerId: a.ownerId, dueDate: a.dueDate, status: a.status, rag: a.rag };
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== current[key]) {
      before[key === 'ownerId' ? 'personId' : key] = current[key];
      after[key === 'ownerId' ? 'personId' : key] = value;
    }
  }
  await db.transaction(async (tx) => {
    if (!(await repo.updateActionIfVersion(tx, actionId, data.version ?? a.version, { ...values, updatedAt: ctx.clock.now() }))) throw new ConflictError(staleMessage('action'), 'version');
    await recordAudit(tx, ctx, {
      action: 'engagement.action_changed',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), actionId, action: a.title, ...before },
      after: { ...snapshot(e), actionId, action: data.title ?? a.title, ...after },
    });
  });
}

export async function addNote(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'work');
  const a = await actionOf(db, id, actionId);
  const data = parseOrThrow(actionNoteSchema, input);
  await db.transaction(async (tx) => {
    await repo.insertNote(tx, { actionId, authorId: ctx.actor?.personId ?? null, text: data.text, writtenAt: ctx.clock.now() });
    await recordAudit(tx, ctx, { action: 'engagement.action_note_added', recordType: 'engagement', recordId: id, after: { ...snapshot(e), actionId, action: a.title, note: data.text } });
  });
}

export async function addEvidence(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'work');
  const a = await actionOf(db, id, actionId);
  const data = parseOrThrow(evidenceLinkSchema, input);
  await db.transaction(async (tx) => {
    await repo.insertEvidence(tx, { actionId, title: data.title, url: data.url, addedById: ctx.actor?.personId ?? null, addedAt: ctx.clock.now() });
    await recordAudit(tx, ctx, {
      action: 'engagement.action_evidence_added',
      recordType: 'engagement',
      recordId: id,
      after: { ...snapshot(e), actionId, action: a.title, evidence: data.title, url: data.url },
    });
  });
}

export const listActions = repo.listActions;
export const listNotes = repo.listNotes;
export const listEvidence = repo.listEvidence;

/**
 * The SRO signs off the action plan (it needs at least one action) and later its completion (every action done,
 * after the plan was signed off). Each is recorded once, with who and when; a second is 409.
 */
export async function signOff(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const e = await engagementFor(db, ctx, scope, id, 'signOff');
  const { what } = parseOrThrow(signOffSchema, input);
  const actions = await repo.listActions(db, id);
  if (what === 'plan') {
    if (e.planSignedOffAt) throw new ConflictError(`The action plan was already signed off on ${formatDate(e.planSignedOffAt)}`);
    if (!actions.length) throw new ConflictError('The action plan has no actions yet: there is nothing to sign off');
  } else {
    if (e.completionSignedOffAt) throw new ConflictError(`The completion was already signed off on ${formatDate(e.completionSignedOffAt)}`);
    if (!e.planSignedOffAt) throw new ConflictError('Sign off the action plan before its completion');
    const open = actions.filter((a) => a.status !== 'done').length;
    if (open) throw new ConflictError(`${open} ${open === 1 ? 'action is' : 'actions are'} not done yet: the completion can be signed off when every action is done`);
  }
  const now = ctx.clock.now();
  const by = ctx.actor!.personId;
  await db.transaction(async (tx) => {
    const values = what === 'plan' ? { planSignedOffAt: now, planSignedOffById: by } : { completionSignedOffAt: now, completionSignedOffById: by };
    if (!(await repo.updateEngagementIfVersion(tx, id, e.version, values))) throw new ConflictError(staleMessage('engagement'), 'version');
    await recordAudit(tx, ctx, {
      action: what === 'plan' ? 'engagement.plan_signed_off' : 'engagement.completion_signed_off',
      recordType: 'engagement',
      recordId: id,
      after: { ...snapshot(e), actions: actions.length },
    });
  });
}

export const nearPlanPercent = (db: DbOrTx) => getSetting(db, 'engagementNearPlanPercent');

export const assignedSpecialists = (db: DbOrTx, councilId: string) => activeSpecialists(db, councilId, 'assigned');
export const councilPeople = repo.councilPeople;
/** The councils in scope, for the lists' council filter: kept between changes (db/read-cache.ts), never used to decide. */
export const councilChoices = (db: DbOrTx, scope: CouncilScope) => cachedRead(db, `councilChoices:${JSON.stringify(scope)}`, () => repo.councilChoices(db, scope));

/** The council page's panel: the council's engagements the actor sees, with their overdue actions. */
export async function councilEngagements(db: DbOrTx, ctx: { clock: RequestContext['clock'] }, scope: CouncilScope, councilId: string) {
  return repo.councilSummary(db, scope, councilId, todayIso(ctx.clock));
}
/** Active specialists, for the list's filter (reading them scans every person): kept between changes like the councils. */
export const specialistChoices = (db: DbOrTx) => cachedRead(db, 'engagements.specialistChoices', () => repo.specialistChoices(db));
export const team = repo.team;

/** Those working on the engagement add a file as evidence for an action, with the upload rules of src/files. */
export async function addEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, file: UploadedFile | null): Promise<string> {
  const e = await engagementFor(deps.db, ctx, scope, id, 'work');
  const a = await actionOf(deps.db, id, actionId);
  return files.addEvidenceFile(deps, { actionId }, file, { personId: ctx.actor?.personId ?? null, at: ctx.clock.now() }, (tx, stored) =>
    recordAudit(tx, ctx, {
      action: 'engagement.action_evidence_file_added',
      recordType: 'engagement',
      recordId: id,
      after: { ...snapshot(e), actionId, action: a.title, fileName: stored.fileName, contentType: stored.contentType, sizeBytes: stored.sizeBytes },
    }),
  );
}

/** An evidence file of an action of an engagement the actor sees (404 otherwise, as for the engagement), with its bytes. */
export async function openEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, fileId: string) {
  await getEngagement(deps.db, ctx, scope, id);
  await actionOf(deps.db, id, actionId);
  return files.openEvidenceFile(deps, { actionId }, fileId);
}

const finalEvidenceMessage = 'The action is done and the engagement’s completion signed off: its evidence cannot be changed';

/**
 * One evidence file of an action the actor works on, for the removal's confirmation page: 404 (the engagement, the
 * action or the file), 403, or 409 once the action is done and the engagement's completion signed off (the record is final).
 */
export async function removableEvidenceFile(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, fileId: string) {
  const e = await engagementFor(db, ctx, scope, id, 'work');
  const a = await actionOf(db, id, actionId);
  const file = await files.evidenceFileOf(db, { actionId }, fileId);
  if (a.status === 'done' && e.completionSignedOffAt) throw new ConflictError(finalEvidenceMessage);
  return { engagement: e, action: a, file };
}

/** Those working on the engagement remove an action's evidence file (409 as above): the row and its audit event, then the stored bytes. */
export async function removeEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, actionId: string, fileId: string) {
  const { engagement: e, action: a } = await removableEvidenceFile(deps.db, ctx, scope, id, actionId, fileId);
  await files.removeEvidenceFile(deps, { actionId }, fileId, async (tx, file) => {
    // Checked again with the engagement locked: a completion signed off since the check above makes the record final.
    const final = await repo.lockedActionFinal(tx, id, actionId);
    if (final === undefined) throw new NotFoundError();
    if (final) throw new ConflictError(finalEvidenceMessage);
    await recordAudit(tx, ctx, {
      action: 'engagement.action_evidence_file_removed',
      recordType: 'engagement',
      recordId: id,
      before: { ...snapshot(e), actionId, action: a.title, fileName: file.fileName, contentType: file.contentType, sizeBytes: file.sizeBytes },
    });
  });
}

/** The action's evidence files, oldest first. */
export const evidenceFilesOf = (db: DbOrTx, actionId: string) => files.evidenceFilesOf(db, { actionId });
