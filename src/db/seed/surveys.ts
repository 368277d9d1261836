/**
 * A demo survey (issue 13, item 3): an anonymous reaction survey after the most recent past network event with
 * attendance, sent to those who attended, about two thirds of whom have answered, so the results page shows counts
 * (and, for small ones, the suppression). Deterministic for a given seed and clock, but for the recipients' link
 * hashes, which are random so that no demo link can be guessed.
 */
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import { hashSecret, newSecret } from '../../auth/secrets.ts';
import type { Question } from '../../surveys/schemas.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;

const questions: Question[] = [
  { key: 'q1', text: 'How useful was the event to your work?', type: 'scale', options: [], required: true },
  { key: 'q2', text: 'Which part was most useful?', type: 'single', options: ['The talks', 'The discussion', 'Meeting other councils'], required: false },
  { key: 'q3', text: 'What will you do as a result?', type: 'multiple', options: ['Share it with my team', 'Change how we manage a contract', 'Nothing yet'], required: false },
  { key: 'q4', text: 'What could be better next time?', type: 'text', options: [], required: false },
];
const comments = ['More time for questions, please.', 'The case study from another council was the most useful part.', 'Send the slides before the event.', 'Shorter talks, longer discussion.', 'Very useful: more of these.'];

export async function seedSurveys(tx: DbOrTx, clock: Clock, rand: Rand) {
  const now = clock.now();
  const [event] = await queryRows<{ id: string; title: string }>(
    tx,
    sql`select e.id, e.title from network_events e where e.ends_at < ${now.toISOString()} and e.status = 'scheduled'
          and exists (select 1 from network_event_registrations r where r.event_id = e.id and r.attended)
        order by e.starts_at desc, e.id limit 1`,
  );
  if (!event) return { surveys: 0 };
  const attendees = await queryRows<{ id: string }>(
    tx,
    sql`select p.id from network_event_registrations r join people p on p.id = r.person_id where r.event_id = ${event.id} and r.attended and p.status = 'active' order by p.email`,
  );
  const closesOn = new Date(now.getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
  const [survey] = await queryRows<{ id: string }>(
    tx,
    sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions, created_at, updated_at, version)
        values (${`How was “${event.title}”?`}, 'reaction', 'Everyone who attended the event', true, ${closesOn}, 'open', ${JSON.stringify(questions)}::jsonb, ${now.toISOString()}, ${now.toISOString()}, 2)
        returning id`,
  );
  const answered = attendees.map(() => rand.next() < 0.7);
  await tx.execute(sql`insert into survey_recipients (survey_id, person_id, token_hash, sent_at, answered)
    select ${survey.id}, t.person, t.hash, ${now.toISOString()}, t.answered
    from unnest(${pgArray(attendees.map((a) => a.id))}::uuid[], ${pgArray(attendees.map(() => hashSecret(newSecret())))}::text[], ${pgArray(answered.map(String))}::boolean[]) as t(person, hash, answered)`);
  const today = todayIso(clock);
  const responses = answered.filter(Boolean).map(() => {
    const answers: Record<string, unknown> = { q1: rand.next() < 0.6 ? 4 : rand.next() < 0.7 ? 5 : 3 };
    if (rand.next() < 0.9) answers.q2 = questions[1].options[Math.floor(rand.next() * 3)];
    if (rand.next() < 0.8) answers.q3 = questions[2].options.filter(() => rand.next() < 0.5).slice(0, 2);
    if ((answers.q3 as string[] | undefined)?.length === 0) delete answers.q3;
    if (rand.next() < 0.5) answers.q4 = comments[Math.floor(rand.next() * comments.length)];
    return answers;
  });
  for (const answers of responses) {
    await tx.execute(sql`insert into survey_responses (survey_id, person_id, submitted_on, answers) values (${survey.id}, null, ${today}, ${JSON.stringify(answers)}::jsonb)`);
  }
  return { surveys: 1, sent: attendees.length, answered: responses.length };
}
