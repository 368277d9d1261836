import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../../db/client.ts';
import { keptTotal } from '../../db/read-cache.ts';
import type { NetworkKey } from '../networks.ts';
import { pageClause } from '../../db/paging.ts';

/** A timestamptz as ISO 8601 UTC text, the same on PGlite and pg (raw reads do not agree on Date parsing). */
const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const date = (v: string | null) => (v ? new Date(v) : null);

/** How an author is named: an erased person is a "Former member"; a post with no author too. */
const authorName = (p: string) => sql.raw(`case when ${p}.id is null or ${p}.erased_at is not null then 'Former member' else ${p}.name end`);

export type ThreadSummary = { id: string; network: NetworkKey; title: string; authorName: string; replies: number; createdAt: Date; lastActivityAt: Date; locked: boolean };
type RawSummary = Omit<ThreadSummary, 'createdAt' | 'lastActivityAt'> & { createdAt: string; lastActivityAt: string };

/**
 * A page of the threads of these networks, newest activity first (ties by id, so each is on exactly one page), and the
 * total. With `q`, only threads whose title or a post's text matches it (full-text search, English stemming, web
 * search syntax, as the resource library); a deleted or hidden post's text is never searched, so a search cannot
 * reveal what a facilitator hid.
 */
export async function listThreads(db: DbOrTx, networks: NetworkKey | readonly NetworkKey[], page: { limit: number; offset: number }, q?: string) {
  const keys = typeof networks === 'string' ? [networks] : [...networks];
  if (!keys.length) return { rows: [] as ThreadSummary[], total: 0 };
  // One network (the pages) as an equality, so the (network, last_activity_at, id) index gives the order directly.
  // The page is chosen first and its replies counted after: counted in the same select, the replies of every thread
  // skipped by the offset were counted too (35 ms on page 50 at national scale, 1–3 ms this way).
  const network = keys.length === 1 ? sql`t.network = ${keys[0]}` : sql`t.network = any(${pgArray(keys)}::text[])`;
  const query = sql`websearch_to_tsquery('english', ${q ?? ''})`;
  const inNetworks = q
    ? sql`${network} and (t.search @@ ${query} or exists (select 1 from network_posts p
        where p.thread_id = t.id and p.deleted_at is null and p.hidden_at is null and p.search @@ ${query}))`
    : network;
  const rows = await queryRows<RawSummary>(
    db,
    sql`select t.id, t.network, t.title, ${authorName('a')} as "authorName", t.locked_at is not null as locked,
        ${iso('t.created_at')} as "createdAt", ${iso('t.last_activity_at')} as "lastActivityAt",
        (select count(*)::int from network_posts p where p.thread_id = t.id and not p.is_opening) as replies
      from (select * from network_threads t where ${inNetworks} order by t.last_activity_at desc, t.id desc${pageClause(page.limit, page.offset)}) t
        left join people a on a.id = t.author_id
      order by t.last_activity_at desc, t.id desc`,
  );
  // Kept between changes (db/read-cache.ts): the count read every thread of the network, more as the network grows.
  const [{ n }] = await keptTotal(db, 'network-threads', [...keys].sort(), { q: q ?? '' }, () =>
    queryRows<{ n: number }>(db, sql`select count(*)::int as n from network_threads t where ${inNetworks}`),
  );
  return { rows: rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt), lastActivityAt: new Date(r.lastActivityAt) })), total: n };
}

export type ThreadRow = { id: string; network: NetworkKey; title: string; authorId: string | null; lockedAt: Date | null; createdAt: Date; lastActivityAt: Date };

export async function findThread(db: DbOrTx, id: string, lock = false): Promise<ThreadRow | undefined> {
  if (lock) await db.execute(sql`select id from network_threads where id = ${id}::uuid for update`);
  const [r] = await queryRows<Omit<ThreadRow, 'lockedAt' | 'createdAt' | 'lastActivityAt'> & { lockedAt: string | null; createdAt: string; lastActivityAt: string }>(
    db,
    sql`select id, network, title, author_id as "authorId", ${iso('locked_at')} as "lockedAt", ${iso('created_at')} as "createdAt",
        ${iso('last_activity_at')} as "lastActivityAt" from network_threads where id = ${id}::uuid`,
  );
  return r && { ...r, lockedAt: date(r.lockedAt), createdAt: new Date(r.createdAt), lastActivityAt: new Date(r.lastActivityAt) };
}

