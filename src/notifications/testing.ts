import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';

let seq = 0;

/** The demo SRO's council: where the fixtures' learners work. */
export async function demoCouncilId(db: Db): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`);
  return row.id;
}

/** A learner of the demo council with a unique address at fixture-reminders.example.gov.uk. */
export async function addLearner(db: Db, name: string, status: 'active' | 'invited' | 'deactivated' = 'active') {
  seq += 1;
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${seq}@fixture-reminders.example.gov.uk`;
  const councilId = await demoCouncilId(db);
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into people (name, email, organisation_id, roles, status) values (${name}, ${email}, ${councilId}, '{learner}', ${status}) returning id`,
  );
  return { id: row.id, email, councilId };
}

/** An enrolment in the given status, registered on `registeredOn` (null: not registered). */
export async function addEnrolment(db: Db, learner: { id: string; councilId: string }, level: string, status: string, registeredOn: string | null) {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into enrolments (person_id, council_id, level, period, status, place_state, nominated_on, approved_on, registered_on, last_event_on)
        values (${learner.id}, ${learner.councilId}, ${level}, '2024-25', ${status}, 'taken', '2024-05-01', '2024-05-02', ${registeredOn}, ${registeredOn ?? '2024-05-02'})
        returning id`,
  );
  return row.id;
}

/** An accreditation at `level` awarded on `awardedOn` (with the accredited enrolment it comes from). */
export async function addAccreditation(db: Db, learner: { id: string; councilId: string }, level: string, awardedOn: string) {
  const enrolmentId = await addEnrolment(db, learner, level, 'accredited', '2024-06-01');
  seq += 1;
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
        values (${learner.id}, ${enrolmentId}, ${level}, ${awardedOn}, ${`FIXTURE-REM-${seq}`}) returning id`,
  );
  return row.id;
}

/** CPD hours logged on a day. */
export async function addCpd(db: Db, personId: string, activityDate: string, hours: number) {
  await db.execute(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection) values (${personId}, ${activityDate}, ${hours}, 'workshop_or_webinar', 'Fixture')`);
}

/** The emails queued to an address, oldest first. */
export async function queuedTo(db: Db, email: string) {
  return queryRows<{ template: string; subject: string; body: string; unsubscribe_url: string | null }>(
    db,
    sql`select template, subject, body, unsubscribe_url from notifications where lower(to_email) = lower(${email}) order by created_at, id`,
  );
}
