import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { errorView, first } from '../web/forms.ts';
import { paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { memberRoleLabels, memberRoles, networkDescriptions } from './networks.ts';
import { homeQuery } from './schemas.ts';
import * as service from './service.ts';
import type { ParticipationRow } from './repository.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { todayIso } from '../clock.ts';
import { latestResources } from './resource-routes.ts';
import { listEvents } from './events/repository.ts';
import { eventView } from './events/routes.ts';
import { latestDiscussions } from './discussions/routes.ts';

/** The participation download's columns: the page's table, one organisation a row. */
const participationColumns: ExportColumn<ParticipationRow>[] = [
  { header: 'Organisation', value: (r) => r.name },
  { header: 'Kind', value: (r) => (r.kind === 'council' ? 'Council' : 'Programme partner') },
  { header: 'Members', value: (r) => r.members },
  { header: `Active in the last ${service.activeDays} days`, value: (r) => r.activeMembers },
  { header: 'Event attendances', value: (r) => r.eventsAttended },
  { header: 'Resource downloads', value: (r) => r.downloads },
];

/** Organisations a home page lists at a time. */
const pageSize = 50;
type Body = Record<string, string | string[] | undefined>;
type NetworkRequest = FastifyRequest<{ Params: { network: string } }>;
type MemberRequest = FastifyRequest<{ Params: { network: string; personId: string } }>;

/**
 * Network pages: the networks a person belongs to or may see, each network's home, and (admins and facilitators)
 * the people added by hand. Whether a person may see a network follows from their records, so the routes are open
 * to anyone signed in and the service answers 404 for a network they may not see; changing the hand-added list
 * needs `network:manage-members`.
 */
export async function networkRoutes(app: FastifyInstance, { db, config, clock }: RouteDeps) {
  const rules: service.MembershipRules = { includeLeads: config.sroNetworkIncludesLeads };

  app.get(paths.networks(), { config: { access: 'signed-in' } }, async (request, reply) => {
    const networks = await service.visibleNetworks(db, requireActor(request), rules);
    return reply.view('networks/views/list.njk', {
      title: 'Networks',
      networks: networks.map((n) => ({ ...n, href: paths.network(n.key), description: networkDescriptions[n.key] })),
    });
  });

  app.get(`${paths.networks()}/:network`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await service.openNetwork(db, requireActor(request), request.params.network, rules);
    const query = homeQuery.parse(request.query);
    const [home, upcoming, resources, discussions] = await Promise.all([
      service.networkHome(db, network.key, rules, { limit: pageSize, offset: (query.page - 1) * pageSize }),
      listEvents(db, [network.key], 'upcoming', clock.now(), { limit: 5, offset: 0 }),
      latestResources(db, network.key),
      latestDiscussions(db, network),
    ]);
    const pagination = paginationView(paths.network(network.key), {}, query.page, pageSize, home.totals.organisations);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    return reply.view('networks/views/home.njk', {
      title: network.name,
      network: { ...network, description: networkDescriptions[network.key] },
      ...home,
      pagination,
      membersHref: network.seeMembers ? paths.networkMembers(network.key) : null,
      participationHref: network.seeMembers ? paths.networkParticipation(network.key) : null,
      latestResources: resources,
      resourcesHref: paths.networkResources(network.key),
      upcoming: upcoming.rows.map((e) => eventView(network.key, e)),
      upcomingTotal: upcoming.total,
      eventsHref: paths.networkEvents(network.key),
      newEventHref: network.manageEvents ? paths.networkEventNew(network.key) : null,
      discussions,
    });
  });

  // Participation figures (issue 11, item 6): for those who see the hand-added list (admins, facilitators).
  app.get(`${paths.networks()}/:network/participation`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await service.openNetwork(db, requireActor(request), request.params.network, rules, 'members');
    const { rows, totals } = await service.participation(db, network.key, rules, clock.now());
    return reply.view('networks/views/participation.njk', {
      title: `Participation in the ${network.name}`,
      network,
      rows: rows.map((r) => ({ ...r, kindLabel: r.kind === 'council' ? 'Council' : 'Programme partner' })),
      totals,
      activeDays: service.activeDays,
      asOf: todayIso(clock),
      exportHrefs: { csv: paths.networkParticipationExport(network.key, 'csv'), xlsx: paths.networkParticipationExport(network.key, 'xlsx') },
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`${paths.networks()}/:network/participation/export.${format}`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
      const network = await service.openNetwork(db, requireActor(request), request.params.network, rules, 'members');
      const { rows } = await service.participation(db, network.key, rules, clock.now());
      return sendExport(reply, format, `${network.key}-network-participation`, todayIso(clock), rows, participationColumns);
    });
  }

  // Fixed wording: a name carried in the query string could be made to say anything.
  const flashes: Record<string, string> = { added: 'Person added to the network', removed: 'Person removed from the network' };

  const showMembers = async (request: NetworkRequest, reply: FastifyReply, body: Body | null, failure?: { status: number; fields: FieldErrors }) => {
    const network = await service.openNetwork(db, requireActor(request), request.params.network, rules, 'members');
    const members = await service.handAddedMembers(db, network.key);
    const { done } = request.query as { done?: string };
    return reply.code(failure?.status ?? 200).view('networks/views/members.njk', {
      title: `People added to the ${network.name}`,
      network,
      members: members.map((m) => ({ ...m, roleLabel: memberRoleLabels[m.role], removeHref: paths.networkMemberRemove(network.key, m.personId) })),
      canManage: network.manage,
      flash: done ? flashes[done] : undefined,
      values: { email: first(body?.email) },
      roleItems: memberRoles.map((r) => ({ value: r, text: memberRoleLabels[r], checked: r === first(body?.role) })),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get(`${paths.networks()}/:network/members`, { config: { access: 'signed-in' } }, (request: NetworkRequest, reply) => showMembers(request, reply, null));

  app.post(`${paths.networks()}/:network/members`, { config: { access: 'network:manage-members' } }, async (request: NetworkRequest, reply) => {
    const network = await service.openNetwork(db, requireActor(request), request.params.network, rules, 'members');
    const body = (request.body ?? {}) as Body;
    try {
      await service.addMember(db, request.ctx(), network.key, body);
      return reply.redirect(`${paths.networkMembers(network.key)}?done=added`);
    } catch (err) {
      if (err instanceof ValidationError) return showMembers(request, reply, body, { status: 400, fields: err.fields });
      if (err instanceof ConflictError) return showMembers(request, reply, body, { status: 409, fields: { [err.field ?? '_form']: err.message } });
      throw err;
    }
  });

  const removeTarget = async (request: MemberRequest) => {
    const network = await service.openNetwork(db, requireActor(request), request.params.network, rules, 'members');
    return { network, member: await service.handAddedMember(db, network.key, request.params.personId) };
  };

  app.get(`${paths.networks()}/:network/members/:personId/remove`, { config: { access: 'network:manage-members' } }, async (request: MemberRequest, reply) => {
    const { network, member } = await removeTarget(request);
    return reply.view('networks/views/remove.njk', {
      title: `Remove ${member.name} from the ${network.name}`,
      network,
      member,
      action: paths.networkMemberRemove(network.key, member.personId),
      backHref: paths.networkMembers(network.key),
    });
  });

  app.post(`${paths.networks()}/:network/members/:personId/remove`, { config: { access: 'network:manage-members' } }, async (request: MemberRequest, reply) => {
    const { network } = await removeTarget(request);
    await service.removeMember(db, request.ctx(), network.key, request.params.personId);
    return reply.redirect(`${paths.networkMembers(network.key)}?done=removed`);
  });
}
