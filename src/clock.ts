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

const minuteMs = 60_000;

/**
 * The UTC minute todayIso last formatted, and its day: a 20,000-row upload asks for today several times a row, and
 * every list page and API list at least once (formatting was 1–2 % of a list's CPU). UK time is UTC or UTC+1, so its
 * day only ever turns at the start of a UTC minute: every instant of one minute has the same date.
 */
let lastToday = { minute: Number.NaN, day: '' };

/** Today's date as YYYY-MM-DD in UK time. */
export function todayIso(clock: Clock): string {
  const minute = Math.floor(clock.now().getTime() / minuteMs);
  if (minute !== lastToday.minute) lastToday = { minute, day: ukDate.format(minute * minuteMs) };
  return lastToday.day;
}