export type PostRow = {
  id: string;
  threadId: string;
  network: NetworkKey;
  threadTitle: string;
  authorId: string | null;
  authorName: string;
  body: string;
  isOpening: boolean;
  version: number;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  hiddenAt: Date | null;
  hiddenReason: string | null;
  hiddenByName: string | null;
};
type RawPost = Omit<PostRow, 'createdAt' | 'editedAt' | 'deletedAt' | 'hiddenAt'> & { createdAt: string; editedAt: string | null; deletedAt: string | null; hiddenAt: string | null };
const toPost = (r: RawPost): PostRow => ({ ...r, createdAt: new Date(r.createdAt), editedAt: date(r.editedAt), deletedAt: date(r.deletedAt), hiddenAt: date(r.hiddenAt) });

const postColumns = sql`p.id, p.thread_id as "threadId", t.network, t.title as "threadTitle",
  p.author_id as "authorId", ${authorName('a')} as "authorName", p.body, p.is_opening as "isOpening", p.version,
  ${iso('p.created_at')} as "createdAt", ${iso('p.edited_at')} as "editedAt", ${iso('p.deleted_at')} as "deletedAt",
  ${iso('p.hidden_at')} as "hiddenAt", p.hidden_reason as "hiddenReason", h.name as "hiddenByName"`;
const postFrom = sql`network_posts p join network_threads t on t.id = p.thread_id left join people a on a.id = p.author_id left join people h on h.id = p.hidden_by_id`;

export async function findPost(db: DbOrTx, id: string, lock = false): Promise<PostRow | undefined> {
  if (lock) await db.execute(sql`select id from network_posts where id = ${id}::uuid for update`);
  const [r] = await queryRows<RawPost>(db, sql`select ${postColumns} from ${postFrom} where p.id = ${id}::uuid`);
  return r && toPost(r);
}

/** A thread's opening post, and a page of its replies, oldest first, with how many replies there are. */
export async function threadPosts(db: DbOrTx, threadId: string, page: { limit: number; offset: number }) {
  const [opening] = await queryRows<RawPost>(db, sql`select ${postColumns} from ${postFrom} where p.thread_id = ${threadId}::uuid and p.is_opening`);
  const replies = await queryRows<RawPost>(
    db,
    sql`select ${postColumns} from ${postFrom} where p.thread_id = ${threadId}::uuid and not p.is_opening
      order by p.created_at, p.id${pageClause(page.limit, page.offset)}`,
  );
  const [{ n }] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from network_posts where thread_id = ${threadId}::uuid and not is_opening`);
  return { opening: opening && toPost(opening), replies: replies.map(toPost), total: n };
}

/** Where a reply falls among its thread's replies (1-based), to link to its page. */
export async function replyPosition(db: DbOrTx, post: { threadId: string; createdAt: Date; id: string }) {
  const [{ n }] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from network_posts where thread_id = ${post.threadId}::uuid and not is_opening
      and (created_at, id) <= (${post.createdAt.toISOString()}::timestamptz, ${post.id}::uuid)`,
  );
  return n;
}

export async function updateThreadTitle(tx: DbOrTx, id: string, title: string) {
  await tx.execute(sql`update network_threads set title = ${title} where id = ${id}::uuid`);
}

export async function insertThread(tx: DbOrTx, row: { network: NetworkKey; title: string; authorId: string; at: Date }) {
  const [r] = await queryRows<{ id: string }>(
    tx,
    sql`insert into network_threads (network, title, author_id, created_at, last_activity_at)
      values (${row.network}, ${row.title}, ${row.authorId}, ${row.at.toISOString()}::timestamptz, ${row.at.toISOString()}::timestamptz) returning id`,
  );
  return r.id;
}

export async function insertPost(tx: DbOrTx, row: { threadId: string; authorId: string; body: string; isOpening: boolean; at: Date }) {
  const [r] = await queryRows<{ id: string }>(
    tx,
    sql`insert into network_posts (thread_id, author_id, body, is_opening, created_at)
      values (${row.threadId}::uuid, ${row.authorId}, ${row.body}, ${row.isOpening}, ${row.at.toISOString()}::timestamptz) returning id`,
  );
  await tx.execute(sql`update network_threads set last_activity_at = greatest(last_activity_at, ${row.at.toISOString()}::timestamptz) where id = ${row.threadId}::uuid`);
  return r.id;
}

