import { describe, expect, it } from 'vitest';
import { fixedClock, todayIso } from './clock.ts';

describe('todayIso', () => {
  it('gives the UK date, turning at UK midnight in winter (GMT) and summer (BST)', () => {
    const clock = fixedClock('2026-12-06T23:59:59.999Z');
    expect(todayIso(clock)).toBe('2026-12-06');
    clock.set('2026-12-07T00:00:00.000Z');
    expect(todayIso(clock)).toBe('2026-12-07');
    // In summer the UK day starts at 23:00 UTC the evening before.
    clock.set('2026-07-01T22:59:59.999Z');
    expect(todayIso(clock)).toBe('2026-07-01');
    clock.set('2026-07-01T23:00:00.000Z');
    expect(todayIso(clock)).toBe('2026-07-02');
  });

  it('follows the clock back and forth within a minute and across the clocks changing', () => {
    const clock = fixedClock('2026-03-29T00:59:30Z');
    expect(todayIso(clock)).toBe('2026-03-29');
    clock.set('2026-03-28T23:59:59Z');
    expect(todayIso(clock)).toBe('2026-03-28');
    // 01:00 UTC on 25 October 2026 is when BST ends: 23:00 UTC that evening is still the 25th in the UK.
    clock.set('2026-10-25T23:30:00Z');
    expect(todayIso(clock)).toBe('2026-10-25');
    clock.set('2026-10-24T23:30:00Z');
    expect(todayIso(clock)).toBe('2026-10-25');
  });
});
