/**
 * Demo maturity assessments (docs/maturity.md): most active councils have a submitted baseline from soon after they
 * joined and one or two follow-ups since, with mixed movement (most areas up a level, some unchanged, a few down),
 * and a few scores moderated by the council's specialist. The demo SRO's council has a baseline and one follow-up,
 * so its change chart shows and a second follow-up can be started. Deterministic for a given PRNG.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import type { prng } from './demo.ts';
import { contractManagementKey } from '../../maturity/framework.ts';

type Rand = ReturnType<typeof prng>;

const evidenceByLevel = [
  'Nothing written down yet; the team knows this is a gap.',
  'Some practice in the larger contracts, depending on who manages them.',
  'A documented approach used for our gold and silver contracts.',
  'Applied across key contracts, reviewed quarterly by the commercial board.',
  'Embedded, audited last year, and shared with neighbouring councils.',
];

const moderationReasons = [
  'The plans exist for the largest contracts only, not yet for all key contracts.',
  'Evidence seen in the review supports a higher level than the council claimed.',
  'KPIs are reported but not yet acted on through the contract.',
];

const day = 86_400_000;
const clamp = (n: number) => Math.min(5, Math.max(1, n));

export async function seedMaturity(tx: DbOrTx, clock: Clock, rand: Rand, demoSroEmail: string): Promise<{ assessments: number }> {
  const now = clock.now().getTime();
  const [framework] = await queryRows<{ id: string }>(tx, sql`select id from maturity_frameworks where key = ${contractManagementKey}`);
  const areas = await queryRows<{ id: string }>(
    tx,
    sql`select a.id from maturity_areas a join maturity_blocks b on b.id = a.block_id where a.framework_id = ${framework.id} order by b.position, a.position`,
  );
  const councils = await queryRows<{ id: string; onboarded: string; sro: string | null; specialist: string | null; demo: boolean }>(
    tx,
    sql`select o.id, p.onboarding_date::text as onboarded, p.sro_person_id as sro,
          (select s.person_id from specialist_assignments s where s.council_id = o.id order by s.person_id limit 1) as specialist,
          exists (select 1 from people d where d.organisation_id = o.id and d.email = ${demoSroEmail}) as demo
        from participations p join organisations o on o.id = p.council_id
        where p.status = 'active' and p.onboarding_date is not null order by o.code`,
  );
  const assessments: { id: string; council: string; kind: string; basedOn: string | null; by: string | null; at: Date }[] = [];
  const scores: { assessment: string; area: string; score: number; evidence: string; target: number; moderated: number | null; reason: string | null; moderator: string | null }[] = [];
  for (const c of councils) {
    // About one active council in six has not yet submitted its baseline (the demo SRO's always has).
    if (!c.demo && rand.next() < 0.17) continue;
    let at = Date.parse(`${c.onboarded}T10:00:00Z`) + rand.int(25, 60) * day;
    if (at > now - 30 * day) continue;
    const followUps = c.demo ? 1 : rand.int(1, 2);
    let previous: number[] = areas.map(() => (rand.next() < 0.55 ? 1 : rand.next() < 0.8 ? 2 : 3));
    const targets = previous.map((s) => clamp(s + rand.int(1, 2)));
    let basedOn: string | null = null;
    for (let k = 0; k <= followUps; k++) {
      if (k > 0) {
        at += rand.int(150, 300) * day;
        if (at > now - 7 * day) break;
        // Mixed movement: most areas rise a level, some stay, a few fall back (a key person left, a plan lapsed).
        previous = previous.map((s) => {
          const r = rand.next();
          return clamp(s + (r < 0.45 ? 1 : r < 0.52 ? 2 : r < 0.88 ? 0 : -1));
        });
      }
      const id = randomUUID();
      assessments.push({ id, council: c.id, kind: k === 0 ? 'baseline' : 'follow_up', basedOn, by: c.sro, at: new Date(at) });
      // Now and then the council's specialist moderated one area of a follow-up.
      const moderatedArea = k > 0 && c.specialist && rand.next() < 0.25 ? rand.int(0, areas.length - 1) : -1;
      areas.forEach((area, i) => {
        const moderated = i === moderatedArea ? clamp(previous[i] + (rand.next() < 0.7 ? -1 : 1)) : null;
        scores.push({
          assessment: id,
          area: area.id,
          score: previous[i],
          evidence: evidenceByLevel[previous[i] - 1],
          target: Math.max(targets[i], previous[i]),
          moderated: moderated !== null && moderated !== previous[i] ? moderated : null,
          reason: moderated !== null && moderated !== previous[i] ? rand.pick(moderationReasons) : null,
          moderator: moderated !== null && moderated !== previous[i] ? c.specialist : null,
        });
      });
      basedOn = id;
    }
  }
  if (!assessments.length) return { assessments: 0 };
  const col = <K extends keyof (typeof assessments)[number]>(k: K) => assessments.map((a) => a[k] as string | null);
  await tx.execute(sql`insert into maturity_assessments (id, council_id, framework_id, kind, status, based_on_id, created_by_id, created_at, updated_at, submitted_by_id, submitted_at)
    select t.id, t.council, ${framework.id}::uuid, t.kind, 'submitted', t.based_on, t.by, t.at - interval '14 days', t.at, t.by, t.at
    from unnest(${pgArray(col('id'))}::uuid[], ${pgArray(col('council'))}::uuid[], ${pgArray(col('kind'))}::text[], ${pgArray(col('basedOn'))}::uuid[],
      ${pgArray(col('by'))}::uuid[], ${pgArray(assessments.map((a) => a.at.toISOString()))}::timestamptz[]) as t(id, council, kind, based_on, by, at)`);
  const sc = <K extends keyof (typeof scores)[number]>(k: K) => scores.map((s) => s[k]);
  await tx.execute(sql`insert into maturity_scores (assessment_id, area_id, score, evidence, target, moderated_score, moderation_reason, moderated_by_id, moderated_at)
    select t.a, t.area, t.score, t.evidence, t.target, t.moderated, t.reason, t.moderator, case when t.moderated is not null then m.submitted_at + interval '10 days' end
    from unnest(${pgArray(sc('assessment'))}::uuid[], ${pgArray(sc('area'))}::uuid[], ${pgArray(sc('score'))}::smallint[], ${pgArray(sc('evidence'))}::text[],
      ${pgArray(sc('target'))}::smallint[], ${pgArray(sc('moderated'))}::smallint[], ${pgArray(sc('reason'))}::text[], ${pgArray(sc('moderator'))}::uuid[])
      as t(a, area, score, evidence, target, moderated, reason, moderator)
    join maturity_assessments m on m.id = t.a`);
  return { assessments: assessments.length };
}
