import type { Readable } from 'node:stream';
import type { Db, DbOrTx } from '../db/client.ts';
import { cachedRead } from '../db/read-cache.ts';
import type { Actor } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { fieldErrors } from '../web/forms.ts';
import { networkKeys, networkNames, type NetworkKey } from './networks.ts';
import { accessToEach, type MembershipRules } from './service.ts';
import { resourceDetailsSchema, type ResourceDetails, type ResourceSort, type ResourceType } from './resource-schemas.ts';
import type { FileStorage } from '../files/storage.ts';
import { checkFile, fileChosen, storeWhile, type StoredFile, type UploadedFile } from '../files/upload.ts';
import * as repo from './resource-repository.ts';
import type { ResourceRow } from './resource-repository.ts';
import { isUuid } from '../learners/service.ts';

/** What the library's commands need beyond the database: where files go, the size limit, and membership rules. */
export type LibraryDeps = { db: Db; storage: FileStorage; maxBytes: number; rules: MembershipRules };

export type { UploadedFile } from '../files/upload.ts';

type Access = Awaited<ReturnType<typeof accessToEach>>[number];

/** The actor's access to each network. */
export async function accessToAll(db: DbOrTx, actor: Actor, rules: MembershipRules): Promise<Record<NetworkKey, Access>> {
  return Object.fromEntries((await accessToEach(db, actor, rules)).map((access) => [access.key, access])) as Record<NetworkKey, Access>;
}


/** A resource shown to the network, or 404 (also for one that exists but is shown only to the other network). */
export async function resourceIn(db: DbOrTx, network: NetworkKey, id: string) {
  const resource = isUuid(id) ? await repo.findResource(db, id) : undefined;
  if (!resource || !resource.networks.includes(network)) throw new NotFoundError();
  return resource;
}

/** A resource reached without a network (the API): it must be shown to a network the actor may see (else 404, as if it did not exist). */
export async function resourceFor(db: DbOrTx, actor: Actor, rules: MembershipRules, id: string) {
  const resource = isUuid(id) ? await repo.findResource(db, id) : undefined;
  if (!resource) throw new NotFoundError();
  const access = await accessToAll(db, actor, rules);
  if (!resource.networks.some((n) => access[n].see)) throw new NotFoundError();
  return resource;
}

export const downloadRefusal = 'Only members of the networks a resource is shared with can download it.';

/** The networks whose libraries the actor may add to and edit: those they facilitate, or all for an admin. */
export async function manageableNetworks(db: DbOrTx, actor: Actor, rules: MembershipRules) {
  const access = await accessToAll(db, actor, rules);
  return networkKeys.filter((k) => access[k].manageResources);
}

/** May the actor edit or delete this resource: they manage every network it is shown to. */
export async function mayManage(db: DbOrTx, actor: Actor, rules: MembershipRules, resource: Pick<ResourceRow, 'networks'>) {
  const manageable = await manageableNetworks(db, actor, rules);
  return resource.networks.every((n) => manageable.includes(n));
}

export type LibrarySearch = Omit<repo.ResourceSearch, 'networks'> & { networks: readonly NetworkKey[] };
export const searchResources = (db: DbOrTx, s: LibrarySearch) => repo.searchResources(db, s);
/**
 * The tags in use, for the library's tag filter. Kept between changes (db/read-cache.ts): counting every tag of a
 * national library took ~30 ms of PostgreSQL time a page, and only adding, editing or deleting a resource (all
 * audited) changes it; downloads, which are not audited, do not touch tags.
 */
export const tagsInUse = (db: DbOrTx, networks: readonly NetworkKey[]) =>
  cachedRead(db, `networks.tagsInUse:${[...networks].sort().join(',')}`, () => repo.tagsInUse(db, networks, 50));
export const councilOptions = (db: DbOrTx) => repo.councilOptions(db);

