import { describe, expect, it } from 'vitest';
import { mainLineSteps } from './service.ts';

const states = (status: string, resumeStatus: string | null, history: [string, string][]) =>
  mainLineSteps({ status, resumeStatus }, history.map(([toStatus, occurredOn]) => ({ toStatus, occurredOn }))).map((s) => `${s.label}: ${s.state}${s.reachedOn ? ` ${s.reachedOn}` : ''}`);

describe('the learner’s task list of the main line', () => {
  it('marks the steps before the current status done, the current one in progress, later ones not yet', () => {
    expect(states('registered', null, [['nominated', '2026-01-01'], ['approved', '2026-01-05'], ['registered', '2026-02-01']])).toEqual([
      'Nominated: done 2026-01-01',
      'Approved: done 2026-01-05',
      'Registered: current 2026-02-01',
      'In learning: not_yet',
      'Assessment booked: not_yet',
      'Accredited: not_yet',
    ]);
  });

  it('once accredited, every step is done', () => {
    expect(mainLineSteps({ status: 'accredited', resumeStatus: null }, []).every((s) => s.state === 'done')).toBe(true);
  });

  it('a learner who did not pass is still on the assessment step', () => {
    expect(states('not_passed', null, []).slice(3, 6)).toEqual(['In learning: done', 'Assessment booked: current', 'Accredited: not_yet']);
  });

  it('a deferred enrolment sits on the step it will resume to', () => {
    expect(states('deferred', 'in_learning', []).slice(2, 5)).toEqual(['Registered: done', 'In learning: current', 'Assessment booked: not_yet']);
    expect(states('deferred', 'not_passed', [])[4]).toBe('Assessment booked: current');
  });

  it('a withdrawn or declined enrolment stops on the step it had reached', () => {
    expect(states('withdrawn', null, [['nominated', '2026-01-01'], ['approved', '2026-01-05'], ['deferred', '2026-01-06'], ['withdrawn', '2026-03-01']]).slice(0, 3)).toEqual([
      'Nominated: done 2026-01-01',
      'Approved: stopped 2026-01-05',
      'Registered: not_yet',
    ]);
    expect(states('declined', null, [['nominated', '2026-01-01'], ['declined', '2026-01-02']]).slice(0, 2)).toEqual(['Nominated: stopped 2026-01-01', 'Approved: not_yet']);
  });
});
