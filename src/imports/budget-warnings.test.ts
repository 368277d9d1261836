import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { allowEmailDomain, backends, confirmedWarningsOn, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';
import { placesOverBudgetWarnings } from '../funding/service.ts';

/**
 * Warnings before approvals take a training-places line over budget (issue 13 item 1), on the paths that approve
 * without the approval page: the results upload (page and API) and the API's journey step. The fund counts only the
 * 2027-28 period, which this test's expert learners have to themselves, plus whatever the demo holds there (`held`).
 * Its line costs £333.33 a place, with room for exactly 4 more places than `held`.
 */
describe.each(backends)('budget warnings on approvals without the approval page (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let token: string;
  let held: number;
  const council = 'E06000053';
  const domain = 'fixture-budget.example.gov.uk';
  const fundName = 'Expert places fund 2027-28';
  const lineName = 'Expert places 2027-28';
  const email = (n: number) => `budget${n}@${domain}`;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  /** Pence as the warnings write them, worked out independently of the code under test: 133332 → "£1,333.32". */
  const pounds = (pence: number) => `£${(pence / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const unit = 33_333;

  const api = (method: string, url: string, payload: string | object, contentType = 'text/csv') =>
    t.app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}`, 'content-type': typeof payload === 'string' ? contentType : 'application/json' }, payload });
  const results = (rows: string[]) => ['email,level,event,date,certificate_number', ...rows].join('\n') + '\n';
  const approvals = (...ns: number[]) => results(ns.map((n) => `${email(n)},expert,approved,26/11/2026,`));
  const state = async () =>
    one<Record<string, number>>(sql`select
      (select count(*) from enrolment_events)::int as events,
      (select count(*) from audit_events)::int as audit,
      (select coalesce(sum(taken), 0) from funded_places)::int as taken`);
  const status = async (n: number) => (await one<{ status: string }>(sql`select e.status from enrolments e join people p on p.id = e.person_id where p.email = ${email(n)} and e.level = 'expert'`)).status;

  const pageUpload = async (content: string, fields: Record<string, string | string[]> = {}) => {
    const { payload, contentType } = multipartBody({ _csrf: await admin.csrf(paths.importResults()), ...fields }, { name: 'results.csv', content: Buffer.from(content) });
    const posted = await t.app.inject({
      method: 'POST',
      url: paths.importResults(),
      payload,
      headers: { 'content-type': contentType, cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(posted.statusCode, posted.body).toBe(303);
    await t.app.importJobs.idle();
    return admin.get(posted.headers.location as string);
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    await allowEmailDomain(t.db, domain);
    const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'budget test')).token;
    await t.db.execute(sql`update participations set status = 'active' where council_id = (select id from organisations where gss_code = ${council})`);
    const { id: councilId } = await one<{ id: string }>(sql`select id from organisations where gss_code = ${council}`);
    await setPlaces(t.db, { councilId, level: 'expert', period: '2027-28' }, 20, t.clock.now());
    const nominations = ['council_code,name,email,job_title,level,period', ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `${council},Budget Officer ${n},${email(n)},Buyer,expert,2027-28`)].join('\n');
    expect((await api('POST', '/imports/nominations', nominations)).statusCode).toBe(201);

    held = (await one<{ n: number }>(sql`select coalesce(sum(taken), 0)::int as n from funded_places where level = 'expert' and period = '2027-28'`)).n;
    const fund = await admin.submit(paths.fundNew(), { source: 'DfE', name: fundName, amount: '£1,000,000', ...dateFields('startDate', '1', '4', '2027'), ...dateFields('endDate', '31', '3', '2028'), conditions: '' });
    expect(fund.statusCode, errorSummary(fund.body)).toBe(302);
    const fundId = /\/funding\/([0-9a-f-]{36})/.exec(fund.headers.location as string)![1];
    const budget = ((held + 4) * unit) / 100;
    const line = await admin.submit(paths.fundLineNew(fundId), { kind: 'training_places', name: lineName, budget: budget.toFixed(2), level: 'expert', unitCost: '333.33' });
    expect(line.statusCode, errorSummary(line.body)).toBe(302);
  });
  afterAll(async () => t?.close());

  const budgetText = () => `over its budget of ${pounds((held + 4) * unit)}.`;

  it('warns nothing while approvals stay within the line, over the API', async () => {
    const version = (await one<{ version: number }>(sql`select e.version from enrolments e join people p on p.id = e.person_id where p.email = ${email(0)}`)).version;
    const { id } = await one<{ id: string }>(sql`select e.id from enrolments e join people p on p.id = e.person_id where p.email = ${email(0)}`);
    const moved = await api('POST', `/enrolments/${id}/events`, { type: 'approved', date: '2026-11-26', version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ status: 'approved', budgetWarnings: [] });

    const uploaded = await api('POST', '/imports/results', approvals(1));
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json()).toEqual({ rows: 1, created: 1, unchanged: 0, invited: 0, budgetWarnings: [] });
  });

  it('holds back a page upload whose approvals go over, writing nothing, then writes all of it when confirmed', async () => {
    // Room for exactly 2 more places; the file approves 3.
    const file = approvals(2, 3, 4);
    const before = await state();
    const warned = await pageUpload(file);
    expect(warned.statusCode).toBe(200);
    expect(warned.body).toContain('id="budget-warnings"');
    expect(warned.body).toContain(
      `The 3 approvals in this file that count against “${lineName}” of ${fundName} take its commitments to ${pounds((held + 5) * unit)} (${held + 5} approved expert places at £333.33), ${budgetText()}`,
    );
    expect(warned.body).toContain('name="overBudgetConfirmed"');
    expect(warned.body).toContain('Upload anyway');
    expect(errorSummary(warned.body)).toBe('');
    expect(await state()).toEqual(before);
    expect([await status(2), await status(3), await status(4)]).toEqual(['nominated', 'nominated', 'nominated']);
    const listed = await admin.get(paths.importResults());
    expect(listed.body).toContain('Over budget: nothing was saved until you upload it again with “Upload anyway”');

    // The box ticked without the warnings the page showed confirms nothing: held again, nothing written.
    const blind = await pageUpload(file, { overBudgetConfirmed: 'yes' });
    expect(blind.body).toContain('id="budget-warnings"');
    expect(await state()).toEqual(before);
    expect([await status(2), await status(3), await status(4)]).toEqual(['nominated', 'nominated', 'nominated']);

    expect(confirmedWarningsOn(warned.body)).toHaveLength(1);
    const confirmed = await pageUpload(file, { overBudgetConfirmed: 'yes', confirmedWarnings: confirmedWarningsOn(warned.body) });
    expect(confirmed.body).toContain('govuk-panel');
    expect(confirmed.body).toMatch(/Results recorded[\s\S]*?3/);
    expect([await status(2), await status(3), await status(4)]).toEqual(['approved', 'approved', 'approved']);
    expect((await state()).taken).toBe(before.taken + 3);
    const audit = await one<{ after: Record<string, unknown> }>(sql`select after from audit_events where action = 'import.results' order by occurred_at desc, id desc limit 1`);
    expect(audit.after).toMatchObject({ created: 3, overBudgetConfirmed: true, budgetWarnings: [expect.stringContaining(lineName)] });
    expect((await admin.get(paths.audit())).body).toContain('its approvals taking 1 budget line over budget (confirmed with “Upload anyway”)');
  });

  it('applies approvals over the API all the same, answering the warning to the penny', async () => {
    const uploaded = await api('POST', '/imports/results', approvals(5));
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json().budgetWarnings).toEqual([
      `The approval in this file that counts against “${lineName}” of ${fundName} takes its commitments to ${pounds((held + 6) * unit)} (${held + 6} approved expert places at £333.33), ${budgetText()}`,
    ]);
    expect(await status(5)).toBe('approved');
    const audit = await one<{ after: Record<string, unknown> }>(sql`select after from audit_events where action = 'import.results' order by occurred_at desc, id desc limit 1`);
    expect(audit.after).toMatchObject({ overBudgetConfirmed: false, budgetWarnings: [expect.stringContaining(lineName)] });

    const { id, version } = await one<{ id: string; version: number }>(sql`select e.id, e.version from enrolments e join people p on p.id = e.person_id where p.email = ${email(6)}`);
    const moved = await api('POST', `/enrolments/${id}/events`, { type: 'approved', date: '2026-11-26', version });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().budgetWarnings).toEqual([`Approving this place takes the commitments on “${lineName}” of ${fundName} to ${pounds((held + 7) * unit)}, ${budgetText()}`]);
    expect(await status(6)).toBe('approved');
  });

  it('never warns about a file without approvals, nor a step that takes no place, even on a line over budget', async () => {
    const registered = await api('POST', '/imports/results', results([`${email(1)},expert,registered,26/11/2026,`]));
    expect(registered.statusCode, registered.body).toBe(201);
    expect(registered.json().budgetWarnings).toEqual([]);
    const page = await pageUpload(results([`${email(2)},expert,registered,26/11/2026,`]));
    expect(page.body).toContain('govuk-panel');
    expect(page.body).not.toContain('id="budget-warnings"');

    const { id, version } = await one<{ id: string; version: number }>(sql`select e.id, e.version from enrolments e join people p on p.id = e.person_id where p.email = ${email(7)}`);
    const declined = await api('POST', `/enrolments/${id}/events`, { type: 'declined', date: '2026-11-26', reason: 'No budget', version });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json().budgetWarnings).toEqual([]);
    // Places given back in the same file offset those taken: no more is committed, so nothing to warn of.
    expect(await placesOverBudgetWarnings(t.db, [{ level: 'expert', period: '2027-28', taken: 1, released: 1 }], 'upload')).toEqual([]);
    expect(await placesOverBudgetWarnings(t.db, [{ level: 'expert', period: '2028-29', taken: 1, released: 0 }], 'upload')).toEqual([]);
  });

  it('documents budgetWarnings in the OpenAPI answers of the operations that commit money', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const answer = (path: string, method: string, code: string) => doc.paths[path][method].responses[code].content['application/json'].schema;
    const resolve = (schema: { $ref?: string; properties?: Record<string, { description?: string }> }) =>
      schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
    for (const [path, method, code] of [
      ['/imports/results', 'post', '201'],
      ['/enrolments/{id}/events', 'post', '200'],
      ['/engagements', 'post', '201'],
      ['/engagements/{id}', 'put', '200'],
    ]) {
      expect(resolve(answer(path, method, code)).properties.budgetWarnings.description, `${method} ${path}`).toContain('over its budget');
    }
  });
});
