import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';

/**
 * Someone else's save landing between a refused change and its form being shown again: what two people saving at the
 * same moment give, made certain by running `meanwhile` (once) after the service refuses the change.
 */
const race = vi.hoisted(() => ({ meanwhile: undefined as undefined | (() => Promise<unknown>) }));
vi.mock('./service.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./service.ts')>();
  return {
    ...actual,
    updateContract: async (...args: Parameters<typeof actual.updateContract>) => {
      try {
        return await actual.updateContract(...args);
      } catch (err) {
        const meanwhile = race.meanwhile;
        race.meanwhile = undefined;
        await meanwhile?.();
        throw err;
      }
    },
  };
});

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('key contracts, the version a form shown again carries (%s)', (backend) => {
  let t: TestApp;
  let sro: Agent;
  let lead: Agent;
  let sroCouncil: string;
  let sroId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [sro, lead] = await Promise.all(['sro', 'lead'].map((who) => t.signIn(who)));
    const me = await one<{ id: string; council: string }>(sql`select id, organisation_id as council from people where email = ${demoAccounts.sro.email}`);
    sroId = me.id;
    sroCouncil = me.council;
  });
  afterAll(async () => t?.close());

  const form = (extra: Record<string, string> = {}) => ({
    name: 'Library cleaning',
    supplier: 'Shiny Ltd',
    annualValue: '100000',
    totalValue: '300000',
    ...dateFields('startDate', '1', '4', '2025'),
    ...dateFields('endDate', '31', '3', '2028'),
    tier: 'silver',
    managerId: sroId,
    hasPlan: 'yes',
    ...extra,
  });
  async function addContract(extra: Record<string, string>) {
    const res = await sro.submit(paths.councilContractNew(sroCouncil), form(extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/contracts\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  }

  it('after a duplicate (409) the form carries the version it sent, so a corrected save over someone else’s change is refused (409), not written', async () => {
    const id = await addContract({ name: 'Library cleaning' });
    await addContract({ name: 'Library security' });
    const read = formVersion((await sro.get(paths.contractEdit(id))).body)!;
    const stored = () => one<{ name: string; total: number; version: number }>(sql`select name, total_value_pence::float8 as total, version from contracts where id = ${id}`);
    const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;

    // The SRO renames it to the other contract's name: refused as a duplicate, and meanwhile the lead saves a change.
    race.meanwhile = async () => {
      const theirs = await lead.submit(paths.contractEdit(id), form({ totalValue: '400000', version: formVersion((await lead.get(paths.contractEdit(id))).body)! }));
      expect(theirs.statusCode, errorSummary(theirs.body)).toBe(302);
    };
    const duplicate = await sro.submit(paths.contractEdit(id), form({ name: 'Library security', version: read }));
    expect(race.meanwhile).toBeUndefined();
    expect(duplicate.statusCode).toBe(409);
    expect(errorSummary(duplicate.body)).toContain('already has a contract with this name and supplier');
    expect(duplicate.body).toContain('href="#name"');
    expect(formVersion(duplicate.body)).toBe(read);
    const before = await stored();
    expect(before).toEqual({ name: 'Library cleaning', total: 40_000_000, version: Number(read) + 1 });
    const auditsBefore = await audits();

    // Corrected and sent again as shown: the lead's change came after it was read, so nothing is written.
    const corrected = await sro.submit(paths.contractEdit(id), form({ name: 'Library cleaning and windows', version: formVersion(duplicate.body)! }));
    expect(corrected.statusCode).toBe(409);
    expect(errorSummary(corrected.body)).toContain('Someone else changed this contract since you opened it');
    expect(corrected.body).toContain('value="Library cleaning and windows"');
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // That form carries the version now stored: sent again after checking, it saves.
    expect(formVersion(corrected.body)).toBe(String(before.version));
    const again = await sro.submit(paths.contractEdit(id), form({ name: 'Library cleaning and windows', totalValue: '400000', version: formVersion(corrected.body)! }));
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await stored()).toEqual({ name: 'Library cleaning and windows', total: 40_000_000, version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });
});
