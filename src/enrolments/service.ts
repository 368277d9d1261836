import { can, learnsOfOtherPeople, type CouncilScope } from '../auth/policy.ts';
import { emailDomain, onEmailDomains } from '../councils/rules.ts';
import type { Config } from '../config.ts';
import { isUniqueViolation, type Db, type DbOrTx } from '../db/client.ts';
import { recordAudit, type AuditEntry, type RequestContext } from '../audit/record.ts';
import { issuePasswordLink } from '../auth/service.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import { enqueueSroDecisionEmails } from '../notifications/decisions.ts';
import { journeyRules, upkeepRules } from '../settings/service.ts';
import { cpdOf } from '../learners/repository.ts';
import { upkeepOf } from '../learners/upkeep.ts';
import { lockCohorts } from '../cohorts/repository.ts';
import { finishedMessage, takesLearners } from '../cohorts/lifecycle.ts';
import { takePlace, releasePlace } from '../places/repository.ts';
import { todayIso } from '../clock.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import { apply, awaitsDecision, journeyStateOf, levelLabels, refusal, statusLabels, type EventType, type JourneyRules, type Level, type Move, type Status } from './journey.ts';
import {
  journeyEventSchema,
  nominationCorrectionSchema,
  nominationSchema,
  nominationWithdrawalSchema,
  type JourneyEventInput,
  type NominationInput,
} from './schemas.ts';
import * as repo from './repository.ts';
import { currentPeriodWindow, periodRefusal } from './periods.ts';
import { insertPerson } from '../people/repository.ts';
import type { EnrolmentRow } from './repository.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Councils whose officers may be nominated: those onboarding or active in the programme. */
const nominatingStatuses = ['onboarding', 'active'];

/**
 * Why this person cannot be nominated for (or moved to) this level, or null: they are already working towards it
 * (an active enrolment on it) or already hold it (an accreditation of it that has not lapsed, upkeep.ts).
 * `exceptId` is the enrolment being corrected, which does not count against itself.
 */
export async function levelRefusal(tx: DbOrTx, person: { id: string; name: string }, level: string, today: string, exceptId?: string): Promise<string | null> {
  const label = levelLabels[level as Level] ?? level;
  const { active, held } = await repo.levelStanding(tx, person.id, level, exceptId);
  if (active?.status === 'nominated') return `${person.name} is already nominated for ${label}`;
  if (active) return `${person.name} is already working towards ${label} (${statusLabels[active.status as Status].toLowerCase()})`;
  if (held.length) {
    const [rules, cpd] = await Promise.all([upkeepRules(tx), cpdOf(tx, [person.id])]);
    const hours = cpd.map((c) => ({ activityDate: c.date, hours: c.hours }));
    if (held.some((a) => upkeepOf({ ...a, level: a.level as Level }, hours, rules, today).status !== 'lapsed')) {
      return `${person.name} already holds the ${label} accreditation, and it has not lapsed`;
    }
  }
  return null;
}

/**
 * A new officer's email address belongs to someone already in the council: the nominator is told who, and nominates
 * them only by confirming it (`confirmExistingPerson`), so two people are never merged without anyone noticing.
 */
export class ExistingPersonConflict extends ConflictError {
  constructor(readonly person: { id: string; name: string; jobTitle: string | null }) {
    super(
      `This email address is already in Pioneer as ${person.name}${person.jobTitle ? `, ${person.jobTitle}` : ''}. To nominate ${person.name}, send the nomination again with confirmExistingPerson: true; otherwise use another address`,
      'email',
    );
  }
}

type NominatingCouncil = { id: string; name: string; status: string | null; emailDomains: string[] | null };
type NominatedPerson = { id: string; name: string; email: string; organisationId: string; status: string; erased?: boolean };

/**
 * Who is nominating, as the refusals see them: whether they may be told about people outside the council
 * (`precise`), and whether they asked to go outside the council's email domains (`anyDomain`).
 */
export type Nominator = { precise: boolean; anyDomain: boolean; upload: boolean };

