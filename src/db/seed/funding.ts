/**
 * The demo's funding (issue 13, item 1): the CCS fund that added £2m to the programme in October 2023, later
 * extended to April 2026, split into budget lines, with a few dozen items of monthly spend on the lines whose
 * commitment is what was spent (networks, evaluation, programme management). Places and support days commit from
 * the demo's approved enrolments and engagements. Deterministic for a given seed and clock.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;

export const demoFundName = 'CCS contract management capability';

const lines = [
  { kind: 'training_places', name: 'Foundation places', budget: 400_000, level: 'foundation', unitCost: 450 },
  { kind: 'training_places', name: 'Practitioner places', budget: 500_000, level: 'practitioner', unitCost: 1_200 },
  { kind: 'training_places', name: 'Expert places', budget: 250_000, level: 'expert', unitCost: 2_500 },
  { kind: 'support_days', name: 'Transformation support days', budget: 450_000, dayRate: 650 },
  { kind: 'networks', name: 'Networks', budget: 120_000 },
  { kind: 'evaluation', name: 'Evaluation', budget: 130_000 },
  { kind: 'programme_management', name: 'Programme management', budget: 150_000 },
] as const;

/** Who is paid for what, by line: each month one item on each, of about `monthly` pounds. */
const suppliers = {
  Networks: { supplier: 'Events and Venues Ltd', monthly: 3_500 },
  Evaluation: { supplier: 'Independent Evaluation Partners LLP', monthly: 3_800 },
  'Programme management': { supplier: 'Local Partnerships', monthly: 4_500 },
} as const;

export async function seedFunding(tx: DbOrTx, clock: Clock, rand: Rand) {
  const start = '2023-10-01';
  const end = '2026-04-30';
  const [fund] = await queryRows<{ id: string }>(
    tx,
    sql`insert into funds (source, name, amount_pence, start_date, end_date, conditions)
        values ('Crown Commercial Service', ${demoFundName}, ${2_000_000 * 100}, ${start}, ${end},
                'Added to the programme in October 2023; extended to 30 April 2026. Quarterly reports to CCS on places used and spend.')
        returning id`,
  );
  const ids = new Map<string, string>();
  for (const l of lines) {
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`insert into fund_budget_lines (fund_id, kind, name, budget_pence, level, unit_cost_pence, day_rate_pence)
          values (${fund.id}, ${l.kind}, ${l.name}, ${l.budget * 100}, ${'level' in l ? l.level : null},
                  ${'unitCost' in l ? l.unitCost * 100 : null}, ${'dayRate' in l ? l.dayRate * 100 : null})
          returning id`,
    );
    ids.set(l.name, row.id);
  }
  const today = todayIso(clock);
  let items = 0;
  for (let month = new Date(Date.UTC(2023, 9, 28)); ; month = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 28))) {
    const spentOn = month.toISOString().slice(0, 10);
    if (spentOn > end || spentOn > today) break;
    for (const [line, { supplier, monthly }] of Object.entries(suppliers)) {
      // Between 70% and 130% of the monthly figure, to the penny.
      const pence = Math.round(monthly * 100 * (0.7 + rand.next() * 0.6));
      const reference = `${line.slice(0, 3).toUpperCase()}-${spentOn.slice(0, 7)}`;
      await tx.execute(sql`insert into fund_spend (line_id, supplier, spent_on, amount_pence, reference) values (${ids.get(line)!}, ${supplier}, ${spentOn}, ${pence}, ${reference})`);
      items++;
    }
  }
  return { funds: 1, spendItems: items };
}
