import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { Agent, backends, createTestApp, dateFields, errorSummary, formVersion, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { subjectRecords } from '../privacy/repository.ts';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('surveys (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let funder: Agent;
  let sro: Agent;
  let eventId: string;
  let invitees: { id: string; email: string }[];
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const count = async (q: ReturnType<typeof sql>) => (await one<{ n: number }>(q)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, partner, funder, sro] = await Promise.all(['admin', 'partnerLp', 'funder', 'sro'].map((who) => t.signIn(who)));
    // An event with seven registered people (one cancelled, who is not sent the survey).
    eventId = (await one<{ id: string }>(sql`insert into network_events (title, description, starts_at, ends_at, format, capacity, audience)
      values ('Survey test event', 'For the survey tests', '2026-11-10T18:00:00Z', '2026-11-10T19:00:00Z', 'online', 50, array['sro']) returning id`)).id;
    invitees = await queryRows(t.db, sql`select id, email from people where status = 'active' and erased_at is null order by email limit 8`);
    for (const [i, p] of invitees.entries()) {
      await t.db.execute(sql`insert into network_event_registrations (event_id, person_id, status, registered_at, updated_at, attended)
        values (${eventId}, ${p.id}, ${i === 7 ? 'cancelled' : 'registered'}, now(), now(), ${i < 3})`);
    }
  });
  afterAll(async () => t?.close());

  const definition = (extra: Record<string, string | string[]> = {}) => ({
    title: 'How was the SRO network meeting?',
    level: 'reaction',
    audience: 'Everyone registered for the meeting',
    anonymous: 'no',
    ...dateFields('closesOn', '31', '12', '2026'),
    slots: '4',
    'questions.0.text': 'How useful was it?',
    'questions.0.type': 'scale',
    'questions.0.required': 'yes',
    'questions.1.text': 'Which part helped most?',
    'questions.1.type': 'single',
    'questions.1.options': 'Talks\nDiscussion\nNetworking',
    'questions.2.text': 'What will you do next?',
    'questions.2.type': 'multiple',
    'questions.2.options': 'Share it\nTry it',
    'questions.3.text': 'Anything else?',
    'questions.3.type': 'text',
    ...extra,
  });
  const create = async (extra: Record<string, string | string[]> = {}) => {
    const res = await admin.submit(paths.surveys(), definition(extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(303);
    return /\/surveys\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  };
  const open = async (id: string) => expect((await admin.submit(paths.surveyStatus(id), { move: 'open' })).statusCode).toBe(303);
  /** Sends the survey to the event's registrations and gives each email's token, by address. */
  const send = async (id: string, extra: Record<string, string> = {}) => {
    const res = await admin.submit(paths.surveySend(id), { source: 'event', eventId, ...extra });
    expect(res.statusCode, errorSummary(res.body)).toBe(200);
    return res;
  };
  const tokens = async (template = 'survey') => {
    const rows = await queryRows<{ to_email: string; body: string }>(t.db, sql`select to_email, body from notifications where template = ${template} order by created_at, id`);
    const out = new Map<string, string>();
    for (const r of rows) out.set(r.to_email, /\/survey-answers\/([A-Za-z0-9_-]+)/.exec(r.body)![1]);
    return out;
  };
  const answerAs = (token: string, form: Record<string, string | string[]>) => new Agent(t.app).submit(paths.surveyAnswer(token), form);

  it('refuses a bad definition with the error summary, naming each field, and writes nothing', async () => {
    const before = await count(sql`select count(*)::int as n from surveys`);
    const res = await admin.submit(paths.surveys(), definition({
      title: ' ',
      ...dateFields('closesOn', '1', '11', '2026'),
      'questions.1.options': 'Talks',
      'questions.2.options': 'Share it\nshare it',
    }));
    expect(res.statusCode).toBe(400);
    const summary = errorSummary(res.body);
    expect(summary).toContain('Enter a title');
    expect(summary).toContain('Enter at least 2 options');
    expect(summary).toContain('is there twice');
    expect(res.body).toContain('href="#questions.1.options"');
    expect(res.body).toContain('Share it\nshare it');
    expect(await count(sql`select count(*)::int as n from surveys`)).toBe(before);
    const past = await admin.submit(paths.surveys(), definition({ ...dateFields('closesOn', '25', '11', '2026') }));
    expect(past.statusCode).toBe(400);
    expect(errorSummary(past.body)).toContain('The closing date must be today or in the future');
    expect(await count(sql`select count(*)::int as n from surveys`)).toBe(before);
  });

  it('keeps a survey a draft until opened, and refuses to change its questions after (409)', async () => {
    const id = await create();
    const page = await admin.get(paths.survey(id));
    expect(page.body).toContain('How useful was it?');
    const edited = await admin.submit(paths.surveyEdit(id), definition({ title: 'Renamed', version: '1' }));
    expect(edited.statusCode, errorSummary(edited.body)).toBe(303);
    const stale = await admin.submit(paths.surveyEdit(id), definition({ title: 'Stale', version: '1' }));
    expect(stale.statusCode).toBe(409);
    await open(id);
    expect((await admin.get(paths.surveyEdit(id))).statusCode).toBe(409);
    expect((await admin.submit(paths.surveyEdit(id), definition({ version: '3' }))).statusCode).toBe(409);
    expect((await one<{ title: string }>(sql`select title from surveys where id = ${id}`)).title).toBe('Renamed');
    expect((await admin.submit(paths.surveyStatus(id), { move: 'open' })).statusCode).toBe(409);
    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${id} order by id`);
    expect(audit.map((a) => a.action)).toEqual(['survey.created', 'survey.updated', 'survey.opened']);
  });

  it('after a refused edit (400) the form carries the version it was read at, so a corrected save over someone else’s change is refused (409), not written', async () => {
    const id = await create({ title: 'Lost update survey' });
    const read = formVersion((await admin.get(paths.surveyEdit(id))).body)!;
    // Someone else saves from their own read first.
    const other = await t.signIn('admin');
    const theirs = await other.submit(paths.surveyEdit(id), definition({ title: 'Their title', version: formVersion((await other.get(paths.surveyEdit(id))).body)! }));
    expect(theirs.statusCode, errorSummary(theirs.body)).toBe(303);
    const stored = () => one<{ title: string; version: number }>(sql`select title, version from surveys where id = ${id}`);
    const audits = () => count(sql`select count(*)::int as n from audit_events`);
    const before = await stored();
    const auditsBefore = await audits();

    // The first reader's save is refused for a blank title: the form again with what was typed, over the version read.
    const invalid = await admin.submit(paths.surveyEdit(id), definition({ title: ' ', audience: 'Mine', version: read }));
    expect(invalid.statusCode).toBe(400);
    expect(errorSummary(invalid.body)).toContain('Enter a title');
    expect(formVersion(invalid.body)).toBe(read);
    // Corrected and sent again as shown: someone else changed it since it was read, so nothing is written.
    const corrected = await admin.submit(paths.surveyEdit(id), definition({ title: 'My title', audience: 'Mine', version: formVersion(invalid.body)! }));
    expect(corrected.statusCode).toBe(409);
    expect(errorSummary(corrected.body)).toContain('Someone else changed this survey');
    expect(corrected.body).toMatch(/name="title"[^>]*value="My title"/);
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // That form carries the version now stored: sent again after checking, it saves.
    expect(formVersion(corrected.body)).toBe(String(before.version));
    const again = await admin.submit(paths.surveyEdit(id), definition({ title: 'My title', audience: 'Mine', version: formVersion(corrected.body)! }));
    expect(again.statusCode, errorSummary(again.body)).toBe(303);
    expect(await stored()).toEqual({ title: 'My title', version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('refuses an edit whose version cannot be read (a damaged form) with the error summary, never saving it as if unversioned', async () => {
    const id = await create({ title: 'Damaged form survey' });
    const stored = () => one<{ title: string; version: number }>(sql`select title, version from surveys where id = ${id}`);
    const before = await stored();
    for (const version of ['two', '1.5', '0', '-1']) {
      const damaged = await admin.submit(paths.surveyEdit(id), definition({ title: 'Over anything', version }));
      expect(damaged.statusCode, version).toBe(400);
      expect(errorSummary(damaged.body)).toContain('Nothing was changed: the form did not send the version this page gave it');
      expect(damaged.body).not.toContain('href="#version"');
      // What was typed, over the version stored: sent again as shown, it saves.
      expect(damaged.body).toMatch(/name="title"[^>]*value="Over anything"/);
      expect(formVersion(damaged.body)).toBe(String(before.version));
    }
    expect(await stored()).toEqual(before);
    const again = await admin.submit(paths.surveyEdit(id), definition({ title: 'Over anything', version: String(before.version) }));
    expect(again.statusCode, errorSummary(again.body)).toBe(303);
    expect(await stored()).toEqual({ title: 'Over anything', version: before.version + 1 });
  });

  it('lets only admins write and send surveys; results to programme staff and funders; others 403/404', async () => {
    const id = await create();
    expect((await partner.get(paths.surveyNew())).statusCode).toBe(403);
    expect((await funder.submit(paths.surveys(), definition())).statusCode).toBe(403);
    expect((await partner.get(paths.surveyEdit(id))).statusCode).toBe(404);
    expect((await partner.submit(paths.surveySend(id), { source: 'event', eventId })).statusCode).toBe(404);
    expect((await sro.get(paths.surveys())).statusCode).toBe(403);
    expect((await sro.get(paths.survey(id))).statusCode).toBe(404);
    expect((await sro.get(paths.surveyResults(id))).statusCode).toBe(404);
    expect((await partner.get(paths.surveyResults(id))).statusCode).toBe(200);
    expect((await funder.get(paths.surveyResults(id))).statusCode).toBe(200);
    expect((await admin.get(paths.survey('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
  });

  it('sends single-use links by bulk email, once a person; answers are checked, kept once, and the link is then spent', async () => {
    const id = await create({ title: 'Named survey' });
    const draftSend = await admin.submit(paths.surveySend(id), { source: 'event', eventId });
    expect(draftSend.statusCode).toBe(409);
    await open(id);
    const bad = await admin.submit(paths.surveySend(id), { source: 'event' });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Select an event');
    const res = await send(id, { attendedOnly: 'yes' });
    expect(res.body).toContain('3 people were sent the survey');
    const again = await send(id);
    expect(again.body).toContain('4 people were sent the survey (3 of the 7 chosen had been sent it already)');
    expect(await count(sql`select count(*)::int as n from survey_recipients where survey_id = ${id}`)).toBe(7);
    const emails = await queryRows<{ to_email: string; priority: number }>(t.db, sql`select to_email, priority from notifications where template = 'survey' and subject = 'Please answer: Named survey'`);
    expect(emails).toHaveLength(7);
    expect(new Set(emails.map((e) => e.to_email)).size).toBe(7);
    expect(emails.every((e) => e.priority === 1)).toBe(true);
    const stored = await queryRows<{ token_hash: string }>(t.db, sql`select token_hash from survey_recipients where survey_id = ${id}`);
    const links = await tokens();
    const token = links.get(invitees[0].email)!;
    expect(stored.map((s) => s.token_hash)).not.toContain(token);

    const form = await new Agent(t.app).get(paths.surveyAnswer(token));
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('How useful was it?');
    const wrong = await answerAs(token, { q1: '7', q2: 'Lunch', q3: ['Share it', 'Ignore it'], q4: 'Kept text' });
    expect(wrong.statusCode).toBe(400);
    const summary = errorSummary(wrong.body);
    expect(summary).toContain('Select a number from 1 to 5 for question 1');
    expect(summary).toContain('Select one of the options given for question 2');
    expect(summary).toContain('Select only the options given for question 3');
    expect(wrong.body).toContain('Kept text');
    const missing = await answerAs(token, { q2: 'Talks' });
    expect(errorSummary(missing.body)).toContain('Select an answer to question 1');
    expect(missing.body).toMatch(/value="Talks" checked/);
    expect(await count(sql`select count(*)::int as n from survey_responses where survey_id = ${id}`)).toBe(0);

    const ok = await answerAs(token, { q1: '4', q2: 'Talks', q3: ['Share it', 'Try it'], q4: 'Good' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('your answers have been sent');
    const twice = await answerAs(token, { q1: '5' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('You have already answered this survey');
    expect((await new Agent(t.app).get(paths.surveyAnswer(token))).statusCode).toBe(409);
    const saved = await one<{ person_id: string; answers: Record<string, unknown> }>(sql`select person_id, answers from survey_responses where survey_id = ${id}`);
    expect(saved.person_id).toBe(invitees[0].id);
    expect(saved.answers).toEqual({ q1: 4, q2: 'Talks', q3: ['Share it', 'Try it'], q4: 'Good' });
    // Another recipient's link answers for them, once; a made-up token is a 404.
    const other = links.get(invitees[1].email)!;
    expect((await answerAs(other, { q1: '2' })).statusCode).toBe(200);
    expect((await answerAs(other, { q1: '2' })).statusCode).toBe(409);
    expect(await count(sql`select count(*)::int as n from survey_responses where survey_id = ${id}`)).toBe(2);
    expect((await new Agent(t.app).get(paths.surveyAnswer('not-a-real-token'))).statusCode).toBe(404);

    // Reminders go to those who have not answered, with a fresh link; once a day.
    const reminded = await admin.submit(paths.surveyRemind(id), {});
    expect(reminded.statusCode).toBe(303);
    const reminders = await tokens('survey-reminder');
    expect(reminders.size).toBe(5);
    expect(reminders.has(invitees[0].email)).toBe(false);
    expect((await new Agent(t.app).get(paths.surveyAnswer(links.get(invitees[2].email)!))).statusCode).toBe(404);
    expect((await new Agent(t.app).get(paths.surveyAnswer(reminders.get(invitees[2].email)!))).statusCode).toBe(200);
    expect((await admin.submit(paths.surveyRemind(id), {})).statusCode).toBe(409);

    // Closed: the links say so.
    expect((await admin.submit(paths.surveyStatus(id), { move: 'close' })).statusCode).toBe(303);
    const closed = await new Agent(t.app).get(paths.surveyAnswer(reminders.get(invitees[2].email)!));
    expect(closed.statusCode).toBe(410);
    expect(closed.body).toContain('This survey has closed');
    expect((await answerAs(reminders.get(invitees[2].email)!, { q1: '3' })).statusCode).toBe(410);
  });

  it('stores anonymous answers without the person, keeping only that they answered', async () => {
    await t.db.execute(sql`delete from notifications`);
    const id = await create({ title: 'Anonymous survey', anonymous: 'yes' });
    await open(id);
    await send(id);
    const token = (await tokens()).get(invitees[3].email)!;
    const page = await new Agent(t.app).get(paths.surveyAnswer(token));
    expect(page.body).toContain('your answers are stored without your name');
    expect((await answerAs(token, { q1: '5' })).statusCode).toBe(200);
    const saved = await queryRows<{ person_id: string | null }>(t.db, sql`select person_id from survey_responses where survey_id = ${id}`);
    expect(saved).toEqual([{ person_id: null }]);
    expect(await count(sql`select count(*)::int as n from survey_recipients where survey_id = ${id} and answered`)).toBe(1);
    const audit = await one<{ after: unknown; ip: string | null; actor_id: string | null }>(sql`select after, ip, actor_id from audit_events where action = 'survey.answered' and record_id = ${id}`);
    expect(JSON.stringify(audit)).not.toContain(invitees[3].id);
    expect(audit.ip).toBeNull();
  });

  it('shows results with counts under 5 suppressed, free text to programme staff only, and downloads them', async () => {
    await t.db.execute(sql`delete from notifications`);
    const id = await create({ title: 'Results survey' });
    await open(id);
    await send(id);
    const links = [...(await tokens()).values()];
    // Six answers to question 1: five 4s and one 5 (the 1 is small, the 5 is hidden so it cannot be worked out).
    for (const [i, token] of links.slice(0, 6).entries()) {
      expect((await answerAs(token, { q1: i === 5 ? '5' : '4', q2: 'Talks', q4: `Comment ${i}` })).statusCode).toBe(200);
    }
    const page = await admin.get(paths.surveyResults(id));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Sent to 7; answered by 6 (85.7%)');
    const q1 = /id="q1-counts"[\s\S]*?<\/table>/.exec(page.body)![0];
    expect(q1).toMatch(/>4<\/th><td[^>]*>hidden</);
    expect(q1).toMatch(/>5<\/th><td[^>]*>fewer than 5</);
    expect(page.body).not.toMatch(/mean \d/);
    expect(page.body).toMatch(/>Talks<\/th><td[^>]*>6</);
    expect(page.body).toContain('Comment 3');
    const asFunder = await funder.get(paths.surveyResults(id));
    expect(asFunder.body).not.toContain('Comment 3');
    expect(asFunder.body).toContain('hidden');
    const csv = await admin.get(paths.surveyResultsExport(id, 'csv'));
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('1. How useful was it?,5,<5');
    expect(csv.body).toContain('1. How useful was it?,4,hidden');
    expect((await admin.get(paths.surveyResultsExport(id, 'xlsx'))).statusCode).toBe(200);
  });

  it('gives the list and the aggregated results over the API, suppressed alike, free text to programme staff only', async () => {
    const bearer = async (who: string) => {
      const [p] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who as keyof typeof demoAccounts].email}`);
      return { authorization: `Bearer ${(await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, 'survey test')).token}` };
    };
    const [asAdmin, asFunder, asSro] = await Promise.all(['admin', 'funder', 'sro'].map(bearer));
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/surveys?pageSize=100', headers: asFunder });
    expect(list.statusCode).toBe(200);
    const surveys = list.json().data as { id: string; title: string; answered: number }[];
    const results = surveys.find((s) => s.title === 'Results survey')!;
    // The demo survey: sent to an event's attendees, with enough answers to show.
    expect(surveys.some((s) => s.title.startsWith('How was') && s.answered >= 5)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/surveys', headers: asSro })).statusCode).toBe(403);
    const funderView = (await t.app.inject({ method: 'GET', url: `/api/v1/surveys/${results.id}/results`, headers: asFunder })).json();
    const q1 = funderView.questions[0];
    expect(q1.counts.find((c: { answer: string }) => c.answer === '5').count).toEqual({ value: null, suppressed: 'small' });
    expect(q1.counts.find((c: { answer: string }) => c.answer === '4').count).toEqual({ value: null, suppressed: 'secondary' });
    expect(q1.mean).toBeNull();
    expect(funderView.questions[3].texts).toBeNull();
    const adminView = (await t.app.inject({ method: 'GET', url: `/api/v1/surveys/${results.id}/results`, headers: asAdmin })).json();
    expect(adminView.questions[3].texts).toHaveLength(6);
    expect(adminView.questions[0].counts[0].count).toEqual({ value: 0, suppressed: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/surveys/00000000-0000-4000-8000-000000000000/results', headers: asAdmin })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/surveys/${results.id}/results`, headers: asSro })).statusCode).toBe(404);
  });

  it('gives a person their survey records on a subject access request, and erasure makes their answers anonymous without their words', async () => {
    await t.db.execute(sql`delete from notifications`);
    const id = await create({ title: 'Erasure survey' });
    await open(id);
    await send(id);
    const person = invitees[4];
    const token = (await tokens()).get(person.email)!;
    expect((await answerAs(token, { q1: '3', q2: 'Discussion', q3: ['Try it'], q4: 'Written by them' })).statusCode).toBe(200);
    const records = await subjectRecords(t.db, person.id, [person.email]);
    expect(records.survey_answers).toContainEqual(expect.objectContaining({ survey: 'Erasure survey', answers: { q1: 3, q2: 'Discussion', q3: ['Try it'], q4: 'Written by them' } }));
    expect(records.survey_invitations).toContainEqual(expect.objectContaining({ survey: 'Erasure survey', answered: true }));
    const erased = await admin.submit(`/people/${person.id}/erase`, { reason: 'Erasure request for the survey test' });
    expect(erased.statusCode, errorSummary(erased.body)).toBe(200);
    expect(erased.body).toContain('Person erased');
    const after = await queryRows<{ person_id: string | null; answers: unknown }>(t.db, sql`select person_id, answers from survey_responses where survey_id = ${id}`);
    expect(after).toEqual([{ person_id: null, answers: { q1: 3, q2: 'Discussion', q3: ['Try it'] } }]);
  });
});
