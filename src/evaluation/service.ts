import type { Db } from '../db/client.ts';
import { cachedRead } from '../db/read-cache.ts';
import { councilScope, seesExactCounts, type Actor } from '../auth/policy.ts';
import { todayIso, type Clock } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { count, disclosureRule, type Count } from '../dashboard/figures.ts';
import { indicators, type Indicator } from './catalogue.ts';
import { indicatorValues } from './repository.ts';

/** An indicator's value as the reader may see it: exact, suppressed (a small count of councils), or none yet. */
export type IndicatorValue = Indicator & { value: number | null; text: string; suppressed: Count['suppressed'] };

/** A value as text in its unit: "40.0 %", "1.5", "£1,750.00"; "No data yet" when there is nothing to measure. */
export function formatValue(indicator: Indicator, value: number | null): string {
  if (value === null) return 'No data yet';
  if (indicator.unit === 'percent') return `${value.toFixed(1)}%`;
  if (indicator.unit === 'pence') return `£${(value / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return Number.isInteger(value) ? value.toLocaleString('en-GB') : value.toLocaleString('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/**
 * Every indicator of the catalogue as of today, for the actor's councils (the whole programme for admins and funders,
 * the managed councils for partner staff). Funders see a count of councils from 1 to 4 as "fewer than 5".
 */
export async function currentIndicators(db: Db, actor: Actor, clock: Clock) {
  const today = todayIso(clock);
  const scope = councilScope(actor);
  const suppress = !seesExactCounts(actor);
  // One query over every enrolment, registration and assessment, the same for everyone with this scope: kept between
  // changes (db/read-cache.ts). Snapshots and recomputation read afresh (repository's indicatorValues).
  const values = await cachedRead(db, `indicators:${JSON.stringify([scope, today])}`, () => indicatorValues(db, indicators.map((i) => i.key), scope, today));
  const rows: IndicatorValue[] = indicators.map((i) => {
    const v = values.get(i.key) ?? null;
    if (i.countsPeople && v !== null) {
      const c = count(v, suppress);
      if (c.suppressed) return { ...i, value: null, text: c.text, suppressed: c.suppressed };
    }
    return { ...i, value: v, text: formatValue(i, v), suppressed: null };
  });
  return { asAt: today, asAtText: formatDate(today), wholeProgramme: scope.kind === 'all', suppress, disclosureRule, rows };
}
