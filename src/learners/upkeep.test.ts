import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cpdYearOf, upkeepOf, type UpkeepRules } from './upkeep.ts';

const rules: UpkeepRules = { foundationRenewalYears: 2, cpdHoursPerYear: 30, dueSoonDays: 60 };
const cpd = (...entries: [string, number][]) => entries.map(([activityDate, hours]) => ({ activityDate, hours }));

describe('accreditation upkeep', () => {
  describe('Foundation: renewal every N years', () => {
    const foundation = { level: 'foundation' as const, awardedOn: '2024-01-15' };

    it('is current until the due-soon window, due soon up to and on the renewal day, lapsed the day after', () => {
      // Renewal due 15 January 2026; 60 days before is 16 November 2025.
      expect(upkeepOf(foundation, [], rules, '2024-01-15')).toEqual({ status: 'current', dueOn: '2026-01-15', hoursThisYear: 0, hoursNeeded: 0 });
      expect(upkeepOf(foundation, [], rules, '2025-11-15').status).toBe('current');
      expect(upkeepOf(foundation, [], rules, '2025-11-16').status).toBe('due_soon');
      expect(upkeepOf(foundation, [], rules, '2026-01-15').status).toBe('due_soon');
      expect(upkeepOf(foundation, [], rules, '2026-01-16').status).toBe('lapsed');
    });

    it('needs no CPD: hours logged change nothing', () => {
      expect(upkeepOf(foundation, cpd(['2024-06-01', 100]), rules, '2026-01-16')).toEqual({ status: 'lapsed', dueOn: '2026-01-15', hoursThisYear: 0, hoursNeeded: 0 });
    });

    it('a renewal starts the period again from the renewal date', () => {
      const renewed = { ...foundation, renewedOn: '2026-01-10' };
      expect(upkeepOf(renewed, [], rules, '2026-02-01')).toMatchObject({ status: 'current', dueOn: '2028-01-10' });
      expect(upkeepOf(renewed, [], rules, '2028-01-11').status).toBe('lapsed');
      expect(upkeepOf({ ...foundation, renewedOn: null }, [], rules, '2026-02-01').status).toBe('lapsed');
    });

    it('follows the renewal and due-soon settings', () => {
      expect(upkeepOf(foundation, [], { ...rules, foundationRenewalYears: 3 }, '2026-02-01')).toMatchObject({ status: 'current', dueOn: '2027-01-15' });
      expect(upkeepOf(foundation, [], { ...rules, dueSoonDays: 1 }, '2026-01-13').status).toBe('current');
      expect(upkeepOf(foundation, [], { ...rules, dueSoonDays: 1 }, '2026-01-14').status).toBe('due_soon');
    });

    it('a leap-day award falls due on 28 February in a common year', () => {
      expect(upkeepOf({ level: 'foundation', awardedOn: '2024-02-29' }, [], rules, '2024-03-01').dueOn).toBe('2026-02-28');
      expect(upkeepOf({ level: 'foundation', awardedOn: '2024-02-29' }, [], { ...rules, foundationRenewalYears: 4 }, '2024-03-01').dueOn).toBe('2028-02-29');
    });
  });

  for (const level of ['practitioner', 'expert'] as const) {
    describe(`${level}: CPD hours in each accreditation year`, () => {
      const held = { level, awardedOn: '2024-01-15' };

      it('counts the hours of the current accreditation year only, from the award day up to the next anniversary', () => {
        const log = cpd(['2024-01-14', 50], ['2024-01-15', 2], ['2024-07-01', 3.25], ['2025-01-14', 0.75], ['2025-01-15', 8]);
        expect(upkeepOf(held, log, rules, '2024-06-01')).toEqual({ status: 'current', dueOn: '2025-01-15', hoursThisYear: 6, hoursNeeded: 30 });
        // On the anniversary a new year starts: its hours are those from that day.
        expect(upkeepOf(held, log, rules, '2025-01-15')).toMatchObject({ dueOn: '2026-01-15', hoursThisYear: 8 });
      });

      it('is due soon within 60 days of the year end while hours are short, and current once they are logged', () => {
        // The first year ends 15 January 2025; 60 days before is 16 November 2024.
        const short = cpd(['2024-03-01', 29.75]);
        expect(upkeepOf(held, short, rules, '2024-11-15').status).toBe('current');
        expect(upkeepOf(held, short, rules, '2024-11-16').status).toBe('due_soon');
        expect(upkeepOf(held, short, rules, '2025-01-14').status).toBe('due_soon');
        const enough = cpd(['2024-03-01', 29.75], ['2024-12-01', 0.25]);
        expect(upkeepOf(held, enough, rules, '2024-11-16')).toMatchObject({ status: 'current', hoursThisYear: 30 });
        expect(upkeepOf(held, enough, rules, '2025-01-14').status).toBe('current');
      });

      it('lapses when the last accreditation year ended short of the hours', () => {
        const short = cpd(['2024-03-01', 29.75]);
        expect(upkeepOf(held, short, rules, '2025-01-15')).toEqual({ status: 'lapsed', dueOn: '2026-01-15', hoursThisYear: 0, hoursNeeded: 30 });
        expect(upkeepOf(held, short, rules, '2025-06-01').status).toBe('lapsed');
        // Hours logged in the new year do not make up for the year that ended short.
        expect(upkeepOf(held, cpd(['2024-03-01', 29.75], ['2025-02-01', 40]), rules, '2025-06-01')).toMatchObject({ status: 'lapsed', hoursThisYear: 40 });
        // An entry on the anniversary belongs to the new year, not the one that ended.
        expect(upkeepOf(held, cpd(['2024-03-01', 29.75], ['2025-01-15', 1]), rules, '2025-06-01').status).toBe('lapsed');
      });

      it('stays current year after year when each year has its hours', () => {
        const log = cpd(['2024-02-01', 30], ['2025-02-01', 15], ['2025-12-01', 15], ['2026-01-20', 30]);
        expect(upkeepOf(held, log, rules, '2026-01-14')).toMatchObject({ status: 'current', dueOn: '2026-01-15', hoursThisYear: 30 });
        expect(upkeepOf(held, log, rules, '2026-11-26')).toMatchObject({ status: 'current', dueOn: '2027-01-15', hoursThisYear: 30 });
      });

      it('follows the CPD hours setting', () => {
        const log = cpd(['2024-03-01', 20]);
        expect(upkeepOf(held, log, { ...rules, cpdHoursPerYear: 20 }, '2025-02-01')).toMatchObject({ status: 'current', hoursNeeded: 20 });
        expect(upkeepOf(held, log, rules, '2025-02-01').status).toBe('lapsed');
      });

      it('a leap-day award has its anniversary on 28 February in common years and 29 February in leap years', () => {
        const leap = { level, awardedOn: '2024-02-29' };
        expect(upkeepOf(leap, [], rules, '2025-02-27')).toMatchObject({ dueOn: '2025-02-28' });
        const log = cpd(['2024-02-29', 30], ['2025-02-28', 30], ['2026-02-28', 30], ['2027-02-28', 30]);
        expect(upkeepOf(leap, log, rules, '2025-02-28')).toMatchObject({ status: 'current', dueOn: '2026-02-28', hoursThisYear: 30 });
        expect(upkeepOf(leap, log, rules, '2028-02-28')).toMatchObject({ status: 'current', dueOn: '2028-02-29', hoursThisYear: 30 });
        expect(upkeepOf(leap, log, rules, '2028-02-29')).toMatchObject({ dueOn: '2029-02-28', hoursThisYear: 0, status: 'current' });
        expect(upkeepOf(leap, cpd(['2024-02-29', 30], ['2025-02-27', 0]), rules, '2026-02-28').status).toBe('lapsed');
      });
    });
  }

  it('the deadline is always ahead of today (or today, for a renewal) and hours are never negative', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('foundation', 'practitioner', 'expert' as const),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.record({ day: fc.integer({ min: 0, max: 4000 }), quarters: fc.integer({ min: 1, max: 96 }) }), { maxLength: 30 }),
        (level, awardDay, daysLater, entries) => {
          const day = (n: number) => new Date(Date.UTC(2021, 10, 1) + n * 86_400_000).toISOString().slice(0, 10);
          const awardedOn = day(awardDay);
          const today = day(awardDay + daysLater);
          const u = upkeepOf({ level, awardedOn }, entries.map((e) => ({ activityDate: day(e.day), hours: e.quarters / 4 })), rules, today);
          expect(['current', 'due_soon', 'lapsed']).toContain(u.status);
          expect(u.hoursThisYear).toBeGreaterThanOrEqual(0);
          if (level === 'foundation') {
            if (u.status !== 'lapsed') expect(u.dueOn >= today).toBe(true);
          } else {
            expect(u.dueOn > today).toBe(true);
            if (u.hoursThisYear >= rules.cpdHoursPerYear && u.status !== 'lapsed') expect(u.status).toBe('current');
          }
        },
      ),
    );
  });
});

