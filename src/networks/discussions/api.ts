import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../../app.ts';
import { apiRoute, listOf } from '../../api/registry.ts';
import { requireActor } from '../../auth/session.ts';
import { paths } from '../../web/paths.ts';
import { visibleNetworks, type MembershipRules } from '../service.ts';
import { apiThreadSchema, discussionsApiQuery } from './schemas.ts';
import * as service from './service.ts';

/** Network discussions from the API: the list of threads, with the pages' rule for who takes part. */
export async function discussionApi(app: FastifyInstance, { db, config }: RouteDeps) {
  const rules: MembershipRules = { includeLeads: config.sroNetworkIncludesLeads };

  apiRoute(app, {
    method: 'GET',
    url: '/network-discussions',
    operationId: 'listNetworkDiscussions',
    summary: 'List the discussion threads of the networks you take part in',
    description:
      'Lists the discussion threads of the networks whose discussions you take part in (their members and facilitators, and programme admins), newest activity first, optionally of one network; an empty list for anyone else. Posts themselves are read on the pages. A bad filter or page is refused with 400.',
    tag: 'Networks',
    access: 'signed-in',
    query: discussionsApiQuery,
    responses: { 200: { description: 'A page of threads', schema: listOf(apiThreadSchema) } },
    handler: async ({ query }, request) => {
      const taking = (await visibleNetworks(db, requireActor(request), rules)).filter((n) => n.discuss).map((n) => n.key);
      const networks = query.network ? taking.filter((k) => k === query.network) : taking;
      const { rows, total } = await service.listThreads(db, networks, { limit: query.pageSize, offset: (query.page - 1) * query.pageSize });
      return {
        data: rows.map((t) => ({
          id: t.id,
          network: t.network,
          title: t.title,
          startedBy: t.authorName,
          replies: t.replies,
          locked: t.locked,
          createdAt: t.createdAt.toISOString(),
          lastActivityAt: t.lastActivityAt.toISOString(),
          href: paths.networkDiscussion(t.network, t.id),
        })),
        meta: { total, page: query.page, pageSize: query.pageSize },
      };
    },
  });
}
