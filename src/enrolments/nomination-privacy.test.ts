import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

const period = '2027-28';
const nominationHeader = 'council_code,name,email,job_title,level,period';
const unusable =
  'This email address cannot be nominated by your council: use an address on colchester.example.gov.uk or demo-council.example.gov.uk. Check the address or ask the programme team';

type Target = { label: string; name: string; email: string };

// A council's own staff must never learn from a refusal who has an account outside their council (issue 8, items 7 and 8).
describe.each(backends)('nominating: people outside the council and email domains (%s)', (backend) => {
  let t: TestApp;
  let sro: Agent;
  let admin: Agent;
  const tokens = {} as Record<'sro' | 'admin', string>;
  let council: { id: string; gssCode: string; name: string };
  const targets: Target[] = [];
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const api = (who: 'sro' | 'admin', payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/enrolments', headers: { authorization: `Bearer ${tokens[who]}` }, payload });
  const upload = (who: 'sro' | 'admin', rows: string[]) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/nominations',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${tokens[who]}` },
      payload: [nominationHeader, ...rows].join('\n') + '\n',
    });
  /** A page without what differs per request (the CSP nonce). */
  const samePage = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');
  /** A problem as a client sees it, without what differs per request. */
  const problemOf = (res: { json(): Record<string, unknown> }) => {
    const { requestId: _id, instance: _instance, ...rest } = res.json();
    return rest;
  };
  const written = async () => one<{ people: number; enrolments: number; audits: number }>(sql`
    select (select count(*)::int from people) as people, (select count(*)::int from enrolments) as enrolments, (select count(*)::int from audit_events) as audits`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [sro, admin] = [await t.signIn('sro'), await t.signIn('admin')];
    for (const who of ['sro', 'admin'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    council = await one(sql`select o.id, o.gss_code as "gssCode", o.name from organisations o join people p on p.organisation_id = o.id where p.email = ${demoAccounts.sro.email}`);
    const stranger = await one<Target>(sql`
      select name, email from people where organisation_id <> ${council.id} and 'learner' = any(roles) order by email limit 1`);
    const partner = await one<Target>(sql`select name, email from people where email = ${demoAccounts.partnerLp.email}`);
    const deactivated = await one<Target>(sql`
      update people set status = 'deactivated' where id = (select id from people where 'partner_staff' = any(roles) and email <> ${demoAccounts.partnerLp.email} order by email limit 1)
      returning name, email`);
    // Someone elsewhere whose address is on the council's own domain: only the generic message may answer.
    const onOurDomain = await one<Target>(sql`
      insert into people (name, email, organisation_id, roles, status)
      values ('Morwenna Trelawny', 'morwenna.trelawny@demo-council.example.gov.uk', (select organisation_id from people where email = ${stranger.email}), '{learner}', 'active')
      returning name, email`);
    targets.push({ ...stranger, label: 'another council’s officer' }, { ...partner, label: 'partner staff' }, { ...deactivated, label: 'a deactivated partner' }, { ...onOurDomain, label: 'another council’s officer on our domain' });
  });
  afterAll(async () => t?.close());

  it('gives the API the same answer for anyone outside the council as for an address nobody has', async () => {
    const before = await written();
    const body = (email: string) => ({ councilId: council.id, level: 'foundation', period, person: { name: 'Some One', email } });
    const nobody = await api('sro', body('nobody@elsewhere.example.gov.uk'));
    expect(nobody.statusCode).toBe(422);
    expect(problemOf(nobody)).toEqual({ type: 'about:blank', status: 422, title: 'Unprocessable Content', detail: unusable, errors: [{ field: 'email', message: unusable }] });
    for (const target of targets) {
      const res = await api('sro', body(target.email));
      expect(problemOf(res), target.label).toEqual(problemOf(nobody));
      expect(res.body).not.toContain(target.email);
      expect(res.body).not.toContain(target.name);
    }
    expect(await written()).toEqual(before);
  });

  it('answers another organisation’s person id as it answers an id nobody has', async () => {
    const stranger = await one<{ id: string; name: string; email: string }>(sql`select id, name, email from people where email = ${targets[0].email}`);
    const unknown = await api('sro', { councilId: council.id, level: 'foundation', period, personId: '00000000-0000-4000-8000-000000000000' });
    const res = await api('sro', { councilId: council.id, level: 'foundation', period, personId: stranger.id });
    expect(res.statusCode).toBe(422);
    expect(problemOf(res)).toEqual(problemOf(unknown));
    expect(res.json().errors).toEqual([{ field: 'personId', message: 'Select an officer from your council' }]);
    expect(res.body).not.toContain(stranger.email);
    expect(res.body).not.toContain(stranger.name);
    // The programme team may still see the precise reason.
    const precise = await api('admin', { councilId: council.id, level: 'foundation', period, personId: stranger.id });
    expect(precise.json().detail).toBe(`${stranger.email} belongs to another organisation, not ${council.name}`);
  });

  it('shows the page’s error summary for anyone outside the council exactly as for an address nobody has', async () => {
    const before = await written();
    const submit = (email: string) => sro.submit('/learners/nominate/new', { name: 'Some One', email, level: 'foundation', period });
    const nobody = await submit('nobody@elsewhere.example.gov.uk');
    expect(nobody.statusCode).toBe(400);
    expect(errorSummary(nobody.body)).toContain(unusable);
    for (const target of targets) {
      const res = await submit(target.email);
      expect(errorSummary(res.body), target.label).toBe(errorSummary(nobody.body));
      // The page keeps what the SRO typed in the email box, and nothing more about that person.
      expect(samePage(res.body.replaceAll(target.email, 'nobody@elsewhere.example.gov.uk'))).toBe(samePage(nobody.body));
      expect(res.body).not.toContain(target.name);
    }
    expect(await written()).toEqual(before);
  });

  it('refuses each such upload row with the same message, naming no one, and writes nothing', async () => {
    const before = await written();
    const rows = [...targets.map((x) => x.email), 'nobody@elsewhere.example.gov.uk'].map((email, i) => `${council.gssCode},Officer ${i},${email},Buyer,foundation,${period}`);
    const res = await upload('sro', rows);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual(rows.map((_, i) => ({ row: i + 2, column: 'email', message: unusable })));
    for (const target of targets) {
      expect(res.body).not.toContain(target.email);
      expect(res.body).not.toContain(target.name);
    }
    expect(await written()).toEqual(before);
  });

  it('lets an SRO nominate a new officer on the council’s own domain', async () => {
    const res = await api('sro', { councilId: council.id, level: 'foundation', period, person: { name: 'Tamsin Pascoe', email: 'tamsin.pascoe@demo-council.example.gov.uk' } });
    expect(res.statusCode).toBe(201);
    // An invitation to one person goes ahead of bulk mail.
    expect(await one<{ priority: number }>(sql`select priority from notifications where to_email = 'tamsin.pascoe@demo-council.example.gov.uk'`)).toEqual({ priority: 0 });
  });

  it('refuses the SRO’s override, and refuses an admin outside the domains unless they override, which the audit records', async () => {
    const person = { name: 'Kerensa Hosking', email: 'kerensa.hosking@consultancy.example.com' };
    const before = await written();
    const bySro = await api('sro', { councilId: council.id, level: 'foundation', period, person, allowOutsideDomains: true });
    expect(bySro.statusCode).toBe(422);
    expect(bySro.json().errors).toEqual([{ field: 'allowOutsideDomains', message: 'Only the programme team can allow an address outside the council’s email domains' }]);
    const plain = await api('admin', { councilId: council.id, level: 'foundation', period, person });
    expect(plain.statusCode).toBe(422);
    expect(plain.json().detail).toContain(`consultancy.example.com is not one of ${council.name}’s email domains (colchester.example.gov.uk, demo-council.example.gov.uk)`);
    expect(await written()).toEqual(before);

    const form = await admin.get(`/learners/nominate/new?councilId=${council.id}`);
    expect(form.body).toContain('Allow an address outside the council’s domains');
    expect((await sro.get('/learners/nominate/new')).body).not.toContain('Allow an address outside the council’s domains');
    const res = await admin.submit('/learners/nominate/new', { councilId: council.id, ...person, allowOutsideDomains: 'yes', level: 'foundation', period });
    expect(res.statusCode).toBe(302);
    const audit = await one<{ after: Record<string, unknown> }>(sql`
      select a.after from audit_events a join enrolments e on e.id::text = a.record_id join people p on p.id = e.person_id
      where a.action = 'enrolment.nominated' and p.email = ${person.email}`);
    expect(audit.after).toMatchObject({ emailDomainsOverridden: true });
  });

  it('tells council staff of a council without domains that none are set up', async () => {
    await t.db.execute(sql`update participations set email_domains = '{}' where council_id = ${council.id}`);
    try {
      const res = await api('sro', { councilId: council.id, level: 'foundation', period, person: { name: 'Jory Penrose', email: 'jory.penrose@demo-council.example.gov.uk' } });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toBe(
        'This email address cannot be nominated by your council: no email domains are set up for your council yet. Ask the programme team to add them',
      );
    } finally {
      await t.db.execute(sql`update participations set email_domains = '{colchester.example.gov.uk,demo-council.example.gov.uk}' where council_id = ${council.id}`);
    }
  });
});
