/**
 * Transformation support at national scale (issue 12's benchmark) for bench/generate.ts: every council with a
 * submitted baseline and three follow-ups of the contract-management framework (scores drifting upwards, some areas
 * falling back), 20,000 improvements and 30,000 key contracts spread over the councils, a quarter of the contracts
 * over the Procurement Act threshold. Deterministic (scores and values come from the row numbers); written by the
 * database in set-based inserts.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../src/db/client.ts';
import { pgArray } from '../src/db/client.ts';
import { improvementTypes } from '../src/improvements/rules.ts';
import { contractManagementKey } from '../src/maturity/framework.ts';

export const totalImprovements = 20_000;
export const totalContracts = 30_000;
/** A baseline and three follow-ups, six months apart, the last one about a year ago. */
const assessmentsPerCouncil = 4;

/** Writes the assessments (for every council), `totalImprovements × scale` improvements and `totalContracts × scale` contracts. */
export async function generateTransformation(tx: DbOrTx, scale: number) {
  // Assessments: k = 0 is the baseline. Submitted at noon on the day, each six months after the one before.
  await tx.execute(sql`
    insert into maturity_assessments (council_id, framework_id, kind, status, created_at, updated_at, submitted_at)
    select o.id, f.id, case when k = 0 then 'baseline' else 'follow_up' end, 'submitted', at, at, at
    from organisations o cross join (select id from maturity_frameworks where key = ${contractManagementKey}) f,
      generate_series(0, ${assessmentsPerCouncil - 1}) k,
      lateral (select timestamptz '2023-06-01 12:00Z' + (k * interval '6 months') as at) t
    where o.kind = 'council'`);
  // Scores: a baseline of 1–3 by area and council, each follow-up one level up in about half the areas and one down in
  // a tenth, held within 1–5; targets a level or two above the baseline.
  await tx.execute(sql`
    with numbered as (
      select a.id, a.council_id, a.framework_id,
        (row_number() over (partition by a.council_id order by a.submitted_at))::int - 1 as k,
        abs(hashtext(a.council_id::text)) as h
      from maturity_assessments a)
    insert into maturity_scores (assessment_id, area_id, score, evidence, target)
    select n.id, ar.id,
      least(5, greatest(1, 1 + (n.h + ar.position * 7) % 3
        + (select count(*)::int from generate_series(1, n.k) s where (n.h + ar.position * 13 + s * 5) % 2 = 0)
        - (select count(*)::int from generate_series(1, n.k) s where (n.h + ar.position * 3 + s * 11) % 10 = 0))),
      'Evidence held in the council''s contract management records.',
      least(5, 2 + (n.h + ar.position * 7) % 3 + (n.h % 2))
    from numbered n join maturity_areas ar on ar.framework_id = n.framework_id`);

  // Improvements: across active and completed councils, one every day or so over three years, most with a value.
  const improvements = totalImprovements * scale;
  await tx.execute(sql`
    with councils as (select array_agg(council_id order by council_id) as a from participations where status in ('active', 'completed')),
      types as (select ${pgArray([...improvementTypes])}::text[] as t)
    insert into improvements (council_id, type, description, improved_on, value_pence, cashable, status, reviewed_at)
    select a[1 + (g * 37) % cardinality(a)], t[1 + g % cardinality(t)],
      'Improvement ' || g || ': ' || (array['contract register brought up to date', 'contract management plans adopted for gold contracts',
        'KPIs agreed with the supplier', 'savings at renewal', 'cost avoided through change control', 'exit plan written',
        'supplier performance improved after quarterly reviews', 'risk register reviewed with the supplier'])[1 + g % 8],
      date '2026-11-26' - (g % 1100),
      case when g % 5 = 0 then null else 50000 + (g::bigint * 7919) % 40000000 end,
      case when g % 5 = 0 then null else g % 3 <> 0 end,
      (array['verified', 'verified', 'submitted', 'queried'])[1 + g % 4],
      case when g % 4 in (0, 1, 3) then timestamptz '2026-11-01 12:00Z' - (g % 1000) * interval '1 day' end
    from generate_series(1, ${improvements}) g, councils, types`);

  // Contracts: spread over every council taking part; a quarter gold and over £5m in all, ending across six years.
  const contracts = totalContracts * scale;
  await tx.execute(sql`
    with councils as (select array_agg(council_id order by council_id) as a from participations where status in ('active', 'onboarding', 'completed'))
    insert into contracts (council_id, name, supplier, annual_value_pence, total_value_pence, start_date, end_date, tier, has_plan)
    select a[1 + (g * 53) % cardinality(a)],
      (array['Waste collection', 'Highways maintenance', 'Facilities management', 'Adult social care', 'IT managed service',
        'Leisure centres', 'Grounds maintenance', 'Home to school transport'])[1 + g % 8] || ' ' || g,
      'Supplier ' || (g % 2000) || ' Ltd',
      v / 5, v, date '2022-04-01' + (g % 900), date '2026-04-01' + (g % 2000),
      case when g % 4 = 0 then 'gold' when g % 4 = 1 then 'silver' else 'bronze' end, g % 3 <> 0
    from generate_series(1, ${contracts}) g, councils,
      lateral (select case when g % 4 = 0 then 600000000 + (g::bigint * 104729) % 5000000000 else 1000000 + (g::bigint * 7919) % 400000000 end as v) val`);
  return { improvements, contracts };
}
