import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, dateFields } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { paths } from '../web/paths.ts';

/** A GOV.UK date input's three parts as a form posts them. */

const refusal = 'Only a programme admin can change the onboarding date across 1 July 2023, because it changes who manages the council';

// Who manages a council decides who may see it: a partner's edit must never hand a council to the other partner.
describe.each(backends)('changing who manages a council (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let lp: Agent;
  let lpToken: string;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];
  /** A council at this status managed by this partner, in name order so each test takes its own. */
  const managedBy = (partner: string, status: string, skip: number) =>
    one<{ id: string; version: number; onboardingDate: string }>(sql`
      select p.council_id as id, p.version, p.onboarding_date::text as "onboardingDate" from participations p
      join organisations m on m.id = p.managing_partner_id join organisations o on o.id = p.council_id
      where m.code = ${partner} and p.status = ${status} order by o.name offset ${skip} limit 1`);
  const state = (id: string) =>
    one<{ status: string; version: number; onboardingDate: string; partner: string }>(sql`
      select p.status, p.version, p.onboarding_date::text as "onboardingDate", m.code as partner
      from participations p join organisations m on m.id = p.managing_partner_id where p.council_id = ${id}`);
  const audits = (id: string) => queryRows<{ action: string; after: Record<string, unknown> }>(t.db, sql`select action, after from audit_events where record_id = ${id} order by id`);
  const api = (method: 'PATCH' | 'POST', url: string, payload: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${lpToken}` }, payload });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    lp = await t.signIn('partnerLp');
    const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.partnerLp.email}`);
    lpToken = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
  });
  afterAll(async () => t?.close());

  it('refuses a partner moving the onboarding date before the cut-over on the page, before anything is written', async () => {
    const council = await managedBy('LP', 'active', 0);
    const res = await lp.submit(paths.councilEdit(council.id), { ...dateFields('onboardingDate', '1', '3', '2023'), version: String(council.version) });
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain(refusal);
    expect(res.body).toContain('href="#onboardingDate-day"');
    expect(res.body).not.toContain('partnerChangeReason');
    expect(await state(council.id)).toEqual({ status: 'active', version: council.version, onboardingDate: council.onboardingDate, partner: 'LP' });
    expect(await audits(council.id)).toEqual([]);
    // The council is still the partner's to open.
    expect((await lp.get(paths.council(council.id))).statusCode).toBe(200);
  });

  it('refuses the same through PATCH /councils/{id} with a 422 naming the field', async () => {
    const council = await managedBy('LP', 'active', 1);
    const res = await api('PATCH', `/councils/${council.id}`, { onboardingDate: '2022-05-01', partnerChangeReason: 'Ours to give', version: council.version });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ detail: refusal, errors: [{ field: 'onboardingDate', message: refusal }] });
    expect(await state(council.id)).toMatchObject({ version: council.version, onboardingDate: council.onboardingDate, partner: 'LP' });
    expect(await audits(council.id)).toEqual([]);
  });

  it('refuses a partner starting onboarding again on a date that belongs to the other partner', async () => {
    const council = await managedBy('LP', 'withdrawn', 0);
    for (const status of ['interested', 'eligibility_review']) expect((await api('POST', `/councils/${council.id}/status`, { status })).statusCode).toBe(200);
    const before = await state(council.id);
    const res = await api('POST', `/councils/${council.id}/status`, { status: 'onboarding', onboardingDate: '2023-06-30' });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([{ field: 'onboardingDate', message: refusal }]);
    expect(await state(council.id)).toEqual(before);
    const onOwnSide = await api('POST', `/councils/${council.id}/status`, { status: 'onboarding', onboardingDate: '2023-07-01' });
    expect(onOwnSide.statusCode).toBe(200);
    expect(await state(council.id)).toMatchObject({ status: 'onboarding', onboardingDate: '2023-07-01', partner: 'LP' });
  });

  it('lets a partner change the date within its own side of the cut-over', async () => {
    const council = await managedBy('LP', 'active', 2);
    const res = await lp.submit(paths.councilEdit(council.id), { ...dateFields('onboardingDate', '1', '7', '2023'), version: String(council.version) });
    expect(res.statusCode).toBe(302);
    expect(await state(council.id)).toMatchObject({ onboardingDate: '2023-07-01', partner: 'LP', version: council.version + 1 });
    const [audit] = await audits(council.id);
    expect(audit).toMatchObject({ action: 'council.participation_updated', after: { onboardingDate: '2023-07-01' } });
    expect(audit.after).not.toHaveProperty('managingPartnerId');
  });

  it('lets an admin move the date across the cut-over, with a reason recorded in the audit', async () => {
    const council = await managedBy('LP', 'active', 3);
    const form = await admin.get(paths.councilEdit(council.id));
    expect(form.body).toContain('Reason for changing the managing partner');
    const missing = await admin.submit(paths.councilEdit(council.id), { ...dateFields('onboardingDate', '1', '3', '2023'), version: String(council.version) });
    expect(missing.statusCode).toBe(400);
    expect(errorSummary(missing.body)).toContain('Enter the reason for the change: the new onboarding date changes who manages the council');
    expect(await state(council.id)).toMatchObject({ partner: 'LP', version: council.version });
    const res = await admin.submit(paths.councilEdit(council.id), {
      ...dateFields('onboardingDate', '1', '3', '2023'),
      partnerChangeReason: 'Onboarding date corrected from the signed agreement',
      version: String(council.version),
    });
    expect(res.statusCode).toBe(302);
    expect(await state(council.id)).toMatchObject({ onboardingDate: '2023-03-01', partner: 'MHCLG' });
    const [audit] = await audits(council.id);
    expect(audit.action).toBe('council.participation_updated');
    expect(audit.after).toMatchObject({ onboardingDate: '2023-03-01', reason: 'Onboarding date corrected from the signed agreement' });
    expect(audit.after.managingPartnerId).toBeTruthy();
    // The partner that no longer manages it no longer sees it.
    expect((await lp.get(paths.council(council.id))).statusCode).toBe(404);
  });
});
