import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { contractThresholds } from '../settings/service.ts';

/** The key contracts' thresholds are Settings: admins change them, and every list, page and flag follows. */
describe.each(backends)('key contract thresholds as settings (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let sro: Agent;
  let council: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const path = paths.settingsContracts();
  const form = (extra: Record<string, string> = {}) => ({ procurementActThresholdPounds: '5000000', reprocurementWindowMonths: '18', reason: 'Programme board decision', ...extra });
  const settingRows = async () => (await one<{ n: number }>(sql`select count(*)::int as n from settings where key in ('procurementActThresholdPounds', 'reprocurementWindowMonths')`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, sro] = await Promise.all(['admin', 'sro'].map((who) => t.signIn(who)));
    council = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
  });
  afterAll(async () => t?.close());

  it('lists both thresholds with their defaults and shows the form; other roles are refused', async () => {
    const list = await admin.get(paths.settings());
    expect(list.body).toContain('Procurement Act 2023 duties for contracts worth more than');
    expect(list.body).toContain('£5,000,000');
    expect(list.body).toContain('18 months');
    const page = await admin.get(path);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1 class="govuk-heading-l">Change the key contract thresholds</h1>');
    expect(page.body).toMatch(/name="read" value="5000000\|18"/);
    expect(page.body).toContain(`<form method="post" action="${path}" novalidate>`);
    expect((await sro.get(path)).statusCode).toBe(403);
    expect((await sro.submit(path, form({ reprocurementWindowMonths: '24' }), { csrfFrom: paths.settings() })).statusCode).toBe(403);
    expect(await settingRows()).toBe(0);
  });

  it('refuses a value out of range or not a whole number, naming the field, and writes nothing', async () => {
    const zero = await admin.submit(path, form({ reprocurementWindowMonths: '0' }), { csrfFrom: path });
    expect(zero.statusCode).toBe(400);
    expect(errorSummary(zero.body)).toContain('Months before a contract ends must be between 1 and 120');
    const commas = await admin.submit(path, form({ procurementActThresholdPounds: '5,000,000' }), { csrfFrom: path });
    expect(commas.statusCode).toBe(400);
    expect(errorSummary(commas.body)).toContain('Procurement Act threshold must be a number');
    const noReason = await admin.submit(path, form({ reason: '' }), { csrfFrom: path });
    expect(errorSummary(noReason.body)).toContain('Enter the reason for the change');
    expect(await settingRows()).toBe(0);
  });

  it('moves the flags on lists, filters and pages when changed, audited; a stale page is refused', async () => {
    const before = await sro.get(`${paths.councilContracts(council)}?flag=procurement-act`);
    expect(before.body).toContain('Highways maintenance');
    expect((await sro.get(`${paths.councilContracts(council)}?flag=reprocure`)).body).not.toContain('Highways maintenance');

    const res = await admin.submit(path, { ...form({ procurementActThresholdPounds: '20000000', reprocurementWindowMonths: '24' }), read: '5000000|18' }, { csrfFrom: path });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    expect(res.headers.location).toBe('/settings?done=contracts');
    expect(await contractThresholds(t.db)).toEqual({ procurementActThresholdPence: 20_000_000_00, reprocurementWindowMonths: 24 });
    const audits = await queryRows<{ record_id: string }>(t.db, sql`select record_id from audit_events where action = 'settings.changed' order by record_id`);
    expect(audits.map((a) => a.record_id)).toEqual(['procurementActThresholdPounds', 'reprocurementWindowMonths']);

    // Highways maintenance (£12m, ending in 24 months) leaves the Procurement Act flag and joins re-procurement.
    const list = await sro.get(paths.councilContracts(council));
    expect(list.body).toContain('worth more than £20,000,000');
    expect(list.body).toContain('ending within 24 months');
    const act = await sro.get(`${paths.councilContracts(council)}?flag=procurement-act`);
    expect(act.body).not.toContain('Highways maintenance');
    expect(act.body).toContain('Waste collection and recycling');
    expect((await sro.get(`${paths.councilContracts(council)}?flag=reprocure`)).body).toContain('Highways maintenance');
    const waste = await one<{ id: string }>(sql`select id from contracts where council_id = ${council} and name = 'Waste collection and recycling'`);
    expect((await sro.get(`/contracts/${waste.id}`)).body).toContain('Worth more than £20,000,000');

    const stale = await admin.submit(path, { ...form({ reprocurementWindowMonths: '12' }), read: '5000000|18' }, { csrfFrom: path });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed the key contract thresholds');
    expect((await contractThresholds(t.db)).reprocurementWindowMonths).toBe(24);
  });
});
