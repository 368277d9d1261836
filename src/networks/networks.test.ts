import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, demoActor, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { standing } from './repository.ts';
import { visibleNetworks } from './service.ts';
import { subjectRecords } from '../privacy/repository.ts';
import { recordsChanged } from '../db/read-cache.ts';

describe.each(backends)('networks (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let councilId: string;
  const ids: Record<string, string> = {};
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  /** Whether the person belongs to the network by their records (or by hand), as the pages decide it. */
  const isMember = async (network: 'learners' | 'sro', who: string, includeLeads = false) => (await standing(t.db, network, ids[who], includeLeads)).member;
  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  const memberCount = (html: string) => Number(/id="member-count">([\d,]+) member/.exec(html)?.[1].replace(/,/g, ''));

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    for (const [key, account] of Object.entries(demoAccounts)) {
      [{ id: ids[key] }] = await rows<{ id: string }>(sql`select id from people where email = ${account.email}`);
    }
    [{ id: councilId }] = await rows<{ id: string }>(sql`select organisation_id as id from people where id = ${ids.sro}`);
  });
  afterAll(async () => t?.close());
  // Each test below changes a record and expects only that change to matter: put everything back.
  afterEach(async () => {
    await t.db.execute(sql`update participations set status = 'active' where council_id = ${councilId}`);
    await t.db.execute(sql`update people set status = 'active', erased_at = null where id in (${ids.learner}, ${ids.sro})`);
    await t.db.execute(sql`delete from network_members`);
    // Put back behind the service's back (no audit), so the home page's kept member counts must be told.
    recordsChanged();
  });

  describe('membership follows from the records', () => {
    it('puts a learner of an active council in the Learners Network and not in the SRO Network', async () => {
      expect(await isMember('learners', 'learner')).toBe(true);
      expect(await isMember('sro', 'learner')).toBe(false);
      const learner = await t.signIn('learner');
      expect((await learner.get('/networks/learners')).statusCode).toBe(200);
      expect((await learner.get('/networks/sro')).statusCode).toBe(404);
      const list = text((await learner.get('/networks')).body);
      expect(list).toContain('Learners Network');
      expect(list).not.toContain('SRO Network');
    });

    it('ends a learner’s membership when their council is withdrawn, and the home page counts them out', async () => {
      const before = (await admin.get('/networks/learners')).body;
      const [{ name }] = await rows<{ name: string }>(sql`select name from organisations where id = ${councilId}`);
      expect(text(before)).toContain(name);
      const [{ version }] = await rows<{ version: number }>(sql`select version from participations where council_id = ${councilId}`);
      const moved = await admin.submit(`/councils/${councilId}/status`, { status: 'withdrawn', reason: 'Left the programme', version: String(version) });
      expect(moved.statusCode).toBe(302);
      expect(await isMember('learners', 'learner')).toBe(false);
      const after = (await admin.get('/networks/learners')).body;
      expect(text(after)).not.toContain(name);
      expect(memberCount(after)).toBeLessThan(memberCount(before));
      expect((await (await t.signIn('accreditedLearner')).get('/networks/learners')).statusCode).toBe(404);
    });

    it('ends membership when the person is deactivated or erased', async () => {
      await t.db.execute(sql`update people set status = 'deactivated' where id = ${ids.learner}`);
      expect(await isMember('learners', 'learner')).toBe(false);
      await t.db.execute(sql`update people set status = 'active', erased_at = ${t.clock.now().toISOString()}::timestamptz where id = ${ids.learner}`);
      expect(await isMember('learners', 'learner')).toBe(false);
      await t.db.execute(sql`update people set erased_at = null where id = ${ids.learner}`);
      expect(await isMember('learners', 'learner')).toBe(true);
    });

    it('puts a council’s SRO in the SRO Network, by role or as the council’s recorded SRO', async () => {
      expect(await isMember('sro', 'sro')).toBe(true);
      expect(await isMember('learners', 'sro')).toBe(false);
      // Someone without the role, recorded as the council's SRO, belongs too.
      const [{ sro_person_id: was }] = await rows<{ sro_person_id: string | null }>(sql`select sro_person_id from participations where council_id = ${councilId}`);
      await t.db.execute(sql`update participations set sro_person_id = ${ids.learner} where council_id = ${councilId}`);
      try {
        expect(await isMember('sro', 'learner')).toBe(true);
      } finally {
        await t.db.execute(sql`update participations set sro_person_id = ${was} where council_id = ${councilId}`);
      }
      await t.db.execute(sql`update participations set status = 'withdrawn' where council_id = ${councilId}`);
      expect(await isMember('sro', 'sro')).toBe(false);
    });

    it('puts council leads in the SRO Network only when the setting says so', async () => {
      expect(await isMember('sro', 'lead')).toBe(false);
      expect(await isMember('sro', 'lead', true)).toBe(true);
      const lead = await demoActor(t.db, 'lead');
      expect((await visibleNetworks(t.db, lead, { includeLeads: false })).map((n) => n.key)).toEqual([]);
      expect((await visibleNetworks(t.db, lead, { includeLeads: true })).map((n) => n.key)).toEqual(['sro']);
      expect((await (await t.signIn('lead')).get('/networks/sro')).statusCode).toBe(404);
      expect(text((await (await t.signIn('lead')).get('/networks')).body)).toContain('You do not belong to a network');
    });

    it('lets programme staff see both networks without belonging to them', async () => {
      const partner = await t.signIn('partnerLp');
      for (const key of ['learners', 'sro']) expect((await partner.get(`/networks/${key}`)).statusCode).toBe(200);
      expect((await partner.get('/networks/sro/members')).statusCode).toBe(403);
      expect((await partner.get('/networks/nonsense')).statusCode).toBe(404);
    });

    it('sends a page number past the end to the last page', async () => {
      const res = await admin.get('/networks/sro?page=999');
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toMatch(/^\/networks\/sro(\?page=\d+)?$/);
      const last = await admin.get(res.headers.location as string);
      expect(last.statusCode).toBe(200);
      expect(text(last.body)).toMatch(/Members by council or organisation/);
    });
  });

  describe('people added by hand', () => {
    const add = (agent: Agent, network: string, form: Record<string, string>) => agent.submit(`/networks/${network}/members`, form, { csrfFrom: `/networks/${network}` });

    it('adds a facilitator, audited, who then sees the network and its list but may not change it', async () => {
      const res = await add(admin, 'sro', { email: demoAccounts.specialist.email.toUpperCase(), role: 'facilitator' });
      expect(res.statusCode).toBe(302);
      const list = await admin.get(res.headers.location as string);
      expect(text(list.body)).toContain('Person added to the network');
      const [{ name }] = await rows<{ name: string }>(sql`select name from people where id = ${ids.specialist}`);
      expect(text(list.body)).toContain(`${name} Local Partnerships Facilitator`);
      const [event] = await rows<{ after: { personId: string; role: string }; record_id: string }>(
        sql`select after, record_id from audit_events where action = 'network.member-added' order by id desc limit 1`,
      );
      expect(event).toMatchObject({ record_id: 'sro', after: { personId: ids.specialist, role: 'facilitator' } });
      expect(text((await admin.get('/audit')).body)).toMatch(/added [^.]* to the SRO Network as a facilitator/);

      const specialist = await t.signIn('specialist');
      expect((await specialist.get('/networks/sro')).statusCode).toBe(200);
      expect((await specialist.get('/networks/sro/members')).statusCode).toBe(200);
      expect(text((await specialist.get('/networks/sro/members')).body)).not.toContain('Add a person');
      expect((await add(specialist, 'sro', { email: demoAccounts.funder.email, role: 'member' })).statusCode).toBe(403);
      // Facilitating one network opens nothing of the other.
      expect((await specialist.get('/networks/learners')).statusCode).toBe(404);
      expect((await specialist.get('/networks/learners/members')).statusCode).toBe(404);
      const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from network_members`);
      expect(n).toBe(1);
    });

    it('refuses a person already added, with a clear error, and adds nothing', async () => {
      expect((await add(admin, 'learners', { email: demoAccounts.funder.email, role: 'member' })).statusCode).toBe(302);
      const again = await add(admin, 'learners', { email: demoAccounts.funder.email, role: 'facilitator' });
      expect(again.statusCode).toBe(409);
      expect(errorSummary(again.body)).toMatch(/has already been added to the Learners Network/);
      const members = await rows<{ role: string }>(sql`select role from network_members where person_id = ${ids.funder}`);
      expect(members).toEqual([{ role: 'member' }]);
      // The same person may join the other network; both entries are in what a subject access request gives them.
      expect((await add(admin, 'sro', { email: demoAccounts.funder.email, role: 'member' })).statusCode).toBe(302);
      const held = await subjectRecords(t.db, ids.funder, [demoAccounts.funder.email]);
      expect(held.network_memberships.map((m) => [m.network, m.role])).toEqual([['learners', 'member'], ['sro', 'member']]);
    });

    it('refuses an unknown address, a deactivated person and a missing role', async () => {
      const unknown = await add(admin, 'sro', { email: 'nobody@example.gov.uk', role: 'member' });
      expect(unknown.statusCode).toBe(400);
      expect(errorSummary(unknown.body)).toContain('There is no one in Pioneer with that email address');
      await t.db.execute(sql`update people set status = 'deactivated' where id = ${ids.learner}`);
      expect((await add(admin, 'sro', { email: demoAccounts.learner.email, role: 'member' })).statusCode).toBe(400);
      const noRole = await add(admin, 'sro', { email: demoAccounts.funder.email });
      expect(noRole.statusCode).toBe(400);
      expect(errorSummary(noRole.body)).toContain('Select whether they join as a member or a facilitator');
      const bad = await add(admin, 'sro', { email: 'not an address', role: 'member' });
      expect(errorSummary(bad.body)).toContain('Enter an email address in the correct format');
      const [{ n }] = await rows<{ n: number }>(sql`select count(*)::int as n from network_members`);
      expect(n).toBe(0);
    });

    it('removes a member after a confirmation page, audited, which ends what they could see', async () => {
      await add(admin, 'learners', { email: demoAccounts.funder.email, role: 'member' });
      const funder = await t.signIn('funder');
      expect((await funder.get('/networks/learners')).statusCode).toBe(200);
      expect((await funder.get('/networks/learners/members')).statusCode).toBe(403);
      const url = `/networks/learners/members/${ids.funder}/remove`;
      expect((await funder.get(url)).statusCode).toBe(404);
      expect((await funder.submit(url, {}, { csrfFrom: '/networks' })).statusCode).toBe(404);
      const confirm = await admin.get(url);
      expect(confirm.statusCode).toBe(200);
      expect(text(confirm.body)).toContain('Are you sure you want to remove');
      const res = await admin.submit(url, {}, { csrfFrom: url });
      expect(res.statusCode).toBe(302);
      expect(text((await admin.get(res.headers.location as string)).body)).toContain('Person removed from the network');
      const [event] = await rows<{ before: unknown }>(sql`select before from audit_events where action = 'network.member-removed' order by id desc limit 1`);
      expect(event.before).toEqual({ personId: ids.funder, role: 'member' });
      expect(text((await admin.get('/audit')).body)).toMatch(/removed [^.]* \(member\) from the Learners Network/);
      expect((await funder.get('/networks/learners')).statusCode).toBe(404);
      // Gone: a second removal, or one for a person who was never added, finds nothing.
      expect((await admin.submit(url, {}, { csrfFrom: '/networks' })).statusCode).toBe(404);
      expect((await admin.get(`/networks/learners/members/${ids.learner}/remove`)).statusCode).toBe(404);
      expect((await admin.get('/networks/learners/members/not-a-uuid/remove')).statusCode).toBe(404);
    });

    it('keeps members who belong by their records when a hand-added entry is removed', async () => {
      await add(admin, 'learners', { email: demoAccounts.learner.email, role: 'facilitator' });
      expect((await standing(t.db, 'learners', ids.learner, false)).facilitator).toBe(true);
      await admin.submit(`/networks/learners/members/${ids.learner}/remove`, {}, { csrfFrom: '/networks' });
      expect(await isMember('learners', 'learner')).toBe(true);
      expect((await standing(t.db, 'learners', ids.learner, false)).facilitator).toBe(false);
    });

    it('refuses a council SRO who may see the network the list and its changes', async () => {
      const sro = await t.signIn('sro');
      expect((await sro.get('/networks/sro')).statusCode).toBe(200);
      expect((await sro.get('/networks/sro/members')).statusCode).toBe(403);
      expect((await add(sro, 'sro', { email: demoAccounts.funder.email, role: 'member' })).statusCode).toBe(403);
      expect((await sro.get('/networks/learners/members')).statusCode).toBe(404);
    });
  });
});
