import { describe, expect, it } from 'vitest';
import type { AccreditationView, EnrolmentView } from './service.ts';
import { isLive, nextStepOf, type CpdYear, type NextStepFacts } from './next-step.ts';

/** An enrolment as the learner's page sees it; each case overrides what it is about. */
const enrolment = (overrides: Partial<EnrolmentView>): EnrolmentView => ({
  id: 'e1', personId: 'p1', councilId: 'c1', level: 'practitioner', period: '2026-27', status: 'in_learning', resumeStatus: null,
  attempts: 0, placeState: 'taken', registeredOn: '2026-01-10', nominatedOn: '2025-12-01', cohortId: null, cohortName: null,
  cohortStartDate: null, workshopDates: null, dueOn: '2027-01-10', overdue: false, nextStep: '', attemptsLeft: 3, maxAttempts: 3,
  ...overrides,
});
const year: CpdYear = { from: '2025-11-27', toExclusive: '2026-11-27', hours: 4, needed: 30, accredited: false };
const facts = (overrides: Partial<NextStepFacts> = {}): NextStepFacts => ({ decider: 'Local Partnerships', bookedOn: null, accreditation: null, cpdYear: year, ...overrides });
const accreditation = (overrides: Partial<AccreditationView>): AccreditationView => ({
  id: 'a1', personId: 'p1', enrolmentId: 'e1', level: 'practitioner', awardedOn: '2025-03-01', renewedOn: null, certificateNumber: 'C-1',
  status: 'current', dueOn: '2027-03-01', hoursThisYear: 31, hoursNeeded: 30, ...overrides,
});

describe('the learner’s next step', () => {
  it('is offered for enrolments under way and accredited ones, not for declined or withdrawn', () => {
    expect(['nominated', 'deferred', 'accredited'].every((status) => isLive(enrolment({ status: status as EnrolmentView['status'] })))).toBe(true);
    expect(isLive(enrolment({ status: 'declined' })) || isLive(enrolment({ status: 'withdrawn' }))).toBe(false);
  });

  it('names the programme team when the council has no managing partner yet', () => {
    expect(nextStepOf(enrolment({ status: 'nominated' }), facts({ decider: null })).title).toContain('waiting for the programme team to decide');
  });

  it('names the cohort and its start date once approved and placed', () => {
    const step = nextStepOf(enrolment({ status: 'approved', cohortName: 'Cohort 7', cohortStartDate: '2027-02-03' }), facts());
    expect(step.detail).toContain('Your place is in Cohort 7, which starts on 3 February 2027.');
  });

  it('after the last attempt: no booking, talk to the programme contact', () => {
    const step = nextStepOf(enrolment({ status: 'not_passed', attempts: 3, attemptsLeft: 0 }), facts());
    expect(step).toMatchObject({ title: 'You have used all your assessment attempts.', howToBook: false });
  });

  it('a deferred enrolment is on hold', () => {
    expect(nextStepOf(enrolment({ status: 'deferred' }), facts()).title).toBe('Your enrolment is on hold.');
  });

  it('Practitioner: hours met says when the next CPD year starts; lapsed says so plainly', () => {
    const met = nextStepOf(enrolment({ status: 'accredited' }), facts({ accreditation: accreditation({}) }));
    expect(met.title).toBe('You have logged the CPD this year needs. Keep logging CPD: your next CPD year starts on 1 March 2027.');
    expect(met.facts).toEqual([{ label: 'CPD logged', value: '31 of 30 hours this CPD year, which ends on 28 February 2027' }]);
    const lapsed = nextStepOf(enrolment({ status: 'accredited' }), facts({ accreditation: accreditation({ status: 'lapsed', hoursThisYear: 2.5 }) }));
    expect(lapsed).toMatchObject({ overdue: true, title: 'Your Practitioner accreditation has lapsed: last CPD year did not have the 30 hours it needs.' });
  });

  it('Foundation past its renewal date is overdue, with the date', () => {
    const step = nextStepOf(enrolment({ status: 'accredited', level: 'foundation' }), facts({ accreditation: accreditation({ level: 'foundation', status: 'lapsed', dueOn: '2026-01-15' }) }));
    expect(step).toMatchObject({ overdue: true, title: 'Your Foundation renewal was due on 15 January 2026. It is overdue: renew your accreditation now.' });
    expect(step.facts).toContainEqual({ label: 'CPD logged', value: '4 of 30 hours in the last 12 months' });
  });
});
