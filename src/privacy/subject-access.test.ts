import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { readZip } from './read-zip.ts';
import { recordTitles } from './zip.ts';

const kinds = Object.keys(recordTitles);

describe.each(backends)('subject access (%s)', (backend) => {
  let t: TestApp;
  let learner: { id: string; name: string; email: string; organisationId: string };
  let twinId: string;
  const twinEmail = 'twin.of.the.learner@demo-council.example.gov.uk';
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const exportsOf = async (personId: string) =>
    (await rows<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'person.data_exported' and record_id = ${personId}`))[0].n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [learner] = await rows(sql`select id, name, email, organisation_id as "organisationId" from people where email = ${demoAccounts.learner.email}`);
    // What the learner wrote, and mail to them.
    await t.db.execute(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
      values (${learner.id}::uuid, '2026-10-01', 2.5, 'Workshop', 'I learnt to write KPIs the supplier can meet')`);
    await t.db.execute(sql`insert into notifications (to_email, template, subject, body, status)
      values (${learner.email}, 'test', 'Your next step', 'Dear learner, book your assessment', 'sent')`);
    // A second person with the same name in the same council, with data of their own: none of it may appear.
    [{ id: twinId }] = await rows<{ id: string }>(sql`insert into people (name, email, organisation_id, roles, status)
      values (${learner.name}, ${twinEmail}, ${learner.organisationId}::uuid, '{learner}', 'active') returning id`);
    await t.db.execute(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
      values (${twinId}::uuid, '2026-10-02', 1, 'Reading', 'The twin’s own reflection')`);
    await t.db.execute(sql`insert into notifications (to_email, template, subject, body, status)
      values (${twinEmail}, 'test', 'For the twin', 'Twin mail body', 'sent')`);
  });
  afterAll(async () => t?.close());

  it('gives an admin a ZIP of exactly the person’s records, from a link on their page, and audits it', async () => {
    const admin = await t.signIn('admin');
    const page = await admin.get(`/people/${learner.id}`);
    expect(page.body).toContain(`Download everything Pioneer holds about ${learner.name}`);
    const before = await exportsOf(learner.id);

    const res = await admin.get(`/people/${learner.id}/subject-access`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="pioneer-subject-access-2026-11-26.zip"');
    const files = await readZip(res.rawPayload);
    expect([...files.keys()].sort()).toEqual(['summary.html', ...kinds.flatMap((k) => [`${k}.csv`, `${k}.json`])].sort());

    const json = (kind: string) => JSON.parse(files.get(`${kind}.json`)!) as Record<string, unknown>[];
    expect(json('profile')).toEqual([expect.objectContaining({ id: learner.id, name: learner.name, email: learner.email, roles: ['learner'] })]);
    const enrolmentIds = await rows<{ id: string }>(sql`select id from enrolments where person_id = ${learner.id}::uuid order by nominated_on, id`);
    expect(enrolmentIds.length).toBeGreaterThan(0);
    expect(json('enrolments').map((e) => e.id)).toEqual(enrolmentIds.map((e) => e.id));
    const [{ n: events }] = await rows<{ n: number }>(sql`select count(*)::int as n from enrolment_events ev join enrolments e on e.id = ev.enrolment_id where e.person_id = ${learner.id}::uuid`);
    expect(json('journey_events')).toHaveLength(events);
    // Dates read the same on both drivers: calendar dates as YYYY-MM-DD, moments as ISO 8601 UTC.
    expect(json('cpd')).toEqual([
      { activityDate: '2026-10-01', hours: 2.5, activityType: 'Workshop', reflection: 'I learnt to write KPIs the supplier can meet', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
    ]);
    expect(json('emails_sent').map((m) => m.subject)).toContain('Your next step');
    expect(json('emails_sent').every((m) => m.to === learner.email)).toBe(true);
    expect(files.get('cpd.csv')).toContain('I learnt to write KPIs the supplier can meet');
    const summary = files.get('summary.html')!;
    expect(summary).toContain(`<h1 class="govuk-heading-l">What Pioneer holds about ${learner.name}</h1>`);
    expect(summary).toContain('.govuk-table'); // styles inlined: it opens on its own
    expect(summary).not.toMatch(/<link|<script|src="/);

    // Nothing about anyone else, and no secrets.
    const everything = [...files.values()].join('\n');
    for (const absent of [twinId, twinEmail, 'The twin’s own reflection', 'Twin mail body', 'token_hash', 'tokenHash', 'password_hash', 'passwordHash', 'csrf']) {
      expect(everything, absent).not.toContain(absent);
    }
    expect(await exportsOf(learner.id)).toBe(before + 1);
    const [audit] = await rows<{ actorId: string }>(sql`select actor_id as "actorId" from audit_events where action = 'person.data_exported' order by id desc limit 1`);
    expect(audit.actorId).not.toBe(learner.id);
  });

  it('lets a person download their own from their account page', async () => {
    const own = await t.signIn('learner');
    expect((await own.get('/account')).body).toContain('Download everything Pioneer holds about you');
    const before = await exportsOf(learner.id);
    const res = await own.get('/account/my-data');
    expect(res.statusCode).toBe(200);
    const files = await readZip(res.rawPayload);
    expect(JSON.parse(files.get('profile.json')!)).toEqual([expect.objectContaining({ id: learner.id, email: learner.email })]);
    expect([...files.values()].join('\n')).not.toContain(twinEmail);
    expect(await exportsOf(learner.id)).toBe(before + 1);
    // The admin's export (the test before) is in the audit events they get back, without naming the admin.
    const audit = JSON.parse(files.get('audit_events.json')!) as { action: string; actor: string }[];
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'person.data_exported', actor: 'Someone else' })]));
    expect([...files.values()].join('\n')).not.toContain(demoAccounts.admin.email);
  });

  it('withholds what the person’s own actions changed on someone else’s record', async () => {
    const sro = await t.signIn('sro');
    const [{ version }] = await rows<{ version: number }>(sql`select version from people where id = ${twinId}::uuid`);
    const edited = await sro.submit(`/people/${twinId}/edit`, { name: learner.name, email: twinEmail, jobTitle: 'Twin’s secret job title', version: String(version) });
    expect(edited.statusCode).toBe(302);
    const [{ id: sroId }] = await rows<{ id: string }>(sql`select id from people where email = ${demoAccounts.sro.email}`);
    const files = await readZip((await (await t.signIn('admin')).get(`/people/${sroId}/subject-access`)).rawPayload);
    const audit = JSON.parse(files.get('audit_events.json')!) as { action: string; recordId: string | null; after: unknown }[];
    expect(audit).toEqual(expect.arrayContaining([{ occurredAt: expect.any(String), action: 'person.details_changed', recordType: 'person', recordId: null, actor: expect.stringContaining(demoAccounts.sro.email), before: null, after: null, ip: expect.anything() }]));
    const everything = [...files.values()].join('\n');
    for (const absent of [twinId, twinEmail, 'Twin’s secret job title']) expect(everything, absent).not.toContain(absent);
  });

  it('is for programme admins only: others get 404, as does an unknown id; no export is recorded', async () => {
    const before = await exportsOf(learner.id);
    for (const who of ['sro', 'lead', 'partnerLp', 'learner', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(`/people/${learner.id}/subject-access`)).statusCode, who).toBe(404);
      expect((await agent.get(`/people/${learner.id}`)).body, who).not.toContain('Download everything Pioneer holds');
    }
    const admin = await t.signIn('admin');
    expect((await admin.get('/people/00000000-0000-4000-8000-000000000000/subject-access')).statusCode).toBe(404);
    expect((await admin.get('/people/not-an-id/subject-access')).statusCode).toBe(404);
    expect(await exportsOf(learner.id)).toBe(before);
  });

  it('answers GET /api/v1/people/{id}/subject-access with the ZIP for admins, 404 problems for others', async () => {
    const token = async (email: string) => {
      const [p] = await rows<{ id: string }>(sql`select id from people where email = ${email}`);
      return (await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, 'test')).token;
    };
    const call = async (email: string, id: string) =>
      t.app.inject({ method: 'GET', url: `/api/v1/people/${id}/subject-access`, headers: { authorization: `Bearer ${await token(email)}` } });
    const ok = await call(demoAccounts.admin.email, learner.id);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/zip');
    expect(JSON.parse((await readZip(ok.rawPayload)).get('profile.json')!)[0].id).toBe(learner.id);
    for (const email of [demoAccounts.sro.email, demoAccounts.partnerLp.email]) {
      const refused = await call(email, learner.id);
      expect(refused.statusCode).toBe(404);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call(demoAccounts.admin.email, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('carries a specialist’s transformation work and an owner’s actions; erasure keeps the work but not their notes and reasons', async () => {
    const one = async <T>(q: ReturnType<typeof sql>) => (await rows<T>(q))[0];
    const specialist = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`);
    const sro = await one<{ id: string; organisationId: string }>(sql`select id, organisation_id as "organisationId" from people where email = ${demoAccounts.sro.email}`);
    const engagement = await one<{ id: string }>(sql`insert into engagements (council_id, title, lead_specialist_id, scope, objectives, start_date, end_date, planned_minutes)
      values (${sro.organisationId}::uuid, 'Subject access engagement', ${specialist.id}::uuid, 'Scope', 'Objectives', '2026-09-01', '2027-03-31', 4500) returning id`);
    await t.db.execute(sql`insert into engagement_time_entries (engagement_id, person_id, work_date, minutes, unit, activity, note)
      values (${engagement.id}::uuid, ${specialist.id}::uuid, '2026-11-02', 225, 'days', 'coaching', 'Morning with the contracts team')`);
    const action = await one<{ id: string }>(sql`insert into engagement_actions (engagement_id, title, owner_id, due_date)
      values (${engagement.id}::uuid, 'Adopt a contract register', ${sro.id}::uuid, '2027-01-31') returning id`);
    await t.db.execute(sql`insert into engagement_action_notes (action_id, author_id, text, written_at) values (${action.id}::uuid, ${specialist.id}::uuid, 'The register is half built', now())`);
    const score = await one<{ assessmentId: string; areaId: string; score: number }>(sql`select s.assessment_id as "assessmentId", s.area_id as "areaId", s.score
      from maturity_scores s join maturity_assessments m on m.id = s.assessment_id where m.status = 'submitted' and s.score is not null order by m.id, s.area_id limit 1`);
    await t.db.execute(sql`update maturity_scores set moderated_score = 1, moderation_reason = 'No evidence of a register', moderated_by_id = ${specialist.id}::uuid, moderated_at = now()
      where assessment_id = ${score.assessmentId}::uuid and area_id = ${score.areaId}::uuid`);

    const contract = await one<{ name: string }>(sql`insert into contracts (council_id, name, supplier, annual_value_pence, total_value_pence, start_date, end_date, tier, manager_id)
      values (${sro.organisationId}::uuid, 'Subject access waste contract', 'Binwell Ltd', 100000, 500000, '2025-04-01', '2030-03-31', 'silver', ${sro.id}::uuid) returning name`);

    const admin = await t.signIn('admin');
    const exported = async (id: string) => {
      const files = await readZip((await admin.get(`/people/${id}/subject-access`)).rawPayload);
      return (kind: string) => JSON.parse(files.get(`${kind}.json`)!) as Record<string, unknown>[];
    };
    const theirs = await exported(specialist.id);
    expect(theirs('engagements')).toEqual(expect.arrayContaining([expect.objectContaining({ engagement: 'Subject access engagement', role: 'lead specialist', startDate: '2026-09-01' })]));
    expect(theirs('engagement_time')).toEqual(expect.arrayContaining([{ engagement: 'Subject access engagement', date: '2026-11-02', minutes: 225, activity: 'coaching', note: 'Morning with the contracts team' }]));
    expect(theirs('engagement_action_notes')).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'Adopt a contract register', text: 'The register is half built' })]));
    expect(theirs('maturity_moderations')).toEqual(expect.arrayContaining([expect.objectContaining({ councilScore: score.score, moderatedScore: 1, reason: 'No evidence of a register' })]));
    expect(theirs('engagement_actions').map((a) => a.action)).not.toContain('Adopt a contract register');
    // The owner's export has the action they own, and not the specialist's notes on it.
    const owners = await exported(sro.id);
    expect(owners('engagement_actions')).toEqual(expect.arrayContaining([expect.objectContaining({ engagement: 'Subject access engagement', action: 'Adopt a contract register', status: 'not_started' })]));
    expect(owners('engagement_action_notes').map((n) => n.text)).not.toContain('The register is half built');
    // The contract they manage is theirs, and nobody else's.
    expect(owners('contracts_managed')).toEqual(expect.arrayContaining([expect.objectContaining({ contract: contract.name, supplier: 'Binwell Ltd', startDate: '2025-04-01', endDate: '2030-03-31' })]));
    expect(theirs('contracts_managed').map((c) => c.contract)).not.toContain(contract.name);

    const erased = await admin.submit(`/people/${specialist.id}/erase`, { reason: 'Erasure request of 25 November 2026' });
    expect(erased.statusCode).toBe(200);
    expect(erased.body).toContain('Person erased');
    expect(await rows(sql`select minutes, note from engagement_time_entries where engagement_id = ${engagement.id}::uuid`)).toEqual([{ minutes: 225, note: null }]);
    expect(await rows(sql`select text from engagement_action_notes where action_id = ${action.id}::uuid`)).toEqual([{ text: '[erased]' }]);
    expect(await rows(sql`select count(*)::int as n from engagement_action_notes where author_id = ${specialist.id}::uuid and text <> '[erased]'`)).toEqual([{ n: 0 }]);
    expect(await rows(sql`select moderated_score as "moderatedScore", moderation_reason as reason from maturity_scores where assessment_id = ${score.assessmentId}::uuid and area_id = ${score.areaId}::uuid`)).toEqual([
      { moderatedScore: 1, reason: '[erased]' },
    ]);
  });
});
