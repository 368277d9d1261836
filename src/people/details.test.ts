import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, testNow, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

type Person = { id: string; name: string; email: string; job_title: string | null; organisation_id: string; version: number; status: string };

/** Correcting a person's name, job title and email address (pages and API). */
describe.each(backends)('correcting people (%s)', (backend) => {
  let t: TestApp;
  let sroCouncil: string;
  let sroDomain: string;
  const tokens: Record<string, string> = {};
  let made = 0;

  const person = async (id: string) => (await queryRows<Person>(t.db, sql`select id, name, email, job_title, organisation_id, version, status from people where id = ${id}`))[0];
  const audits = (id: string, action: string) =>
    queryRows<{ before: Record<string, unknown> | null; after: Record<string, unknown> | null }>(
      t.db,
      sql`select before, after from audit_events where record_id = ${id} and action = ${action} order by occurred_at`,
    );
  /** A fresh learner of a council (each test gets its own, so tests do not depend on each other). */
  const learnerOf = async (council: string, status: 'active' | 'invited' = 'active') => {
    made++;
    const domain = council === sroCouncil ? sroDomain : 'elsewhere.example.gov.uk';
    const [row] = await queryRows<{ id: string }>(
      t.db,
      sql`insert into people (name, email, organisation_id, job_title, roles, status)
          values (${`Officer ${made}`}, ${`officer.${made}@${domain}`}, ${council}, 'Contract Officer', '{learner}', ${status}) returning id`,
    );
    return person(row.id);
  };
  const otherCouncil = async () =>
    (await queryRows<{ id: string }>(t.db, sql`select id from organisations where kind = 'council' and id <> ${sroCouncil} order by id limit 1`))[0].id;
  const linkIn = (body: string) => new URL(/https?:\/\/\S+\/confirm-email\/\S+/.exec(body)![0]).pathname;
  const api = (method: 'PATCH' | 'GET', url: string, who: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [{ id: sroCouncil }] = await queryRows<{ id: string }>(t.db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`);
    sroDomain = demoAccounts.sro.email.split('@')[1];
    for (const who of ['admin', 'sro', 'lead', 'learner', 'partnerLp'] as const) {
      const [p] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, `${who} details test`)).token;
    }
  });
  afterAll(async () => t?.close());
  beforeEach(() => t.clock.set(testNow));

  describe('name and job title', () => {
    it('an admin corrects them: the page says so, the version moves on and the audit has before and after', async () => {
      const p = await learnerOf(sroCouncil);
      const admin = await t.signIn('admin');
      const page = await admin.get(paths.person(p.id));
      expect(page.body).toContain(`href="${paths.personEdit(p.id)}"`);
      const form = await admin.get(paths.personEdit(p.id));
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain(`value="${p.email}"`);
      const res = await admin.submit(paths.personEdit(p.id), { name: 'Olu Adeyemi', email: p.email, jobTitle: 'Senior Contract Manager', version: String(p.version) });
      expect(res.statusCode).toBe(302);
      const after = await admin.get(res.headers.location as string);
      expect(after.body).toContain('Olu Adeyemi’s details have been updated');
      expect(after.body).toContain('Senior Contract Manager');
      expect(await person(p.id)).toMatchObject({ name: 'Olu Adeyemi', job_title: 'Senior Contract Manager', email: p.email, version: p.version + 1 });
      expect(await audits(p.id, 'person.details_changed')).toEqual([
        { before: { name: p.name, jobTitle: 'Contract Officer' }, after: { name: 'Olu Adeyemi', jobTitle: 'Senior Contract Manager' } },
      ]);
      expect(t.mailer.lastTo(p.email)).toBeUndefined();
    });

    it('the council’s SRO and lead correct their own council’s people; another council’s person is not found', async () => {
      const own = await learnerOf(sroCouncil);
      const lead = await t.signIn('lead');
      expect((await lead.get(paths.person(own.id))).body).toContain(`href="${paths.personEdit(own.id)}"`);
      const res = await lead.submit(paths.personEdit(own.id), { name: own.name, email: own.email, jobTitle: '', version: String(own.version) });
      expect(res.statusCode).toBe(302);
      expect((await person(own.id)).job_title).toBeNull();

      const elsewhere = await learnerOf(await otherCouncil());
      const sro = await t.signIn('sro');
      expect((await sro.get(paths.personEdit(elsewhere.id))).statusCode).toBe(404);
      const refused = await sro.submit(paths.personEdit(elsewhere.id), { name: 'Hijacked', email: elsewhere.email, version: String(elsewhere.version) });
      expect(refused.statusCode).toBe(404);
      expect(await person(elsewhere.id)).toEqual(elsewhere);
    });

    it('refuses roles without the right with 404, changing nothing', async () => {
      const p = await learnerOf(sroCouncil);
      for (const who of ['partnerLp', 'specialist', 'learner'] as const) {
        const agent = await t.signIn(who);
        expect((await agent.get(paths.personEdit(p.id))).statusCode, who).toBe(404);
        expect((await agent.submit(paths.personEdit(p.id), { name: 'Changed', email: p.email, version: String(p.version) })).statusCode, who).toBe(404);
      }
      expect(await person(p.id)).toEqual(p);
    });

    it('refuses a stale edit with 409, showing what is there now', async () => {
      const p = await learnerOf(sroCouncil);
      const admin = await t.signIn('admin');
      await admin.submit(paths.personEdit(p.id), { name: 'First Editor', email: p.email, jobTitle: '', version: String(p.version) });
      const stale = await admin.submit(paths.personEdit(p.id), { name: 'Second Editor', email: p.email, jobTitle: '', version: String(p.version) });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('changed by someone else');
      expect(stale.body).toContain('value="First Editor"');
      expect(stale.body).toContain(`name="version" value="${p.version + 1}"`);
      expect((await person(p.id)).name).toBe('First Editor');
    });

    it('checks every field, keeps what was typed and changes nothing', async () => {
      const p = await learnerOf(sroCouncil);
      const admin = await t.signIn('admin');
      const res = await admin.submit(paths.personEdit(p.id), { name: '  ', email: 'not-an-email', jobTitle: 'x'.repeat(201), version: String(p.version) });
      expect(res.statusCode).toBe(400);
      const summary = errorSummary(res.body);
      expect(summary).toContain('Enter a full name');
      expect(summary).toContain('Enter an email address in the correct format');
      expect(summary).toContain('Job title must be 200 characters or fewer');
      expect(res.body).toContain('value="not-an-email"');
      expect(await person(p.id)).toEqual(p);
      expect(await audits(p.id, 'person.details_changed')).toEqual([]);
    });
  });

  describe('email address', () => {
    it('changes only once the link sent to the new address is opened; the old address is told; the link works once', async () => {
      const p = await learnerOf(sroCouncil);
      const newEmail = `renamed.${made}@${sroDomain}`;
      const sro = await t.signIn('sro');
      const res = await sro.submit(paths.personEdit(p.id), { name: p.name, email: newEmail, jobTitle: 'Contract Officer', version: String(p.version) });
      expect(res.statusCode).toBe(302);
      const page = await sro.get(res.headers.location as string);
      expect(page.body).toContain('We have sent a link to confirm the new email address');
      expect(page.body).toContain(`Waiting for confirmation of a change to ${newEmail}`);
      expect((await person(p.id)).email).toBe(p.email);

      await t.app.outbox.kick();
      const confirmation = t.mailer.lastTo(newEmail)!;
      expect(confirmation.subject).toBe('Confirm your new email address for Pioneer');
      expect(t.mailer.lastTo(p.email)?.body).toContain(`to ${newEmail}`);
      const link = linkIn(confirmation.body);

      // The confirmation link never sets a password.
      expect((await t.agent().get(link.replace('/confirm-email/', '/set-password/'))).statusCode).toBe(404);

      const visitor = t.agent();
      const confirm = await visitor.get(link);
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain(newEmail);
      expect((await person(p.id)).email).toBe(p.email);
      const done = await visitor.submit(link, {}, { csrfFrom: link });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain('Your email address has been changed');
      expect(await person(p.id)).toMatchObject({ email: newEmail, version: p.version + 1 });
      expect(await audits(p.id, 'person.email_change_requested')).toEqual([{ before: { email: p.email }, after: { email: newEmail } }]);
      expect(await audits(p.id, 'person.email_changed')).toEqual([{ before: { email: p.email }, after: { email: newEmail } }]);

      const again = await t.agent().get(link);
      expect(again.statusCode).toBe(404);
      expect(again.body).toContain('This link has expired or has already been used');
      expect((await t.agent().submit(link, {}, { csrfFrom: '/sign-in' })).statusCode).toBe(404);
    });

    it('refuses an expired link, and an earlier link once a newer change is asked for', async () => {
      const p = await learnerOf(sroCouncil);
      const admin = await t.signIn('admin');
      await admin.submit(paths.personEdit(p.id), { name: p.name, email: `first.${made}@${sroDomain}`, jobTitle: '', version: String(p.version) });
      await t.app.outbox.kick();
      const first = linkIn(t.mailer.lastTo(`first.${made}@${sroDomain}`)!.body);
      await admin.submit(paths.personEdit(p.id), { name: p.name, email: `second.${made}@${sroDomain}`, jobTitle: '', version: String(p.version + 1) });
      await t.app.outbox.kick();
      const second = linkIn(t.mailer.lastTo(`second.${made}@${sroDomain}`)!.body);
      expect((await t.agent().get(first)).statusCode).toBe(404);

      t.clock.set(new Date(Date.parse(testNow) + (t.config.emailChangeTtlHours + 1) * 3_600_000));
      const late = await t.agent().get(second);
      expect(late.statusCode).toBe(404);
      expect(late.body).toContain('This link has expired or has already been used');
      expect((await person(p.id)).email).toBe(p.email);
    });

    it('refuses an address someone else has, in any case, on the email field, and sends nothing', async () => {
      const p = await learnerOf(sroCouncil);
      const admin = await t.signIn('admin');
      const before = t.mailer.sent.length;
      const res = await admin.submit(paths.personEdit(p.id), { name: p.name, email: demoAccounts.lead.email.toUpperCase(), jobTitle: '', version: String(p.version) });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('Someone already has this email address');
      expect(res.body).toContain('href="#email"');
      await t.app.outbox.kick();
      expect(t.mailer.sent.length).toBe(before);
      expect(await person(p.id)).toEqual(p);
    });

    it('refuses at confirmation an address someone else took meanwhile', async () => {
      const p = await learnerOf(sroCouncil);
      const wanted = `contested.${made}@${sroDomain}`;
      const admin = await t.signIn('admin');
      await admin.submit(paths.personEdit(p.id), { name: p.name, email: wanted, jobTitle: '', version: String(p.version) });
      await t.app.outbox.kick();
      const link = linkIn(t.mailer.lastTo(wanted)!.body);
      const other = await learnerOf(sroCouncil);
      await t.db.execute(sql`update people set email = ${wanted.toUpperCase()} where id = ${other.id}`);
      const visitor = t.agent();
      const res = await visitor.submit(link, {}, { csrfFrom: link });
      expect(res.statusCode).toBe(409);
      expect(errorSummary(res.body)).toContain('Someone already has this email address');
      expect((await person(p.id)).email).toBe(p.email);
    });

    it('keeps a council’s own staff to the council’s email domains; the programme team go outside them when they say so', async () => {
      const p = await learnerOf(sroCouncil);
      const sro = await t.signIn('sro');
      const outside = await sro.submit(paths.personEdit(p.id), { name: p.name, email: `officer@gmail.example.com`, jobTitle: '', version: String(p.version) });
      expect(outside.statusCode).toBe(400);
      expect(errorSummary(outside.body)).toContain(`Use an address on`);
      expect(errorSummary(outside.body)).toContain(sroDomain);
      const sneaky = await sro.submit(paths.personEdit(p.id), { name: p.name, email: `officer@gmail.example.com`, allowOutsideDomains: 'yes', jobTitle: '', version: String(p.version) });
      expect(sneaky.statusCode).toBe(400);
      expect(errorSummary(sneaky.body)).toContain('Only the programme team can allow an address outside');

      const admin = await t.signIn('admin');
      const asked = await admin.submit(paths.personEdit(p.id), { name: p.name, email: `officer.${made}@gmail.example.com`, jobTitle: '', version: String(p.version) });
      expect(asked.statusCode).toBe(400);
      expect(errorSummary(asked.body)).toContain('Allow an address outside the council’s domains');
      const allowed = await admin.submit(paths.personEdit(p.id), { name: p.name, email: `officer.${made}@gmail.example.com`, allowOutsideDomains: 'yes', jobTitle: '', version: String(p.version) });
      expect(allowed.statusCode).toBe(302);
      expect(await audits(p.id, 'person.email_change_requested')).toEqual([
        { before: { email: p.email }, after: { email: `officer.${made}@gmail.example.com`, emailDomainsOverridden: true } },
      ]);
      expect((await person(p.id)).email).toBe(p.email);
    });

    it('sends someone still invited a new invitation at the confirmed address', async () => {
      const p = await learnerOf(sroCouncil, 'invited');
      const newEmail = `typo.fixed.${made}@${sroDomain}`;
      const admin = await t.signIn('admin');
      await admin.submit(paths.personEdit(p.id), { name: p.name, email: newEmail, jobTitle: '', version: String(p.version) });
      await t.app.outbox.kick();
      const link = linkIn(t.mailer.lastTo(newEmail)!.body);
      const visitor = t.agent();
      const done = await visitor.submit(link, {}, { csrfFrom: link });
      expect(done.body).toContain('We have sent an invitation to it');
      await t.app.outbox.kick();
      const invitation = t.mailer.lastTo(newEmail)!;
      expect(invitation.subject).toBe('You have been invited to Pioneer');
      const setPassword = new URL(/https?:\/\/\S+\/set-password\/\S+/.exec(invitation.body)![0]).pathname;
      expect((await t.agent().get(setPassword)).statusCode).toBe(200);
    });
  });

  describe('API: PATCH /api/v1/people/{id}', () => {
    it('corrects the name at once and answers the person; a new address waits for confirmation', async () => {
      const p = await learnerOf(sroCouncil);
      const res = await api('PATCH', `/api/v1/people/${p.id}`, 'sro', { name: 'Api Renamed', version: p.version });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: p.id, name: 'Api Renamed', jobTitle: 'Contract Officer', version: p.version + 1, emailChangeSentTo: null });

      const newEmail = `api.${made}@${sroDomain}`;
      const change = await api('PATCH', `/api/v1/people/${p.id}`, 'admin', { email: newEmail, version: p.version + 1 });
      expect(change.statusCode).toBe(200);
      expect(change.json()).toMatchObject({ email: p.email, emailChangeSentTo: newEmail });
      await t.app.outbox.kick();
      expect(t.mailer.lastTo(newEmail)?.subject).toBe('Confirm your new email address for Pioneer');
    });

    it('answers problem details: 409 for a stale version or a taken address, 422 for bad input, 404 outside scope or without the right', async () => {
      const p = await learnerOf(sroCouncil);
      const stale = await api('PATCH', `/api/v1/people/${p.id}`, 'admin', { name: 'Late', version: p.version + 5 });
      expect(stale.statusCode).toBe(409);
      expect(stale.headers['content-type']).toContain('application/problem+json');
      const taken = await api('PATCH', `/api/v1/people/${p.id}`, 'admin', { email: demoAccounts.sro.email, version: p.version });
      expect(taken.statusCode).toBe(409);
      expect(taken.json().detail).toContain('Someone already has this email address');
      const bad = await api('PATCH', `/api/v1/people/${p.id}`, 'admin', { name: '', email: 'nope', version: 'one' });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'version']);

      const elsewhere = await learnerOf(await otherCouncil());
      expect((await api('PATCH', `/api/v1/people/${elsewhere.id}`, 'sro', { name: 'Hijacked', version: elsewhere.version })).statusCode).toBe(404);
      expect((await api('PATCH', `/api/v1/people/${p.id}`, 'partnerLp', { name: 'Nope', version: p.version })).statusCode).toBe(404);
      expect((await api('PATCH', `/api/v1/people/${p.id}`, 'learner', { name: 'Nope', version: p.version })).statusCode).toBe(404);
      expect(await person(p.id)).toEqual(p);
      expect(await person(elsewhere.id)).toEqual(elsewhere);
    });
  });
});
