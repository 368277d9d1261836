/**
 * Stuck work: an enrolment "needs attention" when it has stayed at one step longer than the programme allows (the
 * limits are settings). Each enrolment has at most one reason, so the reasons partition the flagged enrolments and a
 * filter by reason shows exactly the rows that carry it. The rule is written twice on purpose — `attentionOf` for a
 * row in hand and `attentionCondition` for the lists' SQL — and attention.test.ts checks they agree on every day.
 */
import { sql, type SQL } from 'drizzle-orm';
import { enrolments } from '../db/schema.ts';
import { addDays, addMonths, assessmentDueOn, owingAssessment, type Status } from './journey.ts';

export const attentionReasons = ['decision', 'registration', 'learning', 'assessment', 'result'] as const;
export type AttentionReason = (typeof attentionReasons)[number];

/** How each reason reads in a filter and beside a row. */
export const attentionLabels: Record<AttentionReason, string> = {
  decision: 'Waiting for a decision',
  registration: 'Approved, not registered',
  learning: 'Registered, learning not started',
  assessment: 'Assessment overdue',
  result: 'Assessment booked, no result',
};

export type AttentionRules = {
  /** Days a nomination may wait for a decision. */
  decisionDays: number;
  /** Days an approved learner may wait to be registered. */
  registrationDays: number;
  /** Days a registered learner may wait to start learning. */
  learningStartDays: number;
  /** Days a booked assessment may wait for its result. */
  resultDays: number;
  /** Months from registration by which the assessment is due (the journey's overdue rule). */
  assessmentDeadlineMonths: number;
};

/** The reasons that flag an enrolment for staying too long at its status, with the setting that limits the stay. */
const waits = {
  decision: { status: 'nominated', days: (r: AttentionRules) => r.decisionDays },
  registration: { status: 'approved', days: (r: AttentionRules) => r.registrationDays },
  learning: { status: 'registered', days: (r: AttentionRules) => r.learningStartDays },
  result: { status: 'assessment_booked', days: (r: AttentionRules) => r.resultDays },
} as const satisfies Partial<Record<AttentionReason, { status: Status; days: (r: AttentionRules) => number }>>;
type WaitingReason = keyof typeof waits;
const waitingReasons = Object.keys(waits) as WaitingReason[];

type Row = { status: Status; lastEventOn: string; registeredOn: string | null };

export type Attention = { reason: AttentionReason; label: string; since: string };

/**
 * Why an enrolment needs attention today, and since when it has been at that step (or, when overdue, the day the
 * assessment was due), or null. An overdue assessment comes first: a registered learner who never started and is
 * past the deadline is overdue, not merely slow to start. `lastEventOn` is the day the enrolment reached its status.
 * `cutoffs` are today's (`attentionCutoffs`), worked out once for a list or download that asks this of thousands of
 * rows: a row's dates are compared with them, as the lists' SQL does.
 */
export function attentionBy(row: Row, rules: AttentionRules, cutoffs: AttentionCutoffs): Attention | null {
  if (row.registeredOn !== null && row.registeredOn <= cutoffs.overdue && owingAssessment.includes(row.status)) {
    return { reason: 'assessment', label: attentionLabels.assessment, since: assessmentDueOn(row, rules)! };
  }
  const reason = waitingReasons.find((r) => waits[r].status === row.status && row.lastEventOn <= cutoffs[r]);
  return reason ? { reason, label: attentionLabels[reason], since: row.lastEventOn } : null;
}

/** `attentionBy` for one row on `today` (the cutoffs worked out for it). */
export function attentionOf(row: Row, rules: AttentionRules, today: string): Attention | null {
  return attentionBy(row, rules, attentionCutoffs(rules, today));
}

/**
 * The last registration date that is overdue today: the latest `r` with addMonths(r, months) < today. Computed
 * with the journey's own month arithmetic so the SQL filter and `isOverdue` never disagree at a month's end, and
 * compared as `registered_on <= cutoff` so the (status, registered_on) index can answer it.
 */
export function overdueCutoff(today: string, months: number): string {
  let d = addMonths(today, -months);
  // addMonths clamps to the month's end, so step until the due date is strictly before today (a few days at most).
  while (addMonths(d, months) >= today) d = addDays(d, -1);
  while (addMonths(addDays(d, 1), months) < today) d = addDays(d, 1);
  return d;
}

/** The last days that are too long ago today: a step reached on or before its cutoff needs attention. */
export type AttentionCutoffs = Record<WaitingReason, string> & { overdue: string };

/** Today's cutoffs, the overdue one included. */
export function attentionCutoffs(rules: AttentionRules, today: string): AttentionCutoffs {
  const before = (days: number) => addDays(today, -days - 1);
  return {
    decision: before(rules.decisionDays),
    registration: before(rules.registrationDays),
    learning: before(rules.learningStartDays),
    result: before(rules.resultDays),
    overdue: overdueCutoff(today, rules.assessmentDeadlineMonths),
  };
}

/**
 * The statuses that owe an assessment, written into the statement rather than sent as a parameter (they are the code's
 * own names). PostgreSQL keeps one plan for a list's first page (db/paging.ts); for `status = any($1)` that plan could
 * not see which statuses and walked the learners list's overdue page twice as long as the one it keeps with them in
 * the text (2.3 ms against 1.2, warm; docs/performance.md, eighteenth slice).
 */
const owingAssessmentSql = sql.raw(`'{${owingAssessment.join(',')}}'::text[]`);

/** The overdue condition on the enrolments table, for today's cutoff (registered, owing the assessment, past the due date). */
export function overdueCondition(cutoff: string): SQL {
  return sql`(${enrolments.status} = any(${owingAssessmentSql}) and ${enrolments.registeredOn} <= ${cutoff}::date)`;
}

/** The SQL for one reason (each matches exactly the rows `attentionOf` gives that reason), or for any reason. */
export function attentionCondition(cutoffs: AttentionCutoffs, reason?: AttentionReason): SQL {
  const waiting = (r: WaitingReason) => sql`(${enrolments.status} = ${waits[r].status} and ${enrolments.lastEventOn} <= ${cutoffs[r]}::date)`;
  if (reason === 'assessment') return overdueCondition(cutoffs.overdue);
  if (reason === 'learning') return sql`(${waiting('learning')} and not coalesce(${overdueCondition(cutoffs.overdue)}, false))`;
  if (reason) return waiting(reason);
  return sql`(${overdueCondition(cutoffs.overdue)} or ${sql.join(
    waitingReasons.map(waiting),
    sql` or `,
  )})`;
}
