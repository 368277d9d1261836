/**
 * The rules of transformation engagements that need no database: the status machines of an engagement and of an
 * action, time as whole minutes (a working day is 7.5 hours), and what counts as overdue or near the plan.
 */

export const engagementStatuses = ['planned', 'active', 'paused', 'closing', 'closed'] as const;
export type EngagementStatus = (typeof engagementStatuses)[number];
export const engagementStatusLabels: Record<EngagementStatus, string> = { planned: 'Planned', active: 'Active', paused: 'Paused', closing: 'Closing', closed: 'Closed' };
export const engagementStatusTagClass: Record<EngagementStatus, string> = {
  planned: 'govuk-tag--blue',
  active: 'govuk-tag--green',
  paused: 'govuk-tag--yellow',
  closing: 'govuk-tag--purple',
  closed: 'govuk-tag--grey',
};

/** Where an engagement may go from each status: forward one step, or paused (from planned or active) and back to active. */
const engagementMoves: Record<EngagementStatus, readonly EngagementStatus[]> = {
  planned: ['active', 'paused'],
  active: ['closing', 'paused'],
  paused: ['active'],
  closing: ['closed'],
  closed: [],
};
export const engagementMovesFrom = (from: EngagementStatus): readonly EngagementStatus[] => engagementMoves[from];
export const mayMoveEngagement = (from: EngagementStatus, to: EngagementStatus) => engagementMoves[from].includes(to);

export const actionStatuses = ['not_started', 'in_progress', 'done', 'blocked'] as const;
export type ActionStatus = (typeof actionStatuses)[number];
export const actionStatusLabels: Record<ActionStatus, string> = { not_started: 'Not started', in_progress: 'In progress', done: 'Done', blocked: 'Blocked' };
export const actionStatusTagClass: Record<ActionStatus, string> = {
  not_started: 'govuk-tag--grey',
  in_progress: 'govuk-tag--blue',
  done: 'govuk-tag--green',
  blocked: 'govuk-tag--red',
};

/** Not started → in progress → done; blocked from either of the first two, and back to in progress. Done is final. */
const actionMoves: Record<ActionStatus, readonly ActionStatus[]> = {
  not_started: ['in_progress', 'blocked'],
  in_progress: ['done', 'blocked'],
  blocked: ['in_progress'],
  done: [],
};
/** Whether an action may go from one status to another (staying put is always allowed: an edit of other fields). */
export const mayMoveAction = (from: ActionStatus, to: ActionStatus) => from === to || actionMoves[from].includes(to);
export const actionMovesFrom = (from: ActionStatus): readonly ActionStatus[] => [from, ...actionMoves[from]];

export const rags = ['red', 'amber', 'green'] as const;
export type Rag = (typeof rags)[number];
export const ragLabels: Record<Rag, string> = { red: 'Red', amber: 'Amber', green: 'Green' };
export const ragTagClass: Record<Rag, string> = { red: 'govuk-tag--red', amber: 'govuk-tag--orange', green: 'govuk-tag--green' };

export const activityTypes = ['diagnostic', 'workshop', 'coaching', 'document_review', 'other'] as const;
export type ActivityType = (typeof activityTypes)[number];
export const activityLabels: Record<ActivityType, string> = {
  diagnostic: 'Diagnostic',
  workshop: 'Workshop',
  coaching: 'Coaching',
  document_review: 'Document review',
  other: 'Other',
};

export const timeUnits = ['days', 'hours'] as const;
export type TimeUnit = (typeof timeUnits)[number];

/** A working day: 7.5 hours. Days entered are kept as minutes at this rate, so every sum is exact. */
export const minutesPerDay = 450;
/** The most one entry may hold: a day when entered in days, 24 hours when entered in hours. */
export const maxEntry: Record<TimeUnit, number> = { days: 1, hours: 24 };

/** An amount in hundredths (a whole number, as parsed from "0.25") in days or hours, as whole minutes. */
export function minutesOf(hundredths: number, unit: TimeUnit): number {
  return Math.round((hundredths * (unit === 'days' ? minutesPerDay : 60)) / 100);
}

/** Minutes as days, to two decimal places at most ("2.5", "0.13"). */
export function daysText(minutes: number): string {
  return String(Math.round((minutes * 100) / minutesPerDay) / 100);
}

/** Minutes as the amount in the unit they were entered in ("0.5" days, "3.25" hours). */
export function amountText(minutes: number, unit: TimeUnit): string {
  return String(Math.round((minutes * 100) / (unit === 'days' ? minutesPerDay : 60)) / 100);
}

/** How much of the plan is used: near it from `nearPercent` (a setting), over it past 100%. */
export function planUse(plannedMinutes: number, usedMinutes: number, nearPercent: number): { percent: number; state: 'within' | 'near' | 'over' } {
  const percent = plannedMinutes > 0 ? Math.round((usedMinutes * 100) / plannedMinutes) : 0;
  const state = usedMinutes > plannedMinutes ? 'over' : usedMinutes * 100 >= plannedMinutes * nearPercent ? 'near' : 'within';
  return { percent, state };
}

/** An action is overdue when its due date has passed and it is not done. */
export const isOverdue = (a: { dueDate: string; status: string }, today: string) => a.status !== 'done' && a.dueDate < today;
/** A milestone is overdue when its due date has passed and it is not done. */
export const milestoneOverdue = (m: { dueDate: string; doneOn: string | null }, today: string) => !m.doneOn && m.dueDate < today;
