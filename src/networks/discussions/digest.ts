/**
 * The daily digest of network discussions (docs/email.md): once a day, each member of a network who has not switched
 * the "Network discussions digest" off gets one email listing the threads started and replied to in their networks
 * since their last digest (not their own posts, nor hidden or deleted ones). Nothing is sent when nothing is new.
 * It rides on the reminders' machinery: the day's digest is a `reminders_sent` row (kind `network-digest`, occurrence
 * the UK date) written under its unique key in the same transaction as the email, so running the job again the same
 * day, or in two instances at once, never sends a second; the row also holds the email's unsubscribe link, and the
 * opt-out is a reminder preference (`reminder_opt_outs`).
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { todayIso, type Clock } from '../../clock.ts';
import { queryRows, type Db } from '../../db/client.ts';
import { queueOnce } from '../../notifications/reminders.ts';
import { formatDateTime } from '../../web/format.ts';
import { paths } from '../../web/paths.ts';
import { networkKeys, networkNames, type NetworkKey } from '../networks.ts';
import { memberContacts } from '../repository.ts';

/** How far back a first digest (or one after a long gap) looks. */
const firstDigestHours = 24;
const longestGapDays = 7;

type NewPost = { id: string; threadId: string; title: string; network: NetworkKey; authorId: string | null; isOpening: boolean; createdAt: Date };

export type Digest = {
  personId: string;
  name: string;
  email: string;
  since: Date;
  networks: { key: NetworkKey; threads: { id: string; title: string; isNew: boolean; replies: number }[] }[];
};

type DigestThread = Digest['networks'][number]['threads'][number];

/** The threads of `posts`, in the order their posts come, each new (its opening post is among them) or with its replies counted. */
function threadsOf(posts: readonly NewPost[]): DigestThread[] {
  const threads = new Map<string, DigestThread>();
  for (const p of posts) {
    const t = threads.get(p.threadId) ?? { id: p.threadId, title: p.title, isNew: false, replies: 0 };
    if (p.isOpening) t.isNew = true;
    else t.replies++;
    threads.set(p.threadId, t);
  }
  return [...threads.values()];
}

/**
 * A network's posts newer than a time, in their order, and their threads. Filtering every post for every member made
 * the check quadratic: at five times the national data (100,000 members, 700 posts in the week) it held the service's
 * thread for four seconds every hour. Which posts are newer than a time depends only on how many are (the newest ones),
 * so the answer is counted by a binary search and worked out once per count; members share it (read, never changed).
 */
function newerPosts(posts: readonly NewPost[]) {
  const times = posts.map((p) => p.createdAt.getTime()).sort((a, b) => a - b);
  const byCount = new Map<number, { posts: NewPost[]; threads: DigestThread[] }>();
  return (since: Date) => {
    const after = since.getTime();
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    const count = times.length - lo;
    let found = byCount.get(count);
    if (!found) {
      const newer = posts.filter((p) => p.createdAt.getTime() > after);
      byCount.set(count, (found = { posts: newer, threads: threadsOf(newer) }));
    }
    return found;
  };
}