describe('the CPD year a learner sees', () => {
  const log = cpd(['2025-11-26', 4], ['2025-11-27', 3], ['2026-02-28', 7], ['2026-03-01', 10], ['2026-11-26', 2.5], ['2026-11-27', 9]);

  it('is the current year of the latest Practitioner or Expert accreditation, from its anniversary, up to today', () => {
    const held = [
      { level: 'foundation' as const, awardedOn: '2024-06-01' },
      { level: 'practitioner' as const, awardedOn: '2024-03-01' },
      { level: 'expert' as const, awardedOn: '2025-03-01' },
    ];
    expect(cpdYearOf(held, log, rules, '2026-11-26')).toEqual({ from: '2026-03-01', toExclusive: '2027-03-01', hours: 21.5, needed: 30, accredited: true });
    // On the anniversary a new year starts with nothing logged in it yet.
    expect(cpdYearOf(held, log, rules, '2027-03-01')).toMatchObject({ from: '2027-03-01', hours: 0 });
  });

  it('is the 12 months to today before a Practitioner or Expert accreditation (Foundation needs no CPD)', () => {
    expect(cpdYearOf([{ level: 'foundation', awardedOn: '2024-06-01' }], log, rules, '2026-11-26')).toEqual({
      from: '2025-11-27',
      toExclusive: '2026-11-27',
      hours: 22.5,
      needed: 30,
      accredited: false,
    });
  });

  it('measures against the setting, whatever it is', () => {
    expect(cpdYearOf([], [], { ...rules, cpdHoursPerYear: 24 }, '2026-11-26').needed).toBe(24);
  });
});