/**
 * The nominator a request's actor is; asking to go outside the council's domains without the right to is refused.
 * An upload (`upload`) never goes outside them: that is asked for one address at a time, on the form or the API.
 */
export function nominatorOf(ctx: RequestContext, allowOutsideDomains: boolean | undefined, upload = false): Nominator {
  if (allowOutsideDomains && ctx.actor && !can(ctx.actor, 'enrolment:any-email-domain')) {
    throw new ValidationError({ allowOutsideDomains: 'Only the programme team can allow an address outside the council’s email domains' });
  }
  return { precise: !ctx.actor || learnsOfOtherPeople(ctx.actor), anyDomain: !upload && Boolean(allowOutsideDomains), upload };
}

/**
 * What a council's own staff are told about any address they cannot use, whether it is outside the council's
 * domains or belongs to someone elsewhere, so the message never confirms that an address has an account.
 */
const unusableAddress = (domains: readonly string[]) =>
  domains.length
    ? `This email address cannot be nominated by your council: use an address on ${domains.join(' or ')}. Check the address or ask the programme team`
    : 'This email address cannot be nominated by your council: no email domains are set up for your council yet. Ask the programme team to add them';

/** Why this address is outside the council's email domains (null when it is on one, or the nominator overrides). */
function domainRefusal(council: NominatingCouncil, email: string, who: Nominator): string | null {
  const domains = council.emailDomains ?? [];
  if (who.anyDomain || onEmailDomains(email, domains)) return null;
  if (!who.precise) return unusableAddress(domains);
  // The programme team nominate for councils that have not set their domains yet; once set, they override explicitly.
  if (!domains.length) return null;
  const how = who.upload ? 'nominate this officer on the nomination form' : 'choose “Allow an address outside the council’s domains”';
  return `${emailDomain(email)} is not one of ${council.name}’s email domains (${domains.join(', ')}): ${how} to nominate it anyway`;
}

/** Whether nominating this address goes outside the council's email domains (recorded in the audit when it does). */
const outsideDomains = (council: NominatingCouncil, email: string) => Boolean(council.emailDomains?.length) && !onEmailDomains(email, council.emailDomains ?? []);

/**
 * Why this officer cannot be nominated for a council in the nominator's scope (form field → message), or null;
 * shared with the bulk path and the upload's checks. A council's own staff are never told about anyone outside it:
 * an unknown id and another organisation's read the same, and so do every address they cannot use.
 */
export function personRefusal(council: NominatingCouncil, person: NominatedPerson | null, given: { personId: string } | { email: string }, who: Nominator): Record<string, string> | null {
  const field = 'email' in given ? 'email' : 'personId';
  if ('email' in given) {
    const outside = domainRefusal(council, given.email, who);
    if (outside) return { email: outside };
  } else if (!person) {
    return { personId: who.precise ? 'Select an officer of the council' : 'Select an officer from your council' };
  }
  if (person && person.organisationId !== council.id) {
    if (who.precise) return { [field]: `${person.email} belongs to another organisation, not ${council.name}` };
    return { [field]: 'email' in given ? unusableAddress(council.emailDomains ?? []) : 'Select an officer from your council' };
  }
  if (person?.status === 'deactivated') return { [field]: `${person.name}’s account is deactivated: reactivate it before nominating them` };
  if (person?.erased) return { [field]: `${person.name} cannot be nominated: their personal data was erased` };
  return null;
}

/** Why this officer cannot be nominated for this council (form field → message), or null; shared with the bulk path. */
export function nominationRefusal(
  council: NominatingCouncil | null,
  person: NominatedPerson | null,
  given: { personId: string } | { email: string },
  who: Nominator,
): Record<string, string> | null {
  if (!council) return { councilId: 'Select a council you manage' };
  if (!nominatingStatuses.includes(council.status ?? '')) {
    return { councilId: `${council.name} is not onboarding or active in the programme, so its officers cannot be nominated yet` };
  }
  return personRefusal(council, person, given, who);
}

