import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

describe.each(backends)('a council’s email domains (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let lp: Agent;
  const tokens = {} as Record<'admin' | 'partnerLp' | 'sro', string>;
  let council: { id: string; version: number };
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const domainsOf = async (id: string) => (await one<{ d: string[] }>(sql`select email_domains as d from participations where council_id = ${id}`)).d;
  const api = (method: 'GET' | 'PATCH' | 'POST', url: string, who: keyof typeof tokens, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, lp] = [await t.signIn('admin'), await t.signIn('partnerLp')];
    for (const who of ['admin', 'partnerLp', 'sro'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    council = await one(sql`select p.council_id as id, p.version from participations p join people s on s.organisation_id = p.council_id where s.email = ${demoAccounts.sro.email}`);
  });
  afterAll(async () => t?.close());

  it('seeds every demo council with the domains its people’s addresses are on', async () => {
    const off = await queryRows<{ email: string }>(t.db, sql`
      select p.email from people p join participations c on c.council_id = p.organisation_id
      where not (lower(split_part(p.email, '@', 2)) = any(c.email_domains))`);
    expect(off).toEqual([]);
    expect(await domainsOf(council.id)).toContain('demo-council.example.gov.uk');
  });

  it('lets an admin change them on the council’s page, one per line, validated and audited', async () => {
    const page = await admin.get(`/councils/${council.id}`);
    expect(page.body).toContain('demo-council.example.gov.uk');
    expect(page.body).toContain(`href="/councils/${council.id}/email-domains"`);
    const bad = await admin.submit(`/councils/${council.id}/email-domains`, { emailDomains: 'westshire.gov.uk\nnot a domain', version: String(council.version) });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Enter each email domain like westshire.gov.uk');
    expect(bad.body).toContain('href="#emailDomains"');
    const before = await domainsOf(council.id);
    const res = await admin.submit(`/councils/${council.id}/email-domains`, {
      emailDomains: `${before.join('\n')}\n\n  @Schools.Demo-Council.example.gov.uk \n`,
      version: String(council.version),
    });
    expect(res.statusCode).toBe(302);
    expect(await domainsOf(council.id)).toEqual([...before, 'schools.demo-council.example.gov.uk']);
    const audit = await one<{ before: unknown; after: unknown }>(sql`select before, after from audit_events where action = 'council.email_domains_changed' and record_id = ${council.id}`);
    expect(audit).toEqual({ before: { emailDomains: before }, after: { emailDomains: [...before, 'schools.demo-council.example.gov.uk'] } });
    // An exact domain only: the new subdomain now lets the SRO nominate there.
    const nominated = await api('POST', '/enrolments', 'sro', {
      councilId: council.id, level: 'foundation', period: '2027-28', person: { name: 'Lowena Curnow', email: 'lowena.curnow@schools.demo-council.example.gov.uk' },
    });
    expect(nominated.statusCode).toBe(201);
  });

  it('changes nothing for the same list sent again, and refuses a stale page without writing', async () => {
    const current = await one<{ version: number }>(sql`select version from participations where council_id = ${council.id}`);
    const domains = await domainsOf(council.id);
    const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'council.email_domains_changed' and record_id = ${council.id}`)).n;
    const before = await audits();
    // A double click: the same list with the version just read.
    const again = await admin.submit(`/councils/${council.id}/email-domains`, { emailDomains: domains.join('\n'), version: String(current.version) });
    expect(again.statusCode).toBe(302);
    expect(await audits()).toBe(before);
    // A page read before someone else saved: refused with the stale-edit message, nothing written.
    const stale = await admin.submit(`/councils/${council.id}/email-domains`, { emailDomains: 'elsewhere.example.gov.uk', version: String(current.version - 1) });
    expect(stale.statusCode).toBe(409);
    expect(await domainsOf(council.id)).toEqual(domains);
    expect(await audits()).toBe(before);
  });

  it('is not the council’s own: its SRO gets 404 on the page and through PATCH (council edits are not theirs)', async () => {
    const sro = await t.signIn('sro');
    const domains = await domainsOf(council.id);
    expect((await sro.get(`/councils/${council.id}/email-domains`)).statusCode).toBe(404);
    const version = (await one<{ version: number }>(sql`select version from participations where council_id = ${council.id}`)).version;
    const res = await api('PATCH', `/councils/${council.id}`, 'sro', { emailDomains: ['anywhere.example.com'], version });
    expect(res.statusCode).toBe(404);
    expect(await domainsOf(council.id)).toEqual(domains);
  });

  it('is an admin’s alone: partner staff get 404 on the page and 422 through PATCH, and nothing changes', async () => {
    const lpCouncil = await one<{ id: string; version: number }>(sql`
      select p.council_id as id, p.version from participations p join organisations m on m.id = p.managing_partner_id where m.code = 'LP' and p.status = 'active' order by p.council_id limit 1`);
    const before = await domainsOf(lpCouncil.id);
    expect((await lp.get(`/councils/${lpCouncil.id}/email-domains`)).statusCode).toBe(404);
    expect((await lp.get(`/councils/${lpCouncil.id}`)).body).not.toContain('/email-domains');
    const res = await api('PATCH', `/councils/${lpCouncil.id}`, 'partnerLp', { emailDomains: ['anywhere.example.com'], version: lpCouncil.version });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'emailDomains', message: 'Only a programme admin can change the council’s email domains' }]);
    expect(await domainsOf(lpCouncil.id)).toEqual(before);
  });

  it('reads and changes them through the council API', async () => {
    const other = await one<{ id: string; version: number }>(sql`select council_id as id, version from participations where status = 'onboarding' order by council_id limit 1`);
    const read = await api('GET', `/councils/${other.id}`, 'admin');
    expect(read.json().emailDomains).toEqual(await domainsOf(other.id));
    const bad = await api('PATCH', `/councils/${other.id}`, 'admin', { emailDomains: ['ok.example.gov.uk', 'https://bad'], version: other.version });
    expect(bad.statusCode).toBe(422);
    const res = await api('PATCH', `/councils/${other.id}`, 'admin', { emailDomains: ['Westshire.gov.uk', 'westshire.gov.uk'], version: other.version });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ emailDomains: ['westshire.gov.uk'], version: other.version + 1 });
  });
});
