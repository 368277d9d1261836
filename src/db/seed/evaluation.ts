/**
 * Demo critical success factors with targets (issue 13 item 2), and 12 months of indicator snapshots worked out from
 * the demo data as at each month's end, so the CSF pages show trends from the first start.
 */
import type { DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import type { IndicatorKey } from '../../evaluation/catalogue.ts';
import { insertCsf, replaceCsfIndicators } from '../../evaluation/repository.ts';
import { backfillSnapshots } from '../../evaluation/snapshots.ts';

/** The demo CSFs: targets in each indicator's unit (money in pence). */
export const demoCsfs: readonly { name: string; description: string; indicators: readonly { key: IndicatorKey; target: number; amber: number }[] }[] = [
  {
    name: 'Learners complete their accreditation',
    description: 'Council officers who start the programme stay with it and are accredited within a year, using the places funded for them.',
    indicators: [
      { key: 'accredited_within_12_months', target: 70, amber: 55 },
      { key: 'learners_retained', target: 90, amber: 80 },
      { key: 'funded_places_used', target: 85, amber: 70 },
    ],
  },
  {
    name: 'Councils’ contract management matures',
    description: 'Councils measure their contract management maturity at the start and again later, and improve by at least a level.',
    indicators: [
      { key: 'councils_baseline_and_follow_up', target: 30, amber: 15 },
      { key: 'councils_improved_maturity', target: 20, amber: 10 },
    ],
  },
  {
    name: 'Improvements are made, verified and valued',
    description: 'Councils record what they improved and what it was worth, and the programme verifies it.',
    indicators: [
      { key: 'verified_improvements', target: 100, amber: 50 },
      { key: 'verified_improvement_value', target: 500_000_000, amber: 250_000_000 },
    ],
  },
  {
    name: 'Peer networks are used',
    description: 'Council staff take part in the SRO and learner networks’ events.',
    indicators: [{ key: 'network_attendance_per_council', target: 3, amber: 1.5 }],
  },
];

/** Adds the demo CSFs and backfills 12 months of snapshots; returns how many snapshot rows were written. */
export async function seedEvaluation(tx: DbOrTx, clock: Clock): Promise<number> {
  for (const [n, csf] of demoCsfs.entries()) {
    const id = await insertCsf(tx, { name: csf.name, description: csf.description, position: n + 1, now: clock.now() });
    await replaceCsfIndicators(tx, id, csf.indicators);
  }
  return backfillSnapshots(tx, clock, 12);
}