/** Creates a new officer of the council as an invited learner, sends their invitation link and audits it (an upload's go in bulk: bulk.ts). */
export async function inviteLearner(tx: DbOrTx, config: Config, ctx: RequestContext, councilId: string, p: { name: string; email: string; jobTitle: string | null }) {
  const created = await insertPerson(tx, { name: p.name, email: p.email, organisationId: councilId, jobTitle: p.jobTitle, roles: ['learner'], status: 'invited' });
  await issuePasswordLink(tx, config, ctx, created, 'invite');
  await recordAudit(tx, ctx, invitedAudit(created.id, { name: created.name, email: created.email, organisationId: councilId }));
  return { ...created, roles: ['learner'] };
}

/** The audit entry of a learner invited by a nomination (shared with the bulk path). */
export const invitedAudit = (personId: string, p: { name: string; email: string; organisationId: string }) =>
  ({ action: 'person.invited', recordType: 'person', recordId: personId, after: { name: p.name, email: p.email, organisationId: p.organisationId, roles: ['learner'] } }) satisfies AuditEntry;

type Nomination = Pick<NominationInput, 'level' | 'period' | 'roleDescription' | 'contracts'> & { personId: string; councilId: string; outsideEmailDomains?: boolean };

/** The enrolment a nomination creates (shared with the bulk path). */
export const nominatedEnrolment = (n: Nomination, ctx: RequestContext) => ({
  personId: n.personId,
  councilId: n.councilId,
  level: n.level,
  period: n.period,
  status: 'nominated',
  roleDescription: n.roleDescription,
  contracts: n.contracts,
  nominatedById: ctx.actor?.personId ?? null,
  nominatedOn: todayIso(ctx.clock),
  lastEventOn: todayIso(ctx.clock),
});

/** The first history row and the audit entry of a nomination (shared with the bulk path). */
export const nominationRecords = (enrolmentId: string, n: Nomination, ctx: RequestContext, now: Date) => ({
  history: { enrolmentId, type: 'nominated', fromStatus: null, toStatus: 'nominated', occurredOn: todayIso(ctx.clock), reason: null, certificateNumber: null, cohortId: null, actorId: ctx.actor?.personId ?? null, recordedAt: now },
  audit: {
    action: 'enrolment.nominated',
    recordType: 'enrolment',
    recordId: enrolmentId,
    after: {
      personId: n.personId,
      councilId: n.councilId,
      level: n.level,
      period: n.period,
      roleDescription: n.roleDescription,
      contracts: n.contracts,
      // The programme team chose to go outside the council's email domains for this address.
      ...(n.outsideEmailDomains ? { emailDomainsOverridden: true } : {}),
    },
  } satisfies AuditEntry,
});

/**
 * Nominates an officer inside the caller's transaction (a nominations upload applies many at once with
 * nominateManyInTx in bulk.ts, from the same pieces). An existing person must belong to the council; a new email
 * creates an invited learner, and an email already known in the council is that person (uploads never create
 * duplicates). Returns the enrolment, or null when `skipExisting` and the person already has a live enrolment on
 * the level (an upload repeated is a no-op).
 */
export async function nominateInTx(
  tx: DbOrTx,
  config: Config,
  ctx: RequestContext,
  scope: CouncilScope,
  data: NominationInput,
  options: { skipExisting?: boolean } = {},
): Promise<{ enrolment: EnrolmentRow | null; invited: boolean }> {
  const who = nominatorOf(ctx, data.allowOutsideDomains);
  const council = await repo.findCouncil(tx, scope, data.councilId);
  let person = data.personId ? await repo.findPersonById(tx, data.personId) : await repo.findPersonByEmail(tx, data.person!.email);
  const refused = nominationRefusal(council, person, data.personId ? { personId: data.personId } : { email: data.person!.email }, who);
  if (refused) throw new ValidationError(refused);
  const now = ctx.clock.now();
  let invited = false;
  if (!person) {
    person = { ...(await inviteLearner(tx, config, ctx, council!.id, data.person!)), erased: false };
    invited = true;
  } else {
    if (options.skipExisting && (await repo.liveEnrolment(tx, person.id, data.level))) return { enrolment: null, invited };
    const held = await levelRefusal(tx, person, data.level, todayIso(ctx.clock));
    if (held) throw new ConflictError(held, 'personId');
    // An address typed in for a new officer that is someone's already: named, and used only once confirmed.
    if (data.person && !data.confirmExistingPerson && !options.skipExisting) throw new ExistingPersonConflict(person);
    await repo.addLearnerRole(tx, person.id, now);
  }
  const nomination = { ...data, personId: person.id, councilId: council!.id, outsideEmailDomains: !!data.person && outsideDomains(council!, data.person.email) };
  const enrolment = await repo.insertEnrolment(tx, nominatedEnrolment(nomination, ctx));
  const records = nominationRecords(enrolment.id, nomination, ctx, now);
  await repo.insertEvent(tx, records.history);
  await recordAudit(tx, ctx, records.audit);
  return { enrolment, invited };
}

