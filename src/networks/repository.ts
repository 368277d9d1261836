import { sql, type SQL } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { networkMembers } from '../db/schema.ts';
import type { MemberRole, NetworkKey } from './networks.ts';

/** A person still in the programme: not deactivated, not erased. Derived and hand-added membership both need it. */
const current = (p: string) => sql.raw(`${p}.status <> 'deactivated' and ${p}.erased_at is null`);

/**
 * Who belongs to a network by their records, as (person_id, organisation_id) rows: computed on each read, so a
 * council leaving the programme or a person deactivated or erased ends their membership with nothing to update.
 * Learners: an enrolment from approval on (nominated, declined and withdrawn ones do not count) at an active council.
 * SROs: the council's recorded SRO and anyone with the council SRO role at an active council; leads likewise when
 * `includeLeads`.
 */
function derivedMembers(network: NetworkKey, includeLeads: boolean): SQL {
  if (network === 'learners') {
    return sql`select e.person_id, e.council_id as organisation_id from enrolments e
      join participations pa on pa.council_id = e.council_id and pa.status = 'active'
      join people p on p.id = e.person_id and ${current('p')}
      where e.status not in ('nominated', 'declined', 'withdrawn')`;
  }
  const roles = includeLeads ? sql`array['council_sro', 'council_lead']::text[]` : sql`array['council_sro']::text[]`;
  const leads = includeLeads
    ? sql`union select p.id, pa.council_id from participations pa join people p on p.id = pa.lead_person_id and ${current('p')} where pa.status = 'active'`
    : sql``;
  return sql`select p.id as person_id, pa.council_id as organisation_id from participations pa
      join people p on p.id = pa.sro_person_id and ${current('p')} where pa.status = 'active'
    ${leads}
    union select p.id, p.organisation_id from people p
      join participations pa on pa.council_id = p.organisation_id and pa.status = 'active'
      where p.roles && ${roles} and ${current('p')}`;
}

/** Every member: derived, and added by hand (with the organisation they work for). */
function allMembers(network: NetworkKey, includeLeads: boolean): SQL {
  return sql`${derivedMembers(network, includeLeads)}
    union select p.id, p.organisation_id from network_members nm join people p on p.id = nm.person_id and ${current('p')}
      where nm.network = ${network}`;
}

export type ParticipationRow = { organisationId: string; name: string; kind: string; members: number; activeMembers: number; eventsAttended: number; downloads: number };

/**
 * A network's participation by organisation (issue 11, item 6): its members; how many were active since `activeSince`
 * (registered for or attended one of the network's events, or downloaded one of its resources); the attendances at
 * its events and the downloads of resources shared with it, by those members. A person who belongs through two
 * organisations counts in each. Downloads of a resource since deleted no longer say which network they were for, and
 * are left out.
 */
export async function participationByOrganisation(db: DbOrTx, network: NetworkKey, includeLeads: boolean, activeSince: Date, organisationId?: string) {
  const since = activeSince.toISOString();
  return queryRows<ParticipationRow>(
    db,
    sql`with m as (select distinct person_id, organisation_id from (${allMembers(network, includeLeads)}) x
        ${organisationId ? sql`where organisation_id = ${organisationId}::uuid` : sql``}),
      attended as (select r.person_id, count(*)::int as n, max(e.starts_at) as last from network_event_registrations r
        join network_events e on e.id = r.event_id where r.attended and ${network} = any(e.audience) group by r.person_id),
      registered as (select r.person_id, max(r.registered_at) as last from network_event_registrations r
        join network_events e on e.id = r.event_id where ${network} = any(e.audience) group by r.person_id),
      downloaded as (select d.person_id, count(*)::int as n, max(d.downloaded_at) as last from network_resource_downloads d
        join network_resources res on res.id = d.resource_id where ${network} = any(res.networks) group by d.person_id)
    select o.id as "organisationId", o.name, o.kind, count(*)::int as members,
      (count(*) filter (where a.last >= ${since}::timestamptz or r.last >= ${since}::timestamptz or d.last >= ${since}::timestamptz))::int as "activeMembers",
      coalesce(sum(a.n), 0)::int as "eventsAttended", coalesce(sum(d.n), 0)::int as downloads
    from m join organisations o on o.id = m.organisation_id
      left join attended a on a.person_id = m.person_id
      left join registered r on r.person_id = m.person_id
      left join downloaded d on d.person_id = m.person_id
    group by o.id, o.name, o.kind order by o.name, o.id`,
  );
}

/** Which of these people belong to a network, either way. */
export async function membersAmong(db: DbOrTx, network: NetworkKey, includeLeads: boolean, personIds: readonly string[]) {
  if (!personIds.length) return new Set<string>();
  const rows = await queryRows<{ personId: string }>(
    db,
    sql`select distinct person_id as "personId" from (${allMembers(network, includeLeads)}) m where person_id = any(${pgArray([...personIds])}::uuid[])`,
  );
  return new Set(rows.map((r) => r.personId));
}

export type Standing = { member: boolean; facilitator: boolean };

