/**
 * The learner journey as a pure state machine: which event may move an enrolment from which status, what the
 * move needs (a reason, a certificate number) and what it does to the funded place. No I/O, so every rule is
 * unit- and property-tested (journey.test.ts); the service applies the result in one transaction.
 */
import { daysInMonth } from '../clock.ts';

export const levels = ['foundation', 'practitioner', 'expert'] as const;
export type Level = (typeof levels)[number];
export const levelLabels: Record<Level, string> = { foundation: 'Foundation', practitioner: 'Practitioner', expert: 'Expert' };

export const statuses = [
  'nominated',
  'approved',
  'registered',
  'in_learning',
  'assessment_booked',
  'not_passed',
  'accredited',
  'deferred',
  'declined',
  'withdrawn',
] as const;
export type Status = (typeof statuses)[number];

export const statusLabels: Record<Status, string> = {
  nominated: 'Nominated',
  approved: 'Approved',
  registered: 'Registered',
  in_learning: 'In learning',
  assessment_booked: 'Assessment booked',
  not_passed: 'Not passed',
  accredited: 'Accredited',
  deferred: 'Deferred',
  declined: 'Declined',
  withdrawn: 'Withdrawn',
};

/** GOV.UK tag colour per status. */
export const statusTagClass: Record<Status, string> = {
  nominated: 'govuk-tag--light-blue',
  approved: 'govuk-tag--blue',
  registered: 'govuk-tag--purple',
  in_learning: 'govuk-tag--turquoise',
  assessment_booked: 'govuk-tag--yellow',
  not_passed: 'govuk-tag--orange',
  accredited: 'govuk-tag--green',
  deferred: 'govuk-tag--grey',
  declined: 'govuk-tag--red',
  withdrawn: 'govuk-tag--red',
};

/** Statuses a journey can still move from; accredited, declined and withdrawn are where it ends. */
export const activeStatuses: readonly Status[] = ['nominated', 'approved', 'registered', 'in_learning', 'assessment_booked', 'not_passed', 'deferred'];
export const isActive = (s: Status) => activeStatuses.includes(s);

/** A nomination waiting for a decision: until then its council may withdraw it or correct its level or period. */
export const awaitsDecision = (e: { status: string }) => e.status === ('nominated' satisfies Status);

export const eventTypes = [
  'approved',
  'declined',
  'registered',
  'learning_started',
  'assessment_booked',
  'passed',
  'not_passed',
  'deferred',
  'withdrawn',
  'resumed',
] as const;
export type EventType = (typeof eventTypes)[number];

export const eventLabels: Record<EventType, string> = {
  approved: 'Approve nomination',
  declined: 'Decline nomination',
  registered: 'Registered with the training provider',
  learning_started: 'Learning started',
  assessment_booked: 'Assessment booked',
  passed: 'Passed the assessment',
  not_passed: 'Did not pass the assessment',
  deferred: 'Defer',
  withdrawn: 'Withdraw',
  resumed: 'Resume after deferral',
};

/** What each step of the history says happened (the `nominated` row has no event type of its own). */
export const historyLabels: Readonly<Record<string, string>> = {
  nominated: 'Nominated',
  approved: 'Nomination approved',
  declined: 'Nomination declined',
  registered: 'Registered with the training provider',
  learning_started: 'Learning started',
  assessment_booked: 'Assessment booked',
  passed: 'Passed the assessment',
  not_passed: 'Did not pass the assessment',
  deferred: 'Deferred',
  withdrawn: 'Withdrawn',
  resumed: 'Resumed after deferral',
} satisfies Record<EventType | 'nominated', string>;

/** Events that move along the main line, from exactly one status, to exactly one status. */
const mainLine: Partial<Record<EventType, { from: readonly Status[]; to: Status }>> = {
  approved: { from: ['nominated'], to: 'approved' },
  declined: { from: ['nominated'], to: 'declined' },
  registered: { from: ['approved'], to: 'registered' },
  learning_started: { from: ['registered'], to: 'in_learning' },
  assessment_booked: { from: ['in_learning', 'not_passed'], to: 'assessment_booked' },
  passed: { from: ['assessment_booked'], to: 'accredited' },
  not_passed: { from: ['assessment_booked'], to: 'not_passed' },
};

