/**
 * Event times are entered and shown in UK time (Europe/London) and stored as instants (timestamptz). These turn a
 * London wall-clock date and time into the instant and back, correct on both sides of a daylight-saving change.
 */
const londonParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** The London date ("2026-10-25") and time ("18:00") of an instant. */
export function londonDateTime(at: Date): { date: string; time: string } {
  const p = Object.fromEntries(londonParts.formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/**
 * The instant a London date and time ("2027-03-28", "18:00") names, or null for a time that does not exist (the hour
 * the clocks skip in March). A time that happens twice (the hour repeated in October) is the first, in BST.
 */
export function londonInstant(date: string, time: string): Date | null {
  const asUtc = Date.parse(`${date}T${time}:00Z`);
  if (Number.isNaN(asUtc)) return null;
  for (const offsetHours of [1, 0]) {
    const candidate = new Date(asUtc - offsetHours * 3_600_000);
    const back = londonDateTime(candidate);
    if (back.date === date && back.time === time) return candidate;
  }
  return null;
}

/** The instant a London day ends (midnight at the start of the next day): a registration deadline's moment. */
export function endOfLondonDay(date: string): Date {
  const next = new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  return londonInstant(next, '00:00')!;
}

const weekdayFmt = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'Europe/London' });
const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });

/** "6pm", "7:30pm", "midday", "midnight" (GOV.UK style), in UK time. */
export function londonClock(at: Date): string {
  const [h, m] = londonDateTime(at).time.split(':').map(Number);
  if (m === 0 && h === 12) return 'midday';
  if (m === 0 && h === 0) return 'midnight';
  const hour = h % 12 === 0 ? 12 : h % 12;
  return `${hour}${m ? `:${String(m).padStart(2, '0')}` : ''}${h < 12 ? 'am' : 'pm'}`;
}

/** "Sunday 25 October 2026, 6pm to 7:30pm" (UK time). */
export function eventWhen(startsAt: Date, endsAt: Date): string {
  return `${weekdayFmt.format(startsAt)} ${dateFmt.format(startsAt)}, ${londonClock(startsAt)} to ${londonClock(endsAt)}`;
}

/** "14 January 2027 at 6pm", or "the end of 13 January 2027" for midnight (a registration deadline). */
export function londonMoment(at: Date): string {
  return londonDateTime(at).time === '00:00' ? `the end of ${dateFmt.format(new Date(at.getTime() - 1))}` : `${dateFmt.format(at)} at ${londonClock(at)}`;
}
