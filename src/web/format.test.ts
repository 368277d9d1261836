import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime } from './format.ts';

describe('formatDate', () => {
  it('writes every calendar date of forty years as Intl does for the same day in London', () => {
    const intl = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
    for (let t = Date.UTC(2000, 0, 1); t < Date.UTC(2040, 0, 1); t += 86_400_000) {
      const iso = new Date(t).toISOString().slice(0, 10);
      expect(formatDate(iso)).toBe(intl.format(new Date(`${iso}T12:00:00Z`)));
    }
    expect(formatDate('2024-02-29')).toBe('29 February 2024');
  });

  it('gives nothing for an impossible or malformed date, and formats a timestamp in London time', () => {
    expect(formatDate('2000-02-29')).toBe('29 February 2000');
    for (const bad of ['2023-02-29', '1900-02-29', '2026-04-31', '2026-02-30', '2026-13-01', '2026-00-10', 'abcd-ef-gh', '']) expect(formatDate(bad)).toBe('');
    expect(formatDate(null)).toBe('');
    expect(formatDate(new Date('2026-06-30T23:30:00Z'))).toBe('1 July 2026');
  });
});

describe('formatDateTime', () => {
  it('writes the hour after midnight as 12, noon and midnight in words, in London time across the clock change', () => {
    expect(formatDateTime(new Date('2026-12-03T00:05:00Z'))).toBe('3 December 2026 at 12:05am');
    expect(formatDateTime(new Date('2026-12-03T12:00:00Z'))).toBe('3 December 2026 at midday');
    expect(formatDateTime(new Date('2026-12-03T00:00:00Z'))).toBe('3 December 2026 at midnight');
    expect(formatDateTime(new Date('2026-12-03T12:30:00Z'))).toBe('3 December 2026 at 12:30pm');
    // 13:05 UTC in July is 2:05pm in London (BST).
    expect(formatDateTime(new Date('2026-07-01T13:05:00Z'))).toBe('1 July 2026 at 2:05pm');
    expect(formatDateTime('not a date')).toBe('');
  });
});
