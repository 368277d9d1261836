/**
 * iCalendar (RFC 5545) output, written with ical-generator (ADR 0013), never by hand. Each event keeps one UID for
 * life (its id), so a calendar updates the entry it already has; SEQUENCE is the event's, which goes up with every
 * change; a cancelled event is sent as STATUS:CANCELLED. Times are written in UTC ("…Z"), which every calendar reads
 * without a VTIMEZONE and shows in the reader's own zone: an 18:00 London event reads 18:00 in the UK on either side
 * of a clock change.
 */
import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { networkNames } from '../networks.ts';
import { eventFormatLabels } from './schemas.ts';
import type { EventRow } from './repository.ts';

export const eventUid = (id: string) => `${id}@pioneer.network-events`;

type Options = { baseUrl: string; name: string; /** Whether the reader may see the joining link (registered). */ withJoiningLink: (e: EventRow) => boolean; stamp: Date };

/** A calendar of events: one event's download, or a member's feed. */
export function calendarOf(events: readonly EventRow[], opts: Options): string {
  const calendar = ical({
    name: opts.name,
    prodId: { company: 'Pioneer', product: 'Network events', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    ttl: 60 * 60,
  });
  for (const e of events) {
    const href = `${opts.baseUrl}/networks/${e.audience[0]}/events/${e.id}`;
    const link = opts.withJoiningLink(e) && e.joiningUrl ? e.joiningUrl : null;
    const lines = [
      e.description,
      '',
      `${eventFormatLabels[e.format]} event for the ${e.audience.map((k) => networkNames[k]).join(' and the ')}.`,
      ...(link ? [`Joining link: ${link}`] : []),
      `Details and registration: ${href}`,
    ];
    calendar.createEvent({
      id: eventUid(e.id),
      sequence: e.sequence,
      stamp: opts.stamp,
      created: e.createdAt,
      lastModified: e.updatedAt,
      start: e.startsAt,
      end: e.endsAt,
      summary: e.status === 'cancelled' ? `Cancelled: ${e.title}` : e.title,
      description: lines.join('\n'),
      location: e.location ?? link ?? undefined,
      url: href,
      status: e.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return calendar.toString();
}