/** Whether the nominator may use any open period (the programme team, and the system itself) or only the current and next. */
export const nominatesAnyOpenPeriod = (ctx: RequestContext) => !ctx.actor || can(ctx.actor, 'enrolment:any-open-period');

/**
 * Nominates one officer (page and API): validation (the period against the open window, periods.ts), then one
 * transaction; a racing duplicate is refused too.
 */
export async function nominate(db: Db, config: Config, ctx: RequestContext, scope: CouncilScope, input: unknown): Promise<EnrolmentRow> {
  const data = parseOrThrow(nominationSchema, input);
  const periodProblem = periodRefusal(data.period, await currentPeriodWindow(db, ctx.clock), nominatesAnyOpenPeriod(ctx));
  if (periodProblem) throw new ValidationError({ period: periodProblem });
  try {
    const { enrolment } = await db.transaction((tx) => nominateInTx(tx, config, ctx, scope, data));
    return enrolment!;
  } catch (err) {
    if (isUniqueViolation(err)) {
      const person = data.personId ? await repo.findPersonById(db, data.personId) : await repo.findPersonByEmail(db, data.person!.email);
      const held = person && (await levelRefusal(db, person, data.level, todayIso(ctx.clock)));
      if (held) throw new ConflictError(held, 'personId');
      throw new ConflictError('Someone already has this email address', 'email');
    }
    throw err;
  }
}

/** The policy action an event needs: approving and declining are the managing partner's decision. */
export function actionFor(type: EventType) {
  return type === 'approved' || type === 'declined' ? ('enrolment:decide' as const) : ('enrolment:progress' as const);
}


/** Why an event cannot be applied to an enrolment now: the state machine's refusal, or a date before the last step. */
export type StepRefusal = { kind: 'input' | 'state'; field: string; message: string };

/** The refusal of one event on an enrolment (null when it may be applied); shared by applyEventInTx and the bulk path. */
export function stepRefusal(enrolment: EnrolmentRow, event: JourneyEventInput, rules: JourneyRules): StepRefusal | null {
  const problem = refusal(journeyStateOf(enrolment), { ...event, reason: event.reason ?? null }, rules);
  if (problem) return problem;
  if (event.date < enrolment.lastEventOn) return { kind: 'input', field: 'date', message: `Date must be the same as or after the last step, on ${formatDate(enrolment.lastEventOn)}` };
  return null;
}

/** The move an event makes from the enrolment's state (call stepRefusal first). */
export const moveOf = (enrolment: EnrolmentRow, event: JourneyEventInput, rules: JourneyRules): Move => apply(journeyStateOf(enrolment), event, rules);

/** The refusal message when a council has no funded place left on the level in the period. */
export const noPlacesLeft = (councilName: string | undefined, level: string, period: string) =>
  `${councilName ?? 'This council'} has no ${levelLabels[level as Level]} places left for ${period}. Allocate more places, request them (Funded places, Request places), or decline the nomination.`;

/**
 * Everything one move writes, worked out without I/O, for applyEventInTx and the bulk path (bulk.ts) alike: the
 * enrolment's changes and next row, the cohort seat it frees, the accreditation, the history row and the audit entry.
 * `cohortId` is the enrolment's cohort once any placement asked by the event is made.
 */