/** The form's details checked, with every problem found (the file's too) collected for one error summary. */
async function checkDetails(db: DbOrTx, actor: Actor, rules: MembershipRules, input: unknown, problems: FieldErrors) {
  const parsed = resourceDetailsSchema.safeParse(input);
  if (!parsed.success) Object.assign(problems, fieldErrors(parsed.error));
  const details = parsed.success ? parsed.data : undefined;
  if (details) {
    const manageable = await manageableNetworks(db, actor, rules);
    const outside = details.networks.filter((n) => !manageable.includes(n));
    if (outside.length) problems.networks = `You can only share resources with the networks you facilitate: not the ${outside.map((n) => networkNames[n]).join(' or the ')}`;
    if (details.councilId && !(await repo.councilExists(db, details.councilId))) problems.councilId = 'Select a council from the list';
  }
  return details;
}

const auditFields = (r: { title: string; type: ResourceType; tags: string[]; councilId: string | null; networks: NetworkKey[]; linkUrl?: string | null; fileName?: string | null }) => ({
  title: r.title,
  type: r.type,
  tags: r.tags,
  councilId: r.councilId,
  networks: r.networks,
  ...(r.fileName ? { fileName: r.fileName } : {}),
  ...(r.linkUrl ? { linkUrl: r.linkUrl } : {}),
});

/**
 * Adds a resource: a file (its type decided from its bytes, within the size limit) or an https link, never both.
 * Every problem is reported at once and nothing is written. The file is stored first (under a new key, written to a
 * temporary name and renamed) and removed again if the database refuses the row, so no file is left without one.
 */
export async function createResource(deps: LibraryDeps, ctx: RequestContext, input: unknown, file: UploadedFile | null) {
  const actor = ctx.actor!;
  const problems: FieldErrors = {};
  const details = await checkDetails(deps.db, actor, deps.rules, input, problems);
  const hasFile = fileChosen(file);
  const hasLink = !!details?.link || (typeof input === 'object' && input !== null && !!(input as { link?: unknown }).link);
  let fileRow: StoredFile | null = null;
  if (hasFile && hasLink) problems.file = 'Upload a file or give a link, not both';
  else if (!hasFile && !hasLink) problems.file = 'Select a file to upload, or give a link';
  else if (hasFile) {
    const checked = await checkFile(file, deps.maxBytes);
    if (checked.ok) fileRow = checked.stored;
    else problems.file = checked.message;
  }
  if (Object.keys(problems).length || !details) throw new ValidationError(problems);

  const insert = () =>
    deps.db.transaction(async (tx) => {
      const id = await repo.insertResource(tx, { ...details, file: fileRow, linkUrl: fileRow ? null : details.link!, createdById: actor.personId, now: ctx.clock.now() });
      await recordAudit(tx, ctx, {
        action: 'network-resource.created',
        recordType: 'network_resource',
        recordId: id,
        after: auditFields({ ...details, fileName: fileRow?.fileName, linkUrl: fileRow ? null : details.link }),
      });
      return id;
    });
  return fileRow ? storeWhile(deps.storage, fileRow, file!.buffer, insert) : insert();
}

/**
 * Saves a resource's details over the version the editor read (stale: 409). A link resource's link may change; a file
 * stays as uploaded. The editor must manage every network the resource is shown to, before and after.
 */
export async function updateResource(deps: LibraryDeps, ctx: RequestContext, resource: ResourceRow, input: unknown) {
  const actor = ctx.actor!;
  if (!(await mayManage(deps.db, actor, deps.rules, resource))) throw new ForbiddenError(manageRefusal);
  const problems: FieldErrors = {};
  const details = await checkDetails(deps.db, actor, deps.rules, input, problems);
  if (resource.linkUrl !== null && details && !details.link && !problems.link) problems.link = 'Enter a link that starts with https://';
  if (Object.keys(problems).length || !details) throw new ValidationError(problems);
  const changes: repo.ResourceChanges = { ...details, linkUrl: resource.linkUrl !== null ? details.link! : null };
  return deps.db.transaction(async (tx) => {
    const saved = await repo.updateResource(tx, resource.id, details.version ?? resource.version, changes, ctx.clock.now());
    if (!saved) throw new ConflictError('Someone else changed this resource while you were editing it. Check the details below and save again.', 'version');
    const before = auditFields(resource);
    const after = auditFields(changes);
    const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    await recordAudit(tx, ctx, {
      action: 'network-resource.updated',
      recordType: 'network_resource',
      recordId: resource.id,
      before: { title: resource.title, ...Object.fromEntries(changed.map((k) => [k, before[k]])) },
      after: { title: changes.title, ...Object.fromEntries(changed.map((k) => [k, after[k]])) },
    });
  });
}

