/** The clock is handed in (buildApp({ clock })) so tests can fix "now" without mocking modules. */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is told: for tests. */
export function fixedClock(at: Date | string): Clock & { set(at: Date | string): void } {
  let current = new Date(at);
  return {
    now: () => new Date(current),
    set: (next) => {
      current = new Date(next);
    },
  };
}

/** Days in a month (1–12) of the Gregorian calendar, without making a Date: lists and downloads ask it per row. */
export function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Built once: a new Intl.DateTimeFormat costs about half a millisecond, and most requests need today's date. */
const ukDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' });

/** The last instant todayIso formatted, and its day: a 20,000-row upload asks for today several times a row. */
let lastToday = { ms: Number.NaN, day: '' };

/** Today's date as YYYY-MM-DD in UK time. */
export function todayIso(clock: Clock): string {
  const ms = clock.now().getTime();
  if (ms !== lastToday.ms) lastToday = { ms, day: ukDate.format(ms) };
  return lastToday.day;
}
