import { describe, expect, it } from 'vitest';
import { trendMonthKeys } from './trends.ts';

describe('trendMonthKeys', () => {
  it('gives the 12 months ending with today’s, across a year end and from a month’s last day', () => {
    expect(trendMonthKeys('2026-11-26')).toEqual([
      '2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11',
    ]);
    expect(trendMonthKeys('2027-01-31')[0]).toBe('2026-02');
    expect(trendMonthKeys('2027-01-31').at(-1)).toBe('2027-01');
    expect(trendMonthKeys('2028-02-29')).toHaveLength(12);
  });
});