/** Everyone due a digest today, with what it lists: members of a network with something new that is not theirs. */
export async function dueDigests(db: Db, config: Pick<Config, 'sroNetworkIncludesLeads'>, clock: Clock): Promise<Digest[]> {
  const now = clock.now();
  const today = todayIso(clock);
  const oldest = new Date(now.getTime() - longestGapDays * 86_400_000);
  const posts = (
    await queryRows<Omit<NewPost, 'createdAt'> & { createdAt: string }>(
      db,
      sql`select p.id, p.thread_id as "threadId", t.title, t.network, p.author_id as "authorId", p.is_opening as "isOpening",
          to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
        from network_posts p join network_threads t on t.id = p.thread_id
        where p.created_at > ${oldest.toISOString()}::timestamptz and p.created_at <= ${now.toISOString()}::timestamptz
          and p.deleted_at is null and p.hidden_at is null
        order by t.last_activity_at desc, t.id, p.created_at`,
    )
  ).map((p) => ({ ...p, createdAt: new Date(p.createdAt) }));
  if (!posts.length) return [];
  // Who already had today's digest, who switched it off, and when each had their last one.
  const state = await queryRows<{ personId: string; lastSent: string | null; sentToday: boolean; optedOut: boolean }>(
    db,
    sql`select p.id as "personId",
        (select to_char(max(r.sent_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') from reminders_sent r where r.person_id = p.id and r.kind = 'network-digest') as "lastSent",
        exists (select 1 from reminders_sent r where r.person_id = p.id and r.kind = 'network-digest' and r.occurrence = ${today}) as "sentToday",
        exists (select 1 from reminder_opt_outs o where o.person_id = p.id and o.kind = 'network-digest') as "optedOut"
      from people p where exists (select 1 from reminders_sent r where r.person_id = p.id and r.kind = 'network-digest')
        or exists (select 1 from reminder_opt_outs o where o.person_id = p.id and o.kind = 'network-digest')`,
  );
  const stateOf = new Map(state.map((s) => [s.personId, s]));
  const digests = new Map<string, Digest>();
  for (const key of networkKeys) {
    const inNetwork = posts.filter((p) => p.network === key);
    if (!inNetwork.length) continue;
    const newer = newerPosts(inNetwork);
    const authors = new Set(inNetwork.map((p) => p.authorId));
    for (const member of await memberContacts(db, key, config.sroNetworkIncludesLeads && key === 'sro')) {
      const s = stateOf.get(member.personId);
      if (s?.sentToday || s?.optedOut) continue;
      const lastSent = s?.lastSent ? new Date(s.lastSent) : null;
      const since = lastSent && lastSent > oldest ? lastSent : new Date(now.getTime() - (lastSent ? longestGapDays * 24 : firstDigestHours) * 3_600_000);
      const all = newer(since);
      const threads = authors.has(member.personId) ? threadsOf(all.posts.filter((p) => p.authorId !== member.personId)) : all.threads;
      if (!threads.length) continue;
      const digest = digests.get(member.personId) ?? { ...member, since, networks: [] };
      if (since < digest.since) digest.since = since;
      digest.networks.push({ key, threads });
      digests.set(member.personId, digest);
    }
  }
  return [...digests.values()];
}

/** The digest's email: what is new in each network, with links, then the links to stop it and to choose. */
export function digestEmail(config: Pick<Config, 'baseUrl'>, digest: Digest, unsubscribeUrl: string) {
  const count = digest.networks.reduce((n, net) => n + net.threads.length, 0);
  const sections = digest.networks.map((net) =>
    [
      networkNames[net.key],
      ...net.threads.map((t) => {
        const what = [t.isNew ? 'new discussion' : '', t.replies ? `${t.replies} new ${t.replies === 1 ? 'reply' : 'replies'}` : ''].filter(Boolean).join(', ');
        return `- ${t.title} (${what})\n  ${config.baseUrl}${paths.networkDiscussion(net.key, t.id)}`;
      }),
    ].join('\n'),
  );
  return {
    to: digest.email,
    template: 'network-digest',
    subject: `New in your network discussions: ${count} ${count === 1 ? 'discussion' : 'discussions'} with new posts`,
    body: [
      `Dear ${digest.name},`,
      `Here is what is new in the discussions of your networks since ${formatDateTime(digest.since)}.`,
      ...sections,
      `To stop these daily digests, open this link:\n${unsubscribeUrl}`,
      `To choose which emails you get, sign in and go to:\n${config.baseUrl}${paths.accountNotifications()}`,
    ].join('\n\n'),
    unsubscribeUrl,
  };
}

/**
 * Queues today's digests, each once under the reminders' key (person, `network-digest`, today): a second run that day,
 * or two instances at once, queue nothing more. Returns how many were queued.
 */
export async function sendNetworkDigests(db: Db, config: Pick<Config, 'baseUrl' | 'sroNetworkIncludesLeads'>, clock: Clock): Promise<number> {
  const occurrence = todayIso(clock);
  let queued = 0;
  for (const digest of await dueDigests(db, config, clock)) {
    const key = { personId: digest.personId, kind: 'network-digest' as const, occurrence };
    if (await queueOnce(db, config, clock, key, (unsubscribeUrl) => digestEmail(config, digest, unsubscribeUrl))) queued++;
  }
  return queued;
}
