import { describe, expect, it } from 'vitest';
import { fixedClock, todayIso } from './clock.ts';

describe('todayIso', () => {
  it('gives the UK date as the clock moves, forwards and back, across midnight and the clocks changing', () => {
    // [the clock's instant (UTC), the UK date], in the order the clock is set: todayIso keeps its last answer for a
    // minute, so each step must still be read afresh.
    const steps: [string, string][] = [
      // Winter (GMT): the UK day turns at midnight UTC.
      ['2026-12-06T23:59:59.999Z', '2026-12-06'],
      ['2026-12-07T00:00:00.000Z', '2026-12-07'],
      // Summer (BST): the UK day starts at 23:00 UTC the evening before.
      ['2026-07-01T22:59:59.999Z', '2026-07-01'],
      ['2026-07-01T23:00:00.000Z', '2026-07-02'],
      // BST begins at 01:00 UTC on 29 March 2026; the clock moved back a minute and more.
      ['2026-03-29T00:59:30Z', '2026-03-29'],
      ['2026-03-28T23:59:59Z', '2026-03-28'],
      // BST ends at 01:00 UTC on 25 October 2026: 23:30 UTC that evening is still the 25th, the evening before the 25th too.
      ['2026-10-25T23:30:00Z', '2026-10-25'],
      ['2026-10-24T23:30:00Z', '2026-10-25'],
    ];
    const clock = fixedClock(steps[0][0]);
    for (const [at, day] of steps) {
      clock.set(at);
      expect(todayIso(clock), at).toBe(day);
    }
  });
});