/** Events that must say why. */
export const reasonRequired: ReadonlySet<EventType> = new Set(['declined', 'deferred', 'withdrawn']);

/** The settings the journey depends on (defaults live in src/settings/service.ts). */
export type JourneyRules = {
  /** Assessments a learner may sit on one enrolment (the first and the resits). */
  maxAttempts: number;
  /** Months from registration by which the assessment is due; later, the enrolment is overdue. */
  assessmentDeadlineMonths: number;
  /** Days after registration within which a withdrawal gives the funded place back; later, it is spent. */
  placeReleaseDays: number;
};

export type PlaceState = 'none' | 'taken' | 'released';

/** What the machine needs to know about an enrolment. */
export type JourneyState = {
  status: Status;
  resumeStatus: Status | null;
  attempts: number;
  placeState: PlaceState;
  registeredOn: string | null;
};

/** The machine's view of a stored enrolment (statuses are text in the database). */
export function journeyStateOf(row: { status: string; resumeStatus: string | null; attempts: number; placeState: string; registeredOn: string | null }): JourneyState {
  return {
    status: row.status as Status,
    resumeStatus: row.resumeStatus as Status | null,
    attempts: row.attempts,
    placeState: row.placeState as PlaceState,
    registeredOn: row.registeredOn,
  };
}

export type JourneyEvent = { type: EventType; date: string; reason?: string | null; certificateNumber?: string | null };

/** What happens to the council's funded place as a result of a move. */
export type PlaceEffect = 'take' | 'release' | 'spend' | null;

export type Move = { next: JourneyState; place: PlaceEffect; accredit: boolean };

/** Why a move is refused: the user's input (`field` names the form field) or the enrolment's state. */
export type MoveRefusal = { kind: 'input' | 'state'; field: 'type' | 'reason' | 'certificateNumber'; message: string };

/** Adds whole months to an ISO date, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(iso: string, months: number): string {
  const total = Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7)) - 1 + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  const day = Math.min(Number(iso.slice(8, 10)), daysInMonth(year, month));
  return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The day the assessment is due, once registered and while the journey is under way (booked or deferred included):
 * an accredited or withdrawn learner owes nothing, so has no due date to show.
 */
export function assessmentDueOn(state: Pick<JourneyState, 'status' | 'registeredOn'>, rules: Pick<JourneyRules, 'assessmentDeadlineMonths'>): string | null {
  return state.registeredOn && isActive(state.status) ? addMonths(state.registeredOn, rules.assessmentDeadlineMonths) : null;
}

/** Statuses in which a registered learner still owes an assessment result. */
export const owingAssessment: readonly Status[] = ['registered', 'in_learning', 'not_passed'];

/**
 * Overdue: registered, still owing an assessment (not booked, not accredited) and past the deadline. A deferred
 * enrolment is paused, so it is not overdue; a booked assessment is the next step already taken.
 */
export function isOverdue(state: Pick<JourneyState, 'status' | 'registeredOn'>, rules: Pick<JourneyRules, 'assessmentDeadlineMonths'>, today: string): boolean {
  const due = assessmentDueOn(state, rules);
  return due !== null && owingAssessment.includes(state.status) && today > due;
}

/** The events that may be applied now (used to offer only legal moves on the page). */
export function availableEvents(state: JourneyState, rules: JourneyRules): EventType[] {
  return eventTypes.filter((type) => refusal(state, { type, date: '', reason: 'x', certificateNumber: 'x' }, rules)?.kind !== 'state');
}

/** Why this event cannot be applied, or null when it can. */
export function refusal(state: JourneyState, event: JourneyEvent, rules: JourneyRules): MoveRefusal | null {
  const illegal = (message: string): MoveRefusal => ({ kind: 'state', field: 'type', message });
  const { type } = event;
  const from = statusLabels[state.status].toLowerCase();
  if (type === 'deferred' || type === 'withdrawn') {
    if (!isActive(state.status)) return illegal(`An enrolment that is ${from} cannot be ${type === 'deferred' ? 'deferred' : 'withdrawn'}`);
    if (type === 'deferred' && state.status === 'deferred') return illegal('This enrolment is already deferred');
  } else if (type === 'resumed') {
    if (state.status !== 'deferred') return illegal(`Only a deferred enrolment can be resumed; this one is ${from}`);
  } else {
    const line = mainLine[type]!;
    if (!line.from.includes(state.status)) {
      if (type === 'passed' || type === 'not_passed') return illegal(`Record a result only after an assessment is booked; this enrolment is ${from}`);
      return illegal(`${eventLabels[type]} is not possible for an enrolment that is ${from}`);
    }
    if (type === 'assessment_booked' && state.attempts >= rules.maxAttempts) {
      return illegal(`This learner has used all ${rules.maxAttempts} assessment attempts`);
    }
  }
  if (reasonRequired.has(type) && !event.reason?.trim()) return { kind: 'input', field: 'reason', message: 'Enter a reason' };
  if (type === 'passed' && !event.certificateNumber?.trim()) return { kind: 'input', field: 'certificateNumber', message: 'Enter the certificate number' };
  return null;
}

