import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { councilScope } from '../auth/policy.ts';
import { paths } from '../web/paths.ts';
import { activeCouncils, allocateAs, ctxOf, enrol, openPeriodsUntil } from './testing.ts';
import { decide } from './place-requests-service.ts';

const today = { 'date-day': '26', 'date-month': '11', 'date-year': '2026' };

describe.each(backends)('requests for places, pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let otherPartner: Agent;
  /** Active councils managed by Local Partnerships (the demo partnerLp's) and one managed by MHCLG. */
  let lpCouncils: Awaited<ReturnType<typeof activeCouncils>>;
  let mhclgCouncil: Awaited<ReturnType<typeof activeCouncils>>[number];
  let adminName: string;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  const allocation = (councilId: string, level: string, period: string) =>
    one<{ places: number; taken: number } | undefined>(sql`select places, taken from funded_places where council_id = ${councilId} and level = ${level} and period = ${period}`);
  const requestOf = (councilId: string, period: string) =>
    one<{ id: string; status: string; places: number; decision_note: string | null }>(
      sql`select id, status, places, decision_note from place_requests where council_id = ${councilId} and period = ${period} order by requested_at desc, id desc limit 1`,
    );
  const mailTo = (email: string) => queryRows<{ subject: string; body: string }>(t.db, sql`select subject, body from notifications where to_email = ${email} order by created_at`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await openPeriodsUntil(t, '2039-40');
    admin = await t.signIn('admin');
    partner = await t.signIn('partnerLp');
    otherPartner = await t.signIn('partnerMhclg');
    const active = await activeCouncils(t, 200);
    lpCouncils = active.filter((c) => c.partner === 'LP');
    mhclgCouncil = active.find((c) => c.partner === 'MHCLG')!;
    adminName = (await one<{ name: string }>(sql`select name from people where email = ${demoAccounts.admin.email}`)).name;
    expect(lpCouncils.length).toBeGreaterThan(5);
    expect(mhclgCouncil).toBeDefined();
  });
  afterAll(async () => t?.close());

  it('takes a partner from a nomination with no places left to a request, an admin’s grant, and the approval', async () => {
    const council = lpCouncils[0];
    await allocateAs(t, council.id, 'foundation', '2035-36', 1);
    await enrol(t, council.id, 'foundation', '2035-36');
    const waiting = await enrol(t, council.id, 'foundation', '2035-36', { approve: false });

    // The decision page shows the places: none left, and a link to ask for more.
    const move = await partner.get(`${paths.enrolmentMove(waiting.id)}?type=approved`);
    expect(move.statusCode).toBe(200);
    const panel = /<div class="govuk-inset-text" id="places-panel">([\s\S]*?)<\/div>/.exec(move.body)![1];
    expect(panel).toContain('Foundation places for 2035-36');
    expect(panel).toMatch(/1 allocated, 1 taken, <strong>0 left<\/strong>/);
    const href = `${paths.placeRequestNew()}?councilId=${council.id}&amp;level=foundation&amp;period=2035-36`;
    expect(panel).toContain(`<a class="govuk-link" href="${href}">Request places</a>`);

    const form = await partner.get(href.replaceAll('&amp;', '&'));
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`<option value="${council.id}" selected>`);
    expect(form.body).toMatch(/value="foundation" checked/);
    expect(form.body).toContain('<option value="2035-36" selected>');

    const sent = await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'foundation', period: '2035-36', places: '2', reason: 'Two officers are waiting' });
    expect(sent.statusCode, errorSummary(sent.body)).toBe(302);
    expect(sent.headers.location).toBe(`${paths.placeRequests()}?done=requested`);
    const queue = await partner.get(sent.headers.location as string);
    expect(queue.body).toContain('Request for places sent');
    expect(queue.body).toContain('Two officers are waiting');
    expect(queue.body).not.toContain('>Decide<');

    // Asking twice is refused while the first waits.
    const again = await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'foundation', period: '2035-36', places: '1', reason: 'Again' });
    expect(again.statusCode).toBe(409);
    expect(errorSummary(again.body)).toContain(`A request for 2 Foundation places for ${council.name} in 2035-36 is already waiting for a decision`);
    expect((await partner.get(`${paths.enrolmentMove(waiting.id)}?type=approved`)).body).toContain('A request for 2 more places has been waiting for a decision since 26 November 2026');

    // The admin sees the count on the places page and decides from the queue.
    const places = await admin.get(paths.places());
    expect(places.body).toMatch(/Requests for places \(\d+ waiting for your decision\)/);
    const request = await requestOf(council.id, '2035-36');
    expect((await admin.get(paths.placeRequests())).body).toContain(`href="${paths.placeRequest(request.id)}"`);
    const decidePage = await admin.get(paths.placeRequest(request.id));
    expect(decidePage.statusCode).toBe(200);
    expect(decidePage.body).toContain('1 allocated, 1 taken, 0 left');
    const noChoice = await admin.submit(paths.placeRequest(request.id), {});
    expect(noChoice.statusCode).toBe(400);
    expect(errorSummary(noChoice.body)).toContain('Select whether to grant or refuse the request');

    const granted = await admin.submit(paths.placeRequest(request.id), { decision: 'grant' });
    expect(granted.statusCode, errorSummary(granted.body)).toBe(302);
    expect(granted.headers.location).toBe(`${paths.placeRequests()}?done=granted`);
    expect(await allocation(council.id, 'foundation', '2035-36')).toEqual({ places: 3, taken: 1 });
    const audits = await queryRows<{ action: string }>(t.db, sql`select action from audit_events where (record_id = ${request.id} or action = 'places.allocated') and after->>'period' = '2035-36' and after->>'councilId' = ${council.id} order by id`);
    expect(audits.map((a) => a.action)).toEqual(['places.allocated', 'place_request.created', 'places.allocated', 'place_request.granted']);
    const mail = await mailTo(demoAccounts.partnerLp.email);
    expect(mail.at(-1)?.subject).toBe(`Your request for 2 Foundation places for ${council.name} in 2035-36 is granted`);
    expect(mail.at(-1)?.body).toContain('The council now has 3 Foundation places allocated for 2035-36');

    // A second decision (a second click, another admin) changes nothing.
    const twice = await admin.submit(paths.placeRequest(request.id), { decision: 'grant' });
    expect(twice.statusCode).toBe(409);
    expect(errorSummary(twice.body)).toContain(`This request was already granted by ${adminName} on 26 November 2026: nothing was changed`);
    expect((await allocation(council.id, 'foundation', '2035-36'))?.places).toBe(3);

    // The partner approves the nomination now.
    const movePage = await partner.get(`${paths.enrolmentMove(waiting.id)}?type=approved`);
    expect(movePage.body).toMatch(/3 allocated, 1 taken, <strong>2 left<\/strong>/);
    expect(movePage.body).not.toContain('Request places');
    const approved = await partner.submit(paths.enrolmentMove(waiting.id), { type: 'approved', ...today, version: String(waiting.version) });
    expect(approved.statusCode, errorSummary(approved.body)).toBe(302);
    expect(await allocation(council.id, 'foundation', '2035-36')).toEqual({ places: 3, taken: 2 });
  });

  it('refuses a request only with a note, which the requester is told', async () => {
    const council = lpCouncils[1];
    await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'expert', period: '2035-36', places: '1', reason: 'One more' });
    const request = await requestOf(council.id, '2035-36');
    const noNote = await admin.submit(paths.placeRequest(request.id), { decision: 'refuse', note: '  ' });
    expect(noNote.statusCode).toBe(400);
    expect(errorSummary(noNote.body)).toContain('Enter why the request is refused');
    expect((await requestOf(council.id, '2035-36')).status).toBe('requested');
    const refused = await admin.submit(paths.placeRequest(request.id), { decision: 'refuse', note: 'The budget for 2035-36 is spent' });
    expect(refused.statusCode).toBe(302);
    expect(await requestOf(council.id, '2035-36')).toMatchObject({ status: 'refused', decision_note: 'The budget for 2035-36 is spent' });
    expect(await allocation(council.id, 'expert', '2035-36')).toBeUndefined();
    const mail = await mailTo(demoAccounts.partnerLp.email);
    expect(mail.at(-1)?.subject).toBe(`Your request for 1 Expert place for ${council.name} in 2035-36 was refused`);
    expect(mail.at(-1)?.body).toContain('The programme team’s note: The budget for 2035-36 is spent');
    const decided = await admin.get(paths.placeRequest(request.id));
    expect(decided.body).toContain(`Refused by ${adminName} on 26 November 2026. Note: The budget for 2035-36 is spent`);
    expect(decided.body).not.toContain('Save decision');
    // The audit log reads the decision as a sentence.
    const log = await admin.get(`/audit?recordId=${request.id}`);
    expect(log.body.replace(/<[^>]+>/g, '')).toContain(`refused a request for 1 Expert place for ${council.name} in 2035-36 (reason: The budget for 2035-36 is spent)`);
    expect(log.body.replace(/<[^>]+>/g, '')).toContain(`asked for 1 more Expert place for ${council.name} in 2035-36 (reason: One more)`);
    // Refused requests leave the default (waiting) queue and show under their status.
    expect((await admin.get(paths.placeRequests())).body).not.toContain('One more');
    expect((await admin.get(`${paths.placeRequests()}?status=refused`)).body).toContain('One more');
    // A new request may be made once the last one is decided.
    expect((await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'expert', period: '2035-36', places: '1', reason: 'Asking again' })).statusCode).toBe(302);
  });

  it('grants once when two admins decide at the same moment', async () => {
    const council = lpCouncils[2];
    await allocateAs(t, council.id, 'practitioner', '2035-36', 1);
    await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'practitioner', period: '2035-36', places: '4', reason: 'Race' });
    const request = await requestOf(council.id, '2035-36');
    const ctx = await ctxOf(t, 'admin');
    const results = await Promise.allSettled([
      decide(t.db, ctx, councilScope(ctx.actor!), request.id, 'grant', {}),
      decide(t.db, ctx, councilScope(ctx.actor!), request.id, 'grant', {}),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ status: 409 });
    expect((await allocation(council.id, 'practitioner', '2035-36'))?.places).toBe(5);
  });

  it('rejects bad input with GOV.UK messages and writes nothing', async () => {
    const council = lpCouncils[3];
    const before = await one<{ n: number }>(sql`select count(*)::int as n from place_requests`);
    const ok = { councilId: council.id, level: 'foundation', period: '2036-37', places: '2', reason: 'Because' };
    const cases: [Record<string, string>, string][] = [
      [{ ...ok, councilId: '' }, 'Select the council'],
      [{ ...ok, councilId: mhclgCouncil.id }, 'Select a council from the list'],
      [{ ...ok, level: '' }, 'Select a level'],
      [{ ...ok, period: '2036-38' }, 'Period must be a financial year'],
      [{ ...ok, period: '2050-51' }, 'Enter a period from'],
      [{ ...ok, places: '' }, 'Enter the number of places'],
      [{ ...ok, places: '0' }, 'Places must be 1 or more'],
      [{ ...ok, places: '101' }, 'Places must be 100 or fewer'],
      [{ ...ok, places: '1.5' }, 'Enter the number of places'],
      [{ ...ok, reason: ' ' }, 'Enter why the council needs more places'],
      [{ ...ok, reason: 'x'.repeat(1001) }, 'Reason must be 1000 characters or fewer'],
    ];
    for (const [form, message] of cases) {
      const res = await partner.submit(paths.placeRequestNew(), form);
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body), message).toContain(message);
    }
    expect((await one<{ n: number }>(sql`select count(*)::int as n from place_requests`)).n).toBe(before.n);
  });

  it('keeps requests to the councils a partner manages, and decisions to admins', async () => {
    const council = lpCouncils[4];
    await partner.submit(paths.placeRequestNew(), { councilId: council.id, level: 'foundation', period: '2037-38', places: '1', reason: 'Scope check' });
    const request = await requestOf(council.id, '2037-38');
    // The other managing partner neither sees nor decides it; partners never decide.
    expect((await otherPartner.get(`${paths.placeRequests()}?status=all`)).body).not.toContain('Scope check');
    expect((await otherPartner.get(paths.placeRequestsExport('csv'))).body).not.toContain('Scope check');
    for (const agent of [partner, otherPartner]) {
      expect((await agent.get(paths.placeRequest(request.id))).statusCode).toBe(404);
      expect((await agent.submit(paths.placeRequest(request.id), { decision: 'grant' })).statusCode).toBe(404);
    }
    for (const who of ['sro', 'funder', 'specialist'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.placeRequests())).statusCode, who).toBe(403);
      expect((await agent.get(paths.placeRequestNew())).statusCode, who).toBe(403);
      expect((await agent.submit(paths.placeRequestNew(), { councilId: council.id, level: 'foundation', period: '2037-38', places: '1', reason: 'x' })).statusCode, who).toBe(403);
    }
    expect((await admin.get(paths.placeRequest('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
    expect((await admin.get(paths.placeRequest('not-a-uuid'))).statusCode).toBe(404);
    expect((await requestOf(council.id, '2037-38')).status).toBe('requested');
  });

  it('downloads the queue as CSV and XLSX, oldest first', async () => {
    const csv = await admin.get(`${paths.placeRequestsExport('csv')}?status=all`);
    expect(csv.statusCode).toBe(200);
    const rows = parse(csv.body, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.map((r) => r.Reason)).toContain('Two officers are waiting');
    expect(Object.keys(rows[0])).toEqual(['Council', 'GSS code', 'Level', 'Period', 'Places', 'Reason', 'Requested by', 'Requested at', 'Status', 'Decided by', 'Decided at', 'Decision note']);
    // A page past the end goes to the last page; a hand-edited status shows the waiting requests.
    const past = await admin.get(`${paths.placeRequests()}?status=all&page=999`);
    expect(past.statusCode).toBe(302);
    expect(past.headers.location).toBe(`${paths.placeRequests()}?status=all`);
    const odd = await admin.get(`${paths.placeRequests()}?status=nonsense`);
    expect(odd.statusCode).toBe(200);
    expect(odd.body).toContain('<option value="requested" selected>');
    const xlsx = await admin.get(paths.placeRequestsExport('xlsx'));
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
  });

  it('asks for confirmation before allocating to, or granting for, a council that is not active or onboarding', async () => {
    const withdrawn = lpCouncils[5];
    await partner.submit(paths.placeRequestNew(), { councilId: withdrawn.id, level: 'foundation', period: '2038-39', places: '2', reason: 'Before withdrawal' });
    const request = await requestOf(withdrawn.id, '2038-39');
    await t.db.execute(sql`update participations set status = 'withdrawn' where council_id = ${withdrawn.id}`);

    // Requests are for councils that are active or onboarding.
    const refused = await partner.submit(paths.placeRequestNew(), { councilId: withdrawn.id, level: 'expert', period: '2038-39', places: '1', reason: 'After' });
    expect(refused.statusCode).toBe(400);
    expect(errorSummary(refused.body)).toContain(`${withdrawn.name} is withdrawn: places can be requested only for a council that is active or onboarding`);

    const form = { councilId: withdrawn.id, level: 'foundation', period: '2038-39', places: '4' };
    const first = await admin.submit(paths.placesAllocate(), form);
    expect(first.statusCode).toBe(400);
    expect(errorSummary(first.body)).toContain(`${withdrawn.name} is withdrawn, not active or onboarding: confirm that you want to allocate places to it`);
    expect(first.body).toContain('name="confirmInactiveCouncil"');
    expect(await allocation(withdrawn.id, 'foundation', '2038-39')).toBeUndefined();
    const confirmed = await admin.submit(paths.placesAllocate(), { ...form, confirmInactiveCouncil: 'yes' });
    expect(confirmed.statusCode, errorSummary(confirmed.body)).toBe(302);
    expect((await allocation(withdrawn.id, 'foundation', '2038-39'))?.places).toBe(4);

    // Granting a request made before the council withdrew asks the same, and changes nothing until confirmed.
    const page = await admin.get(paths.placeRequest(request.id));
    expect(page.body).toContain('places are normally allocated only to councils that are active or onboarding');
    const unconfirmed = await admin.submit(paths.placeRequest(request.id), { decision: 'grant' });
    expect(unconfirmed.statusCode).toBe(400);
    expect(errorSummary(unconfirmed.body)).toContain('confirm that you want to allocate places to it');
    expect((await requestOf(withdrawn.id, '2038-39')).status).toBe('requested');
    const grant = await admin.submit(paths.placeRequest(request.id), { decision: 'grant', confirmInactiveCouncil: 'yes' });
    expect(grant.statusCode, errorSummary(grant.body)).toBe(302);
    expect((await allocation(withdrawn.id, 'foundation', '2038-39'))?.places).toBe(6);
  });
});
