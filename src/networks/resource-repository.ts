import { sql, type SQL } from 'drizzle-orm';
import { plannedEachTime } from '../db/statement-names.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { keptTotal } from '../db/read-cache.ts';
import type { NetworkKey } from './networks.ts';
import type { StoredFile } from '../files/upload.ts';
import type { ResourceSort, ResourceType } from './resource-schemas.ts';
import { limitClause, pageClause } from '../db/paging.ts';

/** A resource as the pages and API read it. */
export type ResourceRow = {
  id: string;
  title: string;
  summary: string;
  type: ResourceType;
  tags: string[];
  councilId: string | null;
  councilName: string | null;
  networks: NetworkKey[];
  storageKey: string | null;
  fileName: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  linkUrl: string | null;
  createdById: string | null;
  createdByName: string | null;
  createdAt: Date;
  updatedAt: Date;
  downloadCount: number;
  version: number;
};

const columns = sql`r.id, r.title, r.summary, r.type, r.tags, r.council_id as "councilId", o.name as "councilName", r.networks,
  r.storage_key as "storageKey", r.file_name as "fileName", r.content_type as "contentType", r.size_bytes as "sizeBytes", r.sha256,
  r.link_url as "linkUrl", r.created_by_id as "createdById", p.name as "createdByName", r.created_at as "createdAt",
  r.updated_at as "updatedAt", r.download_count as "downloadCount", r.version`;
const from = sql`network_resources r left join organisations o on o.id = r.council_id left join people p on p.id = r.created_by_id`;

/** Dates come back as strings from raw queries on one driver and Dates on the other: always Dates. */
const asRow = (r: ResourceRow): ResourceRow => ({ ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) });

export async function findResource(db: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}) {
  const [row] = await queryRows<ResourceRow>(db, sql`select ${columns} from ${from} where r.id = ${id}::uuid ${opts.forUpdate ? sql`for update of r` : sql``}`);
  return row && asRow(row);
}

export type ResourceSearch = {
  /** The networks whose resources may be listed (the caller's, decided by the policy): never empty. */
  networks: readonly NetworkKey[];
  q?: string;
  type?: ResourceType;
  tag?: string;
  sort: ResourceSort;
  limit: number;
  offset: number;
};

/**
 * A page of resources shown to any of `networks`, found by full-text search over title, summary and tags (English
 * stemming: "suppliers" finds "supplier"; web search syntax), filtered by type and tag, with the total. Newest first
 * or most downloaded first, ties broken by id so each row is on exactly one page.
 */
export async function searchResources(db: DbOrTx, s: ResourceSearch) {
  const where: SQL[] = [sql`r.networks && ${pgArray([...s.networks])}::text[]`];
  if (s.q) where.push(sql`r.search @@ websearch_to_tsquery('english', ${s.q})`);
  if (s.type) where.push(sql`r.type = ${s.type}`);
  if (s.tag) where.push(sql`r.tags @> array[${s.tag}]::text[]`);
  const condition = sql.join(where, sql` and `);
  const order = s.sort === 'downloads' ? sql`r.download_count desc, r.created_at desc, r.id` : sql`r.created_at desc, r.id`;
  // At once on PostgreSQL's pool (PGlite serialises them).
  const [rows, [{ total }]] = await Promise.all([
    // The page's ids first, then their councils and authors: joined before the limit, PostgreSQL hashed every person
    // (20,000 at national scale: 40 of a deep page's 50 ms) to name the authors of 20 rows.
    queryRows<ResourceRow>(
      db,
      // Planned for its values (db/statement-names.ts): sorted by downloads, a search most resources match is an index
      // walk of a page, while a generic plan gathered and sorted every match.
      sql`${sql.raw(plannedEachTime)}select ${columns} from (select r.id from network_resources r where ${condition} order by ${order}${pageClause(s.limit, s.offset)}) page
        join ${from} on r.id = page.id order by ${order}`,
    ),
    // Kept between changes (db/read-cache.ts): a search's count read every match, more than its page did.
    keptTotal(db, 'network-resources', [...s.networks].sort(), { q: s.q, type: s.type, tag: s.tag }, () =>
      queryRows<{ total: number }>(db, sql`select count(*)::int as total from network_resources r where ${condition}`),
    ),
  ]);
  return { rows: rows.map(asRow), total };
}

