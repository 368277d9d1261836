import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, testNow, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

type Row = { id: string; name: string; email: string; organisation_id: string; version: number };

describe.each(backends)('people (%s)', (backend) => {
  let t: TestApp;
  let sroCouncil: string;
  let lp: string;
  const one = async (query: ReturnType<typeof sql>) => (await queryRows<Row>(t.db, query))[0];
  const personByEmail = (email: string) => one(sql`select id, name, email, organisation_id, version from people where lower(email) = lower(${email})`);
  /** A learner outside the demo SRO's council, managed by the given partner. */
  const personManagedBy = (partnerCode: string) =>
    one(sql`select p.id, p.name, p.email, p.organisation_id, p.version from people p
      join participations pa on pa.council_id = p.organisation_id join organisations o on o.id = pa.managing_partner_id
      where o.code = ${partnerCode} and p.organisation_id <> ${sroCouncil}::uuid and 'learner' = any(p.roles) order by p.email limit 1`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    sroCouncil = (await personByEmail(demoAccounts.sro.email)).organisation_id;
    lp = (await one(sql`select id from organisations where code = 'LP'`)).id;
  });
  afterAll(async () => t?.close());

  describe('invitation', () => {
    it('invites a person, emails a single-use link, and the link sets a strong password and signs them in', async () => {
      const admin = await t.signIn('admin');
      const form = await admin.get('/people/invite');
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('<optgroup label="Councils">');
      const email = 'new.learner@demo-council.example.gov.uk';
      const res = await admin.submit('/people/invite', { name: 'Nia Jones', email, organisationId: sroCouncil, jobTitle: 'Contract Officer', roles: 'learner' });
      expect(res.statusCode).toBe(302);
      const personPage = await admin.get(res.headers.location as string);
      expect(personPage.body).toContain(`Invitation sent to ${email}`);
      expect(personPage.body).toContain('Invited');

      await t.app.outbox.kick();
      const mail = t.mailer.lastTo(email);
      expect(mail?.subject).toBe('You have been invited to Pioneer');
      const link = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(mail!.body)![0]).pathname;

      const invitee = t.agent();
      const page = await invitee.get(link);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Create a password');
      for (const [password, confirmPassword, message] of [
        ['short', 'short', 'Password must be'],
        ['password1234', 'password1234', 'common'],
        ['correct horse battery staple', 'correct horse battery stapler', 'Passwords must match'],
      ]) {
        const weak = await invitee.submit(link, { password, confirmPassword }, { csrfFrom: link });
        expect(weak.statusCode).toBe(400);
        expect(errorSummary(weak.body).toLowerCase()).toContain(message.toLowerCase());
      }
      const done = await invitee.submit(link, { password: 'correct horse battery staple', confirmPassword: 'correct horse battery staple' }, { csrfFrom: link });
      expect(done.statusCode).toBe(302);
      const account = await invitee.get('/account');
      expect(account.statusCode).toBe(200);
      expect(account.body).toContain(email);

      const again = await t.agent().get(link);
      expect(again.statusCode).toBe(404);
      expect(again.body).toContain('This link has expired or has already been used');
    });

    it("counts a person invited a moment ago in the list's total at once, and an SRO's total only in their council", async () => {
      const totalOn = async (agent: Awaited<ReturnType<TestApp['signIn']>>) =>
        Number(/of (\d+) (?:person|people)<\/p>/.exec((await agent.get('/people')).body)?.[1]);
      const admin = await t.signIn('admin');
      const sro = await t.signIn('sro');
      const [adminBefore, sroBefore] = [await totalOn(admin), await totalOn(sro)];
      expect(adminBefore).toBeGreaterThan(sroBefore);
      // Both totals are now kept (read cache); the invitations below must show on the next page all the same.
      await admin.submit('/people/invite', { name: 'Cara Count', email: 'cara.count@demo-council.example.gov.uk', organisationId: sroCouncil, roles: 'learner' });
      await admin.submit('/people/invite', { name: 'Pat Partner', email: 'pat.partner@pioneer.example.gov.uk', organisationId: lp, roles: 'funder' });
      expect(await totalOn(admin)).toBe(adminBefore + 2);
      expect(await totalOn(sro)).toBe(sroBefore + 1);
    });

    it('refuses an invitation link after it expires', async () => {
      const admin = await t.signIn('admin');
      const email = 'late.starter@pioneer.example.gov.uk';
      await admin.submit('/people/invite', { name: 'Late Starter', email, organisationId: lp, roles: 'funder' });
      await t.app.outbox.kick();
      const link = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(t.mailer.lastTo(email)!.body)![0]).pathname;
      t.clock.set(new Date(Date.parse(testNow) + (t.config.inviteTtlHours + 1) * 3_600_000));
      try {
        const res = await t.agent().get(link);
        expect(res.statusCode).toBe(404);
        expect(res.body).toContain('This link has expired or has already been used');
      } finally {
        t.clock.set(testNow);
      }
    });

    it('resends an invitation: the new link works and the old one no longer does', async () => {
      const admin = await t.signIn('admin');
      const email = 'resend.me@pioneer.example.gov.uk';
      await admin.submit('/people/invite', { name: 'Resend Me', email, organisationId: lp, roles: 'funder' });
      await t.app.outbox.kick();
      const first = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(t.mailer.lastTo(email)!.body)![0]).pathname;
      const again = await admin.submit(paths.personResendInvitation((await personByEmail(email)).id), {});
      expect(again.statusCode).toBe(302);
      const second = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(t.mailer.lastTo(email)!.body)![0]).pathname;
      expect(second).not.toBe(first);
      expect((await t.agent().get(first)).statusCode).toBe(404);
      expect((await t.agent().get(second)).statusCode).toBe(200);
    });

    it('refuses a duplicate email in any case, on the email field, keeping what was typed', async () => {
      const admin = await t.signIn('admin');
      const res = await admin.submit('/people/invite', { name: 'Copy Cat', email: demoAccounts.sro.email.toUpperCase(), organisationId: sroCouncil, roles: 'learner' });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('Someone already has this email address');
      expect(res.body).toContain('href="#email"');
      expect(res.body).toContain('value="Copy Cat"');
    });

    it('checks every field and that roles fit the organisation', async () => {
      const admin = await t.signIn('admin');
      const empty = await admin.submit('/people/invite', { name: '', email: 'not-an-email', organisationId: '' });
      expect(empty.statusCode).toBe(400);
      const summary = errorSummary(empty.body);
      expect(summary).toContain('Enter a full name');
      expect(summary).toContain('Enter an email address in the correct format');
      expect(summary).toContain('Select an organisation');
      expect(summary).toContain('Select at least one role');
      const misfit = await admin.submit('/people/invite', { name: 'Wrong Role', email: 'wrong.role@example.gov.uk', organisationId: sroCouncil, roles: ['learner', 'programme_admin'] });
      expect(misfit.statusCode).toBe(400);
      expect(errorSummary(misfit.body)).toContain('Programme admin is not a role for someone in a council');
    });

    it('stores HTML in a name as text and shows it escaped', async () => {
      const admin = await t.signIn('admin');
      const res = await admin.submit('/people/invite', { name: '<script>alert(1)</script> Evans', email: 'script.evans@example.gov.uk', organisationId: lp, roles: 'funder' });
      expect(res.statusCode).toBe(302);
      const page = await admin.get(res.headers.location as string);
      expect(page.body).not.toContain('<script>alert(1)</script>');
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Evans');
      expect((await personByEmail('script.evans@example.gov.uk')).name).toBe('<script>alert(1)</script> Evans');
    });

    it('lets only admins invite', async () => {
      const partner = await t.signIn('partnerLp');
      expect((await partner.get('/people/invite')).statusCode).toBe(403);
      const res = await partner.submit('/people/invite', { name: 'X', email: 'x@example.gov.uk', organisationId: lp, roles: 'funder' });
      expect(res.statusCode).toBe(403);
      expect(await personByEmail('x@example.gov.uk')).toBeUndefined();
    });
  });

  describe('forgotten password', () => {
    it('shows the same page for an unknown email and sends nothing; a known one gets a working link', async () => {
      const before = t.mailer.sent.length;
      const unknown = await t.agent().submit('/forgot-password', { email: 'nobody@example.gov.uk' });
      expect(unknown.statusCode).toBe(200);
      expect(unknown.body).toContain('Check your email');
      expect(t.mailer.sent.length).toBe(before);
      const known = await t.agent().submit('/forgot-password', { email: demoAccounts.funder.email });
      expect(known.statusCode).toBe(200);
      // The same page either way, apart from the address typed and the per-response CSP nonce.
      const page = (body: string, email: string) => body.replace(email, '').replace(/nonce="[^"]+"/g, '');
      expect(page(known.body, demoAccounts.funder.email)).toBe(page(unknown.body, 'nobody@example.gov.uk'));
      const mail = t.mailer.lastTo(demoAccounts.funder.email);
      expect(mail?.subject).toBe('Reset your Pioneer password');
      const link = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(mail!.body)![0]).pathname;
      expect((await t.agent().get(link)).statusCode).toBe(200);
    });
  });

  describe('managing people', () => {
    it('deactivates after a confirmation page: their session and API token stop working at once', async () => {
      const admin = await t.signIn('admin');
      const victim = await t.signIn('partnerMhclg');
      const person = await personByEmail(demoAccounts.partnerMhclg.email);
      const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'Test token');
      expect((await t.app.inject({ url: '/api/v1/people?pageSize=1', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);

      const confirm = await admin.get(`/people/${person.id}/deactivate`);
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain(`Are you sure you want to deactivate ${person.name}?`);
      const res = await admin.submit(`/people/${person.id}/deactivate`, {});
      expect(res.statusCode).toBe(302);
      expect((await admin.get(res.headers.location as string)).body).toContain('has been deactivated');

      const next = await victim.get('/people');
      expect(next.statusCode).toBe(302);
      expect(next.headers.location).toContain('/sign-in');
      const api = await t.app.inject({ url: '/api/v1/people', headers: { authorization: `Bearer ${token}` } });
      expect(api.statusCode).toBe(401);
      expect(api.headers['content-type']).toContain('application/problem+json');
      const signIn = await t.agent().submit('/sign-in', { email: person.email, password: 'pioneer-demo-2026' });
      expect(signIn.statusCode).toBe(400);

      const reactivate = await admin.submit(`/people/${person.id}/reactivate`, {});
      expect(reactivate.statusCode).toBe(302);
      expect((await t.agent().submit('/sign-in', { email: person.email, password: 'pioneer-demo-2026' })).statusCode).toBe(302);
    });

    it('does not let an admin deactivate themselves or remove their own admin role', async () => {
      const admin = await t.signIn('admin');
      const me = await personByEmail(demoAccounts.admin.email);
      const page = await admin.get(`/people/${me.id}`);
      expect(page.body).not.toContain(`/people/${me.id}/deactivate`);
      const confirm = await admin.get(`/people/${me.id}/deactivate`);
      expect(confirm.body).toContain('You cannot deactivate your own account');
      const res = await admin.submit(`/people/${me.id}/deactivate`, {});
      expect(res.statusCode).toBe(409);
      const roles = await admin.submit(`/people/${me.id}/roles`, { roles: 'funder', version: String(me.version) });
      expect(roles.statusCode).toBe(400);
      expect(errorSummary(roles.body)).toContain('You cannot remove your own programme admin role');
      expect((await admin.get('/people')).statusCode).toBe(200);
    });

    it('changes roles, and refuses a stale edit with 409 showing the current roles', async () => {
      const admin = await t.signIn('admin');
      const person = await personManagedBy('LP');
      const form = await admin.get(`/people/${person.id}/roles`);
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain(`name="version" value="${person.version}"`);
      expect(form.body).not.toContain('value="programme_admin"');
      const ok = await admin.submit(`/people/${person.id}/roles`, { roles: ['learner', 'council_lead'], version: String(person.version) });
      expect(ok.statusCode).toBe(302);
      expect((await admin.get(ok.headers.location as string)).body).toContain('Council lead, Learner');

      const stale = await admin.submit(`/people/${person.id}/roles`, { roles: 'learner', version: String(person.version) });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this person while you were editing');
      expect(stale.body).toContain(`name="version" value="${person.version + 1}"`);

      const none = await admin.submit(`/people/${person.id}/roles`, { version: String(person.version + 1) });
      expect(none.statusCode).toBe(400);
      expect(errorSummary(none.body)).toContain('Select at least one role');

      const [audit] = await queryRows<{ before: unknown; after: unknown }>(t.db, sql`select before, after from audit_events where action = 'person.roles_changed' and record_id = ${person.id}`);
      expect(audit).toEqual({ before: { roles: ['learner'] }, after: { roles: ['council_lead', 'learner'] } });
    });

    it('shows the management actions to admins only', async () => {
      const person = await personByEmail(demoAccounts.learner.email);
      const sro = await t.signIn('sro');
      const page = await sro.get(`/people/${person.id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).not.toContain('/deactivate');
      expect((await sro.get(`/people/${person.id}/roles`)).statusCode).toBe(404);
      expect((await sro.submit(`/people/${person.id}/deactivate`, {})).statusCode).toBe(404);
    });
  });

  describe('the list and who sees whom', () => {
    it('lists, searches, filters, sorts and paginates for an admin', async () => {
      const admin = await t.signIn('admin');
      const first = await admin.get('/people');
      expect(first.statusCode).toBe(200);
      expect(first.body).toMatch(/Showing 1 to 50 of \d+ people/);
      expect(first.body).toContain('govuk-pagination');
      const search = await admin.get(`/people?q=${encodeURIComponent('SRO@demo-council')}`);
      expect(search.body).toContain('Showing 1 to 1 of 1 person');
      const funders = await admin.get('/people?role=funder&sort=email&order=desc');
      expect(funders.body).toContain(demoAccounts.funder.email);
      expect(funders.body).not.toContain(demoAccounts.sro.email);
      expect(funders.body).toContain('aria-sort="descending"');
      const none = await admin.get('/people?q=zzzz-nobody');
      expect(none.body).toContain('No people found');
      const wild = await admin.get('/people?q=%25&status=nonsense&page=x');
      expect(wild.statusCode).toBe(200);
      expect(wild.body).toContain('No people found');
    });

    it('downloads the filtered list as CSV and XLSX', async () => {
      const admin = await t.signIn('admin');
      const csv = await admin.get(`/people/export.csv?organisationId=${sroCouncil}`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.headers['content-disposition']).toMatch(/attachment; filename="people-2026-11-26\.csv"/);
      const lines = csv.body.trim().split('\r\n');
      expect(lines[0].replace(/^\uFEFF/, '')).toBe('Name,Email address,Organisation,Job title,Roles,Status');
      expect(csv.body).toContain(demoAccounts.sro.email);
      expect(csv.body).not.toContain(demoAccounts.admin.email);
      const xlsx = await admin.get('/people/export.xlsx?role=funder');
      expect(xlsx.statusCode).toBe(200);
      expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
    });

    it('shows an SRO only the people of their own council, and 404 for anyone else', async () => {
      const sro = await t.signIn('sro');
      const csv = await sro.get('/people/export.csv');
      const orgs = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from people where organisation_id = ${sroCouncil}::uuid`);
      expect(csv.body.trim().split('\r\n').length - 1).toBe(orgs[0].n);
      const other = await personManagedBy('MHCLG');
      expect((await sro.get(`/people/${other.id}`)).statusCode).toBe(404);
      expect((await sro.get(`/people?q=${encodeURIComponent(other.email)}`)).body).toContain('No people found');
      expect((await sro.get('/people/not-a-uuid')).statusCode).toBe(404);
      expect((await sro.get('/people/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    });

    it('shows partner staff only the people of the councils their organisation manages', async () => {
      const partner = await t.signIn('partnerLp');
      const mine = await personManagedBy('LP');
      const theirs = await personManagedBy('MHCLG');
      expect((await partner.get(`/people/${mine.id}`)).statusCode).toBe(200);
      expect((await partner.get(`/people/${theirs.id}`)).statusCode).toBe(404);
      const csv = await partner.get('/people/export.csv');
      expect(csv.body).toContain(mine.email);
      expect(csv.body).not.toContain(theirs.email);
      expect(csv.body).not.toContain(demoAccounts.admin.email);
    });

    it('shows a specialist only the people of their assigned councils', async () => {
      const specialist = await t.signIn('specialist');
      const [outside] = await queryRows<Row>(t.db, sql`select p.id from people p join organisations o on o.id = p.organisation_id
        where o.kind = 'council' and p.organisation_id not in (select council_id from specialist_assignments sa join people s on s.id = sa.person_id where s.email = ${demoAccounts.specialist.email}) limit 1`);
      expect((await specialist.get(`/people/${outside.id}`)).statusCode).toBe(404);
      expect((await specialist.get('/people')).statusCode).toBe(200);
    });

    it('refuses the people pages to learners and funders', async () => {
      const learner = await t.signIn('learner');
      expect((await learner.get('/people')).statusCode).toBe(403);
      expect((await learner.get('/people/export.csv')).statusCode).toBe(403);
      const self = await personByEmail(demoAccounts.learner.email);
      expect((await learner.get(`/people/${self.id}`)).statusCode).toBe(404);
      const funder = await t.signIn('funder');
      expect((await funder.get('/people')).statusCode).toBe(403);
    });
  });
});
