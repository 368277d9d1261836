import { formatDate } from '../web/format.ts';

/**
 * A cohort's life, worked out from its dates and today (the injected clock's), never stored: upcoming before its
 * start day, running from its start day to its end day (both included), finished after its end day.
 */
export const cohortStatuses = ['upcoming', 'running', 'finished'] as const;
export type CohortStatus = (typeof cohortStatuses)[number];

export const cohortStatusLabels: Record<CohortStatus, string> = { upcoming: 'Upcoming', running: 'Running', finished: 'Finished' };

/** GOV.UK tag colour per status. */
export const cohortStatusTagClass: Record<CohortStatus, string> = {
  upcoming: 'govuk-tag--blue',
  running: 'govuk-tag--green',
  finished: 'govuk-tag--grey',
};

/** The status of a cohort with these dates (ISO days) on `today`. */
export function cohortStatus(cohort: { startDate: string; endDate: string }, today: string): CohortStatus {
  if (today < cohort.startDate) return 'upcoming';
  return today <= cohort.endDate ? 'running' : 'finished';
}

/** Whether learners may be placed in the cohort on `today`: it has not finished (seats are checked where they are taken). */
export const takesLearners = (cohort: { startDate: string; endDate: string }, today: string) => cohortStatus(cohort, today) !== 'finished';

/** The refusal when learners are placed in a cohort that has finished (the form and the server say the same). */
export const finishedMessage = (cohort: { name: string; endDate: string }) =>
  `${cohort.name} finished on ${formatDate(cohort.endDate)}: choose a cohort that is upcoming or running`;
