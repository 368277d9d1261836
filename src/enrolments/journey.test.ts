import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  activeStatuses,
  addDays,
  addMonths,
  apply,
  assessmentDueOn,
  availableEvents,
  eventTypes,
  isActive,
  isOverdue,
  isPeriod,
  mainLineStatuses,
  nextStep,
  periodOf,
  nextPeriod,
  refusal,
  statuses,
  type EventType,
  type JourneyEvent,
  type JourneyRules,
  type JourneyState,
  type Status,
} from './journey.ts';

const rules: JourneyRules = { maxAttempts: 3, assessmentDeadlineMonths: 12, placeReleaseDays: 28 };

const start: JourneyState = { status: 'nominated', resumeStatus: null, attempts: 0, placeState: 'none', registeredOn: null };

/** A state in the given status, as the main line would have left it (place taken once approved, registered on 2025-01-10). */
function at(status: Status, overrides: Partial<JourneyState> = {}): JourneyState {
  const registered = ['registered', 'in_learning', 'assessment_booked', 'not_passed', 'accredited'].includes(status);
  return {
    status,
    resumeStatus: status === 'deferred' ? 'in_learning' : null,
    attempts: status === 'not_passed' || status === 'accredited' ? 1 : 0,
    placeState: status === 'nominated' || status === 'declined' ? 'none' : 'taken',
    registeredOn: registered || status === 'deferred' ? '2025-01-10' : null,
    ...overrides,
  };
}

/** An event with everything a move may need (a reason, a certificate number). */
const ev = (type: EventType, date = '2025-02-01', extra: Partial<JourneyEvent> = {}): JourneyEvent => ({ type, date, reason: 'Because', certificateNumber: 'PIO-1', ...extra });

/** Applies events in turn, failing the test if any is refused. */
function run(events: JourneyEvent[], from = start, r = rules): JourneyState {
  return events.reduce((state, e) => apply(state, e, r).next, from);
}

/** The moves the rules allow from each status (with attempts left). */
const legal: Record<Status, EventType[]> = {
  nominated: ['approved', 'declined', 'deferred', 'withdrawn'],
  approved: ['registered', 'deferred', 'withdrawn'],
  registered: ['learning_started', 'deferred', 'withdrawn'],
  in_learning: ['assessment_booked', 'deferred', 'withdrawn'],
  assessment_booked: ['passed', 'not_passed', 'deferred', 'withdrawn'],
  not_passed: ['assessment_booked', 'deferred', 'withdrawn'],
  accredited: [],
  deferred: ['withdrawn', 'resumed'],
  declined: [],
  withdrawn: [],
};

