import type { Db, DbOrTx } from '../db/client.ts';
import { cachedRead } from '../db/read-cache.ts';
import { networkAccess, type Actor } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { isNetworkKey, networkKeys, networkNames, type NetworkKey } from './networks.ts';
import { addMemberSchema } from './schemas.ts';
import * as repo from './repository.ts';

/** How membership is worked out: whether council leads join the SRO Network (SRO_NETWORK_INCLUDES_LEADS). */
export type MembershipRules = { includeLeads: boolean };
const leadsFor = (network: NetworkKey, rules: MembershipRules) => network === 'sro' && rules.includeLeads;

/** The person's standing in every network, in one statement. */
async function standingsOf(db: DbOrTx, personId: string, rules: MembershipRules) {
  const found = await repo.standings(db, personId, networkKeys.map((network) => ({ network, includeLeads: leadsFor(network, rules) })));
  return networkKeys.map((key) => ({ key, ...found.get(key)! }));
}

/** The actor's standing and what it lets them do in one network. */
export async function accessTo(db: DbOrTx, actor: Actor, network: NetworkKey, rules: MembershipRules) {
  const standing = await repo.standing(db, network, actor.personId, leadsFor(network, rules));
  return { ...standing, ...networkAccess(actor, standing) };
}

/** The actor's standing in each network and what it lets them do there, in the order of `networkKeys`. */
export async function accessToEach(db: DbOrTx, actor: Actor, rules: MembershipRules) {
  return (await standingsOf(db, actor.personId, rules)).map(({ key, ...standing }) => ({ key, name: networkNames[key], ...standing, ...networkAccess(actor, standing) }));
}

/** The networks the actor belongs to or may see, each saying whether they are a member. */
export async function visibleNetworks(db: DbOrTx, actor: Actor, rules: MembershipRules) {
  return (await accessToEach(db, actor, rules)).filter((n) => n.see);
}

/** The networks a person belongs to, as a member (by their records or by hand) or a facilitator. */
export async function networksOf(db: DbOrTx, personId: string, rules: MembershipRules): Promise<NetworkKey[]> {
  return (await standingsOf(db, personId, rules)).filter((s) => s.member || s.facilitator).map((s) => s.key);
}

/** The networks each of these people belongs to, either way: one query per network, however many people. */
export async function networksOfPeople(db: DbOrTx, personIds: readonly string[], rules: MembershipRules): Promise<Map<string, NetworkKey[]>> {
  const members = await Promise.all(networkKeys.map(async (key) => ({ key, ids: await repo.membersAmong(db, key, leadsFor(key, rules), personIds) })));
  return new Map(personIds.map((id) => [id, members.filter((m) => m.ids.has(id)).map((m) => m.key)]));
}

/**
 * A network the actor may see, or 404: one they may not see is answered as if it did not exist, like any record
 * outside their scope. `need: 'members'` also asks for the hand-added list (admins and facilitators; others 403).
 */
export async function openNetwork(db: DbOrTx, actor: Actor, key: string, rules: MembershipRules, need: 'home' | 'members' = 'home') {
  if (!isNetworkKey(key)) throw new NotFoundError();
  const access = await accessTo(db, actor, key, rules);
  if (!access.see) throw new NotFoundError();
  if (need === 'members' && !access.seeMembers) throw new ForbiddenError('Only programme admins and the network’s facilitators can see who was added by hand.');
  return { key, name: networkNames[key], ...access };
}

/**
 * A network's home: how many belong, and a page of members by organisation. Counting derives every membership (tens
 * of thousands of enrolments), the same for everyone who sees the page, so it is kept between changes
 * (db/read-cache.ts): every change that can alter membership (enrolments, councils' participation, people) is audited,
 * which marks it stale.
 */
export async function networkHome(db: DbOrTx, key: NetworkKey, rules: MembershipRules, page: { limit: number; offset: number }) {
  const includeLeads = leadsFor(key, rules);
  const { members, byOrganisation } = await cachedRead(db, `network-members:${key}:${includeLeads}`, () => repo.membersByOrganisation(db, key, includeLeads));
  return {
    totals: { members, organisations: byOrganisation.length },
    byOrganisation: byOrganisation.slice(page.offset, page.offset + page.limit),
  };
}

export const handAddedMembers = (db: DbOrTx, key: NetworkKey) => repo.handAddedMembers(db, key);

/** How recent a member's last registration, attendance or download must be for the figures to count them active. */
export const activeDays = 90;

/**
 * A network's participation figures by organisation (or one organisation's, given its id), and their sums (a person who belongs through two organisations
 * counts in each, as on the home page's list), as of `now`.
 */
export async function participation(db: DbOrTx, key: NetworkKey, rules: MembershipRules, now: Date, organisationId?: string) {
  const rows = await repo.participationByOrganisation(db, key, leadsFor(key, rules), new Date(now.getTime() - activeDays * 86_400_000), organisationId);
  const sum = (field: 'members' | 'activeMembers' | 'eventsAttended' | 'downloads') => rows.reduce((n, r) => n + r[field], 0);
  return { rows, totals: { members: sum('members'), activeMembers: sum('activeMembers'), eventsAttended: sum('eventsAttended'), downloads: sum('downloads') } };
}

/** One hand-added member, or 404. */
export async function handAddedMember(db: DbOrTx, key: NetworkKey, personId: string) {
  const member = /^[0-9a-f-]{36}$/i.test(personId) ? await repo.handAddedMember(db, key, personId) : undefined;
  if (!member) throw new NotFoundError();
  return member;
}

export const alreadyAddedMessage = (name: string, network: NetworkKey) => `${name} has already been added to the ${networkNames[network]}`;

/**
 * Adds a person to a network by hand (programme staff, invited facilitators), audited. Refused: an address with no
 * current person behind it, and someone already added (also when two admins add them at once: the unique key).
 */
export async function addMember(db: Db, ctx: RequestContext, key: NetworkKey, input: unknown) {
  const data = parseOrThrow(addMemberSchema, input);
  return db.transaction(async (tx) => {
    const person = await repo.personByEmail(tx, data.email);
    if (!person) throw new ValidationError({ email: 'There is no one in Pioneer with that email address. Invite them first, then add them' });
    const added = await repo.insertMember(tx, { network: key, personId: person.id, role: data.role, addedById: ctx.actor?.personId ?? null, addedAt: ctx.clock.now() });
    if (!added) throw new ConflictError(alreadyAddedMessage(person.name, key), 'email');
    await recordAudit(tx, ctx, { action: 'network.member-added', recordType: 'network', recordId: key, after: { personId: person.id, role: data.role } });
    return person;
  });
}

/** Removes a hand-added member, audited; 404 when they are not (or no longer) on the list. */
export async function removeMember(db: Db, ctx: RequestContext, key: NetworkKey, personId: string) {
  return db.transaction(async (tx) => {
    const member = await handAddedMember(tx, key, personId);
    const removed = await repo.deleteMember(tx, key, personId);
    if (!removed) throw new NotFoundError();
    await recordAudit(tx, ctx, { action: 'network.member-removed', recordType: 'network', recordId: key, before: { personId, role: removed.role } });
    return member;
  });
}
