/**
 * Demo network events (issue 11): for each network a year of monthly past events with attendance (a Learners
 * Network event adds its hour to each attending learner's CPD log, as recording attendance does) and the next
 * three months of upcoming ones, plus a joint conference and a small, full workshop with a waitlist. The demo
 * sign-ins are left unregistered, so the demo can register them.
 */
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import { londonInstant } from '../../networks/events/london-time.ts';
import type { NetworkKey } from '../../networks/networks.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;
type Seeded = {
  title: string;
  description: string;
  date: string;
  start: string;
  end: string;
  format: 'online' | 'in_person' | 'hybrid';
  location?: string;
  capacity: number;
  audience: NetworkKey[];
  seriesId?: string;
};

const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const learnerTopics = [
  'Writing KPIs that suppliers can be held to',
  'Contract management plans: what good looks like',
  'Running a supplier performance review',
  'Managing change control without losing value',
  'Spotting supplier financial distress early',
  'Exit planning and re-procurement',
  'Social value: measuring what was promised',
  'Risk registers that get used',
  'Negotiating contract variations',
  'Using the Procurement Act 2023 notices',
  'Building relationships with key suppliers',
  'Lessons from a contract that went wrong',
  'Open data on contract performance',
  'Preparing for the Practitioner assessment',
  'Benchmarking prices with other councils',
];
const sroTopics = [
  'Commercial capability across the council',
  'Reporting contract performance to members',
  'Strategic supplier risk: a peer discussion',
  'Making the case for contract management posts',
  'Lessons from the programme’s first cohorts',
  'Outsourcing and insourcing decisions',
  'Embedding contract management in governance',
  'Working with the Cabinet Office on key suppliers',
  'Measuring improvement for the funders',
  'Peer review of contract registers',
  'Budget pressure and contract savings',
  'Planning the next round of nominations',
  'What good looks like: case studies',
  'Succession planning for commercial roles',
  'The year ahead for the SRO Network',
];

export async function seedNetworkEvents(tx: DbOrTx, clock: Clock, rand: Rand): Promise<{ events: number; registrations: number }> {
  const today = todayIso(clock);
  const now = clock.now();
  const demoEmails = ['learner@demo-council.example.gov.uk', 'accredited.learner@demo-council.example.gov.uk', 'sro@demo-council.example.gov.uk', 'lead@demo-council.example.gov.uk'];
  // Learners in learning (no accreditation: their CPD upkeep is not yet counted) and SROs of active councils.
  const learners = await queryRows<{ id: string }>(
    tx,
    sql`select distinct p.id from people p join enrolments e on e.person_id = p.id
        join participations pa on pa.council_id = e.council_id and pa.status = 'active'
        where e.status not in ('nominated', 'declined', 'withdrawn') and p.email <> all(${pgArray(demoEmails)}::text[])
          and not exists (select 1 from accreditations a where a.person_id = p.id) order by p.id`,
  );
  const sros = await queryRows<{ id: string }>(
    tx,
    sql`select p.id from people p join participations pa on pa.council_id = p.organisation_id and pa.status = 'active'
        where 'council_sro' = any(p.roles) and p.email <> all(${pgArray(demoEmails)}::text[]) order by p.id`,
  );
  const [admin] = await queryRows<{ id: string }>(tx, sql`select id from people where email = 'admin@pioneer.example.gov.uk'`);

  const learnerSeries = '5e0e0000-0000-4000-8000-000000000001';
  const sroSeries = '5e0e0000-0000-4000-8000-000000000002';
  const events: Seeded[] = [];
  for (let k = -12; k <= 2; k++) {
    const date = addDays(today, k * 30 + 18);
    events.push({
      title: `Learners’ clinic: ${learnerTopics[k + 12]}`,
      description: 'A monthly online clinic for learners on the programme. A short talk from a practitioner, then questions and shared practice from councils.',
      date,
      start: '12:30',
      end: '13:30',
      format: 'online',
      capacity: 60,
      audience: ['learners'],
      seriesId: learnerSeries,
    });
    events.push({
      title: `SRO round table: ${sroTopics[k + 12]}`,
      description: 'The monthly round table of senior responsible owners: a frank, off-the-record discussion of one theme, chaired by the programme team.',
      date: addDays(date, 2),
      start: '16:00',
      end: '17:00',
      format: 'online',
      capacity: 40,
      audience: ['sro'],
      seriesId: sroSeries,
    });
  }
  events.push({
    title: 'Pioneer networks conference',
    description: 'A day for both networks: councils share what changed since joining the programme, with workshops on contract management plans and supplier relationships.',
    date: addDays(today, 50),
    start: '09:30',
    end: '16:30',
    format: 'hybrid',
    location: 'Local Partnerships, 18 Smith Square, London SW1P 3HZ',
    capacity: 120,
    audience: ['learners', 'sro'],
  });
  events.push({
    title: 'Small-group workshop: contract management plans',
    description: 'A hands-on workshop in a small group: bring a contract of your own and leave with a first draft of its management plan.',
    date: addDays(today, 24),
    start: '10:00',
    end: '12:00',
    format: 'in_person',
    location: 'Birmingham Council House, Victoria Square, Birmingham B1 1BB',
    capacity: 8,
    audience: ['learners'],
  });

  let registrations = 0;
  for (const e of events) {
    const startsAt = londonInstant(e.date, e.start)!;
    const endsAt = londonInstant(e.date, e.end)!;
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`insert into network_events (title, description, starts_at, ends_at, format, location, joining_url, capacity, audience, series_id, created_by_id, created_at, updated_at)
          values (${e.title}, ${e.description}, ${startsAt.toISOString()}::timestamptz, ${endsAt.toISOString()}::timestamptz, ${e.format}, ${e.location ?? null},
            ${e.format === 'in_person' ? null : `https://meet.example.org/pioneer-${e.audience.join('-')}`}, ${e.capacity}, ${pgArray(e.audience)}::text[],
            ${e.seriesId ?? null}::uuid, ${admin?.id ?? null}::uuid, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
          returning id`,
    );
    const pool = [...(e.audience.includes('learners') ? learners : []), ...(e.audience.includes('sro') ? sros : [])];
    const past = endsAt <= now;
    const wanted = e.capacity === 8 ? 11 : Math.min(pool.length, rand.int(5, past ? 18 : 10));
    const chosen = rand.shuffle(pool).slice(0, wanted);
    for (const [i, person] of chosen.entries()) {
      const waitlisted = i >= e.capacity;
      const attended = past && rand.next() < 0.8;
      const at = new Date(Math.min(now.getTime(), startsAt.getTime()) - (wanted - i) * 3_600_000).toISOString();
      await tx.execute(
        sql`insert into network_event_registrations (event_id, person_id, status, waitlist_position, attended, registered_at, updated_at)
            values (${row.id}::uuid, ${person.id}::uuid, ${waitlisted ? 'waitlisted' : 'registered'}, ${waitlisted ? sql`nextval('network_event_waitlist_seq')` : sql`null`},
              ${attended}, ${at}::timestamptz, ${at}::timestamptz)`,
      );
      registrations++;
      if (attended && e.audience.includes('learners') && learners.some((l) => l.id === person.id)) {
        await tx.execute(
          sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection, network_event_id)
              values (${person.id}::uuid, ${e.date}::date, 1, 'network_event', ${`Attended the Learners Network event “${e.title}”.`}, ${row.id}::uuid)`,
        );
      }
    }
  }
  return { events: events.length, registrations };
}
