import { describe, expect, it } from 'vitest';
import { amountText, daysText, isOverdue, mayMoveAction, mayMoveEngagement, milestoneOverdue, minutesOf, planUse } from './rules.ts';

describe('engagement status machine', () => {
  it('moves forward one step at a time, pauses from planned or active and resumes to active', () => {
    expect(mayMoveEngagement('planned', 'active')).toBe(true);
    expect(mayMoveEngagement('active', 'closing')).toBe(true);
    expect(mayMoveEngagement('closing', 'closed')).toBe(true);
    expect(mayMoveEngagement('planned', 'paused')).toBe(true);
    expect(mayMoveEngagement('active', 'paused')).toBe(true);
    expect(mayMoveEngagement('paused', 'active')).toBe(true);
  });
  it('refuses skipping, going back and leaving closed', () => {
    expect(mayMoveEngagement('planned', 'closing')).toBe(false);
    expect(mayMoveEngagement('planned', 'closed')).toBe(false);
    expect(mayMoveEngagement('closing', 'active')).toBe(false);
    expect(mayMoveEngagement('paused', 'closed')).toBe(false);
    expect(mayMoveEngagement('closed', 'active')).toBe(false);
    expect(mayMoveEngagement('active', 'active')).toBe(false);
  });
});

describe('action status machine', () => {
  it('goes not started → in progress → done, blocked and back, and stays put for other edits', () => {
    expect(mayMoveAction('not_started', 'in_progress')).toBe(true);
    expect(mayMoveAction('in_progress', 'done')).toBe(true);
    expect(mayMoveAction('in_progress', 'blocked')).toBe(true);
    expect(mayMoveAction('blocked', 'in_progress')).toBe(true);
    expect(mayMoveAction('done', 'done')).toBe(true);
  });
  it('refuses skipping to done and reopening a done action', () => {
    expect(mayMoveAction('not_started', 'done')).toBe(false);
    expect(mayMoveAction('blocked', 'done')).toBe(false);
    expect(mayMoveAction('done', 'in_progress')).toBe(false);
  });
});

describe('time', () => {
  it('keeps days and hours as whole minutes, and shows them back', () => {
    expect(minutesOf(100, 'days')).toBe(450);
    expect(minutesOf(50, 'days')).toBe(225);
    expect(minutesOf(325, 'hours')).toBe(195);
    expect(daysText(450 * 3 + 225)).toBe('3.5');
    expect(amountText(195, 'hours')).toBe('3.25');
    expect(amountText(225, 'days')).toBe('0.5');
  });
  it('is near the plan from the setting’s percentage and over it past the plan', () => {
    expect(planUse(4500, 4000, 90)).toEqual({ percent: 89, state: 'within' });
    expect(planUse(4500, 4050, 90)).toEqual({ percent: 90, state: 'near' });
    expect(planUse(4500, 4500, 90)).toEqual({ percent: 100, state: 'near' });
    expect(planUse(4500, 4501, 90)).toEqual({ percent: 100, state: 'over' });
  });
  it('flags actions and milestones past their due date that are not done', () => {
    expect(isOverdue({ dueDate: '2026-11-25', status: 'in_progress' }, '2026-11-26')).toBe(true);
    expect(isOverdue({ dueDate: '2026-11-26', status: 'in_progress' }, '2026-11-26')).toBe(false);
    expect(isOverdue({ dueDate: '2026-11-01', status: 'done' }, '2026-11-26')).toBe(false);
    expect(milestoneOverdue({ dueDate: '2026-11-01', doneOn: null }, '2026-11-26')).toBe(true);
    expect(milestoneOverdue({ dueDate: '2026-11-01', doneOn: '2026-11-02' }, '2026-11-26')).toBe(false);
  });
});
