import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { allowEmailDomain, backends, createTestApp, demoActor, testNow, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { councilScope, type Actor } from '../auth/policy.ts';
import { nominate, recordEvent } from '../enrolments/service.ts';
import { setPlaces } from '../places/repository.ts';
import { demoCouncilId, queuedTo } from './testing.ts';

const today = testNow.slice(0, 10);
const period = '2027-28';

describe.each(backends)('nomination decision emails (%s)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let councilId: string;
  let seq = 0;
  const ctx = () => ({ actor: admin, clock: t.clock });

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'fixture-decisions.example.gov.uk');
    admin = await demoActor(t.db, 'admin');
    councilId = await demoCouncilId(t.db);
  });
  afterAll(async () => t?.close());

  const nominateNew = async (level = 'foundation') => {
    seq += 1;
    const email = `officer.${seq}@fixture-decisions.example.gov.uk`;
    const e = await nominate(t.db, t.config, ctx(), councilScope(admin), {
      councilId,
      level,
      period,
      person: { name: `Officer ${seq}`, email, jobTitle: 'Contract manager' },
      roleDescription: 'Manages waste contracts',
    });
    return { ...e, email, name: `Officer ${seq}` };
  };
  const decide = (id: string, event: object) => recordEvent(t.db, ctx(), councilScope(admin), id, { date: today, ...event });
  const sroMail = async (template: string, name: string) =>
    (await queuedTo(t.db, demoAccounts.sro.email)).filter((m) => m.template === template && m.subject.startsWith(name));

  it('tells the learner and the council’s SRO when a nomination is approved, with no unsubscribe link', async () => {
    await setPlaces(t.db, { councilId, level: 'foundation', period }, 40, t.clock.now());
    const e = await nominateNew();
    await decide(e.id, { type: 'approved' });
    expect((await queuedTo(t.db, e.email)).map((m) => m.template)).toEqual(['invite', 'nomination-approved']);
    const [mail] = await sroMail('nomination-approved-sro', e.name);
    expect(mail.subject).toBe(`${e.name}’s Foundation nomination is approved`);
    expect(mail.body).toContain(`${e.name}’s nomination for the Foundation level of the Contract Management Pioneer Programme has been approved, with a funded place for ${period}.`);
    expect(mail.unsubscribe_url).toBeNull();
    // Once, however many ways the SRO is the council's SRO (named on the participation and holding the role).
    expect(await sroMail('nomination-approved-sro', e.name)).toHaveLength(1);
  });

  it('tells them both when it is declined, with the reason', async () => {
    const e = await nominateNew();
    await decide(e.id, { type: 'declined', reason: 'No contracts to manage this year' });
    const [mail] = await sroMail('nomination-declined-sro', e.name);
    expect(mail.subject).toBe(`${e.name}’s Foundation nomination was declined`);
    expect(mail.body).toContain('Reason: No contracts to manage this year');
    expect((await queuedTo(t.db, e.email)).map((m) => m.template)).toContain('nomination-declined');
  });

  it('sends nothing to anyone when the approval is refused (no places left), and nothing to a deactivated SRO', async () => {
    const e = await nominateNew('expert');
    await setPlaces(t.db, { councilId, level: 'expert', period }, 0, t.clock.now());
    await expect(decide(e.id, { type: 'approved' })).rejects.toThrow(/no Expert places left/);
    expect(await sroMail('nomination-approved-sro', e.name)).toEqual([]);
    expect((await queuedTo(t.db, e.email)).map((m) => m.template)).toEqual(['invite']);

    await t.db.execute(sql`update people set status = 'deactivated' where email = ${demoAccounts.sro.email}`);
    try {
      const other = await nominateNew();
      await decide(other.id, { type: 'declined', reason: 'Duplicate' });
      expect(await sroMail('nomination-declined-sro', other.name)).toEqual([]);
    } finally {
      await t.db.execute(sql`update people set status = 'active' where email = ${demoAccounts.sro.email}`);
    }
  });

  it('sends nothing to the SRO for steps that are not decisions', async () => {
    const e = await nominateNew();
    await decide(e.id, { type: 'approved' });
    const before = (await queuedTo(t.db, demoAccounts.sro.email)).length;
    await decide(e.id, { type: 'registered' });
    expect((await queuedTo(t.db, demoAccounts.sro.email)).length).toBe(before);
    const [{ n }] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from notifications where template like 'nomination-%-sro' and to_email = ${e.email}`);
    expect(n).toBe(0);
  });
});
