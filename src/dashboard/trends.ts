import type { Db } from '../db/client.ts';
import { formatDate } from '../web/format.ts';
import { addMonths } from '../enrolments/journey.ts';
import { barChartSvg } from './bar-chart.ts';
import { count, type FigureTable } from './figures.ts';
import * as repo from './repository.ts';

/** How many months the trends cover, the current one (to today) included. */
export const trendMonths = 12;

/** What each trend counts, in the words of its table and chart. */
const series: readonly { key: repo.TrendSeries; title: string; column: string }[] = [
  { key: 'councilsJoined', title: 'Councils that joined each month (by onboarding date)', column: 'Councils joined' },
  { key: 'nominations', title: 'Learners nominated each month', column: 'Nominations' },
  { key: 'approvals', title: 'Nominations approved each month', column: 'Approvals' },
  { key: 'accreditations', title: 'Accreditations awarded each month', column: 'Accreditations' },
];

export const shortMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The months ("2026-11") of the trends, oldest first, ending with the month of `today`. */
export function trendMonthKeys(today: string): string[] {
  const first = addMonths(`${today.slice(0, 7)}-01`, 1 - trendMonths);
  return Array.from({ length: trendMonths }, (_, i) => addMonths(first, i).slice(0, 7));
}

/** "November 2026" from "2026-11" (the evaluation trends use it too). */
export const monthName = (key: string) => formatDate(`${key}-01`).replace(/^1 /, '');

export type Trend = { table: FigureTable; chartSvg: string; suppressedMonths: boolean };

/**
 * The monthly trends of the headline figures, each a table (months down, one column of counts) and the same
 * numbers as a bar chart. A suppressed month is a gap in the chart; the page says why.
 */
export async function trends(db: Db, view: repo.CouncilView, today: string, suppress: boolean): Promise<Trend[]> {
  const months = trendMonthKeys(today);
  const from = `${months[0]}-01`;
  const rows = await repo.monthlyCounts(db, view, from, today);
  const span = `${monthName(months[0])} to ${monthName(months.at(-1)!)}`;
  return series.map((s) => {
    const counts = months.map((m) => count(rows.find((r) => r.series === s.key && r.month === m)?.n ?? 0, suppress));
    const table: FigureTable = {
      id: `trend-${s.key}`,
      caption: `${s.title}, ${span}`,
      rowHeader: 'Month',
      columns: [s.column],
      rows: months.map((m, i) => ({ label: monthName(m), counts: [counts[i]] })),
    };
    const chartSvg = barChartSvg({
      id: `chart-${s.key}`,
      title: `Bar chart: ${s.title.charAt(0).toLowerCase()}${s.title.slice(1)}, ${span}`,
      description: 'The same figures are in the table that follows the chart.',
      bars: months.map((m, i) => ({ label: shortMonths[Number(m.slice(5)) - 1], value: counts[i].value })),
    });
    return { table, chartSvg, suppressedMonths: counts.some((c) => c.value === null) };
  });
}
