/**
 * Which financial years (periods) may be used, in one place for the nomination form, the API, the nominations
 * upload and the funded places allocation. The programme is open from the first period to the last open period
 * (both settings); programme staff may use any open period, a council's own staff only the current one and the
 * next. "Current" is the financial year of the injected clock's today, never the real calendar.
 */
import type { DbOrTx } from '../db/client.ts';
import { todayIso, type Clock } from '../clock.ts';
import { periodSettings } from '../settings/service.ts';
import { nextPeriod, periodOf } from './journey.ts';

const financialYear = (startYear: number) => `${startYear}-${String((startYear + 1) % 100).padStart(2, '0')}`;
const startYear = (period: string) => Number(period.slice(0, 4));

/** Every financial year from `first` to `last`, both included, oldest first (none when `last` comes before `first`). */
export function periodsFrom(first: string, last: string): string[] {
  const out: string[] = [];
  for (let y = startYear(first); y <= startYear(last); y++) out.push(financialYear(y));
  return out;
}

/** The periods open on a day: from the first to the last open period, and which are the current and the next. */
export type PeriodWindow = { first: string; last: string; current: string; next: string };

/** The window the settings give on `today`; a blank last open period means the year after the current one. */
export function periodWindow(settings: { firstPeriod: string; lastPeriod: string }, today: string): PeriodWindow {
  const current = periodOf(today);
  const next = nextPeriod(current);
  return { first: settings.firstPeriod, last: settings.lastPeriod || next, current, next };
}

/** The window as the settings and the clock give it now. */
export async function currentPeriodWindow(db: DbOrTx, clock: Clock): Promise<PeriodWindow> {
  return periodWindow(await periodSettings(db), todayIso(clock));
}

/** The open periods, newest first (as forms offer them). */
export const openPeriods = (w: PeriodWindow) => periodsFrom(w.first, w.last).reverse();

/**
 * The periods a nominator may choose, newest first: any open one for the programme team (`anyOpen`), the current
 * and the next (those of them that are open) for a council's own staff.
 */
export function nominationPeriods(w: PeriodWindow, anyOpen: boolean): string[] {
  const open = openPeriods(w);
  return anyOpen ? open : open.filter((p) => p === w.current || p === w.next);
}

/** Why this period cannot be used by this nominator (null when it can), in the words the form, API and upload show. */
export function periodRefusal(period: string, w: PeriodWindow, anyOpen: boolean): string | null {
  const allowed = nominationPeriods(w, anyOpen);
  if (allowed.includes(period)) return null;
  if (anyOpen) return allowed.length ? `Enter a period from ${w.first} to ${w.last}` : 'No period is open: change the programme periods in Settings';
  const [latest, earliest] = allowed;
  if (!latest) return 'Councils cannot nominate for any period now: ask the programme team';
  return earliest ? `Councils can nominate for ${earliest} or ${latest} only` : `Councils can nominate for ${latest} only`;
}

/** A list filter's periods, newest first: those that hold data, and any others it must show (the default, the one chosen). */
export function filterPeriods(holdingData: readonly string[], ...also: (string | undefined)[]): string[] {
  return [...new Set([...holdingData, ...also.filter((p): p is string => !!p)])].sort().reverse();
}
