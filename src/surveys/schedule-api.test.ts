import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { sendScheduledSurveys } from './service.ts';

type Who = 'admin' | 'partnerLp' | 'funder' | 'sro';
type ApiSurvey = { id: string; version: number; status: string; schedule: { months: number; includeSros: boolean; setOn: string } | null };

/** A behaviour survey's schedule over the API: the page's schema, service, rules and audit. The clock: 26 November 2026. */
describe.each(backends)('survey schedule API (%s)', (backend) => {
  let t: TestApp;
  let adminPage: Agent;
  const tokens = {} as Record<Who, string>;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const unknown = '00000000-0000-4000-8000-000000000000';

  const api = (method: 'GET' | 'PUT' | 'DELETE', url: string, who: Who | null, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number, detail?: string) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    if (detail) expect(res.json().detail).toContain(detail);
  };
  /** A survey straight into the table: behaviour and open unless told otherwise. */
  const survey = async (title: string, values: { level?: string; status?: string; closesOn?: string } = {}) =>
    (await one<{ id: string }>(sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions)
      values (${title}, ${values.level ?? 'behaviour'}, 'Learners after accreditation', false, ${values.closesOn ?? '2027-01-31'}, ${values.status ?? 'open'},
        '[{"key":"q1","text":"How much do you use what you learnt?","type":"scale","options":[],"required":true}]'::jsonb) returning id`)).id;
  const stored = (id: string) =>
    one<{ months: number | null; sros: boolean; setOn: string | null; version: number }>(
      sql`select schedule_months as months, schedule_include_sros as sros, to_char(schedule_set_on, 'YYYY-MM-DD') as "setOn", version from surveys where id = ${id}`,
    );
  const audits = (id: string) =>
    queryRows<{ action: string; before: unknown; after: unknown }>(t.db, sql`select action, before, after from audit_events where record_id = ${id} and action like 'survey.%sched%' order by id`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'funder', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'schedule test')).token;
    }
    adminPage = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  it('gives one survey with its version and schedule; 404 for an unknown one, and to those who may not read surveys', async () => {
    const id = await survey('Read over the API');
    const res = await api('GET', `/surveys/${id}`, 'funder');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, title: 'Read over the API', level: 'behaviour', status: 'open', version: 1, schedule: null, sent: 0, answered: 0 });
    expectProblem(await api('GET', `/surveys/${unknown}`, 'admin'), 404);
    expectProblem(await api('GET', '/surveys/not-an-id', 'admin'), 404);
    expectProblem(await api('GET', `/surveys/${id}`, 'sro'), 404);
    expectProblem(await api('GET', `/surveys/${id}`, null), 401);
  });

  it('sets the schedule (200 with it), audited as on the page, and the periodic job sends by it; a stale version is a 409', async () => {
    const id = await survey('Scheduled over the API');
    const set = await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 4, includeSros: true, version: 1 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ id, version: 2, schedule: { months: 4, includeSros: true, setOn: '2026-11-26' } });
    expect(await stored(id)).toEqual({ months: 4, sros: true, setOn: '2026-11-26', version: 2 });
    expect((await api('GET', `/surveys/${id}`, 'partnerLp')).json().schedule).toEqual({ months: 4, includeSros: true, setOn: '2026-11-26' });
    const listed = (await api('GET', '/surveys?level=behaviour&status=open&pageSize=500', 'funder')).json().data as ApiSurvey[];
    expect(listed.find((s) => s.id === id)?.schedule).toEqual({ months: 4, includeSros: true, setOn: '2026-11-26' });
    expect(await audits(id)).toEqual([
      { action: 'survey.scheduled', before: { title: 'Scheduled over the API', months: null, includeSros: false }, after: { title: 'Scheduled over the API', months: 4, includeSros: true } },
    ]);
    // The page says so, in its words.
    expect((await adminPage.get(paths.survey(id))).body).toContain('Yes: to learners 4 months after their accreditation, and to their councils’ SROs');

    // The version read before the change is stale now: nothing written.
    const stale = await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 6, version: 1 });
    expectProblem(stale, 409, 'Someone else changed this survey');
    expect(await stored(id)).toEqual({ months: 4, sros: true, setOn: '2026-11-26', version: 2 });
    // Without a version the change is made over whatever is there; the SROs default to no.
    const again = await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 3 });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ version: 3, schedule: { months: 3, includeSros: false } });
    expect((await audits(id)).map((a) => a.action)).toEqual(['survey.scheduled', 'survey.scheduled']);

    // The job reads the schedule the API set: a learner accredited four months ago is sent it.
    const learner = await one<{ personId: string }>(sql`select person_id as "personId" from accreditations order by id limit 1`);
    await t.db.execute(sql`update accreditations set awarded_on = '2026-07-20' where person_id = ${learner.personId}`);
    const runs = await sendScheduledSurveys(t.db, t.config, { actor: null, systemLabel: 'the scheduled survey job', clock: t.clock });
    expect(runs.find((r) => r.surveyId === id)?.sent).toBeGreaterThanOrEqual(1);
    expect(await one(sql`select 1 as n from survey_recipients where survey_id = ${id} and person_id = ${learner.personId}`)).toBeDefined();
  });

  it('refuses months that are not a whole number from 3 to 6, and other bad bodies, with 422 naming the field, writing nothing', async () => {
    const id = await survey('Bad schedule bodies');
    const cases: [unknown, string, string][] = [
      [{ months: 2 }, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{ months: 7 }, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{ months: 3.5 }, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{ months: 'three' }, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{ months: null }, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{}, 'months', 'Enter the number of months as a whole number from 3 to 6'],
      [{ months: 3, includeSros: 'yes' }, 'includeSros', 'Select whether to send it to the SROs too'],
      [{ months: 3, version: 0 }, 'version', 'version must be 1 or more'],
      [{ months: 3, version: '1' }, 'version', 'version must be a whole number'],
    ];
    for (const [body, field, message] of cases) {
      const res = await api('PUT', `/surveys/${id}/schedule`, 'admin', body);
      expectProblem(res, 422);
      expect(res.json().errors, JSON.stringify(body)).toEqual(expect.arrayContaining([{ field, message }]));
    }
    const form = await t.app.inject({ method: 'PUT', url: `/api/v1/surveys/${id}/schedule`, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'months=3' });
    expectProblem(form, 415);
    const broken = await t.app.inject({ method: 'PUT', url: `/api/v1/surveys/${id}/schedule`, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' }, payload: '{"months": 3' });
    expectProblem(broken, 400);
    expect(await stored(id)).toEqual({ months: null, sros: false, setOn: null, version: 1 });
    expect(await audits(id)).toEqual([]);
  });

  it('schedules only an open behaviour survey whose closing date has not passed (409 otherwise)', async () => {
    const refused = [
      await survey('A draft behaviour survey', { status: 'draft' }),
      await survey('A closed behaviour survey', { status: 'closed' }),
      await survey('A reaction survey', { level: 'reaction' }),
      await survey('A results survey', { level: 'results' }),
      await survey('A behaviour survey past its closing date', { closesOn: '2026-11-25' }),
    ];
    for (const id of refused) {
      expectProblem(await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 3 }), 409, 'Only an open behaviour survey whose closing date has not passed');
      expectProblem(await api('DELETE', `/surveys/${id}/schedule`, 'admin'), 409, 'Only an open behaviour survey');
      expect((await stored(id)).months).toBeNull();
      expect(await audits(id)).toEqual([]);
    }
    // A bad body is told before the state (as on the page).
    expectProblem(await api('PUT', `/surveys/${refused[0]}/schedule`, 'admin', { months: 9 }), 422);
  });

  it('refuses those who read surveys but may not manage them with 403, others and unknown surveys with 404', async () => {
    const id = await survey('Not theirs to schedule');
    for (const who of ['partnerLp', 'funder'] as const) {
      expectProblem(await api('PUT', `/surveys/${id}/schedule`, who, { months: 3 }), 403, 'Only programme admins write, open, close, send, remind or schedule a survey');
      expectProblem(await api('DELETE', `/surveys/${id}/schedule`, who), 403, 'Only programme admins');
      // Even with a bad body: the role is told before the body.
      expectProblem(await api('PUT', `/surveys/${id}/schedule`, who, { months: 99 }), 403);
    }
    expectProblem(await api('PUT', `/surveys/${id}/schedule`, 'sro', { months: 3 }), 404);
    expectProblem(await api('DELETE', `/surveys/${id}/schedule`, 'sro'), 404);
    expectProblem(await api('PUT', `/surveys/${id}/schedule`, null, { months: 3 }), 401);
    // An unknown survey is 404 whoever asks and whatever the body.
    for (const who of ['admin', 'partnerLp'] as const) {
      expectProblem(await api('PUT', `/surveys/${unknown}/schedule`, who, { months: 99 }), 404);
      expectProblem(await api('DELETE', `/surveys/${unknown}/schedule`, who), 404);
    }
    expectProblem(await api('PUT', '/surveys/nope/schedule', 'admin', { months: 3 }), 404);
    expect(await stored(id)).toEqual({ months: null, sros: false, setOn: null, version: 1 });
    expect(await audits(id)).toEqual([]);
  });

  it('stops the schedule (200, audited), over the version read when given; stopping none changes and records nothing', async () => {
    const id = await survey('Stopped over the API');
    expect((await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 5, includeSros: true })).statusCode).toBe(200);
    expectProblem(await api('DELETE', `/surveys/${id}/schedule?version=1`, 'admin'), 409, 'Someone else changed this survey');
    expectProblem(await api('DELETE', `/surveys/${id}/schedule?version=two`, 'admin'), 400);
    expectProblem(await api('DELETE', `/surveys/${id}/schedule?version=0`, 'admin'), 400);
    expect((await stored(id)).months).toBe(5);
    const stop = await api('DELETE', `/surveys/${id}/schedule?version=2`, 'admin');
    expect(stop.statusCode, stop.body).toBe(200);
    expect(stop.json()).toMatchObject({ id, version: 3, schedule: null });
    expect(await stored(id)).toEqual({ months: null, sros: false, setOn: null, version: 3 });
    const again = await api('DELETE', `/surveys/${id}/schedule`, 'admin');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ version: 3, schedule: null });
    expect((await audits(id)).map((a) => a.action)).toEqual(['survey.scheduled', 'survey.unscheduled']);
    expect((await audits(id))[1]).toMatchObject({ before: { months: 5, includeSros: true }, after: { months: null, includeSros: false } });
    expect((await adminPage.get('/audit')).body).toContain('Stopped over the API');
  });

  it('carries the version on the page’s form too: a stale one is a 409 on the form, shown again with the version now', async () => {
    const id = await survey('Scheduled on the page');
    const page = await adminPage.get(paths.surveySend(id));
    expect(page.body).toContain('name="version" value="1"');
    expect((await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 3 })).statusCode).toBe(200);
    const stale = await adminPage.submit(paths.surveySchedule(id), { months: '6', version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this survey');
    expect(stale.body).toContain('name="version" value="2"');
    expect((await stored(id)).months).toBe(3);
    expect((await adminPage.submit(paths.surveySchedule(id), { months: '6', version: '2' })).statusCode).toBe(303);
    expect((await adminPage.submit(paths.surveySchedule(id), { stop: 'yes', version: '2' })).statusCode).toBe(409);
    expect((await adminPage.submit(paths.surveySchedule(id), { stop: 'yes', version: '3' })).statusCode).toBe(303);
    expect(await stored(id)).toMatchObject({ months: null, version: 4 });
  });
  it('refuses a stop (or a change) on the page whose version is not a whole number with the error summary, changing nothing', async () => {
    const id = await survey('Stopped with a damaged form');
    expect((await api('PUT', `/surveys/${id}/schedule`, 'admin', { months: 4, includeSros: true })).statusCode).toBe(200);
    const before = await stored(id);
    expect(before).toMatchObject({ months: 4, sros: true, version: 2 });
    for (const version of ['two', '2.5', '0', '-2', '2x']) {
      const stop = await adminPage.submit(paths.surveySchedule(id), { stop: 'yes', version });
      expect(stop.statusCode, version).toBe(400);
      expect(errorSummary(stop.body), version).toContain('Nothing was changed: the form did not send the version this page gave it');
      expect(stop.body).toContain('href="#main-content"');
      expect(stop.body).not.toContain('href="#version"');
      // The page again over the survey as stored: its version, and the schedule's boxes as they are.
      expect(stop.body).toContain('name="version" value="2"');
      expect(stop.body).toMatch(/name="months"[^>]*value="4"/);
      const change = await adminPage.submit(paths.surveySchedule(id), { months: '6', version });
      expect(change.statusCode, version).toBe(400);
      expect(errorSummary(change.body)).toContain('Nothing was changed');
      expect(change.body).not.toContain('href="#version"');
    }
    expect(await stored(id)).toEqual(before);
    expect((await audits(id)).map((a) => a.action)).toEqual(['survey.scheduled']);
    // The form as the page gives it still works.
    expect((await adminPage.submit(paths.surveySchedule(id), { stop: 'yes', version: '2' })).statusCode).toBe(303);
    expect(await stored(id)).toMatchObject({ months: null, version: 3 });
  });
});
