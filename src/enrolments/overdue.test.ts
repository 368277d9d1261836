import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, isOverdue } from './journey.ts';
import { overdueCutoff } from './attention.ts';

const rules = (months: number) => ({ maxAttempts: 3, assessmentDeadlineMonths: months, placeReleaseDays: 28 });
const day = (offset: number) => addDays('2021-11-01', offset);

describe('the overdue cut-off the list filters by', () => {
  it('agrees with isOverdue at month ends (31 January + 1 month is 28/29 February)', () => {
    expect(overdueCutoff('2024-03-01', 1)).toBe('2024-01-31');
    expect(overdueCutoff('2024-02-29', 1)).toBe('2024-01-28');
    expect(overdueCutoff('2026-11-26', 12)).toBe('2025-11-25');
  });

  it('registered on or before the cut-off is exactly what isOverdue calls overdue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 1, max: 36 }), (reg, now, months) => {
        const registeredOn = day(reg);
        const today = day(now);
        const viaCutoff = registeredOn <= overdueCutoff(today, months);
        expect(viaCutoff).toBe(isOverdue({ status: 'registered', registeredOn }, rules(months), today));
      }),
      { numRuns: 2000 },
    );
  });
});
