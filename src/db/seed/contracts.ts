/**
 * Demo key contracts (issue 12 item 6): the council of the demo sign-ins and a handful of other active councils keep
 * a few key contracts each, in every tier, with KPIs. Some are worth more than £5m (one with its KPI assessment
 * overdue, one with too few KPIs), some end within 18 months. Dates are relative to the clock, so the flags read the
 * same on any day. Deterministic for a given seed and clock.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import { addDays, addMonths } from '../../enrolments/journey.ts';
import { contractKpis, contracts } from '../schema.ts';
import type { Rating, Tier } from '../../contracts/rules.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;

/** A demo contract: pounds, months from today for its start and end, and its KPIs' ratings and age in months. */
type Template = { name: string; supplier: string; tier: Tier; annual: number; total: number; startMonths: number; endMonths: number; plan: boolean; kpis: [string, string, Rating | null, number][] };

const templates: Template[] = [
  { name: 'Highways maintenance', supplier: 'Roadworks Partnership Ltd', tier: 'gold', annual: 2_400_000, total: 12_000_000, startMonths: -36, endMonths: 24, plan: true,
    kpis: [['Category 1 defects made safe within 24 hours', '98%', 'good', 14], ['Routine repairs completed on time', '95% within 28 days', 'approaching', 14], ['Resident satisfaction', '80% satisfied or very satisfied', 'requires_improvement', 14]] },
  { name: 'Home care for adults', supplier: 'Carewell Community Services', tier: 'gold', annual: 1_750_000, total: 8_750_000, startMonths: -50, endMonths: 10, plan: true,
    kpis: [['Care visits on time', '95% within 15 minutes of the planned time', 'approaching', 3], ['Missed visits', 'Fewer than 0.5% of visits', 'good', 3]] },
  { name: 'Waste collection and recycling', supplier: 'CleanStreets plc', tier: 'gold', annual: 3_000_000, total: 24_000_000, startMonths: -24, endMonths: 72, plan: true,
    kpis: [['Missed bins put right within 2 working days', '99%', 'good', 2], ['Household waste recycled', '55%', 'requires_improvement', 2], ['Complaints per 100,000 collections', 'Fewer than 40', 'good', 2]] },
  { name: 'Facilities management', supplier: 'Buildwise FM Ltd', tier: 'silver', annual: 600_000, total: 1_800_000, startMonths: -22, endMonths: 14, plan: false, kpis: [] },
  { name: 'IT service desk', supplier: 'Helpdesk Direct Ltd', tier: 'silver', annual: 216_666.67, total: 650_000, startMonths: -6, endMonths: 30, plan: true,
    kpis: [['Calls answered within 60 seconds', '90%', null, 0]] },
  { name: 'Office stationery', supplier: 'PaperTrail Supplies', tier: 'bronze', annual: 15_000, total: 45_000, startMonths: -30, endMonths: 6, plan: false, kpis: [] },
];

const pence = (pounds: number) => Math.round(pounds * 100);

export async function seedContracts(tx: DbOrTx, clock: Clock, rand: Rand, demoSroEmail: string) {
  const today = todayIso(clock);
  const councils = await queryRows<{ id: string; demo: boolean }>(
    tx,
    sql`select p.council_id as id, exists (select 1 from people d where d.email = ${demoSroEmail} and d.organisation_id = p.council_id) as demo
        from participations p join organisations o on o.id = p.council_id
        where p.status = 'active' order by demo desc, o.code limit 6`,
  );
  let count = 0;
  for (const c of councils) {
    const managers = (await queryRows<{ id: string }>(tx, sql`select id from people where organisation_id = ${c.id} and status = 'active' order by email`)).map((r) => r.id);
    // The demo council keeps every template; the others a few, so the lists differ.
    const chosen = c.demo ? templates : rand.shuffle(templates).slice(0, rand.int(2, 4));
    for (const [k, t] of chosen.entries()) {
      const startDate = addMonths(today, t.startMonths - (c.demo ? 0 : rand.int(0, 3)));
      const endDate = addDays(addMonths(today, t.endMonths), c.demo ? 0 : rand.int(0, 20));
      const [{ id }] = await tx
        .insert(contracts)
        .values({
          councilId: c.id,
          name: t.name,
          supplier: t.supplier,
          annualValuePence: pence(t.annual),
          totalValuePence: pence(t.total),
          startDate,
          endDate,
          tier: t.tier,
          managerId: managers.length ? managers[k % managers.length] : null,
          hasPlan: t.plan,
          createdAt: new Date(`${startDate}T10:00:00Z`),
          updatedAt: new Date(`${startDate}T10:00:00Z`),
        })
        .returning({ id: contracts.id });
      if (t.kpis.length) {
        await tx.insert(contractKpis).values(
          t.kpis.map(([name, target, rating, monthsAgo]) => ({
            contractId: id,
            name,
            target,
            rating,
            assessedOn: rating ? addMonths(today, -monthsAgo) : null,
            note: rating === 'requires_improvement' ? 'Improvement plan agreed with the supplier at the last review.' : null,
          })),
        );
      }
      count++;
    }
  }
  return { contracts: count };
}