describe('the journey state machine', () => {
  describe('legal and illegal moves', () => {
    for (const status of statuses) {
      it(`from ${status} allows exactly ${legal[status].join(', ') || 'nothing'}`, () => {
        const state = at(status);
        expect(availableEvents(state, rules).sort()).toEqual([...legal[status]].sort());
        for (const type of eventTypes) {
          const problem = refusal(state, ev(type), rules);
          if (legal[status].includes(type)) {
            expect(problem, `${status} → ${type}`).toBeNull();
            expect(() => apply(state, ev(type), rules)).not.toThrow();
          } else {
            expect(problem, `${status} → ${type}`).toMatchObject({ kind: 'state', field: 'type' });
            expect(() => apply(state, ev(type), rules)).toThrow(problem!.message);
          }
        }
      });
    }

    it('walks the main line from nomination to accreditation', () => {
      const seen: Status[] = [start.status];
      let state = start;
      for (const type of ['approved', 'registered', 'learning_started', 'assessment_booked', 'passed'] as const) {
        state = apply(state, ev(type, '2025-01-10'), rules).next;
        seen.push(state.status);
      }
      expect(seen).toEqual([...mainLineStatuses]);
      expect(state).toEqual({ status: 'accredited', resumeStatus: null, attempts: 1, placeState: 'taken', registeredOn: '2025-01-10' });
    });

    it('says why a move is refused, in words the page can show', () => {
      const message = (state: JourneyState, type: EventType) => refusal(state, ev(type), rules)?.message;
      expect(message(at('in_learning'), 'passed')).toBe('Record a result only after an assessment is booked; this enrolment is in learning');
      expect(message(at('nominated'), 'not_passed')).toBe('Record a result only after an assessment is booked; this enrolment is nominated');
      expect(message(at('registered'), 'approved')).toBe('Approve nomination is not possible for an enrolment that is registered');
      expect(message(at('approved'), 'learning_started')).toBe('Learning started is not possible for an enrolment that is approved');
      expect(message(at('deferred'), 'deferred')).toBe('This enrolment is already deferred');
      expect(message(at('approved'), 'resumed')).toBe('Only a deferred enrolment can be resumed; this one is approved');
      expect(message(at('accredited'), 'withdrawn')).toBe('An enrolment that is accredited cannot be withdrawn');
      expect(message(at('declined'), 'deferred')).toBe('An enrolment that is declined cannot be deferred');
      expect(message(at('withdrawn'), 'resumed')).toBe('Only a deferred enrolment can be resumed; this one is withdrawn');
    });

    it('records the registration date and counts each result as an attempt', () => {
      const registered = run([ev('approved'), ev('registered', '2025-03-04')]);
      expect(registered.registeredOn).toBe('2025-03-04');
      const failed = run([ev('learning_started'), ev('assessment_booked'), ev('not_passed')], registered);
      expect(failed).toMatchObject({ status: 'not_passed', attempts: 1 });
      const booked = apply(failed, ev('assessment_booked'), rules);
      expect(booked.next).toMatchObject({ status: 'assessment_booked', attempts: 1 });
      const passed = apply(booked.next, ev('passed'), rules);
      expect(passed).toMatchObject({ next: { status: 'accredited', attempts: 2 }, accredit: true, place: null });
      expect(apply(booked.next, ev('not_passed'), rules).accredit).toBe(false);
    });
  });

  describe('reasons and certificates', () => {
    for (const type of ['declined', 'deferred', 'withdrawn'] as const) {
      it(`${type} needs a reason`, () => {
        const state = at('nominated');
        for (const reason of [undefined, null, '', '   ']) {
          expect(refusal(state, ev(type, '2025-02-01', { reason }), rules)).toEqual({ kind: 'input', field: 'reason', message: 'Enter a reason' });
        }
        expect(refusal(state, ev(type, '2025-02-01', { reason: 'Changed role' }), rules)).toBeNull();
      });
    }

    it('other moves need no reason', () => {
      for (const type of ['approved', 'registered', 'learning_started', 'assessment_booked', 'not_passed', 'resumed'] as const) {
        const from = (['nominated', 'approved', 'registered', 'in_learning', 'assessment_booked', 'deferred'] as const)[
          ['approved', 'registered', 'learning_started', 'assessment_booked', 'not_passed', 'resumed'].indexOf(type)
        ];
        expect(refusal(at(from), ev(type, '2025-02-01', { reason: null }), rules), type).toBeNull();
      }
    });

    it('a pass needs a certificate number', () => {
      for (const certificateNumber of [undefined, null, '', '  ']) {
        expect(refusal(at('assessment_booked'), ev('passed', '2025-02-01', { certificateNumber }), rules)).toEqual({
          kind: 'input',
          field: 'certificateNumber',
          message: 'Enter the certificate number',
        });
      }
      expect(refusal(at('assessment_booked'), ev('not_passed', '2025-02-01', { certificateNumber: null }), rules)).toBeNull();
    });

    it('reports the state problem before the missing input', () => {
      expect(refusal(at('in_learning'), ev('passed', '2025-02-01', { certificateNumber: '' }), rules)?.kind).toBe('state');
      expect(refusal(at('withdrawn'), ev('withdrawn', '2025-02-01', { reason: '' }), rules)?.kind).toBe('state');
    });
  });

  describe('assessment attempts', () => {
    it('refuses a booking once every attempt is used, and allows one while any is left', () => {
      expect(refusal(at('not_passed', { attempts: 2 }), ev('assessment_booked'), rules)).toBeNull();
      expect(refusal(at('not_passed', { attempts: 3 }), ev('assessment_booked'), rules)).toEqual({
        kind: 'state',
        field: 'type',
        message: 'This learner has used all 3 assessment attempts',
      });
      expect(availableEvents(at('not_passed', { attempts: 3 }), rules)).toEqual(['deferred', 'withdrawn']);
    });

    it('follows the setting: with one attempt, a resit cannot be booked', () => {
      const one = { ...rules, maxAttempts: 1 };
      const failed = run([ev('approved'), ev('registered'), ev('learning_started'), ev('assessment_booked'), ev('not_passed')], start, one);
      expect(refusal(failed, ev('assessment_booked'), one)?.message).toBe('This learner has used all 1 assessment attempts');
      expect(refusal(failed, ev('assessment_booked'), rules)).toBeNull();
    });

    it('tells the learner how many attempts are left', () => {
      expect(nextStep(at('not_passed', { attempts: 1 }), rules)).toBe('Book a resit: you have 2 attempts left.');
      expect(nextStep(at('not_passed', { attempts: 2 }), rules)).toBe('Book a resit: you have 1 attempt left.');
      expect(nextStep(at('not_passed', { attempts: 3 }), rules)).toMatch(/used all your assessment attempts/);
    });
  });

  describe('deferral and resumption', () => {
    for (const status of activeStatuses.filter((s) => s !== 'deferred')) {
      it(`a deferral from ${status} resumes to ${status}, keeping attempts, place and registration`, () => {
        const before = at(status);
        const deferred = apply(before, ev('deferred'), rules);
        expect(deferred.place).toBeNull();
        expect(deferred.next).toEqual({ ...before, status: 'deferred', resumeStatus: status });
        const resumed = apply(deferred.next, ev('resumed'), rules);
        expect(resumed.next).toEqual({ ...before, resumeStatus: null });
        expect(resumed.place).toBeNull();
      });
    }

    it('a deferred enrolment with no remembered status resumes as approved', () => {
      expect(apply(at('deferred', { resumeStatus: null }), ev('resumed'), rules).next.status).toBe('approved');
    });

    it('a deferred enrolment can be withdrawn, which forgets where it would have resumed', () => {
      const move = apply(at('deferred'), ev('withdrawn', '2026-01-01'), rules);
      expect(move.next).toMatchObject({ status: 'withdrawn', resumeStatus: null });
    });
  });

  describe('withdrawal and the funded place', () => {
    it('before registration the place is always given back', () => {
      for (const status of ['approved', 'deferred'] as const) {
        const move = apply(at(status, { registeredOn: null }), ev('withdrawn', '2030-01-01'), rules);
        expect(move.place).toBe('release');
        expect(move.next.placeState).toBe('released');
      }
    });

    it('up to and on the cut-off day (registration + placeReleaseDays) the place is given back; the day after it is spent', () => {
      const registered = at('registered', { registeredOn: '2025-01-10' });
      const cutOff = addDays('2025-01-10', 28);
      expect(cutOff).toBe('2025-02-07');
      expect(apply(registered, ev('withdrawn', '2025-01-10'), rules)).toMatchObject({ place: 'release', next: { placeState: 'released' } });
      expect(apply(registered, ev('withdrawn', cutOff), rules)).toMatchObject({ place: 'release', next: { placeState: 'released' } });
      expect(apply(registered, ev('withdrawn', '2025-02-08'), rules)).toMatchObject({ place: 'spend', next: { placeState: 'taken', status: 'withdrawn' } });
    });

    it('a release window of 0 days gives the place back only on the day of registration', () => {
      const zero = { ...rules, placeReleaseDays: 0 };
      const registered = at('in_learning', { registeredOn: '2025-01-10' });
      expect(apply(registered, ev('withdrawn', '2025-01-10'), zero).place).toBe('release');
      expect(apply(registered, ev('withdrawn', '2025-01-11'), zero).place).toBe('spend');
    });

    it('a nomination withdrawn before approval has no place to give back', () => {
      const move = apply(at('nominated'), ev('withdrawn'), rules);
      expect(move).toMatchObject({ place: null, next: { status: 'withdrawn', placeState: 'none' } });
    });

    it('approval takes a place; a decline takes none', () => {
      expect(apply(start, ev('approved'), rules)).toMatchObject({ place: 'take', next: { placeState: 'taken' } });
      expect(apply(start, ev('declined'), rules)).toMatchObject({ place: null, next: { placeState: 'none', status: 'declined' } });
    });
  });

  describe('deadlines and overdue', () => {
    it('the assessment is due a number of months after registration', () => {
      expect(assessmentDueOn({ status: 'approved', registeredOn: null }, rules)).toBeNull();
      expect(assessmentDueOn({ status: 'in_learning', registeredOn: '2025-01-10' }, rules)).toBe('2026-01-10');
      expect(assessmentDueOn({ status: 'registered', registeredOn: '2025-01-31' }, { ...rules, assessmentDeadlineMonths: 1 })).toBe('2025-02-28');
    });

    it('is due only while something is owed: booked and deferred learners still owe it, accredited and withdrawn do not', () => {
      for (const status of ['assessment_booked', 'not_passed', 'deferred'] as const) {
        expect(assessmentDueOn({ status, registeredOn: '2025-01-10' }, rules)).toBe('2026-01-10');
      }
      for (const status of ['accredited', 'withdrawn'] as const) expect(assessmentDueOn({ status, registeredOn: '2025-01-10' }, rules)).toBeNull();
    });

    it('is overdue only after the due day, while an assessment is still owed', () => {
      for (const status of ['registered', 'in_learning', 'not_passed'] as const) {
        const state = { status, registeredOn: '2025-01-10' };
        expect(isOverdue(state, rules, '2026-01-10'), status).toBe(false);
        expect(isOverdue(state, rules, '2026-01-11'), status).toBe(true);
      }
    });

    it('a deferred, booked, finished or unregistered enrolment is never overdue', () => {
      for (const status of ['deferred', 'assessment_booked', 'accredited', 'withdrawn', 'declined', 'approved', 'nominated'] as const) {
        expect(isOverdue({ status, registeredOn: '2020-01-10' }, rules, '2026-11-26'), status).toBe(false);
      }
      expect(isOverdue({ status: 'in_learning', registeredOn: null }, rules, '2026-11-26')).toBe(false);
    });

    it('follows the deadline setting', () => {
      const state = { status: 'in_learning' as const, registeredOn: '2025-01-10' };
      expect(isOverdue(state, { ...rules, assessmentDeadlineMonths: 6 }, '2025-07-11')).toBe(true);
      expect(isOverdue(state, { ...rules, assessmentDeadlineMonths: 24 }, '2026-11-26')).toBe(false);
    });
  });

  describe('dates', () => {
    it('addMonths clamps to the last day of a shorter month', () => {
      expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
      expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
      expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
      expect(addMonths('2024-02-29', 48)).toBe('2028-02-29');
      expect(addMonths('2025-03-31', 1)).toBe('2025-04-30');
      expect(addMonths('2025-08-31', 1)).toBe('2025-09-30');
      expect(addMonths('2025-12-15', 1)).toBe('2026-01-15');
      expect(addMonths('2025-11-30', 3)).toBe('2026-02-28');
      expect(addMonths('2025-01-15', 0)).toBe('2025-01-15');
      expect(addMonths('2025-03-31', -1)).toBe('2025-02-28');
      expect(addMonths('2026-01-15', -12)).toBe('2025-01-15');
    });

    it('addDays crosses months, years and leap days', () => {
      expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
      expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
      expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
      expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
      // Clocks go forward on 30 March 2025: dates are UTC, so no day is lost or doubled.
      expect(addDays('2025-03-29', 2)).toBe('2025-03-31');
    });

    it('addMonths always gives a real date in the right month', () => {
      fc.assert(
        fc.property(fc.integer({ min: 2000, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: -240, max: 240 }), (y, m, d, n) => {
          const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
          const iso = `${y}-${String(m).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
          const out = addMonths(iso, n);
          const parsed = new Date(`${out}T00:00:00Z`);
          expect(parsed.toISOString().slice(0, 10)).toBe(out);
          expect(parsed.getUTCFullYear() * 12 + parsed.getUTCMonth()).toBe(y * 12 + (m - 1) + n);
          expect(parsed.getUTCDate()).toBe(Math.min(Math.min(d, last), new Date(Date.UTC(parsed.getUTCFullYear(), parsed.getUTCMonth() + 1, 0)).getUTCDate()));
        }),
      );
    });
  });

  describe('periods (financial years)', () => {
    it('recognises "2024-25" and nothing else', () => {
      for (const ok of ['2024-25', '2021-22', '2099-00', '1999-00']) expect(isPeriod(ok), ok).toBe(true);
      for (const bad of ['2024-26', '2024-24', '2024/25', '24-25', '2024-2025', '2024-5', ' 2024-25', '2024-25 ', '']) expect(isPeriod(bad), bad).toBe(false);
    });

    it('a period runs from 1 April to 31 March', () => {
      expect(periodOf('2025-03-31')).toBe('2024-25');
      expect(periodOf('2025-04-01')).toBe('2025-26');
      expect(periodOf('2025-01-01')).toBe('2024-25');
      expect(periodOf('2024-12-31')).toBe('2024-25');
      expect(periodOf('2099-06-01')).toBe('2099-00');
      expect(periodOf('2100-02-01')).toBe('2099-00');
    });

    it('knows the financial year after one, across the century', () => {
      expect(nextPeriod('2026-27')).toBe('2027-28');
      expect(nextPeriod('2098-99')).toBe('2099-00');
      expect(nextPeriod('2099-00')).toBe('2100-01');
      for (const p of ['2021-22', '2029-30', '2099-00']) expect(isPeriod(nextPeriod(p))).toBe(true);
    });
  });

  describe('next step', () => {
    it('has a plain sentence for every status', () => {
      for (const status of statuses) expect(nextStep(at(status), rules).length, status).toBeGreaterThan(10);
      expect(nextStep(at('in_learning'), rules)).toBe('Book your assessment before it is due.');
      expect(nextStep(at('in_learning', { registeredOn: null }), rules)).toBe('Book your assessment.');
      expect(nextStep(at('nominated'), rules)).toMatch(/approved/);
    });
  });

  describe('properties', () => {
    const rulesArb = fc.record({
      maxAttempts: fc.integer({ min: 1, max: 5 }),
      assessmentDeadlineMonths: fc.integer({ min: 1, max: 36 }),
      placeReleaseDays: fc.integer({ min: 0, max: 90 }),
    });
    /** One step: which journey, what happens, how many days after that journey's last step, with or without the extras. */
    const stepArb = fc.record({
      journey: fc.nat({ max: 4 }),
      type: fc.constantFrom(...eventTypes),
      /** Most steps pick one of the moves available, so sequences go deep; the rest are any event at all. */
      legal: fc.nat({ max: 3 }),
      pick: fc.nat(),
      days: fc.nat({ max: 120 }),
      reason: fc.option(fc.constantFrom('', ' ', 'Moved job'), { nil: undefined }),
      certificateNumber: fc.option(fc.constantFrom('', 'PIO-42'), { nil: undefined }),
    });
    const terminal = statuses.filter((s) => !isActive(s));

    it('no sequence of events reaches an invalid state or loses a place', () => {
      const reached = new Set<Status>();
      fc.assert(
        fc.property(rulesArb, fc.integer({ min: 1, max: 5 }), fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'max' }), (r, count, steps) => {
          const journeys = Array.from({ length: count }, () => ({ state: start, date: '2022-01-01' }));
          const pool = { taken: 0, released: 0 };
          for (const step of steps) {
            const j = journeys[step.journey % count];
            const date = addDays(j.date, step.days);
            const offered = availableEvents(j.state, r);
            const type = step.legal > 0 && offered.length ? offered[step.pick % offered.length] : step.type;
            // Half the legal picks bring what the move needs; the rest may lack a reason or a certificate.
            const complete = step.legal > 1;
            const event: JourneyEvent = { type, date, reason: complete ? 'Moved job' : step.reason, certificateNumber: complete ? 'PIO-42' : step.certificateNumber };
            const before = j.state;
            const problem = refusal(before, event, r);
            if (terminal.includes(before.status)) expect(problem?.kind).toBe('state');
            if (problem) {
              expect(() => apply(before, event, r)).toThrow();
              continue;
            }
            const move = apply(before, event, r);
            const after = move.next;
            expect(statuses).toContain(after.status);
            expect(after.attempts).toBeLessThanOrEqual(r.maxAttempts);
            expect(after.attempts).toBeGreaterThanOrEqual(before.attempts);
            if (after.status === 'accredited') {
              expect(event.type).toBe('passed');
              expect(before.status).toBe('assessment_booked');
            }
            expect(move.accredit).toBe(after.status === 'accredited');
            if (after.status === 'deferred') expect(after.resumeStatus && isActive(after.resumeStatus) && after.resumeStatus !== 'deferred').toBeTruthy();
            else expect(after.resumeStatus).toBeNull();
            if (['registered', 'in_learning', 'assessment_booked', 'not_passed', 'accredited'].includes(after.status)) expect(after.registeredOn).not.toBeNull();
            if (['approved', 'registered', 'in_learning', 'assessment_booked', 'not_passed', 'accredited'].includes(after.status)) expect(after.placeState).toBe('taken');
            // The pool: a place is taken only from none, released only from taken, spent only from taken.
            if (move.place === 'take') {
              expect(before.placeState).toBe('none');
              expect(after.placeState).toBe('taken');
              pool.taken++;
            } else if (move.place === 'release') {
              expect(before.placeState).toBe('taken');
              expect(after.placeState).toBe('released');
              pool.released++;
            } else if (move.place === 'spend') {
              expect(before.placeState).toBe('taken');
              expect(after.placeState).toBe('taken');
            } else {
              expect(after.placeState).toBe(before.placeState);
            }
            if (isOverdue(after, r, addDays(date, 10_000))) expect(['registered', 'in_learning', 'not_passed']).toContain(after.status);
            j.state = after;
            j.date = date;
            reached.add(after.status);
            const holding = journeys.filter((x) => x.state.placeState === 'taken').length;
            expect(pool.taken - pool.released).toBe(holding);
            expect(pool.released).toBe(journeys.filter((x) => x.state.placeState === 'released').length);
          }
          for (const j of journeys) if (terminal.includes(j.state.status)) expect(availableEvents(j.state, r)).toEqual([]);
        }),
        { numRuns: 300 },
      );
      // The runs went everywhere, so the checks above were exercised on every status.
      expect([...reached].sort()).toEqual([...statuses].sort());
    });

    it('every event offered as available applies without throwing, given a reason and a certificate', () => {
      const stateArb = fc.record({
        status: fc.constantFrom(...statuses),
        resumeStatus: fc.option(fc.constantFrom(...activeStatuses.filter((s) => s !== 'deferred')), { nil: null }),
        attempts: fc.nat({ max: 6 }),
        placeState: fc.constantFrom('none', 'taken', 'released' as const),
        registeredOn: fc.option(fc.constant('2024-05-01'), { nil: null }),
      });
      fc.assert(
        fc.property(stateArb, rulesArb, (state, r) => {
          for (const type of availableEvents(state as JourneyState, r)) {
            expect(() => apply(state as JourneyState, ev(type, '2025-06-01'), r)).not.toThrow();
          }
        }),
      );
    });
  });
});