/** The person's standing in a network: a member (either way), and whether added by hand as a facilitator. */
const standingIn = (network: NetworkKey, personId: string, includeLeads: boolean) =>
  sql`select ${network}::text as network,
      exists (select 1 from (${allMembers(network, includeLeads)}) m where m.person_id = ${personId}) as member,
      exists (select 1 from network_members nm join people p on p.id = nm.person_id and ${current('p')}
        where nm.network = ${network} and nm.person_id = ${personId} and nm.role = 'facilitator') as facilitator`;

/**
 * The person's standing in each of these networks, in one statement: a page or API list that spans the networks
 * asks once, not once a network (each statement is a round trip the service pays for in CPU as well as time).
 */
export async function standings(db: DbOrTx, personId: string, networks: readonly { network: NetworkKey; includeLeads: boolean }[]) {
  const rows = await queryRows<Standing & { network: NetworkKey }>(
    db,
    sql.join(networks.map((n) => standingIn(n.network, personId, n.includeLeads)), sql` union all `),
  );
  return new Map(rows.map(({ network, ...standing }) => [network, standing]));
}

/** The person's standing in one network. */
export async function standing(db: DbOrTx, network: NetworkKey, personId: string, includeLeads: boolean): Promise<Standing> {
  return (await standings(db, personId, [{ network, includeLeads }])).get(network)!;
}

export type MembersByOrganisation = { organisationId: string; name: string; kind: string; members: number };

/**
 * Members by organisation (councils, and the partners programme staff work for), by name, and how many people belong
 * in all (a person who belongs through two organisations counts once there): one pass over the derived membership,
 * the grouping sets giving both the per-organisation rows and the total.
 */
export async function membersByOrganisation(db: DbOrTx, network: NetworkKey, includeLeads: boolean) {
  const rows = await queryRows<MembersByOrganisation & { total: boolean }>(
    db,
    sql`select o.id as "organisationId", o.name, o.kind, count(distinct m.person_id)::int as members, grouping(o.id) = 1 as total
      from (${allMembers(network, includeLeads)}) m join organisations o on o.id = m.organisation_id
      group by grouping sets ((o.id, o.name, o.kind), ()) order by o.name, o.id`,
  );
  const total = rows.find((r) => r.total);
  const byOrganisation = rows.filter((r) => !r.total).map(({ total: _, ...row }) => row);
  return { members: total?.members ?? 0, byOrganisation };
}

export type HandAddedMember = { personId: string; name: string; email: string; organisationName: string; role: MemberRole; addedAt: Date; addedByName: string | null };

/** The people added to a network by hand, by name. */
export async function handAddedMembers(db: DbOrTx, network: NetworkKey) {
  return queryRows<HandAddedMember>(
    db,
    sql`select p.id as "personId", p.name, p.email, o.name as "organisationName", nm.role, nm.added_at as "addedAt", a.name as "addedByName"
      from network_members nm join people p on p.id = nm.person_id join organisations o on o.id = p.organisation_id
      left join people a on a.id = nm.added_by_id
      where nm.network = ${network} order by lower(p.name), p.id`,
  );
}

export async function handAddedMember(db: DbOrTx, network: NetworkKey, personId: string) {
  const [row] = await queryRows<HandAddedMember>(
    db,
    sql`select p.id as "personId", p.name, p.email, o.name as "organisationName", nm.role, nm.added_at as "addedAt", null as "addedByName"
      from network_members nm join people p on p.id = nm.person_id join organisations o on o.id = p.organisation_id
      where nm.network = ${network} and nm.person_id = ${personId}`,
  );
  return row;
}

/** A person who may be added: found by email address (any case), still in the programme. */
export async function personByEmail(db: DbOrTx, email: string) {
  const [row] = await queryRows<{ id: string; name: string }>(
    db,
    sql`select p.id, p.name from people p where lower(p.email) = lower(${email}) and ${current('p')}`,
  );
  return row;
}

/** Adds a person; false when they were already added (the unique key decides, so two admins at once add one row). */
export async function insertMember(tx: DbOrTx, row: { network: NetworkKey; personId: string; role: MemberRole; addedById: string | null; addedAt: Date }) {
  const inserted = await tx.insert(networkMembers).values(row).onConflictDoNothing().returning({ id: networkMembers.id });
  return inserted.length > 0;
}

export async function deleteMember(tx: DbOrTx, network: NetworkKey, personId: string) {
  const deleted = await queryRows<{ role: MemberRole }>(tx, sql`delete from network_members where network = ${network} and person_id = ${personId} returning role`);
  return deleted[0];
}

/** Everyone who belongs to a network (by their records or by hand), once each, with their name and address. */
export async function memberContacts(db: DbOrTx, network: NetworkKey, includeLeads: boolean) {
  return queryRows<{ personId: string; name: string; email: string }>(
    db,
    sql`select p.id as "personId", p.name, p.email from people p
      where p.id in (select person_id from (${allMembers(network, includeLeads)}) m)`,
  );
}
