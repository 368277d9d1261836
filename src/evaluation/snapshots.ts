/**
 * Monthly snapshots of the indicators (issue 13 item 2): each indicator's whole-programme value once a month, with its
 * parts council by council so that any scope's trend shows (ADR 0019). The current month's snapshot is taken when
 * missing (the periodic job, `pioneer evaluation snapshot`) and may be retaken during the month (`--replace`); a past
 * month's is never written again.
 */
import type { Config } from '../config.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso, type Clock } from '../clock.ts';
import { startPeriodic } from '../periodic.ts';
import { addDays, addMonths } from '../enrolments/journey.ts';
import { barChartSvg } from '../dashboard/bar-chart.ts';
import { count } from '../dashboard/figures.ts';
import { monthName, shortMonths } from '../dashboard/trends.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { indicatorKeys, type Indicator } from './catalogue.ts';
import { formatValue } from './service.ts';
import * as repo from './repository.ts';

/** How the audit log names the periodic job when it takes a snapshot. */
export const snapshotJobLabel = 'the monthly indicator snapshot job';

/** The first day of the month of a date ("2026-11-26" → "2026-11-01"). */
export const monthOf = (iso: string) => `${iso.slice(0, 7)}-01`;

/** The last day of the month starting `month`. */
const lastDayOf = (month: string) => addDays(addMonths(month, 1), -1);

/** The first days of the `n` months ending with the month of `today`, oldest first. */
export function monthsEnding(today: string, n: number): string[] {
  const first = addMonths(monthOf(today), 1 - n);
  return Array.from({ length: n }, (_, i) => addMonths(first, i));
}

export type SnapshotResult = { month: string; written: number };

/**
 * Takes the current month's snapshot (of today, the injected clock's UK date): every indicator of the whole programme
 * as at today, with its parts council by council (so any scope's trend can be worked out), in one transaction.
 * Without `replace` only the indicators missing this month are written, or taken before council parts existed (nothing
 * when it is complete), so running it twice writes once; with `replace` this month's values are worked out again.
 * Earlier months are never touched. An audit event says what was written, when something was.
 */
export async function takeSnapshot(db: Db, ctx: RequestContext, opts: { replace: boolean }): Promise<SnapshotResult> {
  const today = todayIso(ctx.clock);
  const month = monthOf(today);
  return db.transaction(async (tx) => {
    const have = await repo.snapshotKeys(tx, month);
    const keys = opts.replace ? [...indicatorKeys] : indicatorKeys.filter((k) => !have.complete.has(k));
    if (keys.length === 0) return { month, written: 0 };
    const written = await repo.writeSnapshots(tx, keys, month, today, ctx.clock.now(), opts.replace);
    // Another instance may have written them a moment before: then there is nothing to record.
    if (written.indicators === 0) return { month, written: 0 };
    await recordAudit(tx, ctx, {
      action: 'evaluation.snapshot_taken',
      recordType: 'indicator_snapshot',
      recordId: month.slice(0, 7),
      before: null,
      after: { month: month.slice(0, 7), asOf: today, indicators: written.indicators, councils: written.councils, replaced: keys.some((k) => have.any.has(k)) },
    });
    return { month, written: written.indicators };
  });
}

/**
 * Fills the `months` months ending with this one that have no snapshot, each with the values as at its last day (this
 * month's as at today) and their council parts: the indicators are worked out as of a date. For the demo seed, so
 * trends show from the first start, the whole programme's and each scope's; a month that has a snapshot is left as
 * it is. Returns how many indicators were written.
 */
export async function backfillSnapshots(tx: DbOrTx, clock: Clock, months: number): Promise<number> {
  const today = todayIso(clock);
  let written = 0;
  for (const month of monthsEnding(today, months)) {
    const asOf = month === monthOf(today) ? today : lastDayOf(month);
    const have = await repo.snapshotKeys(tx, month);
    const keys = indicatorKeys.filter((k) => !have.any.has(k));
    written += (await repo.writeSnapshots(tx, keys, month, asOf, clock.now(), false)).indicators;
  }
  return written;
}

/** Why a month of a trend has no value: no snapshot taken, or (for a narrower scope) taken for the whole programme only. */
export type TrendGap = 'no-snapshot' | 'programme-only';

export type TrendMonth = { month: string; label: string; value: number | null; text: string; suppressed: 'small' | 'secondary' | null; asOf: string | null; gap: TrendGap | null };

/** Whose figures a narrower scope's trend gives, as its wording names them: "your councils", "this council". */
export const yourCouncils = 'your councils';

/** How a month with no value reads in the trend's table, for a trend of `whose` figures. */
export const trendGapText = (gap: TrendGap, whose: string) => (gap === 'no-snapshot' ? 'No snapshot' : `Not recorded for ${whose}`);

/** The note the downloads give a month with no value, for a trend of `whose` figures. */
export const trendGapNote = (gap: TrendGap, whose: string) =>
  gap === 'no-snapshot' ? 'No snapshot that month' : `Recorded for the whole programme only: trends for ${whose} start later`;

