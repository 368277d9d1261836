/** Formatting shared by templates and exports, so a date reads the same on a page and in a spreadsheet. */

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hour12: true,
  timeZone: 'Europe/London',
});

/** "1 July 2023" from a Date or an ISO date string; empty for nothing. */
export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value.length === 10 ? `${value}T12:00:00Z` : value) : value;
  return Number.isNaN(d.getTime()) ? '' : dateFmt.format(d);
}

/** "1 July 2023 at 2:05pm" (GOV.UK style). */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return '';
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) return '';
  return dateTimeFmt.format(d).replace(', ', ' at ').replace(' am', 'am').replace(' pm', 'pm');
}

const countFmt = new Intl.NumberFormat('en-GB');

/** "20,000": a count as people read it. */
export function formatCount(n: number): string {
  return countFmt.format(n);
}
