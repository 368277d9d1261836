import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { Agent, backends, createTestApp, dateFields, errorSummary, formVersion, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { testNow } from '../../test/now.ts';
import { sendScheduledSurveys, startSurveyScheduleJob, type ScheduleRun } from './service.ts';

type Learner = { personId: string; email: string; councilId: string };

/**
 * Scheduled behaviour surveys: the clock starts on 26 November 2026 (UK). Every accreditation is first moved to 2020,
 * then four learners are given the dates the tests turn on.
 */
describe.each(backends)('scheduled behaviour surveys (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let funder: Agent;
  /** 25 August 2026: three months and a day before the clock: due at once. */
  let due: Learner;
  /** 27 August 2026: reaches three months on 27 November. */
  let tomorrow: Learner;
  /** 26 September 2026: two months ago, not due. */
  let recent: Learner;
  /** 1 May 2026: more than six months before the schedule was set: left to sending by hand. */
  let early: Learner;
  /** Accredited in 2020 until a test gives them a date. */
  let spare: Learner[];

  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const count = async (q: ReturnType<typeof sql>) => (await rows<{ n: number }>(q))[0].n;
  const recipients = async (surveyId: string) =>
    new Set((await rows<{ person_id: string }>(sql`select person_id from survey_recipients where survey_id = ${surveyId}`)).map((r) => r.person_id));
  const emailsTo = (email: string, title: string) => count(sql`select count(*)::int as n from notifications where to_email = ${email} and subject = ${`Please answer: ${title}`}`);
  const sros = (councilId: string) =>
    rows<{ id: string; email: string }>(sql`select id, email from people where organisation_id = ${councilId} and 'council_sro' = any(roles) and status = 'active' and erased_at is null`);
  const accredit = (l: Learner, on: string) => t.db.execute(sql`update accreditations set awarded_on = ${on} where person_id = ${l.personId}`);
  const ctx = () => ({ actor: null, systemLabel: 'the scheduled survey job', clock: t.clock });

  const create = async (title: string, level = 'behaviour') => {
    const res = await admin.submit(paths.surveys(), {
      title,
      level,
      audience: 'Learners after accreditation, and their SROs',
      anonymous: 'no',
      ...dateFields('closesOn', '30', '6', '2027'),
      slots: '1',
      'questions.0.text': 'How much do you use what you learnt?',
      'questions.0.type': 'scale',
    });
    expect(res.statusCode, errorSummary(res.body)).toBe(303);
    const id = /\/surveys\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
    expect((await admin.submit(paths.surveyStatus(id), { move: 'open' })).statusCode).toBe(303);
    return id;
  };
  const runJob = async () => {
    const runs: ScheduleRun[][] = [];
    const errors: unknown[] = [];
    const job = startSurveyScheduleJob(t.db, { ...t.config, surveyScheduleMinutes: 60 }, t.clock, (r) => runs.push(r), (e) => errors.push(e));
    job.start();
    await job.stop();
    expect(errors).toEqual([]);
    return runs.flat();
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, partner, funder] = await Promise.all(['admin', 'partnerLp', 'funder'].map((who) => t.signIn(who)));
    await t.db.execute(sql`update accreditations set awarded_on = '2020-01-01'`);
    const learners = await rows<Learner>(sql`select distinct on (p.id) p.id as "personId", p.email, e.council_id as "councilId"
      from accreditations a join enrolments e on e.id = a.enrolment_id join people p on p.id = a.person_id
      where p.status = 'active' and p.erased_at is null
        and exists (select 1 from people s where s.organisation_id = e.council_id and 'council_sro' = any(s.roles) and s.status = 'active' and s.erased_at is null)
      order by p.id limit 8`);
    expect(learners.length).toBe(8);
    [due, tomorrow, recent, early, ...spare] = learners;
    await accredit(due, '2026-08-25');
    await accredit(tomorrow, '2026-08-27');
    await accredit(recent, '2026-09-26');
    await accredit(early, '2026-05-01');
  });
  afterAll(async () => t?.close());

  it('refuses a number of months that is not a whole number from 3 to 6, and the wrong roles, writing nothing', async () => {
    const id = await create('Refused schedule survey');
    for (const months of ['2', '7', 'three', '3.5', '', '-3']) {
      const res = await admin.submit(paths.surveySchedule(id), { months });
      expect(res.statusCode, months).toBe(400);
      expect(errorSummary(res.body)).toContain('Enter the number of months as a whole number from 3 to 6');
      expect(res.body).toContain('href="#months"');
    }
    expect((await partner.submit(paths.surveySchedule(id), { months: '3' })).statusCode).toBe(404);
    expect((await funder.submit(paths.surveySchedule(id), { months: '3' })).statusCode).toBe(404);
    expect((await partner.get(paths.surveySend(id))).statusCode).toBe(404);
    const [survey] = await rows<{ schedule_months: number | null }>(sql`select schedule_months from surveys where id = ${id}`);
    expect(survey.schedule_months).toBeNull();
    expect(await count(sql`select count(*)::int as n from audit_events where record_id = ${id} and action like 'survey.%sched%'`)).toBe(0);
    // Only a behaviour survey, and only while it is open.
    const reaction = await create('Reaction survey, not schedulable', 'reaction');
    const refused = await admin.submit(paths.surveySchedule(reaction), { months: '3' });
    expect(refused.statusCode).toBe(409);
    expect(errorSummary(refused.body)).toContain('Only an open behaviour survey');
    expect((await admin.get(paths.surveySend(reaction))).body).not.toContain('id="schedule"');
    // The database refuses what the form would: a schedule outside 3 to 6 months.
    await expect(t.db.execute(sql`update surveys set schedule_months = 7, schedule_set_on = '2026-11-26' where id = ${id}`)).rejects.toThrow();
  });

  it('after a refused schedule (400) its form carries the version it was read at, so a corrected one over someone else’s change is refused (409), not written', async () => {
    const id = await create('Lost update schedule survey');
    const read = formVersion((await admin.get(paths.surveySend(id))).body)!;
    // Someone else sets a schedule from their own read first.
    const other = await t.signIn('admin');
    const theirs = await other.submit(paths.surveySchedule(id), { months: '4', scheduleIncludeSros: 'yes', version: formVersion((await other.get(paths.surveySend(id))).body)! });
    expect(theirs.statusCode, errorSummary(theirs.body)).toBe(303);
    const stored = async () => (await rows<{ months: number | null; sros: boolean; version: number }>(sql`select schedule_months as months, schedule_include_sros as sros, version from surveys where id = ${id}`))[0];
    const audits = () => count(sql`select count(*)::int as n from audit_events`);
    const before = await stored();
    const auditsBefore = await audits();

    // The first reader's schedule is refused for its months: the form again with them, over the version read.
    const invalid = await admin.submit(paths.surveySchedule(id), { months: 'seven', version: read });
    expect(invalid.statusCode).toBe(400);
    expect(errorSummary(invalid.body)).toContain('Enter the number of months as a whole number from 3 to 6');
    expect(invalid.body).toMatch(/name="months"[^>]*value="seven"/);
    expect(formVersion(invalid.body)).toBe(read);
    // Corrected and sent again as shown: someone else changed the survey since it was read, so nothing is written.
    const corrected = await admin.submit(paths.surveySchedule(id), { months: '5', version: formVersion(invalid.body)! });
    expect(corrected.statusCode).toBe(409);
    expect(errorSummary(corrected.body)).toContain('Someone else changed this survey');
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // That page carries the version now stored: sent again after checking, it saves.
    expect(formVersion(corrected.body)).toBe(String(before.version));
    const again = await admin.submit(paths.surveySchedule(id), { months: '5', version: formVersion(corrected.body)! });
    expect(again.statusCode, errorSummary(again.body)).toBe(303);
    expect(await stored()).toEqual({ months: 5, sros: false, version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('sends each run to the learners who reached N months (and their SROs when chosen), once each, with one audit event naming no one', async () => {
    const id = await create('Six months on');
    const sendPage = await admin.get(paths.surveySend(id));
    expect(sendPage.body).toContain('Send it automatically after accreditation');
    const set = await admin.submit(paths.surveySchedule(id), { months: ' 3 ', scheduleIncludeSros: 'yes' });
    expect(set.statusCode, errorSummary(set.body)).toBe(303);
    const page = await admin.get(paths.survey(id));
    expect(page.body).toContain('Yes: to learners 3 months after their accreditation, and to their councils’ SROs');
    expect(page.body).toContain('set on 26 November 2026');
    expect((await partner.get(paths.survey(id))).body).toContain('Yes: to learners 3 months after');

    const first = await runJob();
    const dueSros = await sros(due.councilId);
    expect(first).toEqual([{ surveyId: id, title: 'Six months on', sent: 1 + dueSros.length }]);
    const sent = await recipients(id);
    expect(sent.has(due.personId)).toBe(true);
    for (const s of dueSros) expect(sent.has(s.id)).toBe(true);
    for (const l of [tomorrow, recent, early, ...spare]) expect(sent.has(l.personId)).toBe(false);
    expect(await emailsTo(due.email, 'Six months on')).toBe(1);
    expect(await emailsTo(dueSros[0].email, 'Six months on')).toBe(1);
    // The same link as sending by hand: it opens the survey without signing in.
    const [mail] = await rows<{ body: string }>(sql`select body from notifications where to_email = ${due.email} and subject = 'Please answer: Six months on'`);
    const token = /\/survey-answers\/([A-Za-z0-9_-]+)/.exec(mail.body)![1];
    expect((await new Agent(t.app).get(paths.surveyAnswer(token))).statusCode).toBe(200);
    const audit = await rows<{ action: string; after: Record<string, unknown>; actor_id: string | null }>(
      sql`select action, after, actor_id from audit_events where record_id = ${id} and action = 'survey.sent_on_schedule'`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toEqual({ title: 'Six months on', months: 3, includeSros: true, sent: 1 + dueSros.length });
    expect(audit[0].actor_id).toBeNull();
    expect(JSON.stringify(audit[0])).not.toContain(due.personId);
    expect(JSON.stringify(audit[0])).not.toContain(due.email);
    const log = await admin.get('/audit');
    expect(log.body).toContain(`sent the survey “Six months on” to ${1 + dueSros.length} people: learners accredited 3 months before and their councils’ SROs`);

    // A second run the same day sends nothing new and records nothing.
    expect(await runJob()).toEqual([]);
    expect(await emailsTo(due.email, 'Six months on')).toBe(1);
    expect(await count(sql`select count(*)::int as n from audit_events where record_id = ${id} and action = 'survey.sent_on_schedule'`)).toBe(1);

    // The next day the learner accredited on 27 August reaches three months; the one from September does not.
    t.clock.set('2026-11-27T07:00:00Z');
    try {
      const next = await runJob();
      expect(next.find((r) => r.surveyId === id)!.sent).toBeGreaterThanOrEqual(1);
      const after = await recipients(id);
      expect(after.has(tomorrow.personId)).toBe(true);
      expect(after.has(recent.personId)).toBe(false);
      expect(after.has(early.personId)).toBe(false);
      expect(await emailsTo(tomorrow.email, 'Six months on')).toBe(1);
    } finally {
      t.clock.set(testNow);
    }
  });

  it('sends nothing twice when two runs overlap', async () => {
    const id = await create('Overlapping runs');
    expect((await admin.submit(paths.surveySchedule(id), { months: '4' })).statusCode).toBe(303);
    await accredit(spare[0], '2026-07-20');
    await accredit(spare[1], '2026-07-26');
    const runs = await Promise.all([sendScheduledSurveys(t.db, t.config, ctx()), sendScheduledSurveys(t.db, t.config, ctx())]);
    const forThis = runs.flat().filter((r) => r.surveyId === id);
    expect(forThis.reduce((n, r) => n + r.sent, 0)).toBe(2);
    expect(await recipients(id)).toEqual(new Set([spare[0].personId, spare[1].personId]));
    expect(await emailsTo(spare[0].email, 'Overlapping runs')).toBe(1);
    expect(await emailsTo(spare[1].email, 'Overlapping runs')).toBe(1);
    // Without the SROs chosen, none was sent it.
    for (const s of await sros(spare[0].councilId)) expect((await recipients(id)).has(s.id)).toBe(false);
  });

  it('sends nothing for a closed survey, one past its closing date, or once the schedule is stopped', async () => {
    const closed = await create('Closed scheduled survey');
    expect((await admin.submit(paths.surveySchedule(closed), { months: '3' })).statusCode).toBe(303);
    expect((await admin.submit(paths.surveyStatus(closed), { move: 'close' })).statusCode).toBe(303);
    const stopped = await create('Stopped scheduled survey');
    expect((await admin.submit(paths.surveySchedule(stopped), { months: '3', scheduleIncludeSros: 'yes' })).statusCode).toBe(303);
    const stop = await admin.submit(paths.surveySchedule(stopped), { stop: 'yes' });
    expect(stop.statusCode).toBe(303);
    expect((await admin.get(paths.survey(stopped))).body).toContain('No: sent by hand');
    const expiring = await create('Expiring scheduled survey');
    expect((await admin.submit(paths.surveySchedule(expiring), { months: '3' })).statusCode).toBe(303);
    await t.db.execute(sql`update surveys set closes_on = '2026-11-26' where id = ${expiring}`);
    // The closed one cannot be scheduled again either.
    expect((await admin.submit(paths.surveySchedule(closed), { months: '3' })).statusCode).toBe(409);

    t.clock.set('2026-11-27T09:00:00Z');
    try {
      const runs = await runJob();
      for (const id of [closed, stopped, expiring]) {
        expect(runs.some((r) => r.surveyId === id)).toBe(false);
        expect((await recipients(id)).size).toBe(0);
      }
    } finally {
      t.clock.set(testNow);
    }
    const actions = await rows<{ action: string }>(sql`select action from audit_events where record_id = ${stopped} order by id`);
    expect(actions.map((a) => a.action)).toEqual(['survey.created', 'survey.opened', 'survey.scheduled', 'survey.unscheduled']);
  });

  it('is not started at 0 minutes', async () => {
    const runs: unknown[] = [];
    const job = startSurveyScheduleJob(t.db, { ...t.config, surveyScheduleMinutes: 0 }, t.clock, (r) => runs.push(r), () => {});
    job.start();
    await job.stop();
    expect(runs).toEqual([]);
  });
});
