import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { allowEmailDomain, backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';

/** The current and next periods at the test clock (26 November 2026): the ones a council may nominate for. */
const period = '2027-28';
const domain = 'honest-test.example.gov.uk';

type Who = 'admin' | 'sro' | 'lead' | 'learner' | 'specialist' | 'partnerLp' | 'partnerMhclg';

// Issue 10, item 5: nominating is honest — a known address is named and confirmed, never merged; a level held or
// worked towards is refused; a council may withdraw or correct its nomination until the managing partner decides.
describe.each(backends)('nominating honestly (%s)', (backend) => {
  let t: TestApp;
  let councilId: string;
  let otherPartner: Who;
  const agents = {} as Record<Who, Agent>;
  const tokens = {} as Record<Who, string>;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const api = (who: Who, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload ? { payload } : {}) });
  const written = () =>
    one<{ people: number; enrolments: number; audits: number; mail: number }>(sql`
      select (select count(*)::int from people) as people, (select count(*)::int from enrolments) as enrolments,
             (select count(*)::int from audit_events) as audits, (select count(*)::int from notifications) as mail`);
  let seq = 0;
  /** A new officer of the SRO's council, nominated by the admin on the API. */
  const nominateNew = async (level = 'foundation', name = `Honest Officer ${++seq}`, jobTitle = 'Contract manager') => {
    const res = await api('admin', 'POST', '/enrolments', { councilId, level, period, person: { name, email: `honest.${++seq}@${domain}`, jobTitle } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; personId: string; version: number };
  };
  const step = async (id: string, type: string) => {
    const res = await api('admin', 'POST', `/enrolments/${id}/events`, { type, date: '2026-11-26' });
    expect(res.statusCode, res.body).toBe(200);
  };
  /** Marks an enrolment accredited on a day (a fixture: the journey's steps are tested elsewhere). */
  const accredit = async (id: string, awardedOn: string) => {
    await t.db.execute(sql`update enrolments set status = 'accredited' where id = ${id}`);
    await t.db.execute(sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
      select person_id, id, level, ${awardedOn}, ${`HONEST-${++seq}`} from enrolments where id = ${id}`);
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, domain);
    const council = await one<{ id: string; partner: string }>(sql`
      select o.id, mp.code as partner from people p join organisations o on o.id = p.organisation_id
      join participations pa on pa.council_id = o.id join organisations mp on mp.id = pa.managing_partner_id
      where p.email = ${demoAccounts.sro.email}`);
    councilId = council.id;
    otherPartner = council.partner === 'LP' ? 'partnerMhclg' : 'partnerLp';
    for (const who of ['admin', 'sro', 'lead', 'learner', 'specialist', 'partnerLp', 'partnerMhclg'] as const) {
      agents[who] = await t.signIn(who);
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'honest')).token;
    }
    for (const level of ['foundation', 'practitioner', 'expert']) await setPlaces(t.db, { councilId, level, period }, 20, t.clock.now());
  });
  afterAll(async () => t?.close());

  describe('an email address already in Pioneer', () => {
    it('names the council’s officer on the page and nominates them only when the SRO confirms, never merging the details', async () => {
      const known = await nominateNew('foundation', 'Gwenllian Price', 'Procurement lead');
      const email = (await one<{ email: string }>(sql`select email from people where id = ${known.personId}`)).email;
      const typed = { name: 'Gwen Price', email: email.toUpperCase(), jobTitle: 'Buyer', level: 'practitioner', period, roleDescription: 'Buys things' };
      const before = await written();

      const asked = await agents.sro.submit('/learners/nominate/new', typed);
      expect(asked.statusCode).toBe(200);
      expect(asked.body).toContain('This email address is already in Pioneer as Gwenllian Price, Procurement lead.');
      expect(asked.body).toContain('Nominate Gwenllian Price for Practitioner in 2027-28?');
      // What was typed travels in hidden fields; nothing is written while the question is open.
      expect(asked.body).toContain('name="roleDescription" value="Buys things"');
      expect(await written()).toEqual(before);

      const unanswered = await agents.sro.submit('/learners/nominate/new', { ...typed, confirming: 'yes' });
      expect(unanswered.statusCode).toBe(400);
      expect(errorSummary(unanswered.body)).toContain('Select yes if you want to nominate Gwenllian Price');
      expect(unanswered.body).toContain('href="#confirmExistingPerson"');

      const declined = await agents.sro.submit('/learners/nominate/new', { ...typed, confirming: 'yes', confirmExistingPerson: 'no' });
      expect(declined.statusCode).toBe(200);
      expect(declined.body).toContain('Nominate a new officer');
      expect(declined.body).toContain('Enter a different email address');
      expect(declined.body).toContain('value="Gwen Price"');
      expect(await written()).toEqual(before);

      const confirmed = await agents.sro.submit('/learners/nominate/new', { ...typed, confirming: 'yes', confirmExistingPerson: 'yes' });
      expect(confirmed.statusCode, errorSummary(confirmed.body)).toBe(302);
      const enrolment = await one<{ personId: string; level: string; roleDescription: string }>(sql`
        select person_id as "personId", level, role_description as "roleDescription" from enrolments where id = ${(confirmed.headers.location as string).split(/[/?]/)[2]}`);
      expect(enrolment).toEqual({ personId: known.personId, level: 'practitioner', roleDescription: 'Buys things' });
      // The person is who they were: not renamed, not re-invited, not duplicated.
      expect(await one(sql`select name, job_title as "jobTitle" from people where id = ${known.personId}`)).toEqual({ name: 'Gwenllian Price', jobTitle: 'Procurement lead' });
      const after = await written();
      expect(after.people).toBe(before.people);
      expect(after.mail).toBe(before.mail);
    });

    it('answers the API with 409 naming the person, and nominates them with confirmExistingPerson', async () => {
      const known = await nominateNew('foundation', 'Idris Morgan', 'Fleet manager');
      const email = (await one<{ email: string }>(sql`select email from people where id = ${known.personId}`)).email;
      const body = { councilId, level: 'expert', period, person: { name: 'Someone Else', email } };
      const before = await written();
      const refused = await api('sro', 'POST', '/enrolments', body);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().detail).toMatch(/^This email address is already in Pioneer as Idris Morgan, Fleet manager\. .*confirmExistingPerson: true/);
      expect(await written()).toEqual(before);
      const ok = await api('sro', 'POST', '/enrolments', { ...body, confirmExistingPerson: true });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(ok.json().personId).toBe(known.personId);
      expect((await one<{ name: string }>(sql`select name from people where id = ${known.personId}`)).name).toBe('Idris Morgan');
    });

    it('still tells a council nothing about an address outside it, confirmation or not', async () => {
      const stranger = await one<{ name: string; email: string }>(sql`
        select name, email from people where organisation_id <> ${councilId} and 'learner' = any(roles) order by email limit 1`);
      const res = await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, person: { name: 'Any One', email: stranger.email }, confirmExistingPerson: true });
      expect(res.statusCode).toBe(422);
      expect(res.body).not.toContain(stranger.name);
      expect(res.json().detail).toContain('This email address cannot be nominated by your council');
    });
  });

  describe('a level held or worked towards', () => {
    it('refuses a level the officer is already working towards, on the API and the page', async () => {
      const e = await nominateNew('foundation');
      const nominated = await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, personId: e.personId });
      expect(nominated.statusCode).toBe(409);
      expect(nominated.json().detail).toMatch(/is already nominated for Foundation$/);
      await step(e.id, 'approved');
      await step(e.id, 'registered');
      const before = await written();
      const working = await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, personId: e.personId });
      expect(working.statusCode).toBe(409);
      expect(working.json().detail).toMatch(/is already working towards Foundation \(registered\)$/);
      const page = await agents.sro.submit('/learners/nominate/existing', { personId: e.personId, level: 'foundation', period });
      expect(page.statusCode).toBe(409);
      expect(errorSummary(page.body)).toMatch(/is already working towards Foundation \(registered\)/);
      expect(page.body).toContain('href="#personId"');
      expect(await written()).toEqual(before);
      // Another level is fine.
      expect((await api('sro', 'POST', '/enrolments', { councilId, level: 'practitioner', period, personId: e.personId })).statusCode).toBe(201);
    });

    it('refuses a level held and not lapsed, and allows a lapsed one to be nominated again', async () => {
      const current = await nominateNew('practitioner');
      await accredit(current.id, '2026-06-01');
      const held = await api('sro', 'POST', '/enrolments', { councilId, level: 'practitioner', period, personId: current.personId });
      expect(held.statusCode).toBe(409);
      expect(held.json().detail).toMatch(/already holds the Practitioner accreditation, and it has not lapsed$/);

      // Foundation awarded in January 2023 and never renewed: lapsed two years later.
      const lapsed = await nominateNew('foundation');
      await accredit(lapsed.id, '2023-01-10');
      const again = await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, personId: lapsed.personId });
      expect(again.statusCode, again.body).toBe(201);
      // Its renewal recorded since, it is held again: no second one.
      await t.db.execute(sql`update accreditations set renewed_on = '2026-10-01' where enrolment_id = ${lapsed.id}`);
      await api('admin', 'POST', `/enrolments/${again.json().id}/withdrawal`, { reason: 'Renewed instead' });
      const renewed = await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, personId: lapsed.personId });
      expect(renewed.statusCode).toBe(409);
      expect(renewed.json().detail).toMatch(/already holds the Foundation accreditation/);
    });
  });

  describe('withdrawing a nomination before a decision', () => {
    it('lets the SRO withdraw their council’s nomination after a confirmation page, audited, and nominate again later', async () => {
      const e = await nominateNew('foundation', 'Wyn Withdrawn');
      const shown = await agents.sro.get(`/enrolments/${e.id}`);
      expect(shown.body).toContain('Withdraw nomination');
      const page = await agents.sro.get(`/enrolments/${e.id}/withdraw`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Withdraw this nomination?');
      const noReason = await agents.sro.submit(`/enrolments/${e.id}/withdraw`, { reason: ' ', version: '1' });
      expect(noReason.statusCode).toBe(400);
      expect(errorSummary(noReason.body)).toContain('Enter why the nomination is withdrawn');
      expect(noReason.body).toContain('href="#reason"');

      const done = await agents.sro.submit(`/enrolments/${e.id}/withdraw`, { reason: 'Left the council', version: '1' });
      expect(done.statusCode, errorSummary(done.body)).toBe(302);
      expect(done.headers.location).toBe(`/enrolments/${e.id}?done=nomination-withdrawn`);
      const after = await agents.sro.get(done.headers.location as string);
      expect(after.body).toContain('Nomination withdrawn');
      expect(after.body).toContain('Reason: Left the council');
      expect(after.body).not.toContain('href="/enrolments/' + e.id + '/withdraw"');
      const audit = await one<{ action: string; after: Record<string, unknown> }>(sql`
        select action, after from audit_events where record_id = ${e.id} and action = 'enrolment.withdrawn'`);
      expect(audit).toMatchObject({ action: 'enrolment.withdrawn', after: { status: 'withdrawn', reason: 'Left the council' } });
      // Withdrawn, the officer may be nominated for the level again.
      expect((await api('sro', 'POST', '/enrolments', { councilId, level: 'foundation', period, personId: e.personId })).statusCode).toBe(201);
      // A second withdrawal is refused: it is no longer waiting for a decision.
      const twice = await agents.sro.submit(`/enrolments/${e.id}/withdraw`, { reason: 'Again', version: '2' });
      expect(twice.statusCode).toBe(409);
      expect(errorSummary(twice.body)).toContain('This nomination is withdrawn: only a nomination waiting for a decision can be withdrawn');
    });

    it('answers the API, refuses a decided nomination with 409, and keeps others’ nominations out of reach', async () => {
      const e = await nominateNew();
      const before = await written();
      for (const who of ['learner', 'specialist', otherPartner] as const) {
        expect((await api(who, 'POST', `/enrolments/${e.id}/withdrawal`, { reason: 'x' })).statusCode, who).toBe(404);
        expect((await agents[who].get(`/enrolments/${e.id}/withdraw`)).statusCode, who).toBe(404);
        expect((await agents[who].submit(`/enrolments/${e.id}/withdraw`, { reason: 'x' })).statusCode, who).toBe(404);
      }
      expect((await api('sro', 'POST', '/enrolments/00000000-0000-4000-8000-000000000000/withdrawal', { reason: 'x' })).statusCode).toBe(404);
      expect((await api('sro', 'POST', `/enrolments/${e.id}/withdrawal`, {})).statusCode).toBe(422);
      expect((await api('sro', 'POST', `/enrolments/${e.id}/withdrawal`, { reason: 'x', version: 7 })).statusCode).toBe(409);
      expect(await written()).toEqual(before);

      const approved = await nominateNew();
      await step(approved.id, 'approved');
      const decided = await api('lead', 'POST', `/enrolments/${approved.id}/withdrawal`, { reason: 'Changed our mind' });
      expect(decided.statusCode).toBe(409);
      expect(decided.json().detail).toBe('This nomination is approved: only a nomination waiting for a decision can be withdrawn');
      expect((await agents.sro.get(`/enrolments/${approved.id}`)).body).not.toContain('Withdraw nomination');

      const ok = await api('lead', 'POST', `/enrolments/${e.id}/withdrawal`, { reason: 'Not needed', version: 1 });
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json().status).toBe('withdrawn');
      // No place was ever taken, so none is given back.
      expect(ok.json().placeState).toBe('none');
    });
  });

  describe('correcting a nomination’s level or period before approval', () => {
    it('lets the SRO correct the level and period on the page, within the council’s periods, audited once', async () => {
      const e = await nominateNew('foundation', 'Cai Corrected');
      const form = await agents.sro.get(`/enrolments/${e.id}/correct`);
      expect(form.statusCode).toBe(200);
      expect(form.body).toMatch(/value="foundation" checked/);
      expect([...form.body.matchAll(/<option value="(\d{4}-\d{2})"/g)].map((m) => m[1])).toEqual(['2027-28', '2026-27']);

      const outside = await agents.sro.submit(`/enrolments/${e.id}/correct`, { level: 'foundation', period: '2025-26', version: '1' });
      expect(outside.statusCode).toBe(400);
      expect(errorSummary(outside.body)).toContain('Councils can nominate for 2026-27 or 2027-28 only');
      expect(outside.body).toContain('href="#period"');
      const noLevel = await agents.sro.submit(`/enrolments/${e.id}/correct`, { level: 'nonsense', period, version: '1' });
      expect(noLevel.statusCode).toBe(400);
      expect(errorSummary(noLevel.body)).toContain('Select the level');

      const ok = await agents.sro.submit(`/enrolments/${e.id}/correct`, { level: 'practitioner', period: '2026-27', version: '1' });
      expect(ok.statusCode, errorSummary(ok.body)).toBe(302);
      expect((await agents.sro.get(ok.headers.location as string)).body).toContain('Nomination corrected');
      expect(await one(sql`select level, period from enrolments where id = ${e.id}`)).toEqual({ level: 'practitioner', period: '2026-27' });
      const audits = () => queryRows<{ before: unknown; after: unknown }>(t.db, sql`select before, after from audit_events where record_id = ${e.id} and action = 'enrolment.corrected'`);
      expect(await audits()).toEqual([{ before: { level: 'foundation', period }, after: { level: 'practitioner', period: '2026-27' } }]);

      // The same values again change nothing; a page read before the change is refused.
      const same = await agents.sro.submit(`/enrolments/${e.id}/correct`, { level: 'practitioner', period: '2026-27', version: '2' });
      expect(same.headers.location).toBe(`/enrolments/${e.id}?done=unchanged`);
      const stale = await agents.sro.submit(`/enrolments/${e.id}/correct`, { level: 'expert', period: '2026-27', version: '1' });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this enrolment');
      expect(await audits()).toHaveLength(1);
    });

    it('corrects on the API with PATCH: a level held refused, a decided nomination 409, others’ 404', async () => {
      const e = await nominateNew('foundation');
      await api('admin', 'POST', '/enrolments', { councilId, level: 'practitioner', period, personId: e.personId });
      const held = await api('sro', 'PATCH', `/enrolments/${e.id}`, { level: 'practitioner' });
      expect(held.statusCode).toBe(409);
      expect(held.json().detail).toMatch(/is already nominated for Practitioner$/);
      expect((await api('sro', 'PATCH', `/enrolments/${e.id}`, {})).statusCode).toBe(422);
      expect((await api('sro', 'PATCH', `/enrolments/${e.id}`, { period: '2021-22' })).json().errors).toEqual([{ field: 'period', message: 'Councils can nominate for 2026-27 or 2027-28 only' }]);
      for (const who of ['learner', 'specialist', otherPartner] as const) {
        expect((await api(who, 'PATCH', `/enrolments/${e.id}`, { level: 'expert' })).statusCode, who).toBe(404);
        expect((await agents[who].get(`/enrolments/${e.id}/correct`)).statusCode, who).toBe(404);
      }
      // The programme team may use any open period.
      const byAdmin = await api('admin', 'PATCH', `/enrolments/${e.id}`, { level: 'expert', period: '2024-25' });
      expect(byAdmin.statusCode, byAdmin.body).toBe(200);
      expect(byAdmin.json()).toMatchObject({ level: 'expert', period: '2024-25' });

      await t.db.execute(sql`update enrolments set period = ${period} where id = ${e.id}`);
      await step(e.id, 'approved');
      const decided = await api('sro', 'PATCH', `/enrolments/${e.id}`, { level: 'foundation' });
      expect(decided.statusCode).toBe(409);
      expect(decided.json().detail).toBe('This nomination is approved: only a nomination waiting for a decision can be corrected');
      const page = await agents.sro.get(`/enrolments/${e.id}/correct`);
      expect(page.body).toContain('only a nomination waiting for a decision can be corrected');
      expect(page.body).not.toContain('name="level"');
    });
  });
});
