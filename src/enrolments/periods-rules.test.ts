import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

const nominationHeader = 'council_code,name,email,job_title,level,period';
const councilMessage = 'Councils can nominate for 2026-27 or 2027-28 only';
const rangeMessage = 'Enter a period from 2021-22 to 2027-28';

// Issue 10, item 1: the programme's periods on the form, the upload and the API, with the default settings (test clock: 26 November 2026).
describe.each(backends)('programme periods (%s)', (backend) => {
  let t: TestApp;
  let sro: Agent;
  let admin: Agent;
  const tokens = {} as Record<'sro' | 'admin', string>;
  let council: { id: string; gssCode: string };
  let seq = 0;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const post = (who: 'sro' | 'admin', url: string, payload: object | string, type = 'application/json') =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': type }, payload });
  const officer = () => ({ name: `Period Officer ${++seq}`, email: `period.officer.${seq}@demo-council.example.gov.uk` });
  const written = async () => one<{ people: number; enrolments: number; places: number; audits: number }>(sql`
    select (select count(*)::int from people) as people, (select count(*)::int from enrolments) as enrolments,
           (select count(*)::int from funded_places) as places, (select count(*)::int from audit_events) as audits`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [sro, admin] = [await t.signIn('sro'), await t.signIn('admin')];
    for (const who of ['sro', 'admin'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    council = await one(sql`select o.id, o.gss_code as "gssCode" from organisations o join people p on p.organisation_id = o.id where p.email = ${demoAccounts.sro.email}`);
  });
  afterAll(async () => t?.close());

  it('lets an SRO nominate on the API for the current or next period only, and the programme team for any open period', async () => {
    const before = await written();
    for (const period of ['2025-26', '2028-29', '2021-22']) {
      const res = await post('sro', '/enrolments', { councilId: council.id, level: 'foundation', period, person: officer() });
      expect(res.statusCode, period).toBe(422);
      expect(res.json().errors).toEqual([{ field: 'period', message: councilMessage }]);
    }
    for (const period of ['2020-21', '2028-29']) {
      const res = await post('admin', '/enrolments', { councilId: council.id, level: 'foundation', period, person: officer() });
      expect(res.statusCode, period).toBe(422);
      expect(res.json().errors).toEqual([{ field: 'period', message: rangeMessage }]);
    }
    expect(await written()).toEqual(before);
    expect((await post('sro', '/enrolments', { councilId: council.id, level: 'foundation', period: '2027-28', person: officer() })).statusCode).toBe(201);
    expect((await post('admin', '/enrolments', { councilId: council.id, level: 'practitioner', period: '2022-23', person: officer() })).statusCode).toBe(201);
  });

  it('offers an SRO the current and next periods on the form, and refuses another with the GOV.UK error summary', async () => {
    const form = await sro.get(paths.nominateNew());
    const options = [...form.body.matchAll(/<option value="(\d{4}-\d{2})"/g)].map((m) => m[1]);
    expect(options).toEqual(['2027-28', '2026-27']);
    const adminForm = await admin.get(`${paths.nominateNew()}?councilId=${council.id}`);
    expect([...adminForm.body.matchAll(/<option value="(\d{4}-\d{2})"/g)].map((m) => m[1])).toEqual(['2027-28', '2026-27', '2025-26', '2024-25', '2023-24', '2022-23', '2021-22']);
    const before = await written();
    const res = await sro.submit(paths.nominateNew(), { ...officer(), level: 'foundation', period: '2028-29' });
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain(councilMessage);
    expect(res.body).toContain('href="#period"');
    expect(await written()).toEqual(before);
  });

  it('refuses upload rows outside the periods, row by row, and writes nothing', async () => {
    const before = await written();
    const rows = [
      `${council.gssCode},Upload One,upload.one@demo-council.example.gov.uk,Buyer,foundation,2027-28`,
      `${council.gssCode},Upload Two,upload.two@demo-council.example.gov.uk,Buyer,foundation,2025-26`,
      `${council.gssCode},Upload Three,upload.three@demo-council.example.gov.uk,Buyer,foundation,2030/31`,
    ];
    const bySro = await post('sro', '/imports/nominations', [nominationHeader, ...rows].join('\n') + '\n', 'text/csv');
    expect(bySro.statusCode).toBe(422);
    expect(bySro.json().errors).toEqual([
      { row: 3, column: 'period', message: councilMessage },
      { row: 4, column: 'period', message: councilMessage },
    ]);
    const byAdmin = await post('admin', '/imports/nominations', [nominationHeader, ...rows].join('\n') + '\n', 'text/csv');
    expect(byAdmin.statusCode).toBe(422);
    expect(byAdmin.json().errors).toEqual([{ row: 4, column: 'period', message: rangeMessage }]);
    expect(await written()).toEqual(before);
  });

  it('allocates places only in an open period, on the API and the page', async () => {
    const before = await written();
    const res = await post('admin', '/places', { councilId: council.id, level: 'expert', period: '2028-29', places: 3 });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'period', message: rangeMessage }]);
    const page = await admin.submit(paths.placesAllocate(), { councilId: council.id, level: 'expert', period: '2020-21', places: '3' });
    expect(page.statusCode).toBe(400);
    expect(errorSummary(page.body)).toContain(rangeMessage);
    expect(await written()).toEqual(before);
  });

  it('filters by every period that holds data, not by empty ones', async () => {
    const held = (await queryRows<{ period: string }>(t.db, sql`select distinct period from enrolments union select distinct period from funded_places order by 1 desc`)).map((r) => r.period);
    const learners = await admin.get('/learners');
    const select = learners.body.slice(learners.body.indexOf('name="period"'), learners.body.indexOf('</select>', learners.body.indexOf('name="period"')));
    expect([...select.matchAll(/<option value="(\d{4}-\d{2})"/g)].map((m) => m[1])).toEqual(held);
    const places = await admin.get('/places');
    const placesSelect = places.body.slice(places.body.indexOf('name="period"'), places.body.indexOf('</select>', places.body.indexOf('name="period"')));
    expect([...placesSelect.matchAll(/<option value="(\d{4}-\d{2})"/g)].map((m) => m[1])).toEqual(held);
    expect(held).toContain('2027-28');
    expect(held).not.toContain('2028-29');
  });

  it('moves the window when an admin changes the periods in Settings, audited', async () => {
    const form = await admin.get(paths.settingsPeriods());
    expect(form.statusCode).toBe(200);
    const read = /name="read" value="([^"]*)"/.exec(form.body)![1];
    const bad = await admin.submit(paths.settingsPeriods(), { firstPeriod: '2020-21', lastPeriod: '2019-20', reason: '', read });
    expect(bad.statusCode).toBe(400);
    for (const message of ['First period must be 2021-22 or later', 'Enter the reason for the change']) expect(errorSummary(bad.body)).toContain(message);
    const saved = await admin.submit(paths.settingsPeriods(), { firstPeriod: '2022-23', lastPeriod: '2029-30', reason: 'Funding agreed to 2030', read });
    expect(saved.statusCode, errorSummary(saved.body)).toBe(302);
    const audits = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'settings.changed' and record_id in ('firstPeriod', 'lastPeriod')`);
    expect(audits.n).toBe(2);
    const stale = await admin.submit(paths.settingsPeriods(), { firstPeriod: '2021-22', lastPeriod: '', reason: 'Back', read });
    expect(stale.statusCode).toBe(409);
    const res = await post('admin', '/places', { councilId: council.id, level: 'expert', period: '2021-22', places: 3 });
    expect(res.json().errors).toEqual([{ field: 'period', message: 'Enter a period from 2022-23 to 2029-30' }]);
    expect((await post('admin', '/places', { councilId: council.id, level: 'expert', period: '2029-30', places: 3 })).statusCode).toBe(201);
    // Councils are still held to the current period and the next.
    const bySro = await post('sro', '/enrolments', { councilId: council.id, level: 'expert', period: '2029-30', person: officer() });
    expect(bySro.json().errors).toEqual([{ field: 'period', message: councilMessage }]);
    for (const who of ['sro', 'partnerLp'] as const) expect((await (await t.signIn(who)).get(paths.settingsPeriods())).statusCode, who).toBe(403);
  });
});
