/**
 * The networks' discussions at national scale (issue 11: 50,000 posts) for bench/generate.ts: 5,000 threads (two in
 * three in the Learners Network) of ten posts each (the opening post and nine replies, an hour apart), by people of
 * the generated register, over the last two years. Written by the database in two set-based inserts.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../src/db/client.ts';

export const totalThreads = 5_000;
export const postsPerThread = 10;
/** A thread every 140 minutes from 1 January 2025 at 1×; closer together at a larger scale, so they never run into the future. */
const threadGapMinutes = 140;

/** Writes `totalThreads × scale` threads with `postsPerThread` posts each. */
export async function generateDiscussions(tx: DbOrTx, scale: number) {
  const n = totalThreads * scale;
  await tx.execute(sql`
    with authors as (select array_agg(id order by id) as a from (select id from people where erased_at is null order by id limit 5000) p)
    insert into network_threads (network, title, author_id, created_at, last_activity_at)
    select case when g % 3 = 0 then 'sro' else 'learners' end,
      'Discussion ' || g || ': ' || (array['supplier reviews', 'KPIs that matter', 'exit planning', 'contract registers', 'social value',
        'the Procurement Act', 'risk reporting', 'study groups'])[1 + g % 8],
      a[1 + (g * 7) % cardinality(a)],
      timestamptz '2025-01-01T09:00:00Z' + (g * ${threadGapMinutes / scale}::float8 * interval '1 minute'),
      timestamptz '2025-01-01T09:00:00Z' + (g * ${threadGapMinutes / scale}::float8 * interval '1 minute') + ${postsPerThread - 1} * interval '1 hour'
    from generate_series(1, ${n}) g, authors`);
  await tx.execute(sql`
    with authors as (select array_agg(id order by id) as a from (select id from people where erased_at is null order by id limit 5000) p),
      threads as (select id, created_at, row_number() over (order by created_at, id) as g from network_threads)
    insert into network_posts (thread_id, author_id, body, is_opening, created_at)
    select t.id, a[1 + ((t.g * 13 + k * 31) % cardinality(a))::int],
      'Post ' || k || ' of the discussion: what we tried, what it cost, and what changed for residents and suppliers.',
      k = 0, t.created_at + k * interval '1 hour'
    from threads t, generate_series(0, ${postsPerThread - 1}) k, authors`);
  return { threads: n, posts: n * postsPerThread };
}
