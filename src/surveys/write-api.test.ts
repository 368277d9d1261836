import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';

type Who = 'admin' | 'partnerLp' | 'funder' | 'sro';
type Method = 'GET' | 'POST' | 'PUT';

/**
 * Writing, opening, closing, sending and reminding a survey over the API: the pages' schemas, service, outbox and
 * audit. The clock: 26 November 2026.
 */
describe.each(backends)('survey write API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let eventId: string;
  const unknown = '00000000-0000-4000-8000-000000000000';
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const count = async (q: ReturnType<typeof sql>) => (await one<{ n: number }>(q)).n;

  const api = (method: Method, url: string, who: Who | null, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const expectProblem = (res: LightMyRequestResponse, status: number, detail?: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    if (detail) expect(res.json().detail).toContain(detail);
  };
  const expectFields = (res: LightMyRequestResponse, errors: Record<string, string>) => {
    expectProblem(res, 422);
    expect(res.json().errors).toEqual(expect.arrayContaining(Object.entries(errors).map(([field, message]) => ({ field, message }))));
  };
  /** The survey as GET /surveys/{id} gives it: every write answers the same representation. */
  const read = async (id: string) => (await api('GET', `/surveys/${id}`, 'admin')).json();

  const definition = (extra: Record<string, unknown> = {}) => ({
    title: 'How was the API workshop?',
    level: 'reaction',
    audience: 'Learners after the workshop',
    anonymous: false,
    closesOn: '2026-12-31',
    questions: [
      { text: 'How useful was it?', type: 'scale', required: true },
      { text: 'Which part helped most?', type: 'single', options: ['Talks', 'Exercises'] },
      { text: 'Anything else?', type: 'text' },
    ],
    ...extra,
  });
  const create = async (extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/surveys', 'admin', definition(extra));
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  /** A survey straight into the table, for the states the API cannot reach on this day (a closing date passed). */
  const insert = async (title: string, status: string, closesOn: string) =>
    (await one<{ id: string }>(sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions)
      values (${title}, 'reaction', 'Everyone', false, ${closesOn}, ${status},
        '[{"key":"q1","text":"How was it?","type":"scale","options":[],"required":true}]'::jsonb) returning id`)).id;
  const audits = async (id: string) => (await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${id} order by id`)).map((a) => a.action);
  const surveyCount = () => count(sql`select count(*)::int as n from surveys`);
  /** The links the outbox holds for a survey's emails (by template), by address. */
  const links = async (title: string, template: 'survey' | 'survey-reminder') => {
    const rows = await queryRows<{ to_email: string; body: string; priority: number }>(
      t.db,
      sql`select to_email, body, priority from notifications where template = ${template} and subject like ${`%${title}`} order by created_at, id`,
    );
    expect(rows.every((r) => r.priority === 1), 'bulk mail').toBe(true);
    return new Map(rows.map((r) => [r.to_email, /\/survey-answers\/([A-Za-z0-9_-]+)/.exec(r.body)![1]]));
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'survey write test')).token;
    }
    // An event with three people registered (two attended) and one who cancelled.
    eventId = (await one<{ id: string }>(sql`insert into network_events (title, description, starts_at, ends_at, format, capacity, audience)
      values ('Survey API event', 'For the survey API tests', '2026-11-10T18:00:00Z', '2026-11-10T19:00:00Z', 'online', 50, array['sro']) returning id`)).id;
    const people = await queryRows<{ id: string }>(t.db, sql`select id from people where status = 'active' and erased_at is null order by email limit 4`);
    for (const [i, p] of people.entries()) {
      await t.db.execute(sql`insert into network_event_registrations (event_id, person_id, status, registered_at, updated_at, attended)
        values (${eventId}, ${p.id}, ${i === 3 ? 'cancelled' : 'registered'}, now(), now(), ${i < 2})`);
    }
  });
  afterAll(async () => t?.close());

  it('creates, edits, opens, sends and reminds; a learner answers through the emailed link and the results are read over the API', async () => {
    // Create: 201, Location, the survey as GET gives it.
    const created = await api('POST', '/surveys', 'admin', definition({ title: 'Draft over the API', version: 7 }));
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.headers.location).toBe(`/api/v1/surveys/${id}`);
    expect(created.json()).toEqual(await read(id));
    expect(created.json()).toMatchObject({ title: 'Draft over the API', status: 'draft', version: 1, sent: 0, answered: 0, schedule: null });
    expect(created.json().questions).toEqual([
      { key: 'q1', text: 'How useful was it?', type: 'scale', options: [], required: true },
      { key: 'q2', text: 'Which part helped most?', type: 'single', options: ['Talks', 'Exercises'], required: false },
      { key: 'q3', text: 'Anything else?', type: 'text', options: [], required: false },
    ]);

    // Edit the draft over the version read; the version read before is stale after.
    const title = 'After the API workshop';
    const edited = await api('PUT', `/surveys/${id}`, 'admin', definition({ title, version: 1, questions: [{ text: 'How useful was it?', type: 'scale', required: true }, { text: 'Anything else?', type: 'text' }] }));
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toEqual(await read(id));
    expect(edited.json()).toMatchObject({ title, version: 2, status: 'draft' });
    expect(edited.json().questions.map((q: { key: string }) => q.key)).toEqual(['q1', 'q2']);
    expectProblem(await api('PUT', `/surveys/${id}`, 'admin', definition({ title: 'Stale', version: 1 })), 409, 'Someone else changed this survey');
    expect((await read(id)).title).toBe(title);

    // Open it; then its questions no longer change.
    const opened = await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open', version: 2 });
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toEqual(await read(id));
    expect(opened.json()).toMatchObject({ status: 'open', version: 3 });
    expectProblem(await api('PUT', `/surveys/${id}`, 'admin', definition({ version: 3 })), 409, 'The questions can only change while the survey is a draft');

    // Send to the learners accredited on the demo accredited learner's day, with their councils' SROs.
    const learner = await one<{ id: string; email: string; awardedOn: string }>(sql`select p.id, p.email, to_char(a.awarded_on, 'YYYY-MM-DD') as "awardedOn"
      from people p join accreditations a on a.person_id = p.id where p.email = ${demoAccounts.accreditedLearner.email} order by a.awarded_on limit 1`);
    const choice = { source: 'accredited', from: learner.awardedOn, to: learner.awardedOn, includeSros: true };
    const sent = await api('POST', `/surveys/${id}/sendings`, 'admin', choice);
    expect(sent.statusCode, sent.body).toBe(200);
    const { chosen } = sent.json() as { chosen: number };
    expect(chosen).toBeGreaterThanOrEqual(2);
    expect(sent.json()).toEqual({ chosen, sent: chosen, survey: await read(id) });
    expect(sent.json().survey).toMatchObject({ sent: chosen, answered: 0 });
    const invitations = await links(title, 'survey');
    expect(invitations.size).toBe(chosen);
    expect(invitations.has(learner.email)).toBe(true);
    expect(invitations.has(demoAccounts.sro.email)).toBe(true);
    // Only the links' hashes are stored.
    const hashes = (await queryRows<{ h: string }>(t.db, sql`select token_hash as h from survey_recipients where survey_id = ${id}`)).map((r) => r.h);
    expect(hashes).toHaveLength(chosen);
    for (const token of invitations.values()) expect(hashes).not.toContain(token);

    // Sending again sends no one twice: 200 with sent 0 and no new email.
    const again = await api('POST', `/surveys/${id}/sendings`, 'admin', choice);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ chosen, sent: 0, survey: await read(id) });
    expect((await links(title, 'survey')).size).toBe(chosen);

    // The learner answers through their link, once.
    const token = invitations.get(learner.email)!;
    const answered = await new Agent(t.app).submit(paths.surveyAnswer(token), { q1: '4', q2: 'Clear and useful' });
    expect(answered.statusCode).toBe(200);
    expect(answered.body).toContain('your answers have been sent');
    expect((await new Agent(t.app).submit(paths.surveyAnswer(token), { q1: '5' })).statusCode).toBe(409);

    // Remind those who have not answered: a fresh link each, the earlier one spent; once a day.
    const reminded = await api('POST', `/surveys/${id}/reminders`, 'admin');
    expect(reminded.statusCode, reminded.body).toBe(200);
    expect(reminded.json()).toEqual({ reminded: chosen - 1, survey: await read(id) });
    const reminders = await links(title, 'survey-reminder');
    expect(reminders.size).toBe(chosen - 1);
    expect(reminders.has(learner.email)).toBe(false);
    const sroOld = invitations.get(demoAccounts.sro.email)!;
    const sroNew = reminders.get(demoAccounts.sro.email)!;
    expect((await new Agent(t.app).get(paths.surveyAnswer(sroOld))).statusCode).toBe(404);
    expect((await new Agent(t.app).get(paths.surveyAnswer(sroNew))).statusCode).toBe(200);
    expectProblem(await api('POST', `/surveys/${id}/reminders`, 'admin'), 409, 'A reminder was already sent today');
    expect((await links(title, 'survey-reminder')).size).toBe(chosen - 1);

    // The results over the API count the answer (small counts hidden, as on the page).
    const results = await api('GET', `/surveys/${id}/results`, 'admin');
    expect(results.statusCode, results.body).toBe(200);
    expect(results.json()).toMatchObject({ surveyId: id, sent: chosen, answered: 1 });
    expect(results.json().questions[0]).toMatchObject({ key: 'q1', answered: { value: null, suppressed: 'small' } });
    expect(await read(id)).toMatchObject({ sent: chosen, answered: 1 });

    // Close it: its links stop taking answers.
    const closed = await api('POST', `/surveys/${id}/status`, 'admin', { status: 'closed' });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toEqual(await read(id));
    expect(closed.json()).toMatchObject({ status: 'closed', version: 4 });
    expect((await new Agent(t.app).get(paths.surveyAnswer(sroNew))).statusCode).toBe(410);

    expect(await audits(id)).toEqual(['survey.created', 'survey.updated', 'survey.opened', 'survey.sent', 'survey.sent', 'survey.answered', 'survey.reminded', 'survey.closed']);
    const audit = await one<{ actor: string }>(sql`select p.email as actor from audit_events e join people p on p.id = e.actor_id where e.record_id = ${id} and e.action = 'survey.sent' limit 1`);
    expect(audit.actor).toBe(demoAccounts.admin.email);
  });

  it('refuses a bad definition with 422 naming each field, writing nothing', async () => {
    const before = await surveyCount();
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ title: ' ', level: 'feelings', anonymous: 'no' }, { title: 'Enter a title', level: 'Select the Kirkpatrick level', anonymous: 'Select whether the answers are anonymous' }],
      [{ closesOn: '2026-02-30' }, { closesOn: 'Closing date must be a real date' }],
      [{ closesOn: '2026-11-25' }, { closesOn: 'The closing date must be today or in the future' }],
      [{ questions: [] }, { questions: 'Add at least one question' }],
      [{ questions: Array.from({ length: 21 }, (_, i) => ({ text: `Question ${i + 1}`, type: 'scale' })) }, { questions: 'A survey can have 20 questions or fewer' }],
      [
        {
          questions: [
            { text: 'One option', type: 'single', options: ['Only'] },
            { text: 'Twice', type: 'multiple', options: ['Yes', 'yes'] },
            { text: 'A scale with options', type: 'scale', options: ['1'] },
            { text: 'Too many options', type: 'single', options: Array.from({ length: 13 }, (_, i) => `Option ${i}`) },
            { text: '', type: 'prose' },
          ],
        },
        {
          'questions.0.options': 'Enter at least 2 options, one a line',
          'questions.1.options': 'The option “yes” is there twice: each option must be different',
          'questions.2.options': 'Only choice questions have options',
          'questions.3.options': 'A question can have 12 options or fewer',
          'questions.4.text': 'Enter the question',
          'questions.4.type': 'Select the type of question',
        },
      ],
    ];
    for (const [extra, errors] of cases) expectFields(await api('POST', '/surveys', 'admin', definition(extra)), errors);
    // The same rules when changing a draft.
    const id = await create({ title: 'Kept as it was' });
    expectFields(await api('PUT', `/surveys/${id}`, 'admin', definition({ title: '', version: 1 })), { title: 'Enter a title' });
    expectFields(await api('PUT', `/surveys/${id}`, 'admin', definition({ closesOn: '2026-11-01', version: 1 })), { closesOn: 'The closing date must be today or in the future' });
    expectFields(await api('PUT', `/surveys/${id}`, 'admin', definition({ version: '1' })), { version: 'version must be a whole number' });
    expectProblem(await api('POST', '/surveys', 'admin'), 422);
    const form = await t.app.inject({ method: 'POST', url: '/api/v1/surveys', headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'title=Form' });
    expectProblem(form, 415);
    expect(await surveyCount()).toBe(before + 1);
    expect(await read(id)).toMatchObject({ title: 'Kept as it was', version: 1 });
    expect(await audits(id)).toEqual(['survey.created']);
  });

  it('moves a survey only along draft → open → closed (409 otherwise, or for a stale version); a bad status is a 422', async () => {
    const id = await create({ title: 'Moved over the API' });
    expectFields(await api('POST', `/surveys/${id}/status`, 'admin', { status: 'draft' }), { status: 'status must be open or closed' });
    expectFields(await api('POST', `/surveys/${id}/status`, 'admin', {}), { status: 'status must be open or closed' });
    expectProblem(await api('POST', `/surveys/${id}/status`, 'admin', { status: 'closed' }), 409, 'The survey is draft, so it cannot be closed');
    expectProblem(await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open', version: 2 }), 409, 'Someone else changed this survey');
    expect((await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open', version: 1 })).statusCode).toBe(200);
    expectProblem(await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open' }), 409, 'The survey is open, so it cannot be opened');
    expect((await api('POST', `/surveys/${id}/status`, 'admin', { status: 'closed' })).statusCode).toBe(200);
    expectProblem(await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open' }), 409, 'The survey is closed');
    const expired = await insert('A draft past its closing date', 'draft', '2026-11-25');
    expectProblem(await api('POST', `/surveys/${expired}/status`, 'admin', { status: 'open' }), 409, 'The closing date has passed');
    expect((await read(id)).status).toBe('closed');
    expect((await read(expired)).status).toBe('draft');
    expect(await audits(id)).toEqual(['survey.created', 'survey.opened', 'survey.closed']);
    expect(await audits(expired)).toEqual([]);
  });

  it('sends an open survey only, to a record that exists (422 otherwise), and the page’s event choice alike; reminds an open survey only', async () => {
    const id = await create({ title: 'Sent to an event' });
    const noMail = async () => expect(await count(sql`select count(*)::int as n from notifications where subject like '%Sent to an event'`)).toBe(0);
    // A good choice for a draft is a 409; bad choices are 422 before that.
    expectProblem(await api('POST', `/surveys/${id}/sendings`, 'admin', { source: 'event', eventId }), 409, 'Only an open survey');
    expectProblem(await api('POST', `/surveys/${id}/reminders`, 'admin'), 409, 'Only an open survey');
    expectFields(await api('POST', `/surveys/${id}/sendings`, 'admin', { source: 'event' }), { eventId: 'Select an event' });
    expect((await api('POST', `/surveys/${id}/status`, 'admin', { status: 'open' })).statusCode).toBe(200);
    const bad: [unknown, Record<string, string>][] = [
      [{}, { source: 'Select who to send the survey to' }],
      [{ source: 'everyone' }, { source: 'Select who to send the survey to' }],
      [{ source: 'event', eventId: 'not-an-id' }, { eventId: 'Select an event' }],
      [{ source: 'event', eventId: unknown }, { eventId: 'Select an event from the list' }],
      [{ source: 'accredited', from: '2026-06-01', to: '2026-05-01' }, { to: 'The last date must be the same as or after the first date' }],
      [{ source: 'accredited', from: '2026-06-01' }, { to: 'Enter the last date' }],
      [{ source: 'accredited', from: '2026-06-01', to: '2026-07-01', includeSros: 1 }, { includeSros: 'includeSros must be true or false' }],
      [{ source: 'event', eventId, attendedOnly: 'yes' }, { attendedOnly: 'attendedOnly must be true or false' }],
    ];
    for (const [body, errors] of bad) expectFields(await api('POST', `/surveys/${id}/sendings`, 'admin', body), errors);
    await noMail();
    expect(await count(sql`select count(*)::int as n from survey_recipients where survey_id = ${id}`)).toBe(0);

    // Those who attended, then everyone registered: the cancelled registration is not sent it.
    const attended = await api('POST', `/surveys/${id}/sendings`, 'admin', { source: 'event', eventId, attendedOnly: true });
    expect(attended.json()).toMatchObject({ chosen: 2, sent: 2, survey: { sent: 2 } });
    const everyone = await api('POST', `/surveys/${id}/sendings`, 'admin', { source: 'event', eventId });
    expect(everyone.json()).toMatchObject({ chosen: 3, sent: 1, survey: { sent: 3 } });
    expect((await links('Sent to an event', 'survey')).size).toBe(3);

    // Closed: neither sent nor reminded.
    expect((await api('POST', `/surveys/${id}/status`, 'admin', { status: 'closed' })).statusCode).toBe(200);
    expectProblem(await api('POST', `/surveys/${id}/sendings`, 'admin', { source: 'event', eventId }), 409, 'Only an open survey');
    expectProblem(await api('POST', `/surveys/${id}/reminders`, 'admin'), 409, 'Only an open survey');
    const expired = await insert('Open past its closing date', 'open', '2026-11-25');
    expectProblem(await api('POST', `/surveys/${expired}/sendings`, 'admin', { source: 'event', eventId }), 409, 'Only an open survey');
    expectProblem(await api('POST', `/surveys/${expired}/reminders`, 'admin'), 409, 'Only an open survey');
    expect((await links('Sent to an event', 'survey')).size).toBe(3);
    expect((await links('Sent to an event', 'survey-reminder')).size).toBe(0);
    expect(await audits(id)).toEqual(['survey.created', 'survey.opened', 'survey.sent', 'survey.sent', 'survey.closed']);
  });

  it('refuses those who read surveys but may not manage them with 403, others and unknown surveys with 404, before the body', async () => {
    const id = await create({ title: 'Not theirs to change' });
    const writes: [Method, string, unknown][] = [
      ['PUT', `/surveys/${id}`, definition({ version: 1 })],
      ['POST', `/surveys/${id}/status`, { status: 'open' }],
      ['POST', `/surveys/${id}/sendings`, { source: 'event', eventId }],
      ['POST', `/surveys/${id}/reminders`, undefined],
    ];
    const before = await surveyCount();
    for (const who of ['partnerLp', 'funder'] as const) {
      expectProblem(await api('POST', '/surveys', who, definition()), 403);
      for (const [method, url, body] of writes) {
        expectProblem(await api(method, url, who, body), 403, 'Only programme admins write, open, close, send, remind or schedule a survey');
        // The role is told before a bad body.
        if (body !== undefined) expectProblem(await api(method, url, who, { nonsense: true }), 403);
      }
    }
    expectProblem(await api('POST', '/surveys', 'sro', definition()), 403);
    for (const [method, url, body] of writes) {
      expectProblem(await api(method, url, 'sro', body), 404);
      expectProblem(await api(method, url, null, body), 401);
      // An unknown survey is a 404 whoever asks and whatever the body.
      for (const who of ['admin', 'partnerLp'] as const) {
        expectProblem(await api(method, url.replace(id, unknown), who, body === undefined ? undefined : { nonsense: true }), 404);
      }
      expectProblem(await api(method, url.replace(id, 'nope'), 'admin', body), 404);
    }
    expectProblem(await api('POST', '/surveys', null, definition()), 401);
    expect(await surveyCount()).toBe(before);
    expect(await read(id)).toMatchObject({ title: 'Not theirs to change', status: 'draft', version: 1, sent: 0 });
    expect(await audits(id)).toEqual(['survey.created']);
  });
});