export type Trend = {
  months: TrendMonth[];
  /** Whether the values are the whole programme's (else the councils of the reader's scope). */
  wholeProgramme: boolean;
  /**
   * When the window has months recorded for the whole programme only: the first month after them with the scope's own
   * values ("2026-12"), null when there is none yet (or no such months).
   */
  scopedFrom: string | null;
};

/**
 * An indicator's trend over the `months` months ending this month, oldest first, for the councils in `scope`: the
 * whole programme's snapshots, or for a narrower scope (a managing partner's councils, one council) the value
 * worked out from those councils' parts each month. A month without a snapshot reads "No snapshot"; one taken before
 * council parts existed has no value for a narrower scope (never the programme's). With `suppress` (funders,
 * observers) a count of councils from 1 to 4 reads "fewer than 5", as the current values do. `whose` names the scope's
 * councils in the words of a month with no value ("Not recorded for your councils").
 */
export async function indicatorTrend(
  db: Db,
  indicator: Indicator,
  scope: CouncilScope,
  today: string,
  { suppress, months = 12, whose = yourCouncils }: { suppress: boolean; months?: number; whose?: string },
): Promise<Trend> {
  const keys = monthsEnding(today, months);
  const wholeProgramme = scope.kind === 'all';
  const rows = wholeProgramme
    ? (await repo.listSnapshots(db, [indicator.key], keys[0])).map((r) => ({ ...r, councilParts: true }))
    : await repo.scopedSnapshots(db, indicator.key, scope, keys[0]);
  const trend = keys.map((month): TrendMonth => {
    const label = monthName(month.slice(0, 7));
    const row = rows.find((r) => r.month === month);
    const gap: TrendGap | null = !row ? 'no-snapshot' : row.councilParts ? null : 'programme-only';
    if (!row || gap) return { month: month.slice(0, 7), label, value: null, text: trendGapText(gap!, whose), suppressed: null, asOf: null, gap };
    if (indicator.countsPeople && row.value !== null) {
      const c = count(row.value, suppress);
      if (c.suppressed) return { month: month.slice(0, 7), label, value: null, text: c.text, suppressed: c.suppressed, asOf: row.asOf, gap: null };
    }
    return { month: month.slice(0, 7), label, value: row.value, text: formatValue(indicator, row.value), suppressed: null, asOf: row.asOf, gap: null };
  });
  const lastProgrammeOnly = trend.findLastIndex((m) => m.gap === 'programme-only');
  const scopedFrom = lastProgrammeOnly < 0 ? null : (trend.slice(lastProgrammeOnly + 1).find((m) => m.gap === null)?.month ?? null);
  return { months: trend, wholeProgramme, scopedFrom };
}

/**
 * What a set of trends says once above them when some months were recorded for the whole programme only: the month
 * `whose` trends start ("Trends for your councils start in January 2027: …"); null when there are no such months.
 */
export function trendStartHint(trends: readonly Trend[], whose: string): string | null {
  if (!trends.some((t) => t.months.some((m) => m.gap === 'programme-only'))) return null;
  const scopedFrom = trends.find((t) => t.scopedFrom)?.scopedFrom;
  const start = scopedFrom ? `start in ${monthName(scopedFrom)}` : 'start with the next monthly snapshot';
  return `Trends for ${whose} ${start}: earlier months were recorded for the whole programme only.`;
}

/** The trend as a bar chart (money in pounds); a month with no value is a gap, and the table beside it says why. */
export function trendChartSvg(indicator: Indicator, trend: readonly TrendMonth[]): string {
  const inPounds = indicator.unit === 'pence';
  const span = `${trend[0].label} to ${trend.at(-1)!.label}`;
  return barChartSvg({
    id: `trend-chart-${indicator.key}`,
    title: `Bar chart: ${indicator.name}${inPounds ? ' (£)' : indicator.unit === 'percent' ? ' (%)' : ''} each month, ${span}`,
    description: 'The same figures are in the table that follows the chart.',
    bars: trend.map((m) => ({ label: shortMonths[Number(m.month.slice(5)) - 1], value: m.value === null ? null : inPounds ? Math.round(m.value / 100) : m.value })),
  });
}

/**
 * Takes the current month's snapshot when it is missing: every SNAPSHOT_CHECK_MINUTES (and once at start). Safe in
 * several instances at once: the unique index keeps one row per indicator and month, and a second writer adds none.
 * 0 minutes: not started (then run `pioneer evaluation snapshot` from a scheduler, at least monthly).
 */
export function startSnapshotJob(db: Db, config: Pick<Config, 'snapshotCheckMinutes'>, clock: Clock, onTaken: (result: SnapshotResult) => void, onError: (err: unknown) => void) {
  return startPeriodic(
    config.snapshotCheckMinutes,
    async () => {
      const result = await takeSnapshot(db, { actor: null, systemLabel: snapshotJobLabel, clock }, { replace: false });
      if (result.written > 0) onTaken(result);
    },
    onError,
  );
}