/** Saves an edit over the version read; false when someone saved in between. */
export async function updateBody(tx: DbOrTx, id: string, body: string, version: number, at: Date) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update network_posts set body = ${body}, version = version + 1, edited_at = ${at.toISOString()}::timestamptz
      where id = ${id}::uuid and version = ${version} returning id`,
  );
  return rows.length > 0;
}

/** A deleted post keeps its place in the thread, without its text. */
export async function markDeleted(tx: DbOrTx, id: string, at: Date) {
  await tx.execute(sql`update network_posts set body = '', deleted_at = ${at.toISOString()}::timestamptz, version = version + 1 where id = ${id}::uuid`);
}

export async function setHidden(tx: DbOrTx, id: string, hidden: { at: Date; byId: string | null; reason: string } | null) {
  await tx.execute(
    hidden
      ? sql`update network_posts set hidden_at = ${hidden.at.toISOString()}::timestamptz, hidden_by_id = ${hidden.byId}, hidden_reason = ${hidden.reason}, version = version + 1 where id = ${id}::uuid`
      : sql`update network_posts set hidden_at = null, hidden_by_id = null, hidden_reason = null, version = version + 1 where id = ${id}::uuid`,
  );
}

export async function setLocked(tx: DbOrTx, id: string, locked: { at: Date; byId: string | null } | null) {
  await tx.execute(sql`update network_threads set locked_at = ${locked?.at.toISOString() ?? null}::timestamptz, locked_by_id = ${locked?.byId ?? null} where id = ${id}::uuid`);
}

/** Records a report; false when this person has reported the post already (the unique key decides). */
export async function insertReport(tx: DbOrTx, row: { postId: string; reporterId: string; reason: string; at: Date }) {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`insert into network_post_reports (post_id, reporter_id, reason, created_at)
      values (${row.postId}::uuid, ${row.reporterId}, ${row.reason}, ${row.at.toISOString()}::timestamptz)
      on conflict (post_id, reporter_id) do nothing returning id`,
  );
  return rows[0]?.id;
}

export async function hasReported(db: DbOrTx, postId: string, personId: string) {
  const rows = await queryRows<{ id: string }>(db, sql`select id from network_post_reports where post_id = ${postId}::uuid and reporter_id = ${personId}`);
  return rows.length > 0;
}

export type ReportRow = { id: string; postId: string; threadId: string; threadTitle: string; reason: string; reporterName: string; createdAt: Date; postAuthorName: string; postBody: string; postHidden: boolean };

/** The network's open reports of posts still there (not deleted by their author), oldest first. */
export async function openReports(db: DbOrTx, network: NetworkKey, reportId?: string) {
  const rows = await queryRows<Omit<ReportRow, 'createdAt'> & { createdAt: string }>(
    db,
    sql`select r.id, r.post_id as "postId", p.thread_id as "threadId", t.title as "threadTitle", r.reason, ${authorName('rp')} as "reporterName",
        ${iso('r.created_at')} as "createdAt", ${authorName('a')} as "postAuthorName", p.body as "postBody", p.hidden_at is not null as "postHidden"
      from network_post_reports r join network_posts p on p.id = r.post_id join network_threads t on t.id = p.thread_id
        left join people rp on rp.id = r.reporter_id left join people a on a.id = p.author_id
      where t.network = ${network} and r.status = 'open' and p.deleted_at is null ${reportId ? sql`and r.id = ${reportId}::uuid` : sql``}
      order by r.created_at, r.id limit 200`,
  );
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt) }));
}

/** Closes open reports (one, or all of a post's), saying how; answers the ids closed. */
export async function resolveReports(tx: DbOrTx, where: { reportId: string } | { postId: string }, status: 'dismissed' | 'hidden', byId: string | null, at: Date) {
  const match = 'reportId' in where ? sql`id = ${where.reportId}::uuid` : sql`post_id = ${where.postId}::uuid`;
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update network_post_reports set status = ${status}, resolved_by_id = ${byId}, resolved_at = ${at.toISOString()}::timestamptz
      where ${match} and status = 'open' returning id`,
  );
  return rows.map((r) => r.id);
}

/** A post's author who can still be emailed (active, not erased): their name and address. */
export async function reachableAuthor(db: DbOrTx, personId: string): Promise<{ name: string; email: string } | undefined> {
  const [r] = await queryRows<{ name: string; email: string }>(
    db,
    sql`select name, email from people where id = ${personId}::uuid and status = 'active' and erased_at is null`,
  );
  return r;
}
