import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, dateFields } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { getSetting } from './service.ts';

/** A GOV.UK date input's three parts as a form posts them. */

/** A valid change to the rule; each test overrides what it is about. */
const ruleForm = (overrides: Record<string, string> = {}) => ({
  ...dateFields('cutover', '1', '1', '2025'),
  partnerBefore: 'MHCLG',
  partnerAfter: 'LP',
  reason: 'Transfers to Local Partnerships agreed from January 2025',
  ...overrides,
});

describe.each(backends)('settings (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const one = async <T>(query: ReturnType<typeof sql>) => (await rows<T>(query))[0];
  const storedSettings = () => rows<{ key: string; value: unknown }>(sql`select key, value from settings order by key`);
  const settingAudits = () =>
    rows<{ record_type: string; record_id: string; before: unknown; after: unknown; actor_id: string | null }>(
      sql`select record_type, record_id, before, after, actor_id from audit_events where action = 'settings.changed' order by id`,
    );
  /** Each council's managing partner, to show a rule change reassigns none of them. */
  const partnerOfEveryCouncil = () =>
    rows<{ id: string; code: string | null }>(sql`
      select p.council_id as id, o.code from participations p left join organisations o on o.id = p.managing_partner_id order by p.council_id`);
  const councilAt = (status: string, skip: number) =>
    one<{ id: string; version: number; managing_partner_reason: string | null }>(sql`
      select p.council_id as id, p.version, p.managing_partner_reason from participations p join organisations o on o.id = p.council_id
      where p.status = ${status} order by o.name offset ${skip} limit 1`);
  const partnerOf = async (id: string) =>
    (await one<{ code: string | null }>(sql`
      select o.code from participations p left join organisations o on o.id = p.managing_partner_id where p.council_id = ${id}`)).code;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  it('shows an admin each setting with its value, default, last change and a Change link, under Admin in the navigation', async () => {
    const res = await admin.get(paths.settings());
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('govuk-summary-list');
    expect(res.body).toContain('Managing partner cut-over date');
    expect(res.body).toContain('1 July 2023');
    expect(res.body).toContain('Ministry of Housing, Communities and Local Government');
    expect(res.body).toContain('Local Partnerships');
    expect(res.body).toContain('Not changed since the service started: using the default');
    expect(res.body).toMatch(/href="\/settings\/managing-partner"[^>]*>\s*Change<span class="govuk-visually-hidden"> managing partner cut-over date<\/span>/);
    expect(res.body).toContain('class="govuk-service-navigation__link" href="/admin" aria-current="true"');
    expect((await admin.get(paths.admin())).body).toContain('href="/settings"');
    const form = await admin.get(paths.settingsManagingPartner());
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('govuk-inset-text');
    expect(form.body).toContain('does not reassign councils that already have an onboarding date');
    expect(form.body).toMatch(/name="cutover-day"[^>]*value="1"/);
    expect(form.body).toMatch(/name="cutover-month"[^>]*value="7"/);
    expect(form.body).toMatch(/name="cutover-year"[^>]*value="2023"/);
    expect(form.body).toMatch(/<option value="MHCLG" selected>/);
    // Every partner organisation may be chosen, not only the two the rule names.
    expect(form.body).toContain('<option value="CCS"');
  });

  it('refuses a bad date, a future date, a missing reason and an unknown partner, keeping the input and changing nothing', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [dateFields('cutover', '31', '2', '2024'), 'Cut-over date must be a real date', '#cutover-day'],
      [dateFields('cutover', '', '', ''), 'Enter the cut-over date', '#cutover-day'],
      [dateFields('cutover', '1', '', '2024'), 'Cut-over date must include a month', '#cutover-month'],
      [dateFields('cutover', '27', '11', '2026'), 'Cut-over date must be today or in the past', '#cutover-day'],
      [dateFields('cutover', '31', '10', '2021'), 'Cut-over date must be the same as or after 1 November 2021', '#cutover-day'],
      [{ reason: '   ' }, 'Enter the reason for the change', '#reason'],
      [{ reason: 'x'.repeat(2001) }, 'Reason must be 2000 characters or fewer', '#reason'],
      [{ partnerBefore: 'NOPE' }, 'Select the partner for councils onboarded before the cut-over date', '#partnerBefore'],
      [{ partnerAfter: '' }, 'Select the partner for councils onboarded on or after the cut-over date', '#partnerAfter'],
      [{ partnerAfter: 'MHCLG' }, 'Select a different partner for councils onboarded on or after the cut-over date', '#partnerAfter'],
    ];
    for (const [overrides, message, href] of cases) {
      const res = await admin.submit(paths.settingsManagingPartner(), ruleForm(overrides));
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body), message).toContain(message);
      expect(res.body).toContain(`href="${href}"`);
      expect(res.body).toMatch(/<title>Error: /);
    }
    const kept = await admin.submit(paths.settingsManagingPartner(), ruleForm({ ...dateFields('cutover', '27', '11', '2026'), partnerBefore: 'CCS', reason: 'Kept <text>' }));
    expect(kept.body).toMatch(/name="cutover-day"[^>]*value="27"/);
    expect(kept.body).toMatch(/<option value="CCS" selected>/);
    expect(kept.body).toContain('Kept &lt;text&gt;');
    expect(await storedSettings()).toEqual([]);
    expect(await settingAudits()).toEqual([]);
    expect(await getSetting(t.db, 'managingPartnerCutover')).toBe('2023-07-01');
  });

  it('refuses partner staff and SROs (403), and a post without the CSRF token (403)', async () => {
    for (const who of ['partnerLp', 'partnerMhclg', 'sro', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.settings())).statusCode, who).toBe(403);
      expect((await agent.get(paths.settingsManagingPartner())).statusCode, who).toBe(403);
      expect((await agent.submit(paths.settingsManagingPartner(), ruleForm(), { csrfFrom: '/account' })).statusCode, who).toBe(403);
      const account = await agent.get('/account');
      expect(account.body).toContain('class="govuk-service-navigation__link" href="/account"');
      expect(account.body).not.toContain('href="/settings"');
    }
    const noToken = await t.app.inject({
      method: 'POST',
      url: paths.settingsManagingPartner(),
      payload: new URLSearchParams(ruleForm()).toString(),
      headers: { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(noToken.statusCode).toBe(403);
    expect((await admin.submit(paths.settingsManagingPartner(), ruleForm({ _csrf: 'forged' }))).statusCode).toBe(403);
    expect(await storedSettings()).toEqual([]);
  });

  it('changes the cut-over, records who and why, and gives councils onboarded from then on the partner of their side', async () => {
    const before = await partnerOfEveryCouncil();
    const res = await admin.submit(paths.settingsManagingPartner(), ruleForm());
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/settings?done=managing-partner');

    // Stored as JSON, read back by getSetting as before.
    expect(await storedSettings()).toEqual([{ key: 'managingPartnerCutover', value: '2025-01-01' }]);
    expect(await getSetting(t.db, 'managingPartnerCutover')).toBe('2025-01-01');
    expect(await getSetting(t.db, 'managingPartnerAfter')).toBe('LP');

    const adminPerson = await one<{ id: string; name: string }>(sql`select id, name from people where email = ${demoAccounts.admin.email}`);
    const page = await admin.get(`${paths.settings()}?done=managing-partner`);
    expect(page.body).toContain('Managing partner rule changed');
    expect(page.body).toContain('1 January 2025');
    expect(page.body).toContain('Default: 1 July 2023');
    expect(page.body).toContain(`Last changed 26 November 2026 at 10:00am by ${adminPerson.name.replace(/'/g, '&#39;')}`);

    const audits = await settingAudits();
    expect(audits).toEqual([
      {
        record_type: 'setting',
        record_id: 'managingPartnerCutover',
        before: { value: '2023-07-01' },
        after: { value: '2025-01-01', reason: 'Transfers to Local Partnerships agreed from January 2025' },
        actor_id: adminPerson.id,
      },
    ]);

    // No council is reassigned by the change itself.
    expect(await partnerOfEveryCouncil()).toEqual(before);

    // 1 June 2024 was after the old cut-over (LP); it is now before the new one (MHCLG).
    const early = await councilAt('eligibility_review', 0);
    expect(early.managing_partner_reason).toBeNull();
    const moved = await admin.submit(paths.councilStatus(early.id), { status: 'onboarding', ...dateFields('onboardingDate', '1', '6', '2024'), version: String(early.version) });
    expect(moved.statusCode).toBe(302);
    expect(await partnerOf(early.id)).toBe('MHCLG');
    const late = await councilAt('eligibility_review', 0);
    const lateMove = await admin.submit(paths.councilStatus(late.id), { status: 'onboarding', ...dateFields('onboardingDate', '1', '2', '2025'), version: String(late.version) });
    expect(lateMove.statusCode).toBe(302);
    expect(await partnerOf(late.id)).toBe('LP');
  });

  it('saves both partners, and saving the form unchanged writes nothing', async () => {
    const res = await admin.submit(paths.settingsManagingPartner(), ruleForm({ partnerBefore: 'LP', partnerAfter: 'CCS', reason: 'Partners swapped' }));
    expect(res.headers.location).toBe('/settings?done=managing-partner');
    expect(await getSetting(t.db, 'managingPartnerBefore')).toBe('LP');
    expect(await getSetting(t.db, 'managingPartnerAfter')).toBe('CCS');
    expect((await settingAudits()).map((a) => a.record_id)).toEqual(['managingPartnerCutover', 'managingPartnerBefore', 'managingPartnerAfter']);
    const form = await admin.get(paths.settingsManagingPartner());
    expect(form.body).toMatch(/name="cutover-day"[^>]*value="1"/);
    expect(form.body).toMatch(/name="cutover-month"[^>]*value="1"/);
    expect(form.body).toMatch(/<option value="CCS" selected>/);

    const again = await admin.submit(paths.settingsManagingPartner(), ruleForm({ partnerBefore: 'LP', partnerAfter: 'CCS', reason: 'No change' }));
    expect(again.headers.location).toBe('/settings?done=unchanged');
    expect(await settingAudits()).toHaveLength(3);
  });

  it('refuses a save from a page opened before another admin changed the rule (409), changing nothing', async () => {
    const read = /name="read" value="([^"]*)"/.exec((await admin.get(paths.settingsManagingPartner())).body)![1];
    const other = await t.signIn('admin');
    const first = await other.submit(paths.settingsManagingPartner(), { ...ruleForm({ partnerBefore: 'MHCLG', partnerAfter: 'LP', reason: 'Back to the defaults' }), read });
    expect(first.statusCode).toBe(302);
    const audits = (await settingAudits()).length;
    const stale = await admin.submit(paths.settingsManagingPartner(), { ...ruleForm({ partnerBefore: 'LP', partnerAfter: 'GCF', reason: 'Mine' }), read });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed the managing partner rule');
    expect(await getSetting(t.db, 'managingPartnerAfter')).toBe('LP');
    expect(await settingAudits()).toHaveLength(audits);
  });

  it('after a refused save (400) each form carries what it was read at, so a corrected save over another admin’s change is refused (409), not written', async () => {
    const readOf = (html: string) => /name="read" value="([^"]*)"/.exec(html)![1];
    // One form of each kind: the rule, a form of numbers, the periods and the booking details.
    const forms: { path: string; theirs: Record<string, string>; mine: Record<string, string> }[] = [
      { path: paths.settingsManagingPartner(), theirs: ruleForm({ partnerBefore: 'CCS', partnerAfter: 'GCF', reason: 'Theirs' }), mine: ruleForm({ partnerBefore: 'LP', partnerAfter: 'MHCLG', reason: 'Mine' }) },
      { path: paths.settingsRetention(), theirs: { invitationRetentionDays: '60', auditIpRetentionMonths: '12', deactivatedRetentionMonths: '24', reason: 'Theirs' }, mine: { invitationRetentionDays: '90', auditIpRetentionMonths: '6', deactivatedRetentionMonths: '24', reason: 'Mine' } },
      { path: paths.settingsPeriods(), theirs: { firstPeriod: '2022-23', lastPeriod: '2029-30', reason: 'Theirs' }, mine: { firstPeriod: '2021-22', lastPeriod: '2028-29', reason: 'Mine' } },
      { path: paths.settingsAssessmentBooking(), theirs: { contact: 'Call 0300 123 4567', bookingUrl: '', reason: 'Theirs' }, mine: { contact: 'assessments@provider.example.org', bookingUrl: 'https://book.provider.example.org/pioneer', reason: 'Mine' } },
    ];
    const other = await t.signIn('admin');
    for (const form of forms) {
      const read = readOf((await admin.get(form.path)).body);
      // Another admin saves a change from their own read first.
      const theirs = await other.submit(form.path, { ...form.theirs, read: readOf((await other.get(form.path)).body) });
      expect(theirs.headers.location, form.path).not.toBe('/settings?done=unchanged');
      const stored = await storedSettings();
      const audits = (await settingAudits()).length;

      // The first reader's save is refused for a missing reason: the form again over what it was read at.
      const invalid = await admin.submit(form.path, { ...form.mine, reason: '', read });
      expect(invalid.statusCode, form.path).toBe(400);
      expect(errorSummary(invalid.body)).toContain('Enter the reason for the change');
      expect(readOf(invalid.body), form.path).toBe(read);
      // Corrected and sent again as shown: the settings changed since it was read, so nothing is written.
      const corrected = await admin.submit(form.path, { ...form.mine, read: readOf(invalid.body) });
      expect(corrected.statusCode, form.path).toBe(409);
      expect(errorSummary(corrected.body)).toContain('Someone else changed');
      expect(await storedSettings()).toEqual(stored);
      expect(await settingAudits()).toHaveLength(audits);
      // That page carries the settings now stored: sent again after checking, it saves.
      const again = await admin.submit(form.path, { ...form.mine, read: readOf(corrected.body) });
      expect(again.statusCode, errorSummary(again.body)).toBe(302);
      expect((await settingAudits()).length).toBeGreaterThan(audits);
    }
  });
});