export function moveOutcome(enrolment: EnrolmentRow, event: JourneyEventInput, move: Move, cohortId: string | null, actorId: string | null, now: Date) {
  const ends = move.next.status === 'withdrawn' || move.next.status === 'declined';
  const freedSeat = ends ? cohortId : null;
  const finalCohortId = ends ? null : cohortId;
  const changes = {
    status: move.next.status,
    resumeStatus: move.next.resumeStatus,
    attempts: move.next.attempts,
    placeState: move.next.placeState,
    registeredOn: move.next.registeredOn,
    approvedOn: event.type === 'approved' ? event.date : enrolment.approvedOn,
    cohortId: finalCohortId,
    lastEventOn: event.date,
  };
  const accreditation = move.accredit
    ? { personId: enrolment.personId, enrolmentId: enrolment.id, level: enrolment.level, awardedOn: event.date, certificateNumber: event.certificateNumber! }
    : null;
  const history = {
    enrolmentId: enrolment.id,
    type: event.type,
    fromStatus: enrolment.status,
    toStatus: move.next.status,
    occurredOn: event.date,
    reason: event.reason ?? null,
    certificateNumber: event.certificateNumber ?? null,
    cohortId: event.cohortId ?? null,
    actorId,
    recordedAt: now,
  };
  const audit: AuditEntry = {
    action: `enrolment.${event.type}`,
    recordType: 'enrolment',
    recordId: enrolment.id,
    before: { status: enrolment.status, placeState: enrolment.placeState, cohortId: enrolment.cohortId, attempts: enrolment.attempts },
    after: { status: move.next.status, placeState: move.next.placeState, cohortId: finalCohortId, attempts: move.next.attempts, date: event.date, reason: event.reason ?? null, certificateNumber: event.certificateNumber ?? null, place: move.place },
  };
  const next: EnrolmentRow = { ...enrolment, ...changes, version: enrolment.version + 1 };
  return { changes, next, freedSeat, accreditation, history, audit };
}

/** The email telling a nominee their nomination was approved or declined (null for other events). */
export function decisionEmail(person: { name: string; email: string }, enrolment: Pick<EnrolmentRow, 'level' | 'period'>, event: Pick<JourneyEventInput, 'type' | 'reason'>) {
  if (event.type !== 'approved' && event.type !== 'declined') return null;
  const level = levelLabels[enrolment.level as Level];
  return {
    to: person.email,
    template: `nomination-${event.type}`,
    subject: event.type === 'approved' ? `Your ${level} nomination is approved` : `Your ${level} nomination was declined`,
    body:
      event.type === 'approved'
        ? `Dear ${person.name},\n\nYour nomination for the ${level} level of the Contract Management Pioneer Programme has been approved, with a funded place for ${enrolment.period}.\n\nSign in to Pioneer to see your next step.`
        : `Dear ${person.name},\n\nYour nomination for the ${level} level of the Contract Management Pioneer Programme was declined.\n\nReason: ${event.reason}\n\nYour council’s programme lead can tell you more.`,
  };
}

/**
 * Applies one journey event to a locked enrolment inside the caller's transaction: the state machine decides,
 * then the funded place, the cohort seat, the accreditation, the history row and the audit event are written
 * together. Input problems are a ValidationError, clashes with the enrolment's state a ConflictError.
 * (A results upload applies many at once with applyEventsInTx in bulk.ts, from the same pieces.)
 */