/** Applies an event that `refusal` allows; throws on one it refuses (callers check first). */
export function apply(state: JourneyState, event: JourneyEvent, rules: JourneyRules): Move {
  const problem = refusal(state, event, rules);
  if (problem) throw new Error(problem.message);
  const next: JourneyState = { ...state };
  let place: PlaceEffect = null;
  switch (event.type) {
    case 'deferred':
      next.resumeStatus = state.status;
      next.status = 'deferred';
      break;
    case 'resumed':
      next.status = state.resumeStatus ?? 'approved';
      next.resumeStatus = null;
      break;
    case 'withdrawn': {
      next.status = 'withdrawn';
      next.resumeStatus = null;
      if (state.placeState === 'taken') {
        const cutOff = state.registeredOn ? addDays(state.registeredOn, rules.placeReleaseDays) : null;
        const early = cutOff === null || event.date <= cutOff;
        place = early ? 'release' : 'spend';
        if (early) next.placeState = 'released';
      }
      break;
    }
    default: {
      next.status = mainLine[event.type]!.to;
      if (event.type === 'approved') {
        place = 'take';
        next.placeState = 'taken';
      }
      if (event.type === 'registered') next.registeredOn = event.date;
      if (event.type === 'passed' || event.type === 'not_passed') next.attempts = state.attempts + 1;
    }
  }
  return { next, place, accredit: event.type === 'passed' };
}

/** The learner's next step, in plain words, for their journey page. */
export function nextStep(state: JourneyState, rules: JourneyRules): string {
  switch (state.status) {
    case 'nominated':
      return 'Wait for your nomination to be approved by the programme.';
    case 'approved':
      return 'Register with the training provider when your cohort opens.';
    case 'registered':
      return 'Start your learning: join your cohort’s first workshop.';
    case 'in_learning':
      return `Book your assessment${assessmentDueOn(state, rules) ? ' before it is due' : ''}.`;
    case 'assessment_booked':
      return 'Sit your assessment.';
    case 'not_passed':
      return state.attempts < rules.maxAttempts
        ? `Book a resit: you have ${rules.maxAttempts - state.attempts} attempt${rules.maxAttempts - state.attempts === 1 ? '' : 's'} left.`
        : 'You have used all your assessment attempts. Talk to your programme contact about what happens next.';
    case 'accredited':
      return 'Keep your accreditation current: log your CPD.';
    case 'deferred':
      return 'Your enrolment is on hold. Ask your programme contact to resume it when you are ready.';
    case 'declined':
      return 'This nomination was declined.';
    case 'withdrawn':
      return 'You have withdrawn from this level.';
  }
}

/** The statuses along the main line, for the learner's task list. */
export const mainLineStatuses: readonly Status[] = ['nominated', 'approved', 'registered', 'in_learning', 'assessment_booked', 'accredited'];

/** Financial years (April–March) written "2024-25". */
export const periodPattern = /^(\d{4})-(\d{2})$/;

export function isPeriod(value: string): boolean {
  const m = periodPattern.exec(value);
  return !!m && (Number(m[1]) + 1) % 100 === Number(m[2]);
}

/** The financial year a date falls in: 2024-04-01 … 2025-03-31 is "2024-25". */
export function periodOf(iso: string): string {
  const [y, m] = iso.split('-').map(Number);
  const start = m >= 4 ? y : y - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** The financial year after this one: "2026-27" → "2027-28". */
export function nextPeriod(period: string): string {
  const start = Number(period.slice(0, 4)) + 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}
