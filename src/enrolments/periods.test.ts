import { describe, expect, it } from 'vitest';
import { filterPeriods, nominationPeriods, openPeriods, periodRefusal, periodWindow, periodsFrom } from './periods.ts';

describe('programme periods', () => {
  const defaults = { firstPeriod: '2021-22', lastPeriod: '' };
  it('opens from the first period to the year after the current one by default, moving on 1 April', () => {
    expect(periodWindow(defaults, '2026-11-26')).toEqual({ first: '2021-22', last: '2027-28', current: '2026-27', next: '2027-28' });
    expect(periodWindow(defaults, '2027-03-31').last).toBe('2027-28');
    expect(periodWindow(defaults, '2027-04-01').last).toBe('2028-29');
    expect(periodWindow({ firstPeriod: '2023-24', lastPeriod: '2030-31' }, '2026-11-26')).toMatchObject({ first: '2023-24', last: '2030-31' });
  });
  it('lists the periods between two, both included', () => {
    expect(periodsFrom('2021-22', '2024-25')).toEqual(['2021-22', '2022-23', '2023-24', '2024-25']);
    expect(periodsFrom('2099-00', '2100-01')).toEqual(['2099-00', '2100-01']);
    expect(periodsFrom('2025-26', '2024-25')).toEqual([]);
    expect(openPeriods(periodWindow(defaults, '2026-11-26'))).toEqual(['2027-28', '2026-27', '2025-26', '2024-25', '2023-24', '2022-23', '2021-22']);
  });
  it('lets the programme team use any open period and councils the current or next only', () => {
    const w = periodWindow(defaults, '2026-11-26');
    expect(nominationPeriods(w, false)).toEqual(['2027-28', '2026-27']);
    for (const ok of ['2021-22', '2026-27', '2027-28']) expect(periodRefusal(ok, w, true), ok).toBeNull();
    for (const bad of ['2020-21', '2028-29']) expect(periodRefusal(bad, w, true), bad).toBe('Enter a period from 2021-22 to 2027-28');
    for (const ok of ['2026-27', '2027-28']) expect(periodRefusal(ok, w, false), ok).toBeNull();
    for (const bad of ['2025-26', '2021-22', '2028-29']) expect(periodRefusal(bad, w, false), bad).toBe('Councils can nominate for 2026-27 or 2027-28 only');
  });
  it('offers councils only the open ones of the current and next periods', () => {
    const closedNext = periodWindow({ firstPeriod: '2021-22', lastPeriod: '2026-27' }, '2026-11-26');
    expect(nominationPeriods(closedNext, false)).toEqual(['2026-27']);
    expect(periodRefusal('2027-28', closedNext, false)).toBe('Councils can nominate for 2026-27 only');
    expect(periodRefusal('2027-28', closedNext, true)).toBe('Enter a period from 2021-22 to 2026-27');
    const closed = periodWindow({ firstPeriod: '2021-22', lastPeriod: '2025-26' }, '2026-11-26');
    expect(periodRefusal('2026-27', closed, false)).toBe('Councils cannot nominate for any period now: ask the programme team');
  });
  it('filters by the periods that hold data and those the page must show, newest first, once each', () => {
    expect(filterPeriods(['2022-23', '2026-27'], '2026-27', undefined, '2031-32')).toEqual(['2031-32', '2026-27', '2022-23']);
  });
});