export async function applyEventInTx(tx: DbOrTx, ctx: RequestContext, enrolment: EnrolmentRow, event: JourneyEventInput, rules: JourneyRules): Promise<EnrolmentRow> {
  const problem = stepRefusal(enrolment, event, rules);
  if (problem?.kind === 'state') throw new ConflictError(problem.message, problem.field);
  if (problem) throw new ValidationError({ [problem.field]: problem.message });
  const now = ctx.clock.now();
  const key = { councilId: enrolment.councilId, level: enrolment.level, period: enrolment.period };
  const move = moveOf(enrolment, event, rules);
  if (move.place === 'take' && !(await takePlace(tx, key, now))) {
    const council = await repo.findCouncil(tx, { kind: 'all' }, enrolment.councilId);
    throw new ConflictError(noPlacesLeft(council?.name, enrolment.level, enrolment.period), 'type');
  }
  if (move.place === 'release') await releasePlace(tx, key, now);

  let cohortId = enrolment.cohortId;
  if (event.cohortId && event.cohortId !== enrolment.cohortId) {
    if (!['approved', 'registered'].includes(move.next.status)) throw new ValidationError({ cohortId: 'Place a learner in a cohort when they are approved or registered' });
    const cohort = await repo.findCohort(tx, event.cohortId);
    if (!cohort || cohort.level !== enrolment.level) throw new ValidationError({ cohortId: `Select a ${levelLabels[enrolment.level as Level]} cohort` });
    // Both cohorts locked in id order first (as placements do), so two learners swapping cohorts cannot deadlock.
    const locked = (await lockCohorts(tx, [cohort.id, ...(enrolment.cohortId ? [enrolment.cohortId] : [])])).find((c) => c.id === cohort.id)!;
    if (!takesLearners(locked, todayIso(ctx.clock))) throw new ConflictError(finishedMessage(locked), 'cohortId');
    if (!(await repo.takeSeat(tx, cohort.id, enrolment.level))) throw new ConflictError(`${cohort.name} is full (${cohort.capacity} learners)`, 'cohortId');
    if (enrolment.cohortId) await repo.freeSeat(tx, enrolment.cohortId);
    cohortId = cohort.id;
  }
  const outcome = moveOutcome(enrolment, event, move, cohortId, ctx.actor?.personId ?? null, now);
  if (outcome.freedSeat) await repo.freeSeat(tx, outcome.freedSeat);
  if (outcome.accreditation) {
    if (await repo.certificateTaken(tx, event.certificateNumber!)) {
      throw new ValidationError({ certificateNumber: `Certificate number ${event.certificateNumber} is already recorded for another accreditation` });
    }
    await repo.insertAccreditation(tx, outcome.accreditation);
  }
  await repo.updateEnrolment(tx, enrolment.id, outcome.changes, now);
  await repo.insertEvent(tx, outcome.history);
  await recordAudit(tx, ctx, outcome.audit);
  const person = event.type === 'approved' || event.type === 'declined' ? await repo.findPersonById(tx, enrolment.personId) : null;
  const email = person && decisionEmail(person, enrolment, event);
  if (email) await enqueueEmail(tx, email);
  if (person) await enqueueSroDecisionEmails(tx, person, enrolment, event);
  return outcome.next;
}

export const staleEnrolmentMessage = 'Someone else changed this enrolment since you opened the page. Check its latest status and try again.';

/**
 * Records one journey event (page and API) in one transaction. The enrolment must be in the caller's scope
 * (else 404) and the caller must hold the event's action (else 403). With `version`, a stale page is refused.
 */