/** The tags in use in a network's library, most used first, for the tag filter. */
export async function tagsInUse(db: DbOrTx, networks: readonly NetworkKey[], limit: number) {
  const rows = await queryRows<{ tag: string }>(
    db,
    sql`select t.tag from network_resources r, unnest(r.tags) as t(tag) where r.networks && ${pgArray([...networks])}::text[]
      group by t.tag order by count(*) desc, t.tag limit ${limitClause(limit)}`,
  );
  return rows.map((r) => r.tag);
}

export type NewResource = {
  title: string;
  summary: string;
  type: ResourceType;
  tags: string[];
  councilId: string | null;
  networks: NetworkKey[];
  file: StoredFile | null;
  linkUrl: string | null;
  createdById: string | null;
  now: Date;
};

export async function insertResource(tx: DbOrTx, r: NewResource) {
  const [row] = await queryRows<{ id: string }>(
    tx,
    sql`insert into network_resources (title, summary, type, tags, council_id, networks, storage_key, file_name, content_type, size_bytes, sha256,
        link_url, created_by_id, created_at, updated_at)
      values (${r.title}, ${r.summary}, ${r.type}, ${pgArray(r.tags)}::text[], ${r.councilId}, ${pgArray(r.networks)}::text[],
        ${r.file?.storageKey ?? null}, ${r.file?.fileName ?? null}, ${r.file?.contentType ?? null}, ${r.file?.sizeBytes ?? null}, ${r.file?.sha256 ?? null},
        ${r.linkUrl}, ${r.createdById}, ${r.now}, ${r.now})
      returning id`,
  );
  return row.id;
}

export type ResourceChanges = Pick<NewResource, 'title' | 'summary' | 'type' | 'tags' | 'councilId' | 'networks' | 'linkUrl'>;

/** Saves new details over the version read; false when someone else saved first. */
export async function updateResource(tx: DbOrTx, id: string, version: number, c: ResourceChanges, now: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update network_resources set title = ${c.title}, summary = ${c.summary}, type = ${c.type}, tags = ${pgArray(c.tags)}::text[],
        council_id = ${c.councilId}, networks = ${pgArray(c.networks)}::text[], link_url = ${c.linkUrl}, updated_at = ${now}, version = version + 1
      where id = ${id}::uuid and version = ${version} returning id`,
  );
  return rows.length > 0;
}

/** Points a file resource at a new stored file, over the version read; false when it was changed meanwhile. */
export async function replaceFile(tx: DbOrTx, id: string, version: number, f: StoredFile, now: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update network_resources set storage_key = ${f.storageKey}, file_name = ${f.fileName}, content_type = ${f.contentType}, size_bytes = ${f.sizeBytes},
        sha256 = ${f.sha256}, updated_at = ${now}, version = version + 1
      where id = ${id}::uuid and version = ${version} and storage_key is not null returning id`,
  );
  return rows.length > 0;
}

export async function deleteResource(tx: DbOrTx, id: string) {
  const rows = await queryRows<{ id: string }>(tx, sql`delete from network_resources where id = ${id}::uuid returning id`);
  return rows.length > 0;
}

/** Counts one download (or click) and logs who and when, in one statement each, inside the caller's transaction. */
export async function recordDownload(tx: DbOrTx, id: string, personId: string, at: Date) {
  await tx.execute(sql`update network_resources set download_count = download_count + 1 where id = ${id}::uuid`);
  await tx.execute(sql`insert into network_resource_downloads (resource_id, person_id, downloaded_at) values (${id}::uuid, ${personId}::uuid, ${at})`);
}

/** Councils in the programme (any status), by name: what a resource may be about. */
export async function councilOptions(db: DbOrTx) {
  return queryRows<{ id: string; name: string }>(db, sql`select o.id, o.name from organisations o join participations pa on pa.council_id = o.id order by o.name, o.id`);
}

export async function councilExists(db: DbOrTx, id: string) {
  const rows = await queryRows<{ id: string }>(db, sql`select id from organisations where id = ${id}::uuid and kind = 'council'`);
  return rows.length > 0;
}
