import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, demoActor, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts, demoPassword } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { ConflictError } from '../web/errors.ts';
import { erasePerson } from './service.ts';
import { nominatablePeople } from '../enrolments/list-repository.ts';
import { nominate } from '../enrolments/service.ts';

/** A name no seeded person has, so finding it anywhere after erasure means it was missed. */
const uniqueName = 'Ottoline Quibbleworth';
const email = demoAccounts.learner.email;

describe.each(backends)('erasure (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let learnerAgent: Agent;
  let learnerId: string;
  let adminId: string;
  let organisationId: string;
  let learnerToken: string;
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const auditCount = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from audit_events`))[0].n;

  /** What the programme reports: must be the same before and after an erasure. */
  const figures = async () => ({
    dashboard: (await admin.get('/dashboard/export.csv')).body,
    // The learners list's "Learners by status" table, as the admin sees it.
    learnersByStatus: (await admin.get('/learners')).body.match(/<table class="govuk-table app-status-counts">[\s\S]*?<\/table>/)?.[0] ?? 'missing',
    enrolments: await rows(sql`select council_id, level, period, status, count(*)::int as n from enrolments group by 1, 2, 3, 4 order by 1, 2, 3, 4`),
    accreditations: await rows(sql`select level, awarded_on, count(*)::int as n from accreditations group by 1, 2 order by 1, 2`),
    cpdHours: await rows(sql`select person_id, sum(hours)::float8 as h from cpd_records group by 1 order by 1`),
  });

  /** Every text, array or JSON column of every table that holds any of the needles: "table.column". */
  async function columnsHolding(needles: string[]): Promise<string[]> {
    const columns = await rows<{ table: string; column: string }>(sql`select table_name as "table", column_name as "column" from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb', 'ARRAY')`);
    const found: string[] = [];
    for (const { table, column } of columns) {
      for (const needle of needles) {
        // The needle as a whole word: "learner@demo-council…" is not found inside "accredited.learner@demo-council…".
        const word = `(^|[^a-z0-9._%+-])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
        const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)} where ${sql.identifier(column)}::text ~* ${word}`);
        if (n) found.push(`${table}.${column} (${needle})`);
      }
    }
    return found;
  }

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    [{ id: learnerId, organisationId }] = await rows<{ id: string; organisationId: string }>(
      sql`select id, organisation_id as "organisationId" from people where email = ${email}`,
    );
    [{ id: adminId }] = await rows<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    // A correction first, so the audit log holds the name they had before as well as the one they have.
    const [{ version }] = await rows<{ version: number }>(sql`select version from people where id = ${learnerId}::uuid`);
    const edited = await admin.submit(`/people/${learnerId}/edit`, { name: uniqueName, email, jobTitle: 'Quibbleworth’s contracts officer', version: String(version) });
    expect(edited.statusCode).toBe(302);
    // They sign in, write a CPD reflection naming themselves, hold an API token, and were sent mail; an upload named them.
    learnerAgent = await t.signIn('learner');
    learnerToken = (await createApiToken(t.db, { actor: null, clock: t.clock }, learnerId, 'Quibbleworth laptop')).token;
    await t.db.execute(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
      values (${learnerId}::uuid, '2026-10-01', 3, 'Workshop', 'As Ottoline Quibbleworth I practised KPIs')`);
    await t.db.execute(sql`insert into notifications (to_email, template, subject, body, status)
      values (${email}, 'test', 'Hello Ottoline Quibbleworth', 'Dear Ottoline Quibbleworth', 'pending')`);
    await t.db.execute(sql`insert into import_runs (kind, status, file_name, errors, report_rows)
      values ('nominations', 'failed', 'nominations.csv', ${JSON.stringify([{ row: 2, column: 'Email', message: `${email} is wrong` }])}::jsonb,
              ${JSON.stringify([['Name', 'Email'], [uniqueName, email]])}::jsonb)`);
  });
  afterAll(async () => t?.close());

  it('shows what will go and what will stay, and asks for a reason', async () => {
    const person = await admin.get(`/people/${learnerId}`);
    expect(person.body).toContain(`href="/people/${learnerId}/erase"`);
    const page = await admin.get(`/people/${learnerId}/erase`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('What will go');
    expect(page.body).toContain('What will stay');
    expect(page.body).toContain('Erasing cannot be undone');

    const before = await auditCount();
    const blank = await admin.submit(`/people/${learnerId}/erase`, { reason: '  ' });
    expect(blank.statusCode).toBe(400);
    expect(errorSummary(blank.body)).toContain('Enter why this person is being erased');
    const long = await admin.submit(`/people/${learnerId}/erase`, { reason: 'x'.repeat(1001) });
    expect(long.statusCode).toBe(400);
    expect(errorSummary(long.body)).toContain('The reason must be 1000 characters or fewer');
    expect(await auditCount()).toBe(before);
  });

  it('erases: nothing anywhere names them, the figures are unchanged, they cannot sign in, and they can be invited again', async () => {
    const figuresBefore = await figures();
    expect(figuresBefore.learnersByStatus).toContain('data-status="overdue"');
    expect(await columnsHolding([uniqueName, email, 'Quibbleworth'])).not.toEqual([]);

    const done = await admin.submit(`/people/${learnerId}/erase`, { reason: 'Erasure request received on 20 November 2026' });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Person erased');
    const [{ name, erasedNumber }] = await rows<{ name: string; erasedNumber: number }>(sql`select name, erased_number as "erasedNumber" from people where id = ${learnerId}::uuid`);
    expect(name).toBe(`Erased person ${erasedNumber}`);
    expect(done.body).toContain(name);

    expect(await columnsHolding([uniqueName, email, 'Quibbleworth', 'learner@demo-council'])).toEqual([]);
    const figuresAfter = await figures();
    for (const key of Object.keys(figuresBefore) as (keyof typeof figuresBefore)[]) expect(figuresAfter[key], key).toEqual(figuresBefore[key]);

    // The person page names the placeholder; the audit log says what happened, with the reason, without them.
    const person = await admin.get(`/people/${learnerId}`);
    expect(person.body).toContain(name);
    expect(person.body).not.toContain(`/people/${learnerId}/erase"`);
    // Shown as erased, not as the "Active" status the dashboard still counts, on the page, in the list and its download.
    expect(person.body).toMatch(/<strong class="govuk-tag govuk-tag--grey">\s*Erased\s*<\/strong>/);
    const listed = await admin.get(`/people?q=${encodeURIComponent(name)}`);
    expect(listed.body).toMatch(/data-label="Status">\s*<strong class="govuk-tag govuk-tag--grey[^"]*">\s*Erased/);
    expect((await admin.get(`/people/export.csv?q=${encodeURIComponent(name)}`)).body).toMatch(new RegExp(`${name},.*,Erased`));
    const log = await admin.get('/audit');
    expect(log.body).toMatch(new RegExp(`erased <a [^>]*>${name}</a> \\(reason: Erasure request received on 20 November 2026\\)`));

    // Every way in has ended.
    expect((await learnerAgent.get('/my-journey')).statusCode).toBe(302);
    expect((await t.app.inject({ url: '/api/v1/people', headers: { authorization: `Bearer ${learnerToken}` } })).statusCode).toBe(401);
    const signIn = await t.agent().submit('/sign-in', { email, password: demoPassword });
    expect(signIn.statusCode).not.toBe(302);
    expect(await rows(sql`select 1 from sessions where person_id = ${learnerId}::uuid`)).toEqual([]);
    expect(await rows(sql`select 1 from notifications where status = 'pending' and to_email like 'erased-person-%'`)).toEqual([]);

    // The same address can be invited again, as a new person.
    const invited = await admin.submit('/people/invite', { name: uniqueName, email, organisationId, roles: ['learner'] });
    expect(invited.statusCode).toBe(302);
    const again = await rows<{ id: string }>(sql`select id from people where lower(email) = ${email}`);
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(learnerId);
  });

  it('refuses to erase someone already erased, yourself, or the last active programme admin, writing nothing', async () => {
    const before = await auditCount();
    const twice = await admin.submit(`/people/${learnerId}/erase`, { reason: 'Again' });
    expect(twice.statusCode).toBe(409);
    expect(errorSummary(twice.body)).toContain('This person has already been erased');

    // Nor can the placeholder be turned back into someone.
    const [{ version }] = await rows<{ version: number }>(sql`select version from people where id = ${learnerId}::uuid`);
    const renamed = await admin.submit(`/people/${learnerId}/edit`, { name: uniqueName, email: `erased-person-1@erased.invalid`, jobTitle: '', version: String(version) });
    expect(renamed.statusCode).toBe(409);
    expect(errorSummary(renamed.body)).toContain('This person has been erased');
    expect((await admin.submit(`/people/${learnerId}/reactivate`, {})).statusCode).toBe(409);
    // Nor nominated: not offered to the council, and refused by id.
    expect((await nominatablePeople(t.db, organisationId)).map((p) => p.id)).not.toContain(learnerId);
    const ctx = { actor: await demoActor(t.db, 'admin'), clock: t.clock };
    await expect(
      nominate(t.db, t.config, ctx, { kind: 'all' }, { councilId: organisationId, personId: learnerId, level: 'expert', period: '2026-27' }),
    ).rejects.toMatchObject({ fields: { personId: expect.stringContaining('cannot be nominated: their personal data was erased') } });

    expect((await admin.get(`/people/${adminId}/erase`)).body).toContain('You cannot erase yourself');
    const self = await admin.submit(`/people/${adminId}/erase`, { reason: 'Leaving' });
    expect(self.statusCode).toBe(409);
    const [{ name: adminName }] = await rows<{ name: string }>(sql`select name from people where id = ${adminId}::uuid`);
    expect(adminName).not.toMatch(/^Erased person/);

    // Only reachable without a signed-in admin (the CLI): with the other admins deactivated, the last is kept.
    const others = await rows<{ id: string }>(sql`update people set status = 'deactivated' where 'programme_admin' = any(roles) and id <> ${adminId}::uuid and status = 'active' returning id`);
    try {
      await expect(erasePerson(t.db, { actor: null, systemLabel: 'test', clock: t.clock }, adminId, { reason: 'Leaving' }, t.config.baseUrl)).rejects.toThrow(ConflictError);
      await expect(erasePerson(t.db, { actor: null, systemLabel: 'test', clock: t.clock }, adminId, { reason: 'Leaving' }, t.config.baseUrl)).rejects.toThrow(/last active programme admin/);
    } finally {
      for (const o of others) await t.db.execute(sql`update people set status = 'active' where id = ${o.id}::uuid`);
    }
    expect(await auditCount()).toBe(before);
  });

  it('is for programme admins only: others get 404 on the page and the form', async () => {
    const [{ id: someone }] = await rows<{ id: string }>(sql`select id from people where organisation_id = ${organisationId}::uuid and erased_at is null and email <> ${email} and 'learner' = any(roles) limit 1`);
    for (const who of ['sro', 'lead', 'partnerLp', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(`/people/${someone}/erase`)).statusCode, who).toBe(404);
      expect((await agent.submit(`/people/${someone}/erase`, { reason: 'No' })).statusCode, who).toBe(404);
    }
    expect((await admin.get('/people/00000000-0000-4000-8000-000000000000/erase')).statusCode).toBe(404);
  });

  it('answers POST /api/v1/people/{id}/erasure: 422 without a reason, 404 for others, 200 then 409', async () => {
    const token = async (who: keyof typeof demoAccounts) => {
      const [p] = await rows<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      return (await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, 'test')).token;
    };
    const [{ id: someone }] = await rows<{ id: string }>(sql`select id from people where organisation_id = ${organisationId}::uuid and erased_at is null and email <> ${email} and 'learner' = any(roles) limit 1`);
    const call = async (who: keyof typeof demoAccounts, payload: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/people/${someone}/erasure`, headers: { authorization: `Bearer ${await token(who)}` }, payload });
    const invalid = await call('admin', {});
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().errors.map((e: { field: string }) => e.field)).toEqual(['reason']);
    expect((await call('sro', { reason: 'No' })).statusCode).toBe(404);
    const ok = await call('admin', { reason: 'Asked by email' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id: someone, name: expect.stringMatching(/^Erased person \d+$/), erasedAt: '2026-11-26T10:00:00.000Z' });
    const again = await call('admin', { reason: 'Asked by email' });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
  });
});
