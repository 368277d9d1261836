import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type Db } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { newStorageKey, type FileStorage } from '../../files/storage.ts';
import { demoResources } from './resource-library.ts';
import { demoAccounts, prng } from './demo.ts';

/**
 * Adds the demo resource library, with a few downloads each by members of its networks. Files are written to the
 * storage when one is given (the server, the CLI); without one (the tests' shared snapshot, which no storage folder
 * goes with) only the link resources are added.
 */
export async function seedDemoResources(db: Db, clock: Clock, storage: FileStorage | null, seed: number) {
  const rand = prng(seed);
  const [admin] = await queryRows<{ id: string; councilId: string | null }>(
    db,
    sql`select a.id, (select organisation_id from people where email = ${demoAccounts.sro.email}) as "councilId" from people a where a.email = ${demoAccounts.admin.email}`,
  );
  const members = {
    learners: (await queryRows<{ id: string }>(db, sql`select id from people where 'learner' = any(roles) and status = 'active' order by email limit 40`)).map((r) => r.id),
    sro: (await queryRows<{ id: string }>(db, sql`select id from people where 'council_sro' = any(roles) and status = 'active' order by email limit 40`)).map((r) => r.id),
  };
  const now = clock.now().getTime();
  const day = 24 * 3600 * 1000;
  for (const r of demoResources) {
    if ('file' in r && !storage) continue;
    const createdAt = new Date(now - r.daysAgo * day);
    const file = 'file' in r ? { key: newStorageKey(), bytes: r.file.bytes() } : null;
    if (file) await storage!.put(file.key, Readable.from([file.bytes]));
    const pool = [...new Set(r.networks.flatMap((n) => members[n]))];
    const downloaders = rand.shuffle(pool).slice(0, rand.int(0, 8));
    await db.transaction(async (tx) => {
      const [{ id }] = await queryRows<{ id: string }>(
        tx,
        sql`insert into network_resources (title, summary, type, tags, council_id, networks, storage_key, file_name, content_type, size_bytes, sha256, link_url,
            created_by_id, created_at, updated_at, download_count)
          values (${r.title}, ${r.summary}, ${r.type}, ${pgArray(r.tags)}::text[], ${r.demoCouncil ? admin.councilId : null}, ${pgArray(r.networks)}::text[],
            ${file?.key ?? null}, ${'file' in r ? r.file.name : null}, ${'file' in r ? r.file.contentType : null}, ${file?.bytes.length ?? null},
            ${file ? crypto.createHash('sha256').update(file.bytes).digest('hex') : null}, ${'link' in r ? r.link : null},
            ${admin.id}, ${createdAt}, ${createdAt}, ${downloaders.length})
          returning id`,
      );
      if (downloaders.length) {
        const at = downloaders.map((_, i) => new Date(createdAt.getTime() + ((i + 1) * (now - createdAt.getTime())) / (downloaders.length + 1)).toISOString());
        await tx.execute(sql`insert into network_resource_downloads (resource_id, person_id, downloaded_at)
          select ${id}::uuid, * from unnest(${pgArray(downloaders)}::uuid[], ${pgArray(at)}::timestamptz[])`);
      }
    });
  }
}
