/**
 * The networks' resource library at national scale (issue 11: 5,000 resources) for bench/generate.ts: links with
 * varied titles, summaries and tags, shared with one network or both, with download counts. Written with one
 * `unnest()` insert; the generated search column and its GIN index are filled by the database.
 */
import { sql } from 'drizzle-orm';
import { pgArray, type DbOrTx } from '../src/db/client.ts';
import type { prng } from '../src/db/seed/demo.ts';

export const totalResources = 5_000;

const subjects = ['contract register', 'KPI framework', 'supplier relationship plan', 'exit strategy', 'change control log', 'risk register',
  'performance review', 'social value report', 'market engagement', 'contract handover', 'payment mechanism', 'open book review'];
const services = ['highways', 'waste collection', 'leisure', 'adult social care', 'IT services', 'facilities', 'school transport', 'housing repairs'];
const tagPool = ['kpis', 'governance', 'risk', 'exit', 'supplier management', 'procurement act', 'social value', 'renewal', 'performance',
  'contract register', 'maturity', 'templates', 'finance', 'market management', 'change notices'];
const types = ['case_study', 'toolkit', 'template', 'other'];

/** Writes `totalResources × scale` link resources. */
export async function generateResources(tx: DbOrTx, rand: ReturnType<typeof prng>, scale: number) {
  const n = totalResources * scale;
  const col = { title: [] as string[], summary: [] as string[], type: [] as string[], tags: [] as string[], networks: [] as string[], at: [] as string[], downloads: [] as number[] };
  const start = Date.parse('2023-01-01T09:00:00Z');
  for (let i = 0; i < n; i++) {
    const subject = rand.pick(subjects);
    const service = rand.pick(services);
    col.title.push(`${subject[0].toUpperCase()}${subject.slice(1)} for ${service} (${i + 1})`);
    col.summary.push(`How a council improved its ${service} contract with a ${subject}: what they did, what it cost and what changed for residents and suppliers.`);
    col.type.push(rand.pick(types));
    // Array literals inside a text column, split back into text[] by the insert.
    col.tags.push(rand.shuffle(tagPool).slice(0, rand.int(1, 4)).join('|'));
    col.networks.push(rand.pick(['learners', 'sro', 'learners|sro']));
    col.at.push(new Date(start + Math.floor(rand.next() * 1400) * 86_400_000).toISOString());
    col.downloads.push(rand.int(0, 300));
  }
  await tx.execute(sql`
    insert into network_resources (title, summary, type, tags, networks, link_url, created_at, updated_at, download_count)
    select t.title, t.summary, t.type, string_to_array(t.tags, '|'), string_to_array(t.networks, '|'), 'https://www.example.gov.uk/resource', t.at, t.at, t.downloads
    from unnest(${pgArray(col.title)}::text[], ${pgArray(col.summary)}::text[], ${pgArray(col.type)}::text[], ${pgArray(col.tags)}::text[],
      ${pgArray(col.networks)}::text[], ${pgArray(col.at)}::timestamptz[], ${pgArray(col.downloads)}::int[]) as t(title, summary, type, tags, networks, at, downloads)`);
  return n;
}
