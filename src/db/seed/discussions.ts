/**
 * Demo discussions (issue 11): a few threads with replies in each network, written by members who are not demo
 * sign-ins, over the last three weeks, so the demo accounts find conversations to read, reply to and report.
 */
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';

type SeedThread = { network: 'learners' | 'sro'; title: string; daysAgo: number; posts: string[] };

const threads: SeedThread[] = [
  {
    network: 'learners',
    title: 'How often do you hold supplier performance reviews?',
    daysAgo: 20,
    posts: [
      'We have just moved our top 20 contracts to quarterly reviews. For the rest we do one a year.\nHow do others decide which contracts get the closer look?',
      'We rank by spend and by risk to residents: anything with a vulnerable client group is quarterly whatever it costs.',
      'Same here. The Sourcing Playbook’s guidance on contract tiering helped us explain it to budget holders: https://www.gov.uk/government/publications/the-sourcing-and-consultancy-playbooks',
      'Thanks both. We are going to try a simple scoring sheet and share it back here.',
    ],
  },
  {
    network: 'learners',
    title: 'Getting KPIs right in a new waste contract',
    daysAgo: 12,
    posts: [
      'Our waste collection contract starts in April. The draft has 31 KPIs, which feels like far too many to manage.\nWhat did you settle on?',
      'We cut ours to eight, each with a named owner on both sides. The missed bin rate and the complaint response time were the ones that mattered.',
      'Watch the data source for each KPI: if the supplier reports it and you cannot check it, it is not worth much.',
    ],
  },
  {
    network: 'learners',
    title: 'Studying for the Practitioner assessment',
    daysAgo: 4,
    posts: [
      'Anyone else sitting the Practitioner assessment this term? Happy to set up a study group on Teams.',
      'Yes please. Thursdays after 4pm work for me.',
    ],
  },
  {
    network: 'sro',
    title: 'Reporting contract risk to cabinet',
    daysAgo: 15,
    posts: [
      'Our cabinet wants a one-page view of the contracts at risk each quarter. Has anyone got a format that members actually read?',
      'We use a red/amber/green list of the top ten with one line each on what we are doing about it. Anything longer does not get read.',
      'We added the contract’s end date and the date by which a decision on re-procurement is needed. That sparked the useful conversations.',
    ],
  },
  {
    network: 'sro',
    title: 'Freeing up officers’ time for the programme',
    daysAgo: 6,
    posts: [
      'Our learners are struggling to find study time alongside the day job. How are other SROs protecting it?',
      'We agreed half a day a month in each learner’s objectives, signed off by their director. It made the difference.',
    ],
  },
];

export async function seedDiscussions(tx: DbOrTx, clock: Clock, demoEmails: readonly string[]): Promise<{ threads: number; posts: number }> {
  const members = {
    learners: await queryRows<{ id: string }>(
      tx,
      sql`select distinct p.id from people p join enrolments e on e.person_id = p.id
          join participations pa on pa.council_id = e.council_id and pa.status = 'active'
          where e.status not in ('nominated', 'declined', 'withdrawn') and p.email <> all(${pgArray([...demoEmails])}::text[]) order by p.id limit 8`,
    ),
    sro: await queryRows<{ id: string }>(
      tx,
      sql`select p.id from people p join participations pa on pa.council_id = p.organisation_id and pa.status = 'active'
          where 'council_sro' = any(p.roles) and p.email <> all(${pgArray([...demoEmails])}::text[]) order by p.id limit 8`,
    ),
  };
  let posts = 0;
  let seeded = 0;
  for (const [i, thread] of threads.entries()) {
    const authors = members[thread.network];
    if (authors.length < 2) continue;
    const at = (k: number) => new Date(clock.now().getTime() - thread.daysAgo * 86_400_000 + k * 5 * 3_600_000).toISOString();
    const [{ id }] = await queryRows<{ id: string }>(
      tx,
      sql`insert into network_threads (network, title, author_id, created_at, last_activity_at)
          values (${thread.network}, ${thread.title}, ${authors[i % authors.length].id}, ${at(0)}::timestamptz, ${at(thread.posts.length - 1)}::timestamptz) returning id`,
    );
    for (const [k, body] of thread.posts.entries()) {
      // The opener answers the thread's last post; the others in turn.
      const author = k === 0 || k === thread.posts.length - 1 ? authors[i % authors.length] : authors[(i + k) % authors.length];
      await tx.execute(sql`insert into network_posts (thread_id, author_id, body, is_opening, created_at)
          values (${id}, ${author.id}, ${body}, ${k === 0}, ${at(k)}::timestamptz)`);
      posts++;
    }
    seeded++;
  }
  return { threads: seeded, posts };
}
