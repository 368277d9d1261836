/**
 * Emails to the people registered for an event (and those on its waitlist) when a facilitator changes when or where
 * it happens, or how to join it, or cancels it — through the outbox, in the change's transaction. A person hears
 * once per change, however many events of a series it touched: the notices are grouped by person.
 */
import { enqueueEmail } from '../../notifications/outbox.ts';
import type { DbOrTx } from '../../db/client.ts';
import { eventWhen } from './london-time.ts';
import * as repo from './repository.ts';

type Shape = Pick<repo.EventRow, 'startsAt' | 'endsAt' | 'location' | 'joiningUrl'>;

/**
 * What people need to hear of a change: for everyone, a new time or place; for those with a place, a new joining
 * link too (people on the waitlist never see the link, so a change to it alone is not news to them). Empty lists
 * when nothing of that changed (a new title, description or number of places is not emailed).
 */
export function changeLines(before: Shape, after: Shape): { everyone: string[]; registered: string[] } {
  const everyone: string[] = [];
  if (before.startsAt.getTime() !== after.startsAt.getTime() || before.endsAt.getTime() !== after.endsAt.getTime()) {
    everyone.push(`When: now ${eventWhen(after.startsAt, after.endsAt)} (UK time). It was ${eventWhen(before.startsAt, before.endsAt)}.`);
  }
  if ((before.location ?? null) !== (after.location ?? null)) {
    everyone.push(
      after.location
        ? `Where: now ${after.location}.${before.location ? ` It was ${before.location}.` : ''}`
        : `Where: it is no longer held in person (it was at ${before.location}).`,
    );
  }
  const registered = [...everyone];
  if ((before.joiningUrl ?? null) !== (after.joiningUrl ?? null)) {
    registered.push(after.joiningUrl ? `Joining link: now ${after.joiningUrl}` : 'Joining link: there is none now, as the event is no longer online.');
  }
  return { everyone, registered };
}

export type ChangeNotice = { eventId: string; title: string; url: string; lines: ReturnType<typeof changeLines> };
export type CancelNotice = Pick<repo.EventRow, 'id' | 'title' | 'startsAt' | 'endsAt'> & { url: string };

/** People still registered or waiting for any of these events (not cancelled registrations), by person. */
async function byPerson<T extends { eventId: string }>(tx: DbOrTx, notices: T[]) {
  const people = new Map<string, { name: string; email: string; items: { notice: T; status: 'registered' | 'waitlisted' }[] }>();
  for (const notice of notices) {
    for (const p of await repo.activeRegistrants(tx, notice.eventId)) {
      const entry = people.get(p.personId) ?? { name: p.name, email: p.email, items: [] };
      entry.items.push({ notice, status: p.status });
      people.set(p.personId, entry);
    }
  }
  return people.values();
}

const calendarNote = 'Your Pioneer calendar feed shows the change by itself; a calendar file you downloaded can be replaced from the event’s page.';

/** One email per person about the changed events they are registered for or waiting for, saying what changed. */
export async function sendChangeNotices(tx: DbOrTx, notices: ChangeNotice[]) {
  const relevant = notices.filter((n) => n.lines.registered.length);
  for (const person of await byPerson(tx, relevant)) {
    const items = person.items
      .map(({ notice, status }) => ({ notice, status, lines: status === 'registered' ? notice.lines.registered : notice.lines.everyone }))
      .filter((i) => i.lines.length);
    if (!items.length) continue;
    const [first] = items;
    const sections = items.map(({ notice, status, lines }) =>
      [`“${notice.title}”${status === 'waitlisted' ? ' (you are on its waitlist)' : ''}:`, ...lines.map((l) => `- ${l}`), `Details: ${notice.url}`].join('\n'),
    );
    await enqueueEmail(tx, {
      to: person.email,
      template: 'network-event-changed',
      subject: items.length === 1 ? `Changed: ${first.notice.title}` : `Changed: ${items.length} events you are registered for`,
      body: `Dear ${person.name},\n\nThe facilitators have changed ${items.length === 1 ? 'an event' : 'events'} you are registered for.\n\n${sections.join('\n\n')}\n\n${calendarNote}`,
    });
  }
}

/** One email per person registered or waiting for any of these events, listing the ones cancelled. */
export async function sendCancelNotices(tx: DbOrTx, events: CancelNotice[]) {
  for (const person of await byPerson(tx, events.map((e) => ({ ...e, eventId: e.id })))) {
    const list = person.items.map(({ notice }) => `- “${notice.title}”, ${eventWhen(notice.startsAt, notice.endsAt)} (UK time): ${notice.url}`);
    const [first] = person.items;
    await enqueueEmail(tx, {
      to: person.email,
      template: 'network-event-cancelled',
      subject: list.length === 1 ? `Cancelled: ${first.notice.title}` : `Cancelled: ${list.length} events you are registered for`,
      body: `Dear ${person.name},\n\n${list.length === 1 ? 'This event has' : 'These events have'} been cancelled:\n\n${list.join('\n')}\n\nIf you added ${list.length === 1 ? 'it' : 'them'} to your calendar, your Pioneer calendar feed removes ${list.length === 1 ? 'it' : 'them'}; a downloaded file can be replaced from the event’s page.`,
    });
  }
}
