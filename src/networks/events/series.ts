/**
 * Changing "this event and the later ones in the series": the change made to the event on the form is carried to
 * each later event of its series, as a calendar does. Only what changed on the form moves; a later event keeps what
 * was not touched (its own title, if it was given one). Fields that belong together move together: when and the
 * registration deadline; the format, location and joining link.
 */
import { z } from 'zod';
import { formatDate } from '../../web/format.ts';
import { ValidationError } from '../../web/errors.ts';
import { endOfLondonDay, londonDateTime, londonInstant } from './london-time.ts';
import type { EventInput } from './schemas.ts';
import type { EventRow } from './repository.ts';

export const seriesScopes = ['this', 'following'] as const;
export type SeriesScope = (typeof seriesScopes)[number];
export const seriesScopeSchema = z.enum(seriesScopes, { error: 'Select which events to change' }).default('this');

/** What an event is saved as: the fields the form changes. */
export type EventFields = Pick<EventRow, 'title' | 'description' | 'startsAt' | 'endsAt' | 'format' | 'location' | 'joiningUrl' | 'capacity' | 'registrationDeadline' | 'audience'>;

const dayMs = 86_400_000;
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / dayMs);

/**
 * A later event of the series with the form's changes carried over. `changed` names the fields that differ between
 * the event on the form and what was typed; a new date moves each later event by as many days, at the form's times.
 */
export function carryChanges(later: EventRow, edited: EventRow, data: EventInput, changed: ReadonlySet<string>): EventFields {
  const moved = changed.has('startsAt') || changed.has('endsAt');
  const date = addDays(londonDateTime(later.startsAt).date, daysBetween(londonDateTime(edited.startsAt).date, data.date));
  let { startsAt, endsAt, registrationDeadline } = later;
  if (moved) {
    const start = londonInstant(date, data.startTime);
    const end = londonInstant(date, data.endTime);
    if (!start || !end) throw new ValidationError({ startTime: `The time does not exist on ${formatDate(date)}, a later event in the series, when the clocks go forward: choose another time` });
    [startsAt, endsAt] = [start, end];
  }
  if (moved || changed.has('registrationDeadline')) {
    // The same number of days before each event, as when the series was added.
    registrationDeadline = data.deadline ? endOfLondonDay(addDays(date, -daysBetween(data.deadline, data.date))) : null;
  }
  const place = changed.has('format') || changed.has('location') || changed.has('joiningUrl');
  const pick = <K extends keyof EventFields>(key: K, value: EventFields[K]) => (changed.has(key) ? value : later[key]);
  return {
    title: pick('title', data.title),
    description: pick('description', data.description),
    startsAt,
    endsAt,
    format: place ? data.format : later.format,
    location: place ? data.location : later.location,
    joiningUrl: place ? data.joiningUrl : later.joiningUrl,
    capacity: pick('capacity', data.capacity),
    registrationDeadline,
    audience: pick('audience', data.audience),
  };
}
