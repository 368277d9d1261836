import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { sizeText } from '../imports/limits.ts';
import { ForbiddenError, NotFoundError } from '../web/errors.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { errorView, failureOf, formValues, parseOrThrow, shownVersion, type FormFailure } from '../web/forms.ts';
import { checkSearch, paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { networkKeys, networkNames, type NetworkKey } from './networks.ts';
import { allowedTypesText, fileTypeOf } from '../files/detect.ts';
import { acceptFileForms, fileOf, type FileFormBody } from '../files/multipart.ts';
import { sendStoredFile } from '../files/send.ts';
import type { ResourceRow } from './resource-repository.ts';
import { resourceFileSchema, resourceListQuery, resourceSortLabels, resourceSorts, resourceTypeLabels, resourceTypes } from './resource-schemas.ts';
import * as library from './resource-service.ts';
import { openNetwork } from './service.ts';

/** Resources a library page lists at a time. */
const pageSize = 20;

type Body = FileFormBody;
type NetworkRequest = FastifyRequest<{ Params: { network: string } }>;
type ResourceRequest = FastifyRequest<{ Params: { network: string; resourceId: string } }>;

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);

/** The form's fields as the shared schema reads them (the file travels beside them). */
function detailsInput(body: Body) {
  const version = text(body.version);
  return {
    title: text(body.title) ?? '',
    summary: text(body.summary) ?? '',
    type: text(body.type),
    tags: text(body.tags) ?? '',
    councilId: text(body.councilId) || null,
    networks: formValues(body.networks),
    link: text(body.link)?.trim() || undefined,
    // Text that is not a whole number goes on to be refused: never read as "no version".
    version: formWholeNumber(version),
  };
}

/** How a resource reads in a list or on its page. */
export function resourceView(network: NetworkKey, r: ResourceRow) {
  const fileType = r.contentType ? fileTypeOf(r.contentType) : undefined;
  return {
    ...r,
    typeLabel: resourceTypeLabels[r.type],
    networkNames: r.networks.map((n) => networkNames[n]),
    href: paths.networkResource(network, r.id),
    downloadHref: paths.networkResourceDownload(network, r.id),
    fileDescription: fileType ? `${fileType.label}, ${sizeText(r.sizeBytes ?? 0)}` : null,
    linkHost: r.linkUrl ? new URL(r.linkUrl).hostname : null,
  };
}

/** The network home's latest resources. */
export async function latestResources(db: RouteDeps['db'], network: NetworkKey) {
  const { rows } = await library.searchResources(db, { networks: [network], sort: 'newest', limit: 5, offset: 0 });
  return rows.map((r) => resourceView(network, r));
}

/** Sends a resource's stored file as a download (src/files/send.ts: an attachment, nosniff). */
export function sendResourceFile(reply: FastifyReply, resource: ResourceRow, file: Readable) {
  return sendStoredFile(reply, { contentType: resource.contentType!, fileName: resource.fileName!, sizeBytes: resource.sizeBytes ?? 0 }, file, 'resource');
}

/**
 * A network's resource library: the list with search, filters and sort; each resource's page and download; and, for
 * programme admins and the network's facilitators, adding (a file, multipart, or a link), editing and deleting.
 * Open to anyone signed in, like the network's home: the service answers 404 for a network or resource they may not
 * see and 403 for what they see but may not do.
 */
