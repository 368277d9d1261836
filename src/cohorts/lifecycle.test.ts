import { describe, expect, it } from 'vitest';
import { cohortStatus, takesLearners } from './lifecycle.ts';

describe('cohort life', () => {
  const cohort = { startDate: '2026-04-20', endDate: '2027-03-22' };
  it('is upcoming before the start day, running from the start day to the end day, finished the day after', () => {
    expect(cohortStatus(cohort, '2026-04-19')).toBe('upcoming');
    expect(cohortStatus(cohort, '2026-04-20')).toBe('running');
    expect(cohortStatus(cohort, '2026-11-26')).toBe('running');
    expect(cohortStatus(cohort, '2027-03-22')).toBe('running');
    expect(cohortStatus(cohort, '2027-03-23')).toBe('finished');
  });
  it('runs for its one day when it starts and ends the same day', () => {
    const day = { startDate: '2027-01-10', endDate: '2027-01-10' };
    expect(['2027-01-09', '2027-01-10', '2027-01-11'].map((d) => cohortStatus(day, d))).toEqual(['upcoming', 'running', 'finished']);
  });
  it('takes learners until it has finished', () => {
    expect(takesLearners(cohort, '2026-01-01')).toBe(true);
    expect(takesLearners(cohort, '2027-03-22')).toBe(true);
    expect(takesLearners(cohort, '2027-03-23')).toBe(false);
  });
});
