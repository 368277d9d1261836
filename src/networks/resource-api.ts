import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { requireActor } from '../auth/session.ts';
import { ForbiddenError } from '../web/errors.ts';
import { networkKeys } from './networks.ts';
import type { ResourceRow } from './resource-repository.ts';
import { resourceApiQuery, resourceItem } from './resource-schemas.ts';
import { sendResourceFile } from './resource-routes.ts';
import * as library from './resource-service.ts';

const idParams = z.object({ id: z.uuid() });

const item = (r: ResourceRow): z.infer<typeof resourceItem> => ({
  id: r.id,
  title: r.title,
  summary: r.summary,
  type: r.type,
  tags: r.tags,
  council: r.councilId ? { id: r.councilId, name: r.councilName ?? '' } : null,
  networks: r.networks,
  kind: r.storageKey ? 'file' : 'link',
  file: r.storageKey ? { name: r.fileName!, contentType: r.contentType!, size: r.sizeBytes! } : null,
  link: r.linkUrl,
  downloads: r.downloadCount,
  createdAt: r.createdAt.toISOString(),
  downloadUrl: `/api/v1/network-resources/${r.id}/download`,
});

/** The networks' resource library under /api/v1: list and search, and download, with the pages' rules. */
export async function resourceApi(app: FastifyInstance, { db, config, storage }: RouteDeps) {
  const rules = { includeLeads: config.sroNetworkIncludesLeads };
  const deps: library.LibraryDeps = { db, storage, maxBytes: config.resourceMaxBytes, rules };

  apiRoute(app, {
    method: 'GET',
    url: '/network-resources',
    operationId: 'listNetworkResources',
    summary: 'List and search the networks’ resources',
    description:
      'The resources shared with the networks you may see (members of the Learners or SRO Network, their facilitators, programme staff), newest first or most downloaded first. `q` searches titles, summaries and tags (English word forms: "suppliers" finds "supplier"); `type`, `tag` and `network` narrow the list (a network you may not see gives an empty list). Someone who may see neither network is refused with 403.',
    tag: 'Networks',
    access: 'signed-in',
    problems: { 403: 'You belong to neither network and are not programme staff' },
    query: resourceApiQuery,
    responses: { 200: { description: 'A page of resources', schema: listOf(resourceItem) } },
    handler: async ({ query }, request) => {
      const access = await library.accessToAll(db, requireActor(request), rules);
      const visible = networkKeys.filter((k) => access[k].see);
      if (!visible.length) throw new ForbiddenError('Only members of the Learners or SRO Network, their facilitators and programme staff can see resources.');
      const networks = query.network ? visible.filter((k) => k === query.network) : visible;
      const found = networks.length
        ? await library.searchResources(db, { networks, q: query.q, type: query.type, tag: query.tag, sort: query.sort, limit: query.pageSize, offset: (query.page - 1) * query.pageSize })
        : { rows: [], total: 0 };
      return { data: found.rows.map(item), meta: { total: found.total, page: query.page, pageSize: query.pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/network-resources/{id}/download',
    operationId: 'downloadNetworkResource',
    summary: 'Download a resource’s file, or follow its link (counted)',
    description:
      'A file resource answers 200 with the file as an attachment (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`) in the content type detected from its bytes when it was added; a link resource answers 303 with the link in `Location`. Either way the download is counted and logged. Only members of a network the resource is shared with (and programme admins) may download: programme staff who may see it otherwise are refused with 403; anyone who may not see it gets 404.',
    tag: 'Networks',
    access: 'signed-in',
    problems: { 403: 'You may see the resource but are not a member of a network it is shared with' },
    params: idParams,
    responses: {
      200: { description: 'The file (PDF, DOCX, XLSX, PPTX, ODT, CSV, PNG or JPEG)', mediaType: 'application/octet-stream' },
      303: { description: 'A link resource: its https address is in Location' },
    },
    handler: async ({ params }, request, reply) => {
      const resource = await library.resourceFor(db, requireActor(request), rules, params.id);
      const opened = await library.openDownload(deps, request.ctx(), resource);
      if ('link' in opened) return reply.redirect(opened.link, 303);
      return sendResourceFile(reply, opened.resource, opened.file);
    },
  });
}