export async function resourceRoutes(app: FastifyInstance, { db, config, storage }: RouteDeps) {
  const rules = { includeLeads: config.sroNetworkIncludesLeads };
  const deps: library.LibraryDeps = { db, storage, maxBytes: config.resourceMaxBytes, rules };
  const flashes: Record<string, string> = { added: 'Resource added', saved: 'Resource saved', replaced: 'File replaced', deleted: 'Resource deleted' };

  app.get(`${paths.networks()}/:network/resources`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    const network = await openNetwork(db, requireActor(request), request.params.network, rules);
    const query = resourceListQuery.parse(request.query);
    const { filters, status, errors, errorList } = checkSearch(query);
    const [found, tags] = await Promise.all([
      library.searchResources(db, { networks: [network.key], q: filters.q, type: filters.type, tag: filters.tag, sort: filters.sort, limit: pageSize, offset: (filters.page - 1) * pageSize }),
      library.tagsInUse(db, [network.key]),
    ]);
    const base = paths.networkResources(network.key);
    const pagination = paginationView(base, { q: filters.q, type: filters.type, tag: filters.tag, sort: filters.sort === 'newest' ? undefined : filters.sort }, filters.page, pageSize, found.total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const { done } = request.query as { done?: string };
    return reply.code(status).view('networks/views/resources.njk', {
      title: `Resources – ${network.name}`,
      network,
      query,
      filtered: !!(filters.q || filters.type || filters.tag),
      resources: found.rows.map((r) => resourceView(network.key, r)),
      pagination,
      typeItems: [{ value: '', text: 'All types' }, ...resourceTypes.map((t) => ({ value: t, text: resourceTypeLabels[t] }))],
      tagItems: [{ value: '', text: 'All tags' }, ...[...new Set([...tags, ...(filters.tag ? [filters.tag] : [])])].map((t) => ({ value: t, text: t }))],
      sortItems: resourceSorts.map((s) => ({ value: s, text: resourceSortLabels[s] })),
      addHref: network.manageResources ? paths.networkResourceNew(network.key) : null,
      flash: done ? flashes[done] : undefined,
      errors,
      errorList,
    });
  });

  /** The add or edit form, with the user's input and errors after a failed post. */
  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    network: Awaited<ReturnType<typeof openNetwork>>,
    resource: ResourceRow | null,
    body: Body | null,
    failure?: FormFailure,
  ) => {
    const actor = requireActor(request);
    const [manageable, councils] = await Promise.all([library.manageableNetworks(db, actor, rules), library.councilOptions(db)]);
    const input = body ? detailsInput(body) : null;
    const values = input
      ? { ...input, councilId: input.councilId ?? '', version: shownVersion(body, failure, resource?.version) }
      : resource
        ? { title: resource.title, summary: resource.summary, type: resource.type, tags: resource.tags.join(', '), councilId: resource.councilId ?? '', networks: resource.networks, link: resource.linkUrl ?? '', version: resource.version }
        : { title: '', summary: '', type: undefined, tags: '', councilId: '', networks: [network.key], link: '', version: undefined };
    return reply.code(failure?.status ?? 200).view('networks/views/resource-form.njk', {
      title: resource ? `Edit ${resource.title}` : 'Add a resource',
      network,
      resource: resource && resourceView(network.key, resource),
      action: resource ? paths.networkResourceEdit(network.key, resource.id) : paths.networkResources(network.key),
      backHref: resource ? paths.networkResource(network.key, resource.id) : paths.networkResources(network.key),
      replaceFileHref: resource?.storageKey ? paths.networkResourceFile(network.key, resource.id) : null,
      values,
      typeItems: resourceTypes.map((t) => ({ value: t, text: resourceTypeLabels[t], checked: values.type === t })),
      networkItems: networkKeys
        .filter((k) => manageable.includes(k))
        .map((k) => ({ value: k, text: networkNames[k], checked: (values.networks as string[]).includes(k) })),
      councilItems: [{ value: '', text: 'Not about one council' }, ...councils.map((c) => ({ value: c.id, text: c.name }))],
      fileHint: `A ${allowedTypesText} file, smaller than ${sizeText(config.resourceMaxBytes)}.`,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  const managedNetwork = async (request: NetworkRequest) => {
    const network = await openNetwork(db, requireActor(request), request.params.network, rules);
    if (!network.manageResources) throw new ForbiddenError('Only programme admins and the network’s facilitators can add resources.');
    return network;
  };

  app.get(`${paths.networks()}/:network/resources/new`, { config: { access: 'signed-in' } }, async (request: NetworkRequest, reply) => {
    return showForm(request, reply, await managedNetwork(request), null, null);
  });

  // Adding takes a file, so its POST is multipart: in its own plugin, as the spreadsheet uploads are (src/files/multipart.ts).
  app.register(async (scoped) => {
    const readForm = await acceptFileForms(scoped, { maxBytes: config.resourceMaxBytes, fields: 12 });
    scoped.post<{ Params: { network: string } }>(`${paths.networks()}/:network/resources`, { config: { access: 'signed-in' }, preValidation: readForm }, async (request, reply) => {
      const network = await managedNetwork(request);
      const body = (request.body ?? {}) as Body;
      const file = fileOf(body);
      try {
        const id = await library.createResource(deps, request.ctx(), detailsInput(body), file);
        return reply.redirect(`${paths.networkResource(network.key, id)}?done=added`, 303);
      } catch (err) {
        return showForm(request, reply, network, null, body, failureOf(err));
      }
    });
  });

  const openResource = async (request: ResourceRequest) => {
    const network = await openNetwork(db, requireActor(request), request.params.network, rules);
    return { network, resource: await library.resourceIn(db, network.key, request.params.resourceId) };
  };
  const forManaging = async (request: ResourceRequest) => {
    const opened = await openResource(request);
    if (!(await library.mayManage(db, requireActor(request), rules, opened.resource))) throw new ForbiddenError(library.manageRefusal);
    return opened;
  };

  app.get(`${paths.networks()}/:network/resources/:resourceId`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await openResource(request);
    const manage = await library.mayManage(db, requireActor(request), rules, resource);
    const { done } = request.query as { done?: string };
    return reply.view('networks/views/resource.njk', {
      title: resource.title,
      network,
      resource: resourceView(network.key, resource),
      canDownload: network.download,
      editHref: manage ? paths.networkResourceEdit(network.key, resource.id) : null,
      deleteHref: manage ? paths.networkResourceDelete(network.key, resource.id) : null,
      backHref: paths.networkResources(network.key),
      flash: done ? flashes[done] : undefined,
    });
  });

  app.get(`${paths.networks()}/:network/resources/:resourceId/download`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { resource } = await openResource(request);
    const opened = await library.openDownload(deps, request.ctx(), resource);
    if ('link' in opened) return reply.redirect(opened.link, 303);
    return sendResourceFile(reply, opened.resource, opened.file);
  });

  app.get(`${paths.networks()}/:network/resources/:resourceId/edit`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await forManaging(request);
    return showForm(request, reply, network, resource, null);
  });

  app.post(`${paths.networks()}/:network/resources/:resourceId/edit`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await forManaging(request);
    const body = (request.body ?? {}) as Body;
    try {
      await library.updateResource(deps, request.ctx(), resource, detailsInput(body));
      return reply.redirect(`${paths.networkResource(network.key, resource.id)}?done=saved`, 303);
    } catch (err) {
      const failure = failureOf(err);
      // After a stale save: what was typed, over the resource as it is now (its version too), so saving again works.
      return showForm(request, reply, network, failure.stale ? await library.resourceIn(db, network.key, resource.id) : resource, body, failure);
    }
  });

  // Replacing a file resource's file: its own page, multipart like adding (the edit form's details stay urlencoded).
  const showFileForm = (reply: FastifyReply, network: Awaited<ReturnType<typeof openNetwork>>, resource: ResourceRow, version: number, failure?: FormFailure) =>
    reply.code(failure?.status ?? 200).view('networks/views/resource-file.njk', {
      title: `Replace the file of ${resource.title}`,
      network,
      resource: resourceView(network.key, resource),
      version,
      action: paths.networkResourceFile(network.key, resource.id),
      backHref: paths.networkResourceEdit(network.key, resource.id),
      fileHint: `A ${allowedTypesText} file, smaller than ${sizeText(config.resourceMaxBytes)}.`,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  const forReplacing = async (request: ResourceRequest) => {
    const opened = await forManaging(request);
    if (!opened.resource.storageKey) throw new NotFoundError();
    return opened;
  };

  app.get(`${paths.networks()}/:network/resources/:resourceId/file`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await forReplacing(request);
    return showFileForm(reply, network, resource, resource.version);
  });

  app.register(async (scoped) => {
    const readForm = await acceptFileForms(scoped, { maxBytes: config.resourceMaxBytes, fields: 4 });
    scoped.post<{ Params: { network: string; resourceId: string } }>(
      `${paths.networks()}/:network/resources/:resourceId/file`,
      { config: { access: 'signed-in' }, preValidation: readForm },
      async (request, reply) => {
        const { network, resource } = await forReplacing(request);
        const body = (request.body ?? {}) as Body;
        const sent = detailsInput(body).version;
        const version = typeof sent === 'number' ? sent : undefined;
        try {
          parseOrThrow(resourceFileSchema, { version: sent });
          await library.replaceResourceFile(deps, request.ctx(), resource, version, fileOf(body));
          return reply.redirect(`${paths.networkResource(network.key, resource.id)}?done=replaced`, 303);
        } catch (err) {
          const failure = failureOf(err);
          // After a stale replacement, the page over the resource as it is now (its version too); else the version sent.
          if (!failure.stale) return showFileForm(reply, network, resource, version ?? resource.version, failure);
          const fresh = await library.resourceIn(db, network.key, resource.id);
          return showFileForm(reply, network, fresh, fresh.version, failure);
        }
      },
    );
  });

  app.get(`${paths.networks()}/:network/resources/:resourceId/delete`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await forManaging(request);
    return reply.view('networks/views/resource-delete.njk', {
      title: `Delete ${resource.title}`,
      network,
      resource: resourceView(network.key, resource),
      action: paths.networkResourceDelete(network.key, resource.id),
      backHref: paths.networkResource(network.key, resource.id),
    });
  });

  app.post(`${paths.networks()}/:network/resources/:resourceId/delete`, { config: { access: 'signed-in' } }, async (request: ResourceRequest, reply) => {
    const { network, resource } = await forManaging(request);
    await library.deleteResource(deps, request.ctx(), resource);
    return reply.redirect(`${paths.networkResources(network.key)}?done=deleted`, 303);
  });
}
