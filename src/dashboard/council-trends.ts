/**
 * "How your council has changed" on a council's dashboard (issue 13 item 5): the last 12 months of the catalogue
 * indicators that mean something for one council, each month's value worked out from that council's part of the
 * month's snapshot (ADR 0019) by the evaluation's own indicatorTrend, so the evaluation pages, the API and this share
 * one definition of each indicator. Counts are exact, as every count on the council's dashboard is: they count the
 * council's own records, which its readers see one by one.
 */
import type { Db } from '../db/client.ts';
import { todayIso, type Clock } from '../clock.ts';
import { indicatorByKey, type IndicatorKey } from '../evaluation/catalogue.ts';
import { indicatorTrend, trendStartHint } from '../evaluation/snapshots.ts';
import type { CouncilSections } from './council-figures.ts';

/** How the trends name the council's figures where a month has none ("Not recorded for this council"). */
export const thisCouncil = 'this council';

/**
 * The indicators shown, in order, each with its name for one council and the dashboard section whose readers may see
 * it (null: everyone who may open the dashboard, as for the network figures). Left out: councils with a baseline and
 * follow-up, which for one council is only whether it has had a follow-up yet (the maturity section says so).
 * Maturity improved is one council's 0 or 1, so it reads Yes or No.
 */
const councilIndicators: readonly { key: IndicatorKey; section: keyof CouncilSections | null; name: string; yesNo?: true }[] = [
  { key: 'accredited_within_12_months', section: 'learners', name: 'Learners accredited within 12 months of registering' },
  { key: 'learners_retained', section: 'learners', name: 'Learners retained' },
  { key: 'funded_places_used', section: 'places', name: 'Funded places used' },
  { key: 'network_attendance_per_council', section: null, name: 'Network event attendances by the council’s staff' },
  { key: 'councils_improved_maturity', section: 'maturity', name: 'Maturity improved by a level in at least one area', yesNo: true },
  { key: 'verified_improvements', section: 'improvements', name: 'Verified improvements' },
  { key: 'verified_improvement_value', section: 'improvements', name: 'Verified improvement value' },
];

/**
 * The council's trends this reader may see (by `show`, the dashboard's sections), as at today; `empty` when no month
 * of the window has a snapshot yet. The caller has found the council in the reader's scope: whoever reads it (the
 * council's SRO, its managing partner's staff, an admin), the trend is of this one council.
 */
export async function councilTrends(db: Db, clock: Clock, councilId: string, show: CouncilSections) {
  const today = todayIso(clock);
  const trends = [];
  for (const c of councilIndicators) {
    if (c.section && !show[c.section]) continue;
    const indicator = { ...indicatorByKey.get(c.key)!, name: c.name };
    const trend = await indicatorTrend(db, indicator, { kind: 'own', councilId }, today, { suppress: false, whose: thisCouncil });
    const months = c.yesNo ? trend.months.map((m) => (m.value === null ? m : { ...m, text: m.value > 0 ? 'Yes' : 'No' })) : trend.months;
    trends.push({ indicator, key: c.key, name: c.name, unit: indicator.unit, ...trend, months });
  }
  return {
    trends,
    startHint: trendStartHint(trends, thisCouncil),
    empty: trends.every((t) => t.months.every((m) => m.gap === 'no-snapshot')),
  };
}
