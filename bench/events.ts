/**
 * The networks' events at national scale (issue 11: 2,000 events) for bench/generate.ts: one every seven hours or so
 * from eighteen months ago to six months ahead of the moment it runs (two in three for the Learners Network, one in
 * ten for both), 40 places each with 20 people registered (attended, for the past ones), by people of the generated
 * register. Written by the database in two set-based inserts.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../src/db/client.ts';

export const totalEvents = 2_000;
export const registeredPerEvent = 20;

/** Writes `totalEvents × scale` events with `registeredPerEvent` registrations each. */
export async function generateEvents(tx: DbOrTx, scale: number) {
  const n = totalEvents * scale;
  const span = sql`interval '730 days'`;
  await tx.execute(sql`
    insert into network_events (title, description, starts_at, ends_at, format, joining_url, capacity, audience)
    select 'Event ' || g || ': ' || (array['supplier performance clinic', 'KPI workshop', 'exit planning', 'contract registers',
        'SRO round table', 'Procurement Act briefing', 'risk reporting', 'study group'])[1 + g % 8],
      'A network event of the benchmark''s data.',
      now() - interval '548 days' + ${span} * g / ${n},
      now() - interval '548 days' + ${span} * g / ${n} + interval '90 minutes',
      'online', 'https://meet.example.gov.uk/bench', 40,
      case when g % 10 = 0 then array['learners', 'sro'] when g % 3 = 0 then array['sro'] else array['learners'] end
    from generate_series(1, ${n}) g`);
  await tx.execute(sql`
    with people_list as (select array_agg(id order by id) as a from (select id from people where erased_at is null order by id limit 5000) p),
      events as (select id, starts_at, ends_at, row_number() over (order by starts_at, id) as g from network_events)
    insert into network_event_registrations (event_id, person_id, status, attended, registered_at, updated_at)
    select e.id, a[1 + ((e.g * 17 + k * 241) % cardinality(a))::int], 'registered', e.ends_at < now(),
      e.starts_at - interval '14 days', e.starts_at - interval '14 days'
    from events e, generate_series(0, ${registeredPerEvent - 1}) k, people_list`);
  return { events: n, registrations: n * registeredPerEvent };
}
