import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { pgArray, queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

type Person = { id: string; name: string; email: string };
type Council = { id: string; name: string };

/** Text as the templates write it (Nunjucks escapes apostrophes in names). */
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;');

describe.each(backends)('commercial specialists of a council (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  /** The demo specialist, who can sign in, and two other active specialists. */
  let specialist: Person;
  let others: Person[];
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const all = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);

  /** Councils managed by LP, cleared of their demo specialists; each test takes its own by index. */
  let freeCouncils: Council[];
  const freeCouncil = async (index: number) => freeCouncils[index];
  const assignedIds = async (councilId: string) =>
    (await all<{ id: string }>(sql`select person_id as id from specialist_assignments where council_id = ${councilId} order by person_id`)).map((r) => r.id);
  const auditEvents = (action: string, councilId: string) =>
    all<{ before: { specialistIds: string[] }; after: { specialistIds: string[] } }>(sql`
      select before, after from audit_events where action = ${action} and record_id = ${councilId} order by occurred_at, id`);
  const assign = (councilId: string, personId: string) => t.db.execute(sql`insert into specialist_assignments (person_id, council_id) values (${personId}, ${councilId})`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    // A specialist who can sign in (demo accounts have the demo password).
    specialist = await one<Person>(sql`
      select id, name, email from people where 'specialist' = any(roles) and status = 'active' and password_hash is not null order by email limit 1`);
    expect(specialist.email).toBe(demoAccounts.specialist.email);
    others = await all<Person>(sql`
      select id, name, email from people where 'specialist' = any(roles) and status = 'active' and id <> ${specialist.id} order by email limit 2`);
    expect(others).toHaveLength(2);
    freeCouncils = await all<Council>(sql`
      select o.id, o.name from organisations o join participations p on p.council_id = o.id
      join organisations m on m.id = p.managing_partner_id
      where m.code = 'LP' and not exists (
        select 1 from specialist_assignments a where a.council_id = o.id and a.person_id = any(${pgArray([specialist.id, ...others.map((o) => o.id)])}::uuid[]))
      order by o.name limit 15`);
    expect(freeCouncils).toHaveLength(15);
    await t.db.execute(sql`delete from specialist_assignments where council_id = any(${pgArray(freeCouncils.map((c) => c.id))}::uuid[])`);
  });
  afterAll(async () => t?.close());

  describe('on the council page', () => {
    it('lists the assigned specialists to everyone who may view the council, with remove buttons and a select for admins only', async () => {
      const council = await freeCouncil(0);
      await assign(council.id, specialist.id);
      await assign(council.id, others[0].id);

      const page = await admin.get(paths.council(council.id));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<h2 class="govuk-heading-m" id="specialists">Commercial specialists</h2>');
      for (const p of [specialist, others[0]]) {
        expect(page.body).toContain(html(p.name));
        expect(page.body).toContain(p.email);
        // Each "Remove" names its person for screen readers, and leads to the confirmation page.
        expect(page.body).toContain(`Remove<span class="govuk-visually-hidden"> ${html(p.name)} from ${html(council.name)}</span>`);
        expect(page.body).toContain(`href="${paths.councilSpecialistRemove(council.id, p.id)}"`);
      }
      // The select offers active specialists not yet assigned, and not those already assigned.
      expect(page.body).toContain('<select class="govuk-select" id="personId" name="personId"');
      expect(page.body).toContain(`<option value="${others[1].id}"`);
      expect(page.body).not.toContain(`<option value="${others[0].id}"`);
      const partnerStaff = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.partnerLp.email}`);
      expect(page.body).not.toContain(`<option value="${partnerStaff.id}"`);

      for (const who of [specialist.email, 'partnerLp']) {
        const viewer = await t.signIn(who);
        const res = await viewer.get(paths.council(council.id));
        expect(res.statusCode, who).toBe(200);
        expect(res.body).toContain('Commercial specialists');
        expect(res.body).toContain(others[0].email);
        expect(res.body).not.toContain('/specialists/remove');
        expect(res.body).not.toContain('name="personId"');
      }
    });

    it('says when no specialist is assigned', async () => {
      const council = await freeCouncil(1);
      const res = await admin.get(paths.council(council.id));
      expect(res.body).toContain('No commercial specialists are assigned to this council.');
    });
  });

  describe('assigning', () => {
    it('lets an admin assign a specialist, who can then open the council and finds it in their list', async () => {
      const council = await freeCouncil(2);
      const viewer = await t.signIn(specialist.email);
      expect((await viewer.get(paths.council(council.id))).statusCode).toBe(404);

      const res = await admin.submit(paths.councilSpecialists(council.id), { personId: specialist.id });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${paths.council(council.id)}?done=specialist-assigned#specialists`);
      const page = await admin.get(`${paths.council(council.id)}?done=specialist-assigned`);
      expect(page.body).toContain('Commercial specialist assigned');
      expect(page.body).toContain(specialist.email);
      expect(await assignedIds(council.id)).toEqual([specialist.id]);
      expect(await auditEvents('council.specialist_assigned', council.id)).toEqual([{ before: { specialistIds: [] }, after: { specialistIds: [specialist.id] } }]);

      const own = await viewer.get(paths.council(council.id));
      expect(own.statusCode).toBe(200);
      expect(own.body).toContain(html(council.name));
      const list = await viewer.get(`${paths.councils()}?q=${encodeURIComponent(council.name)}`);
      expect(list.body).toContain(`href="${paths.council(council.id)}"`);
    });

    it('refuses someone who is not a commercial specialist, or not active, and changes nothing', async () => {
      const council = await freeCouncil(3);
      const partnerStaff = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.partnerLp.email}`);
      const deactivated = await one<{ id: string }>(sql`
        update people set status = 'deactivated' where id = (
          select id from people where 'specialist' = any(roles) and status = 'active' and password_hash is null and id <> all(${pgArray([others[0].id, others[1].id])}::uuid[])
          order by email limit 1) returning id`);
      for (const personId of [partnerStaff.id, deactivated.id, '00000000-0000-4000-8000-000000000000']) {
        const res = await admin.submit(paths.councilSpecialists(council.id), { personId });
        expect(res.statusCode, personId).toBe(400);
        expect(errorSummary(res.body)).toContain('Select an active commercial specialist');
        expect(res.body).toContain('govuk-select--error');
        expect(res.body).toContain('href="#personId"');
      }
      expect(await assignedIds(council.id)).toEqual([]);
      expect(await auditEvents('council.specialist_assigned', council.id)).toEqual([]);
    });

    it('asks for a choice when none is made', async () => {
      const council = await freeCouncil(3);
      for (const personId of ['', 'not-a-uuid']) {
        const res = await admin.submit(paths.councilSpecialists(council.id), { personId });
        expect(res.statusCode).toBe(400);
        expect(errorSummary(res.body)).toContain('Select a commercial specialist');
      }
    });

    it('refuses a specialist who is already assigned, with a clear message', async () => {
      const council = await freeCouncil(4);
      await assign(council.id, others[0].id);
      const res = await admin.submit(paths.councilSpecialists(council.id), { personId: others[0].id });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain(`${html(others[0].name)} is already assigned to this council`);
      expect(await assignedIds(council.id)).toEqual([others[0].id]);
      expect(await auditEvents('council.specialist_assigned', council.id)).toEqual([]);
    });

    it('refuses a post without the CSRF token and changes nothing', async () => {
      const council = await freeCouncil(5);
      for (const _csrf of ['', 'forged']) {
        const res = await admin.submit(paths.councilSpecialists(council.id), { _csrf, personId: others[0].id });
        expect(res.statusCode).toBe(403);
      }
      expect(await assignedIds(council.id)).toEqual([]);
    });

    it('is refused to partner staff and specialists (404), even for a council in their scope', async () => {
      const council = await freeCouncil(6);
      await assign(council.id, specialist.id);
      await assign(council.id, others[0].id);
      for (const who of ['partnerLp', specialist.email]) {
        const agent = await t.signIn(who);
        expect((await agent.get(paths.council(council.id))).statusCode, who).toBe(200);
        expect((await agent.submit(paths.councilSpecialists(council.id), { personId: others[1].id })).statusCode, who).toBe(404);
        expect((await agent.get(paths.councilSpecialistRemove(council.id, others[0].id))).statusCode, who).toBe(404);
        expect((await agent.submit(paths.councilSpecialistRemove(council.id), { personId: others[0].id })).statusCode, who).toBe(404);
      }
      expect(await assignedIds(council.id)).toEqual([specialist.id, others[0].id].sort());
    });

    it('answers 404 for an unknown or malformed council', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        expect((await admin.submit(paths.councilSpecialists(id), { personId: others[0].id })).statusCode).toBe(404);
        expect((await admin.get(paths.councilSpecialistRemove(id))).statusCode).toBe(404);
      }
    });
  });

  describe('removing', () => {
    it('asks for confirmation, then removes the specialist, who can no longer open the council', async () => {
      const council = await freeCouncil(7);
      await assign(council.id, specialist.id);
      await assign(council.id, others[0].id);
      const viewer = await t.signIn(specialist.email);
      expect((await viewer.get(paths.council(council.id))).statusCode).toBe(200);

      const confirm = await admin.get(paths.councilSpecialistRemove(council.id, specialist.id));
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain(`Are you sure you want to remove ${html(specialist.name)}?`);
      expect(confirm.body).toContain('govuk-warning-text');
      expect(confirm.body).toMatch(/class="govuk-button govuk-button--warning"[^>]*>\s*Yes, remove/);
      expect(confirm.body).toContain(`name="personId" value="${specialist.id}"`);
      expect(await assignedIds(council.id)).toHaveLength(2);

      const res = await admin.submit(paths.councilSpecialistRemove(council.id), { personId: specialist.id });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${paths.council(council.id)}?done=specialist-removed#specialists`);
      expect((await admin.get(`${paths.council(council.id)}?done=specialist-removed`)).body).toContain('Commercial specialist removed');
      expect(await assignedIds(council.id)).toEqual([others[0].id]);
      const [event] = await auditEvents('council.specialist_removed', council.id);
      expect(event.before.specialistIds.sort()).toEqual([specialist.id, others[0].id].sort());
      expect(event.after).toEqual({ specialistIds: [others[0].id] });

      expect((await viewer.get(paths.council(council.id))).statusCode).toBe(404);
      const list = await viewer.get(`${paths.councils()}?q=${encodeURIComponent(council.name)}`);
      expect(list.body).not.toContain(`href="${paths.council(council.id)}"`);
    });

    it('answers 404 with a clear message for someone who is not assigned, and changes nothing', async () => {
      const council = await freeCouncil(8);
      await assign(council.id, others[0].id);
      const page = await admin.get(paths.councilSpecialistRemove(council.id, others[1].id));
      expect(page.statusCode).toBe(404);
      expect(page.body).toContain('That person is not assigned to this council as a commercial specialist.');
      expect((await admin.get(paths.councilSpecialistRemove(council.id, 'not-a-uuid'))).statusCode).toBe(404);
      const res = await admin.submit(paths.councilSpecialistRemove(council.id), { personId: others[1].id });
      expect(res.statusCode).toBe(404);
      expect(await assignedIds(council.id)).toEqual([others[0].id]);
      expect(await auditEvents('council.specialist_removed', council.id)).toEqual([]);
    });

    it('without a person named, offers a choice among the assigned specialists and asks for one', async () => {
      const council = await freeCouncil(8);
      const choose = await admin.get(paths.councilSpecialistRemove(council.id));
      expect(choose.statusCode).toBe(200);
      expect(choose.body).toContain('Which specialist do you want to remove?');
      expect(choose.body).toContain(`value="${others[0].id}"`);
      const res = await admin.submit(paths.councilSpecialistRemove(council.id), {});
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('Select the commercial specialist to remove');
      const empty = await admin.get(paths.councilSpecialistRemove((await freeCouncil(9)).id));
      expect(empty.statusCode).toBe(200);
      expect(empty.body).toContain('No commercial specialists are assigned to');
    });
  });

  describe('the API', () => {
    const tokens: Record<string, string> = {};
    const tokenFor = async (email: string) => {
      if (!tokens[email]) {
        const person = await one<{ id: string }>(sql`select id from people where email = ${email}`);
        tokens[email] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
      }
      return tokens[email];
    };
    const api = async (method: 'GET' | 'PUT', url: string, email: string, payload?: object) =>
      t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${await tokenFor(email)}` }, ...(payload ? { payload } : {}) });
    const adminEmail = demoAccounts.admin.email;
    const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    };

    it('lists a council’s specialists and replaces the set, auditing each change', async () => {
      const council = await freeCouncil(10);
      await assign(council.id, others[0].id);
      const url = `/councils/${council.id}/specialists`;
      const before = await api('GET', url, adminEmail);
      expect(before.statusCode).toBe(200);
      expect(before.json()).toEqual({ data: [{ personId: others[0].id, name: others[0].name, email: others[0].email }] });

      const res = await api('PUT', url, adminEmail, { personIds: [specialist.id, others[1].id] });
      expect(res.statusCode).toBe(200);
      const expected = [specialist, others[1]].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      expect(res.json().data.map((s: { personId: string }) => s.personId).sort()).toEqual(expected.map((p) => p.id).sort());
      expect(await assignedIds(council.id)).toEqual([specialist.id, others[1].id].sort());
      expect(await auditEvents('council.specialist_removed', council.id)).toHaveLength(1);
      const added = await auditEvents('council.specialist_assigned', council.id);
      expect(added).toHaveLength(2);
      expect(added[1].after.specialistIds).toEqual([specialist.id, others[1].id].sort());

      // The specialist now sees the council through the API too.
      expect((await api('GET', url, specialist.email)).statusCode).toBe(200);
      // The same set again changes nothing and writes no audit event.
      expect((await api('PUT', url, adminEmail, { personIds: [others[1].id, specialist.id] })).statusCode).toBe(200);
      expect(await auditEvents('council.specialist_assigned', council.id)).toHaveLength(2);
      // An empty list removes them all.
      expect((await api('PUT', url, adminEmail, { personIds: [] })).json()).toEqual({ data: [] });
      expect(await assignedIds(council.id)).toEqual([]);
      expectProblem(await api('GET', url, specialist.email), 404);
    });

    it('answers 422 for a body of the wrong shape, a non-specialist or a repeated person, and changes nothing', async () => {
      const council = await freeCouncil(11);
      const url = `/councils/${council.id}/specialists`;
      const partnerStaff = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.partnerLp.email}`);
      const cases: [object, string][] = [
        [{}, 'personIds'],
        [{ personIds: ['not-a-uuid'] }, 'personIds.0'],
        [{ personIds: [others[0].id, others[0].id] }, 'personIds'],
        [{ personIds: [others[0].id, partnerStaff.id] }, 'personIds.1'],
        [{ personIds: ['00000000-0000-4000-8000-000000000000'] }, 'personIds.0'],
      ];
      for (const [payload, field] of cases) {
        const res = await api('PUT', url, adminEmail, payload);
        expectProblem(res, 422);
        expect(res.json().errors.map((e: { field: string }) => e.field), JSON.stringify(payload)).toContain(field);
      }
      expect(await assignedIds(council.id)).toEqual([]);
    });

    it('answers 404 outside the caller’s scope, before looking at the body, and to those who may not assign', async () => {
      const mhclgCouncil = await one<Council>(sql`
        select p.council_id as id, o.name from participations p join organisations m on m.id = p.managing_partner_id
        join organisations o on o.id = p.council_id where m.code = 'MHCLG' order by o.name limit 1`);
      const lpCouncil = await freeCouncil(12);
      await assign(lpCouncil.id, others[0].id);
      const lp = demoAccounts.partnerLp.email;
      expectProblem(await api('GET', `/councils/${mhclgCouncil.id}/specialists`, lp), 404);
      expectProblem(await api('GET', `/councils/${lpCouncil.id}/specialists`, specialist.email), 404);
      expectProblem(await api('GET', '/councils/00000000-0000-4000-8000-000000000000/specialists', adminEmail), 404);
      expectProblem(await api('PUT', '/councils/00000000-0000-4000-8000-000000000000/specialists', adminEmail, { personIds: 'nonsense' }), 404);
      // Partner staff may read their own council's specialists but not change them: the route names a record, so 404.
      expect((await api('GET', `/councils/${lpCouncil.id}/specialists`, lp)).statusCode).toBe(200);
      expectProblem(await api('PUT', `/councils/${lpCouncil.id}/specialists`, lp, { personIds: [] }), 404);
      expectProblem(await api('PUT', `/councils/${lpCouncil.id}/specialists`, specialist.email, { personIds: [] }), 404);
      expect(await assignedIds(lpCouncil.id)).toEqual([others[0].id]);
    });
  });
});