export async function recordEvent(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<EnrolmentRow> {
  if (!uuidPattern.test(id)) throw new NotFoundError();
  const data = parseOrThrow(journeyEventSchema(todayIso(ctx.clock)), input);
  if (!can(ctx.actor, actionFor(data.type))) throw new ForbiddenError(`You cannot record “${data.type}” on an enrolment.`);
  try {
    return await db.transaction(async (tx) => {
      const enrolment = await repo.lockEnrolment(tx, scope, id);
      if (!enrolment) throw new NotFoundError();
      if (data.version !== undefined && data.version !== enrolment.version) throw new ConflictError(staleEnrolmentMessage, 'version');
      return applyEventInTx(tx, ctx, enrolment, data, await journeyRules(tx));
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ValidationError({ certificateNumber: `Certificate number ${data.certificateNumber} is already recorded for another accreditation` });
    throw err;
  }
}

/** Why a nomination can no longer be withdrawn or corrected by the council: the managing partner has decided, or it has moved on. */
const decidedMessage = (enrolment: EnrolmentRow, doing: 'withdrawn' | 'corrected') =>
  `This nomination is ${statusLabels[enrolment.status as Status].toLowerCase()}: only a nomination waiting for a decision can be ${doing}`;

/** Locks a nomination in scope for a council-side change: unknown or out of scope is 404, a stale version 409. */
async function lockNomination(tx: DbOrTx, scope: CouncilScope, id: string, version: number | undefined) {
  const enrolment = await repo.lockEnrolment(tx, scope, id);
  if (!enrolment) throw new NotFoundError();
  if (version !== undefined && version !== enrolment.version) throw new ConflictError(staleEnrolmentMessage, 'version');
  return enrolment;
}

/**
 * Withdraws a nomination before the managing partner decides (the council that made it, or programme staff): the
 * journey's `withdrawn` step with the reason, today, in one transaction with its history row and audit event. A
 * nomination already approved or declined is refused (409); after approval, staff withdraw it as a journey step.
 */
export async function withdrawNomination(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<EnrolmentRow> {
  if (!uuidPattern.test(id)) throw new NotFoundError();
  if (!can(ctx.actor, 'enrolment:withdraw-nomination')) throw new NotFoundError();
  const data = parseOrThrow(nominationWithdrawalSchema, input);
  return db.transaction(async (tx) => {
    const enrolment = await lockNomination(tx, scope, id, data.version);
    if (!awaitsDecision(enrolment)) throw new ConflictError(decidedMessage(enrolment, 'withdrawn'), 'reason');
    return applyEventInTx(tx, ctx, enrolment, { type: 'withdrawn', date: todayIso(ctx.clock), reason: data.reason }, await journeyRules(tx));
  });
}

/**
 * Corrects a nomination's level or period before the managing partner decides, with the rules of nominating: the
 * period within the nominator's window (periods.ts; an unchanged period is not checked again), and a level the person
 * neither holds nor works towards. The same values again change nothing; a change is audited (`enrolment.corrected`).
 */
export async function correctNomination(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<{ enrolment: EnrolmentRow; changed: boolean }> {
  if (!uuidPattern.test(id)) throw new NotFoundError();
  if (!can(ctx.actor, 'enrolment:correct-nomination')) throw new NotFoundError();
  const data = parseOrThrow(nominationCorrectionSchema, input);
  const window = await currentPeriodWindow(db, ctx.clock);
  try {
    return await db.transaction(async (tx) => {
      const enrolment = await lockNomination(tx, scope, id, data.version);
      const next = { level: data.level ?? enrolment.level, period: data.period ?? enrolment.period };
      const periodProblem = next.period !== enrolment.period && periodRefusal(next.period, window, nominatesAnyOpenPeriod(ctx));
      if (periodProblem) throw new ValidationError({ period: periodProblem });
      if (!awaitsDecision(enrolment)) throw new ConflictError(decidedMessage(enrolment, 'corrected'), 'level');
      if (next.level === enrolment.level && next.period === enrolment.period) return { enrolment, changed: false };
      if (next.level !== enrolment.level) {
        const person = (await repo.findPersonById(tx, enrolment.personId))!;
        const held = await levelRefusal(tx, person, next.level, todayIso(ctx.clock), enrolment.id);
        if (held) throw new ConflictError(held, 'level');
      }
      const now = ctx.clock.now();
      await repo.updateEnrolment(tx, enrolment.id, next, now);
      await recordAudit(tx, ctx, {
        action: 'enrolment.corrected',
        recordType: 'enrolment',
        recordId: enrolment.id,
        before: { level: enrolment.level, period: enrolment.period },
        after: { level: next.level, period: next.period },
      });
      return { enrolment: { ...enrolment, ...next, version: enrolment.version + 1 }, changed: true };
    });
  } catch (err) {
    // Another nomination of the person on the new level was made at the same moment.
    if (isUniqueViolation(err)) throw new ConflictError(`This officer is already nominated for ${levelLabels[data.level as Level] ?? data.level}`, 'level');
    throw err;
  }
}
