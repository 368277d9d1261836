import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { sendDueReminders } from './reminders.ts';
import { addAccreditation, addCpd, addEnrolment, addLearner, queuedTo } from './testing.ts';

// The reminders job, on the days around each reminder's first day (the test clock's today is 26 November 2026).
const at = (day: string) => fixedClock(`${day}T09:00:00Z`);
const config = testConfig();

describe.each(backends)('the reminders job (%s)', (backend) => {
  let database: Database;
  const run = (day: string) => sendDueReminders(database.db, config, at(day));
  const templates = async (email: string) => (await queuedTo(database.db, email)).map((m) => m.template);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => database?.close());

  it('reminds a learner of an assessment 30 days before it is due, once, and not once it is booked', async () => {
    const { db } = database;
    // Registered 26 December 2025: the assessment is due 12 months later, on 26 December 2026.
    const due = await addLearner(db, 'Ada Due');
    await addEnrolment(db, due, 'practitioner', 'in_learning', '2025-12-26');
    const booked = await addLearner(db, 'Bo Booked');
    await addEnrolment(db, booked, 'practitioner', 'assessment_booked', '2025-12-26');

    await run('2026-11-25');
    expect(await templates(due.email)).toEqual([]);
    await run('2026-11-26');
    const [mail] = await queuedTo(db, due.email);
    expect(mail).toMatchObject({ template: 'reminder-assessment-due', subject: 'Your Practitioner assessment is due by 26 December 2026' });
    expect(mail.body).toContain('Dear Ada Due,');
    expect(mail.body).toContain(`${config.baseUrl}/my-journey`);
    expect(mail.body).toContain(`To stop “Assessment due” reminders, open this link:\n${mail.unsubscribe_url}`);
    expect(mail.unsubscribe_url).toMatch(new RegExp(`^${config.baseUrl}/unsubscribe/[\\w-]{43}$`));
    expect(mail.body).toContain(`${config.baseUrl}/account/notifications`);
    // The next day, and the day it is due: nothing more.
    await run('2026-11-27');
    await run('2026-12-26');
    expect(await templates(due.email)).toEqual(['reminder-assessment-due']);
    expect(await templates(booked.email)).toEqual([]);
  });

  it('sends a reminder whose first day was missed on the next run inside its window, but never after the deadline', async () => {
    const { db } = database;
    const late = await addLearner(db, 'Cy Catchup');
    await addEnrolment(db, late, 'registered', 'registered', '2025-12-20'); // due 20 December 2026
    const past = await addLearner(db, 'Di Past');
    await addEnrolment(db, past, 'registered', 'registered', '2025-11-20'); // due 20 November 2026: overdue, not reminded
    await run('2026-11-26');
    expect(await templates(late.email)).toEqual(['reminder-assessment-due']);
    expect(await templates(past.email)).toEqual([]);
  });

  it('on the first run for people with years of records, sends only what is due inside today’s windows: no backlog of past reminders', async () => {
    const { db } = database;
    // Each has missed every earlier reminder (none is in reminders_sent), as on a database that never ran the job.
    const overdue = await addLearner(db, 'Oz Overdue');
    await addEnrolment(db, overdue, 'practitioner', 'in_learning', '2024-01-10'); // due 10 January 2025
    const lapsed = await addLearner(db, 'Pat Lapsed');
    await addAccreditation(db, lapsed, 'foundation', '2022-01-10'); // renewal was due 10 January 2024
    const longShort = await addLearner(db, 'Quin Longshort');
    await addAccreditation(db, longShort, 'practitioner', '2023-01-26'); // CPD years ending January 2024, 2025, 2026 and 2027, no hours logged
    const dueSoon = await addLearner(db, 'Ray Duesoon');
    await addEnrolment(db, dueSoon, 'practitioner', 'in_learning', '2025-12-20'); // due 20 December 2026

    await run('2026-11-26');
    expect(await templates(overdue.email)).toEqual([]);
    expect(await templates(lapsed.email)).toEqual([]);
    // One reminder for the CPD year under way, none for the years gone.
    const cpd = await queuedTo(db, longShort.email);
    expect(cpd.map((m) => m.subject)).toEqual(['Log your CPD hours by 25 January 2027']);
    expect(await templates(dueSoon.email)).toEqual(['reminder-assessment-due']);
  });

  it('reminds a Foundation holder 60 days before renewal is due, from the last renewal', async () => {
    const { db } = database;
    // Awarded 25 January 2025: renewal due 2 years later, on 25 January 2027; 60 days before is 26 November 2026.
    const holder = await addLearner(db, 'Eve Foundation');
    await addAccreditation(db, holder, 'foundation', '2025-01-25');
    const renewed = await addLearner(db, 'Fay Renewed');
    const id = await addAccreditation(db, renewed, 'foundation', '2023-01-25');
    await db.execute(sql`update accreditations set renewed_on = '2025-06-01' where id = ${id}`);

    await run('2026-11-25');
    expect(await templates(holder.email)).toEqual([]);
    await run('2026-11-26');
    const [mail] = await queuedTo(db, holder.email);
    expect(mail).toMatchObject({ template: 'reminder-foundation-renewal', subject: 'Renew your Foundation accreditation by 25 January 2027' });
    expect(await templates(renewed.email)).toEqual([]);
  });

  it('reminds a Practitioner short of CPD hours two months before the CPD year ends, and not one with enough', async () => {
    const { db } = database;
    // Awarded 26 January 2026: the CPD year ends on 25 January 2027; two months before is 26 November 2026.
    const short = await addLearner(db, 'Gil Short');
    await addAccreditation(db, short, 'practitioner', '2026-01-26');
    await addCpd(db, short.id, '2026-03-01', 10.5);
    await addCpd(db, short.id, '2025-12-01', 25); // the year before: does not count
    const enough = await addLearner(db, 'Hal Enough');
    await addAccreditation(db, enough, 'expert', '2026-01-26');
    await addCpd(db, enough.id, '2026-05-01', 30);

    await run('2026-11-25');
    expect(await templates(short.email)).toEqual([]);
    await run('2026-11-26');
    const [mail] = await queuedTo(db, short.email);
    expect(mail).toMatchObject({ template: 'reminder-cpd-shortfall', subject: 'Log your CPD hours by 25 January 2027' });
    expect(mail.body).toContain('You have logged 10.5 of the 30 hours it needs');
    expect(await templates(enough.email)).toEqual([]);
    // The next CPD year is a new occurrence: reminded again two months before it ends.
    await run('2027-11-26');
    expect(await templates(short.email)).toEqual(['reminder-cpd-shortfall', 'reminder-cpd-shortfall']);
  });

  it('takes the days before from the settings', async () => {
    const { db } = database;
    await db.execute(sql`insert into settings (key, value) values ('assessmentReminderDays', '10'::jsonb)`);
    try {
      const learner = await addLearner(db, 'Ivy Settings');
      await addEnrolment(db, learner, 'foundation', 'in_learning', '2025-12-06'); // due 6 December 2026
      await run('2026-11-25');
      expect(await templates(learner.email)).toEqual([]);
      await run('2026-11-26');
      expect(await templates(learner.email)).toEqual(['reminder-assessment-due']);
    } finally {
      await db.execute(sql`delete from settings where key = 'assessmentReminderDays'`);
    }
  });

  it('respects a person’s switched-off reminders and skips deactivated people', async () => {
    const { db } = database;
    const optedOut = await addLearner(db, 'Jo Optedout');
    await addEnrolment(db, optedOut, 'expert', 'in_learning', '2025-12-26');
    await addAccreditation(db, optedOut, 'foundation', '2025-01-25');
    await db.execute(sql`insert into reminder_opt_outs (person_id, kind) values (${optedOut.id}, 'assessment-due')`);
    const gone = await addLearner(db, 'Kit Gone', 'deactivated');
    await addEnrolment(db, gone, 'expert', 'in_learning', '2025-12-26');
    await run('2026-11-26');
    expect(await templates(optedOut.email)).toEqual(['reminder-foundation-renewal']);
    expect(await templates(gone.email)).toEqual([]);
  });

  it('sends each reminder once when two runs happen at the same moment', async () => {
    const { db } = database;
    const learners = await Promise.all(['Lu One', 'Mo Two', 'Nia Three'].map((n) => addLearner(db, n)));
    for (const l of learners) await addEnrolment(db, l, 'practitioner', 'in_learning', '2025-12-28');
    await Promise.all([run('2026-11-28'), run('2026-11-28')]);
    for (const l of learners) expect(await templates(l.email)).toEqual(['reminder-assessment-due']);
    const [sent] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from reminders_sent where person_id in (${sql.join(learners.map((l) => sql`${l.id}`), sql`, `)})`,
    );
    expect(sent.n).toBe(3);
    // Run again: nothing new anywhere.
    expect(await run('2026-11-28')).toBe(0);
  });
});
