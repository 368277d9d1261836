/**
 * Calendar quarters, as funders' quarterly reports use them: "2026-Q3" is 1 July to 30 September 2026. A report is
 * for a quarter that has ended, from the quarter the programme began in (November 2021: 2021-Q4).
 */
import { formatDate } from '../web/format.ts';

export type Quarter = { key: string; year: number; q: 1 | 2 | 3 | 4; start: string; end: string; label: string };

const pad = (n: number) => String(n).padStart(2, '0');
const lastDay = [31, 30, 30, 31] as const;

/** The first quarter a report may be for: the programme began in November 2021. */
export const firstQuarter = '2021-Q4';

/** The quarter a key names, or null when it is not written like "2026-Q3". */
export function parseQuarter(key: string): Quarter | null {
  const m = /^(\d{4})-Q([1-4])$/.exec(key.trim().toUpperCase());
  if (!m) return null;
  const year = Number(m[1]);
  const q = Number(m[2]) as Quarter['q'];
  const start = `${year}-${pad(q * 3 - 2)}-01`;
  const end = `${year}-${pad(q * 3)}-${lastDay[q - 1]}`;
  return { key: `${year}-Q${q}`, year, q, start, end, label: `${formatDate(start)} to ${formatDate(end)}` };
}

/** The quarter a date (yyyy-mm-dd) falls in. */
export function quarterOf(iso: string): Quarter {
  return parseQuarter(`${iso.slice(0, 4)}-Q${Math.ceil(Number(iso.slice(5, 7)) / 3)}`)!;
}

/** The last quarter that has ended by `today`: the one before today's. */
export function lastCompleteQuarter(today: string): Quarter {
  const current = quarterOf(today);
  return current.q === 1 ? parseQuarter(`${current.year - 1}-Q4`)! : parseQuarter(`${current.year}-Q${current.q - 1}`)!;
}

/** Why a quarter cannot be reported on (null when it can): written wrongly, before the programme, or not yet ended. */
export function quarterRefusal(key: string, today: string): string | null {
  const quarter = parseQuarter(key);
  if (!quarter) return 'Enter the quarter as a year and quarter number, like 2026-Q3';
  if (quarter.key < firstQuarter) return `Quarter must be ${firstQuarter} or later, when the programme began`;
  if (quarter.end >= today) return `Quarter must have ended: the last one that has is ${lastCompleteQuarter(today).key}`;
  return null;
}