/**
 * Replaces a file resource's file in place, over the version the editor read (stale: 409): its address, details,
 * download count and download log stay. The new file is checked as an added one is and stored under a new key before
 * the row points at it (removed again if the row is not changed); the old file is removed after the commit.
 */
export async function replaceResourceFile(deps: LibraryDeps, ctx: RequestContext, resource: ResourceRow, version: number | undefined, file: UploadedFile | null) {
  if (!(await mayManage(deps.db, ctx.actor!, deps.rules, resource))) throw new ForbiddenError(manageRefusal);
  if (!resource.storageKey) throw new ConflictError('This resource is a link, not a file: change its link on the edit page.');
  if (!fileChosen(file)) throw new ValidationError({ file: 'Select a file to upload' });
  const checked = await checkFile(file, deps.maxBytes);
  if (!checked.ok) throw new ValidationError({ file: checked.message });
  const stored = checked.stored;
  await storeWhile(deps.storage, stored, file.buffer, () =>
    deps.db.transaction(async (tx) => {
      if (!(await repo.replaceFile(tx, resource.id, version ?? resource.version, stored, ctx.clock.now()))) {
        throw new ConflictError('Someone else changed this resource while you were replacing its file. Check it and try again.', 'version');
      }
      await recordAudit(tx, ctx, {
        action: 'network-resource.file-replaced',
        recordType: 'network_resource',
        recordId: resource.id,
        before: { title: resource.title, fileName: resource.fileName },
        after: { title: resource.title, fileName: stored.fileName },
      });
    }),
  );
  // After the commit: a failure here leaves an unreferenced file behind, never a row without its file.
  await deps.storage.delete(resource.storageKey);
}

export const manageRefusal = 'Only programme admins and the facilitators of every network a resource is shared with can change it.';

/** Deletes a resource (audited) and then its file; its download log stays, without the resource. */
export async function deleteResource(deps: LibraryDeps, ctx: RequestContext, resource: ResourceRow) {
  if (!(await mayManage(deps.db, ctx.actor!, deps.rules, resource))) throw new ForbiddenError(manageRefusal);
  await deps.db.transaction(async (tx) => {
    if (!(await repo.deleteResource(tx, resource.id))) throw new NotFoundError();
    await recordAudit(tx, ctx, { action: 'network-resource.deleted', recordType: 'network_resource', recordId: resource.id, before: auditFields(resource) });
  });
  // After the commit: a failure here leaves an unreferenced file behind, never a row without its file.
  if (resource.storageKey) await deps.storage.delete(resource.storageKey);
}

/**
 * Counts a download (or a link's click) for an actor who may download it (else 403) and gives what to send: the stored file's stream, or the link
 * to redirect to. A stored file gone missing is a 404, and the download is not counted.
 */
export async function openDownload(deps: LibraryDeps, ctx: RequestContext, resource: ResourceRow): Promise<{ link: string } | { file: Readable; resource: ResourceRow }> {
  // Members of a network it is shared with (facilitators are members) and admins; the page and the API both ask here.
  const access = await accessToAll(deps.db, ctx.actor!, deps.rules);
  if (!resource.networks.some((n) => access[n].download)) throw new ForbiddenError(downloadRefusal);
  const file = resource.storageKey ? await deps.storage.get(resource.storageKey) : null;
  if (resource.storageKey && !file) throw new NotFoundError('The file of this resource could not be found. Tell the programme team.');
  try {
    await deps.db.transaction(async (tx) => repo.recordDownload(tx, resource.id, ctx.actor!.personId, ctx.clock.now()));
  } catch (err) {
    file?.destroy();
    throw err;
  }
  return file ? { file, resource } : { link: resource.linkUrl! };
}

export type { ResourceDetails, ResourceSort };
