import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts, demoPassword } from '../db/seed/demo.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createApiToken } from '../auth/service.ts';
import { upsertSetting } from '../settings/repository.ts';
import { paths } from '../web/paths.ts';
import { renewForward } from './repository.ts';

/** A GOV.UK date input's three parts as the form posts them. */
const dateForm = (day: string, month: string, year: string) => ({ 'date-day': day, 'date-month': month, 'date-year': year });

/** The table row that mentions `text` (a certificate number), as a reader hears it. */
const rowWith = (html: string, text: string) =>
  ([...html.matchAll(/<tr class="govuk-table__row">[\s\S]*?<\/tr>/g)].map((m) => m[0]).find((row) => row.includes(text)) ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const unknownId = '00000000-0000-4000-8000-000000000000';

describe.each(backends)('recording a Foundation renewal (%s)', (backend) => {
  let t: TestApp;
  let sroCouncil: string;
  let otherCouncil: string;
  let certificates = 0;
  const tokens: Record<string, string> = {};

  type Holder = { id: string; email: string; foundation: string; practitioner?: string; certificate: string };

  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const renewedOn = async (accreditationId: string) =>
    (await rows<{ renewed: string | null }>(sql`select renewed_on::text as renewed from accreditations where id = ${accreditationId}::uuid`))[0].renewed;
  const audits = (accreditationId: string) =>
    rows<{ actor_id: string; before: { renewedOn: string | null }; after: { renewedOn: string } }>(
      sql`select actor_id, before, after from audit_events where action = 'accreditation.renewed' and record_id = ${accreditationId} order by id`,
    );

  /**
   * A learner who can sign in, accredited at Foundation on `awardedOn` (renewed on `renewed` if given) and, if
   * asked, at Practitioner too: written by SQL, as an accreditation years old cannot be reached through today's clock.
   */
  async function holder(councilId: string, name: string, foundation: { awardedOn: string; renewedOn?: string }, practitionerOn?: string): Promise<Holder> {
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@renewals.example.gov.uk`;
    const [{ id }] = await rows<{ id: string }>(sql`
      insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      values (${name}, ${email}, ${councilId}::uuid, 'Contract manager', '{learner}'::text[], 'active', ${await hashPassword(demoPassword)}) returning id`);
    const accredit = async (level: string, awardedOn: string, renewed: string | null) => {
      const [enrolment] = await rows<{ id: string }>(sql`
        insert into enrolments (person_id, council_id, level, period, status, attempts, place_state, nominated_on, approved_on, registered_on, last_event_on)
        values (${id}::uuid, ${councilId}::uuid, ${level}, '2022-23', 'accredited', 1, 'taken', '2022-06-01', '2022-06-10', '2022-07-01', ${awardedOn}::date) returning id`);
      const certificate = `REN-${backend}-${++certificates}`;
      const [accreditation] = await rows<{ id: string }>(sql`
        insert into accreditations (person_id, enrolment_id, level, awarded_on, renewed_on, certificate_number)
        values (${id}::uuid, ${enrolment.id}::uuid, ${level}, ${awardedOn}::date, ${renewed}::date, ${certificate}) returning id`);
      return { id: accreditation.id, certificate };
    };
    const f = await accredit('foundation', foundation.awardedOn, foundation.renewedOn ?? null);
    const p = practitionerOn ? await accredit('practitioner', practitionerOn, null) : null;
    tokens[email] = (await createApiToken(t.db, { actor: null, clock: t.clock }, id, 'renewal test token')).token;
    return { id, email, foundation: f.id, certificate: f.certificate, ...(p ? { practitioner: p.id } : {}) };
  }

  const renewalsUrl = (learnerId: string, accreditationId: string) => `/api/v1/learners/${learnerId}/accreditations/${accreditationId}/renewals`;
  const api = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const renewByApi = (who: string, h: Holder, date: unknown, accreditationId = h.foundation) => api(who, 'POST', renewalsUrl(h.id, accreditationId), { date });

  /** The demo partner account that manages the SRO's council, and the one that does not. */
  let manages: 'partnerLp' | 'partnerMhclg';
  let other: 'partnerLp' | 'partnerMhclg';

  beforeAll(async () => {
    t = await createTestApp({ backend });
    sroCouncil = (await rows<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`))[0].id;
    otherCouncil = (await rows<{ id: string }>(sql`select council_id as id from participations where status = 'active' and council_id <> ${sroCouncil}::uuid order by council_id limit 1`))[0].id;
    const [{ code }] = await rows<{ code: string }>(sql`
      select o.code from participations p join organisations o on o.id = p.managing_partner_id where p.council_id = ${sroCouncil}::uuid`);
    [manages, other] = code === 'LP' ? ['partnerLp', 'partnerMhclg'] : ['partnerMhclg', 'partnerLp'];
    for (const who of Object.keys(demoAccounts) as (keyof typeof demoAccounts)[]) {
      const [person] = await rows<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, `${who} renewal token`)).token;
    }
  });
  afterAll(async () => t?.close());

  describe('on the staff page', () => {
    let dee: Holder;
    beforeAll(async () => {
      // Awarded 15 January 2024: renewal was due 15 January 2026, so on 26 November 2026 it has lapsed.
      dee = await holder(sroCouncil, 'Dee Renewal', { awardedOn: '2024-01-15' }, '2025-03-01');
    });

    it('offers "Record renewal" for the Foundation accreditation only, naming it for screen readers', async () => {
      const page = await (await t.signIn('admin')).get(paths.learner(dee.id));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`href="${paths.learnerRenewal(dee.id, dee.foundation)}"`);
      expect(page.body).toContain(`Record renewal<span class="govuk-visually-hidden"> of Foundation accreditation, certificate ${dee.certificate}</span>`);
      expect(page.body).not.toContain(paths.learnerRenewal(dee.id, dee.practitioner!));
      expect(rowWith(page.body, dee.certificate)).toContain('Lapsed');
    });

    it('records a renewal: the status goes from lapsed to current and the due date moves on, for staff and the learner', async () => {
      const admin = await t.signIn('admin');
      const form = await admin.get(paths.learnerRenewal(dee.id, dee.foundation));
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('Record a Foundation renewal');
      expect(form.body).toContain(dee.certificate);
      expect(form.body).toContain('15 January 2026');
      expect(form.body).toMatch(/govuk-tag--red[^>]*>\s*Lapsed/);
      expect(form.body).toContain('Date renewed');
      expect(form.body).toContain('For example, 26 11 2026');
      expect(form.body).toContain('name="date-day"');
      expect(form.body).toContain('name="_csrf"');

      const res = await admin.submit(paths.learnerRenewal(dee.id, dee.foundation), dateForm('20', '11', '2026'));
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe(`${paths.learner(dee.id)}?done=renewed`);
      expect(await renewedOn(dee.foundation)).toBe('2026-11-20');
      const [adminRow] = await rows<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
      expect(await audits(dee.foundation)).toEqual([{ actor_id: adminRow.id, before: { renewedOn: null }, after: { renewedOn: '2026-11-20' } }]);

      const page = await admin.get(res.headers.location!);
      expect(page.body).toContain('Foundation renewal recorded');
      // Renewed 20 November 2026 with renewals every 2 years: next due 20 November 2028.
      expect(rowWith(page.body, dee.certificate)).toContain('Current 20 November 2028 Renewal');

      const own = await (await t.signIn(dee.email)).get(paths.myJourney());
      expect(own.statusCode).toBe(200);
      expect(rowWith(own.body, dee.certificate)).toContain('Current 20 November 2028');
      expect(own.body).not.toContain('Record renewal');
    });

    it('lets the managing partner of the learner’s council record one', async () => {
      const eli = await holder(sroCouncil, 'Eli Partnered', { awardedOn: '2024-02-01' });
      const partner = await t.signIn(manages);
      expect((await partner.get(paths.learner(eli.id))).body).toContain(paths.learnerRenewal(eli.id, eli.foundation));
      const res = await partner.submit(paths.learnerRenewal(eli.id, eli.foundation), dateForm('2', '11', '2026'));
      expect(res.statusCode).toBe(302);
      expect(await renewedOn(eli.foundation)).toBe('2026-11-02');
    });

    it('refuses each bad date with the GOV.UK message linked to the day box, keeps what was typed, and writes nothing', async () => {
      // Renewed before (10 May 2025), and one never renewed, awarded 1 June 2025.
      const gus = await holder(sroCouncil, 'Gus Renewed', { awardedOn: '2023-05-10', renewedOn: '2025-05-10' });
      const ida = await holder(sroCouncil, 'Ida Recent', { awardedOn: '2025-06-01' });
      const admin = await t.signIn('admin');
      const cases: [Holder, Record<string, string>, string][] = [
        [gus, dateForm('', '', ''), 'Enter the date the accreditation was renewed'],
        [gus, dateForm('20', '11', ''), 'Date renewed must include a year'],
        [gus, dateForm('31', '2', '2026'), 'Date renewed must be a real date'],
        [gus, dateForm('x', 'y', 'zz'), 'Date renewed must be a real date'],
        [gus, dateForm('27', '11', '2026'), 'Date renewed must be today or in the past'],
        [gus, dateForm('31', '10', '2021'), 'Date renewed must be the same as or after 1 November 2021'],
        [gus, dateForm('9', '5', '2025'), 'Date renewed must be the same as or after the last renewal, 10 May 2025'],
        [ida, dateForm('31', '5', '2025'), 'Date renewed must be the same as or after the award date, 1 June 2025'],
      ];
      for (const [h, form, message] of cases) {
        const res = await admin.submit(paths.learnerRenewal(h.id, h.foundation), form);
        expect(res.statusCode, message).toBe(400);
        expect(errorSummary(res.body), message).toContain(message);
        // The summary links to the first wrong box: the year when only the year is missing.
        expect(res.body, message).toContain(message.includes('include a year') ? 'href="#date-year"' : 'href="#date-day"');
        expect(res.body, message).toContain('id="date-day"');
        expect(res.body, message).toMatch(/<title>Error: /);
      }
      const kept = await admin.submit(paths.learnerRenewal(gus.id, gus.foundation), dateForm('9', '5', '2025'));
      expect(kept.body).toMatch(/name="date-day"[^>]*value="9"/);
      expect(kept.body).toMatch(/name="date-year"[^>]*value="2025"/);
      expect(await renewedOn(gus.foundation)).toBe('2025-05-10');
      expect(await renewedOn(ida.foundation)).toBeNull();
      expect(await audits(gus.foundation)).toEqual([]);
      expect(await audits(ida.foundation)).toEqual([]);
    });

    it('refuses a Practitioner accreditation (409: kept up by CPD) on the form and its post', async () => {
      const admin = await t.signIn('admin');
      const form = await admin.get(paths.learnerRenewal(dee.id, dee.practitioner!));
      expect(form.statusCode).toBe(409);
      expect(form.body).toContain('Practitioner accreditations are not renewed: they are kept up by logging CPD hours');
      const post = await admin.submit(paths.learnerRenewal(dee.id, dee.practitioner!), dateForm('20', '11', '2026'));
      expect(post.statusCode).toBe(409);
      expect(await renewedOn(dee.practitioner!)).toBeNull();
    });

    it('answers 404 (never 500) for unknown, malformed or mismatched ids', async () => {
      const joe = await holder(sroCouncil, 'Joe Ids', { awardedOn: '2024-02-01' });
      const fay = await holder(otherCouncil, 'Fay Elsewhere', { awardedOn: '2024-01-15' });
      const admin = await t.signIn('admin');
      for (const url of [
        paths.learnerRenewal(unknownId, joe.foundation),
        paths.learnerRenewal(joe.id, unknownId),
        paths.learnerRenewal('not-a-uuid', joe.foundation),
        paths.learnerRenewal(joe.id, 'not-a-uuid'),
        // Someone else's accreditation under this learner.
        paths.learnerRenewal(joe.id, fay.foundation),
      ]) {
        expect((await admin.get(url)).statusCode, url).toBe(404);
        expect((await admin.submit(url, dateForm('20', '11', '2026'))).statusCode, url).toBe(404);
      }
      expect(await renewedOn(joe.foundation)).toBeNull();
      expect(await renewedOn(fay.foundation)).toBeNull();
    });

    it('refuses a post without the CSRF token (403) and changes nothing', async () => {
      const kit = await holder(sroCouncil, 'Kit Forged', { awardedOn: '2024-02-01' });
      const res = await (await t.signIn('admin')).submit(paths.learnerRenewal(kit.id, kit.foundation), { _csrf: 'forged', ...dateForm('20', '11', '2026') });
      expect(res.statusCode).toBe(403);
      expect(await renewedOn(kit.foundation)).toBeNull();
    });

    it('treats the same date sent twice as one renewal: one audit event', async () => {
      const kim = await holder(sroCouncil, 'Kim Twice', { awardedOn: '2024-03-01' });
      const admin = await t.signIn('admin');
      for (const done of ['renewed', 'already-renewed']) {
        const res = await admin.submit(paths.learnerRenewal(kim.id, kim.foundation), dateForm('1', '11', '2026'));
        expect(res.statusCode).toBe(302);
        expect(res.headers.location).toBe(`${paths.learner(kim.id)}?done=${done}`);
      }
      expect((await admin.get(`${paths.learner(kim.id)}?done=already-renewed`)).body).toContain('That renewal date was already recorded, so nothing changed');
      const again = await renewByApi('admin', kim, '2026-11-01');
      expect(again.statusCode).toBe(200);
      expect(again.json().renewedOn).toBe('2026-11-01');
      expect(await renewedOn(kim.foundation)).toBe('2026-11-01');
      expect(await audits(kim.foundation)).toHaveLength(1);
    });
  });

  describe('who may record one', () => {
    let joe: Holder;
    let fay: Holder;
    beforeAll(async () => {
      joe = await holder(sroCouncil, 'Joe Scoped', { awardedOn: '2024-02-01' });
      fay = await holder(otherCouncil, 'Fay Other', { awardedOn: '2024-01-15' });
    });

    it('refuses council SROs and leads, specialists, funders, the learner themself and the other managing partner (404), writing nothing', async () => {
      const refused: [string, Holder][] = [
        ['sro', joe],
        ['sro', fay],
        ['lead', joe],
        ['specialist', joe],
        ['funder', joe],
        [joe.email, joe],
        [other, joe],
      ];
      for (const [who, h] of refused) {
        const agent = await t.signIn(who);
        const url = paths.learnerRenewal(h.id, h.foundation);
        expect((await agent.get(url)).statusCode, `${who} GET`).toBe(404);
        expect((await agent.submit(url, dateForm('20', '11', '2026'), { csrfFrom: '/account' })).statusCode, `${who} POST`).toBe(404);
        const apiRes = await renewByApi(who, h, '2026-11-20');
        expect(apiRes.statusCode, `${who} API`).toBe(404);
        expect(apiRes.headers['content-type']).toContain('application/problem+json');
      }
      // The SRO and lead see their council's learner, but without the link.
      for (const who of ['sro', 'lead']) {
        const page = await (await t.signIn(who)).get(paths.learner(joe.id));
        expect(page.statusCode, who).toBe(200);
        expect(page.body, who).not.toContain('Record renewal');
      }
      expect(await renewedOn(joe.foundation)).toBeNull();
      expect(await renewedOn(fay.foundation)).toBeNull();
      expect(await audits(joe.foundation)).toEqual([]);
    });

    it('refuses a managing partner an accreditation earned at a council it does not manage, even when the learner has since moved to one it does (404)', async () => {
      const [elsewhere] = await rows<{ id: string }>(sql`
        select council_id as id from participations
        where managing_partner_id is distinct from (select managing_partner_id from participations where council_id = ${sroCouncil}::uuid)
        order by council_id limit 1`);
      const max = await holder(elsewhere.id, 'Max Moved', { awardedOn: '2024-02-01' });
      await t.db.execute(sql`update people set organisation_id = ${sroCouncil}::uuid where id = ${max.id}::uuid`);
      await t.db.execute(sql`
        insert into enrolments (person_id, council_id, level, period, status, nominated_on, last_event_on)
        values (${max.id}::uuid, ${sroCouncil}::uuid, 'practitioner', '2026-27', 'nominated', '2026-11-01', '2026-11-01')`);
      const partner = await t.signIn(manages);
      const page = await partner.get(paths.learner(max.id));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(max.certificate);
      expect(page.body).not.toContain(paths.learnerRenewal(max.id, max.foundation));
      expect((await partner.get(paths.learnerRenewal(max.id, max.foundation))).statusCode).toBe(404);
      expect((await partner.submit(paths.learnerRenewal(max.id, max.foundation), dateForm('20', '11', '2026'))).statusCode).toBe(404);
      expect((await renewByApi(manages, max, '2026-11-20')).statusCode).toBe(404);
      expect(await renewedOn(max.foundation)).toBeNull();
      // A programme admin's scope is every council.
      expect((await renewByApi('admin', max, '2026-11-20')).statusCode).toBe(200);
    });

    it('sends an anonymous visitor to sign in, and answers 401 on the API', async () => {
      const page = await t.app.inject({ url: paths.learnerRenewal(joe.id, joe.foundation) });
      expect(page.statusCode).toBe(302);
      expect(page.headers.location).toMatch(/^\/sign-in/);
      const res = await t.app.inject({ method: 'POST', url: renewalsUrl(joe.id, joe.foundation), payload: { date: '2026-11-20' } });
      expect(res.statusCode).toBe(401);
    });
  });

  describe('the API', () => {
    it('renews (200): due soon becomes current, and the due date follows the renewal-years setting', async () => {
      // Awarded 20 December 2024: due 20 December 2026, within the 60 days' warning on 26 November 2026.
      const eve = await holder(sroCouncil, 'Eve Api', { awardedOn: '2024-12-20' });
      const before = (await api(manages, 'GET', `/api/v1/learners/${eve.id}`)).json();
      expect(before.accreditations).toEqual([expect.objectContaining({ id: eve.foundation, status: 'due_soon', dueOn: '2026-12-20' })]);

      const res = await renewByApi(manages, eve, '2026-11-25');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        id: eve.foundation,
        level: 'foundation',
        awardedOn: '2024-12-20',
        renewedOn: '2026-11-25',
        certificateNumber: eve.certificate,
        status: 'current',
        dueOn: '2028-11-25',
      });
      expect(await audits(eve.foundation)).toEqual([{ actor_id: expect.any(String), before: { renewedOn: null }, after: { renewedOn: '2026-11-25' } }]);

      const after = (await api(manages, 'GET', `/api/v1/learners/${eve.id}`)).json();
      expect(after.accreditations).toEqual([expect.objectContaining({ id: eve.foundation, status: 'current', dueOn: '2028-11-25' })]);
      const own = await (await t.signIn(eve.email)).get(paths.myJourney());
      expect(rowWith(own.body, eve.certificate)).toContain('Current 25 November 2028');

      // With renewals every 3 years, the same renewal is due a year later.
      await upsertSetting(t.db, { key: 'foundationRenewalYears', value: 3, updatedAt: t.clock.now(), updatedById: null });
      try {
        const longer = (await api(manages, 'GET', `/api/v1/learners/${eve.id}`)).json();
        expect(longer.accreditations[0]).toMatchObject({ id: eve.foundation, dueOn: '2029-11-25', status: 'current' });
      } finally {
        await upsertSetting(t.db, { key: 'foundationRenewalYears', value: 2, updatedAt: t.clock.now(), updatedById: null });
      }
    });

    it('refuses bad dates with 422 problem details, writing nothing', async () => {
      const gus = await holder(sroCouncil, 'Gus Api', { awardedOn: '2023-05-10', renewedOn: '2025-05-10' });
      const ida = await holder(sroCouncil, 'Ida Api', { awardedOn: '2025-06-01' });
      const cases: [Holder, unknown, string][] = [
        [gus, undefined, 'Enter the date the accreditation was renewed'],
        [gus, 20261120, 'Enter the date the accreditation was renewed'],
        [gus, '', 'Enter the date the accreditation was renewed'],
        [gus, '2026-13-01', 'Date renewed must be a real date'],
        [gus, '2026-02-30', 'Date renewed must be a real date'],
        [gus, '2026-11-27', 'Date renewed must be today or in the past'],
        [gus, '2021-10-31', 'Date renewed must be the same as or after 1 November 2021'],
        [gus, '2025-05-09', 'Date renewed must be the same as or after the last renewal, 10 May 2025'],
        [ida, '2025-05-31', 'Date renewed must be the same as or after the award date, 1 June 2025'],
      ];
      for (const [h, date, message] of cases) {
        const res = await api('admin', 'POST', renewalsUrl(h.id, h.foundation), date === undefined ? {} : { date });
        expect(res.statusCode, message).toBe(422);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().errors, message).toContainEqual({ field: 'date', message });
      }
      expect(await renewedOn(gus.foundation)).toBe('2025-05-10');
      expect(await renewedOn(ida.foundation)).toBeNull();
    });

    it('answers 409 for a Practitioner accreditation and 404 for unknown, malformed, mismatched or out-of-scope ids', async () => {
      const lou = await holder(sroCouncil, 'Lou Levels', { awardedOn: '2024-02-01' }, '2025-03-01');
      const fay = await holder(otherCouncil, 'Fay Api', { awardedOn: '2024-01-15' });
      const practitioner = await renewByApi('admin', lou, '2026-11-20', lou.practitioner);
      expect(practitioner.statusCode).toBe(409);
      expect(practitioner.json().detail).toContain('Practitioner accreditations are not renewed');
      expect(await renewedOn(lou.practitioner!)).toBeNull();
      for (const url of [
        renewalsUrl(unknownId, lou.foundation),
        renewalsUrl(lou.id, unknownId),
        renewalsUrl('not-a-uuid', lou.foundation),
        renewalsUrl(lou.id, 'not-a-uuid'),
        renewalsUrl(lou.id, fay.foundation),
      ]) {
        expect((await api('admin', 'POST', url, { date: '2026-11-20' })).statusCode, url).toBe(404);
      }
      // Outside the caller's scope: 404 whatever the body, so a 422 cannot hint that the record exists.
      expect((await api(other, 'POST', renewalsUrl(lou.id, lou.foundation), { date: 'nonsense' })).statusCode).toBe(404);
      expect((await api('sro', 'POST', renewalsUrl(fay.id, fay.foundation), {})).statusCode).toBe(404);
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await t.app.inject({ url: paths.openapi() })).json();
      const op = doc.paths['/learners/{id}/accreditations/{accreditationId}/renewals'].post;
      expect(op.operationId).toBe('renewAccreditation');
      expect(op.requestBody.content['application/json'].schema.properties.date).toBeDefined();
      expect(Object.keys(op.responses)).toContain('200');
    });
  });

  describe('two renewals at once', () => {
    it('never moves the date back: the later date wins whichever lands first', async () => {
      for (const [round, order] of [['a', 'earlier first'], ['b', 'later first'], ['c', 'earlier first'], ['d', 'later first']] as const) {
        const h = await holder(sroCouncil, `Race ${round} Holder`, { awardedOn: '2024-01-10' });
        const dates = order === 'earlier first' ? ['2026-11-10', '2026-11-20'] : ['2026-11-20', '2026-11-10'];
        const [first, second] = await Promise.all(dates.map((date) => renewByApi('admin', h, date)));
        const byDate = Object.fromEntries([[dates[0], first], [dates[1], second]]);
        expect(byDate['2026-11-20'].statusCode, round).toBe(200);
        // The earlier one either landed first (200), found the later one already there (422), or lost the race
        // after reading the old date (409); it never overwrites the later one.
        expect([200, 409, 422], round).toContain(byDate['2026-11-10'].statusCode);
        expect(await renewedOn(h.foundation), round).toBe('2026-11-20');
        const events = await audits(h.foundation);
        expect(events.at(-1)?.after, round).toEqual({ renewedOn: '2026-11-20' });
        expect(events.length, round).toBe(byDate['2026-11-10'].statusCode === 200 ? 2 : 1);
        for (const e of events) expect(e.before.renewedOn === null || e.before.renewedOn < e.after.renewedOn, round).toBe(true);
      }
    });

    it('records the same date sent twice at once only once', async () => {
      const h = await holder(sroCouncil, 'Race Same Holder', { awardedOn: '2024-01-10' });
      const results = await Promise.all([renewByApi('admin', h, '2026-11-15'), renewByApi('admin', h, '2026-11-15')]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(await renewedOn(h.foundation)).toBe('2026-11-15');
      expect(await audits(h.foundation)).toHaveLength(1);
    });

    it('guards the UPDATE itself: an earlier date after a later one changes nothing', async () => {
      const h = await holder(sroCouncil, 'Guard Holder', { awardedOn: '2024-01-10', renewedOn: '2026-11-20' });
      expect(await renewForward(t.db, h.foundation, '2026-11-10')).toBeNull();
      expect(await renewForward(t.db, h.foundation, '2026-11-20')).toBeNull();
      expect(await renewedOn(h.foundation)).toBe('2026-11-20');
      expect(await renewForward(t.db, h.foundation, '2026-11-21')).toEqual({ previous: '2026-11-20' });
      expect(await renewedOn(h.foundation)).toBe('2026-11-21');
    });
  });
});
