/** Formatting shared by templates and exports, so a date reads the same on a page and in a spreadsheet. */
import { daysInMonth } from '../clock.ts';

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  // Not `hour12: true`: in en-GB that counts hours 0–11, writing "0:05 am" after midnight and "0:00 pm" at noon.
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});

/** "1 July 2023" from a Date or an ISO date string; empty for nothing. */
export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return '';
  if (typeof value === 'string' && value.length === 10) return formatIsoDate(value);
  const d = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(d.getTime()) ? '' : dateFmt.format(d);
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * A calendar date ("2023-07-01") as `dateFmt` writes it, by hand: a learners download formats five dates a row, and
 * Intl costs microseconds a call, some 200,000 calls for a national download. No time zone is involved in a date.
 */
function formatIsoDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return '';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return '';
  return `${day} ${monthNames[month - 1]} ${year}`;
}

/** "1 July 2023 at 2:05pm", "… at 12:05am", "… at midday", "… at midnight" (GOV.UK style). */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  return dateTimeFmt.format(d).replace(', ', ' at ').replace('12:00 pm', 'midday').replace('12:00 am', 'midnight').replace(' am', 'am').replace(' pm', 'pm');
}

const countFmt = new Intl.NumberFormat('en-GB');

/** "20,000": a count as people read it. */
export function formatCount(n: number): string {
  return countFmt.format(n);
}
