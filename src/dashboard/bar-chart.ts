/**
 * A bar chart as an SVG string, drawn on the server (ADR 0010): no DOM, no script, nothing to load in the browser.
 * The chart is a picture of a table printed beside it, so it is one `role="img"` with a title and a description;
 * the numbers themselves are read from the table. A bar whose value is `null` (a suppressed count) is not drawn.
 * The SVG has a viewBox and no fixed size, so it scales to the width of its container (320 px phones included).
 */
import { escapeHtml } from '../web/html-escape.ts';

export type Bar = { label: string; value: number | null };

export type BarChart = {
  /** What the chart shows, e.g. "Nominations made each month" (the SVG's title). */
  title: string;
  /** A sentence for screen readers, e.g. "The figures are in the table below." (the SVG's description). */
  description: string;
  bars: readonly Bar[];
  /** An id unique on the page, for the title and description the SVG points at. */
  id: string;
};

// The drawing's own units; the browser scales them to the container.
// Narrow enough that on a 320 px phone the labels are still about 11 px high.
const width = 360;
const height = 200;
const margin = { top: 10, right: 4, bottom: 26, left: 36 };
const fontSize = 13;

/** GOV.UK colours: blue bars (3:1 against white, WCAG 1.4.11), mid-grey grid lines, black text. */
const colours = { bar: '#1d70b8', grid: '#b1b4b6', text: '#0b0c0c' } as const;


/**
 * Round axis ticks from 0 to at least `max`: a step of 1, 2 or 5 times a power of ten, about four steps, so the
 * grid reads 0, 5, 10, 15, 20 rather than 0, 4.6, 9.2. Counts are whole numbers, so the step is at least 1.
 */
export function niceTicks(max: number, steps = 4): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / steps;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power));
  const ticks = [];
  for (let t = 0; t < max + step; t += step) ticks.push(t);
  return ticks;
}

const number = (n: number) => Number(n.toFixed(2));

/** The chart's SVG markup (safe to print unescaped: every text in it is escaped here). */
export function barChartSvg(chart: BarChart): string {
  const ticks = niceTicks(Math.max(0, ...chart.bars.map((b) => b.value ?? 0)));
  const top = ticks.at(-1)!;
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const y = (v: number) => margin.top + plotHeight - (v / top) * plotHeight;
  const slot = plotWidth / Math.max(1, chart.bars.length);
  const barWidth = slot * 0.7;

  const grid = ticks
    .map((t) => {
      const at = number(y(t));
      return `<line x1="${margin.left}" x2="${width - margin.right}" y1="${at}" y2="${at}" stroke="${colours.grid}" stroke-width="1"/>` +
        `<text x="${margin.left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${t}</text>`;
    })
    .join('');
  const bars = chart.bars
    .map((b, i) => {
      const x = margin.left + i * slot + (slot - barWidth) / 2;
      const label = `<text x="${number(x + barWidth / 2)}" y="${height - margin.bottom + fontSize + 4}" text-anchor="middle">${escapeHtml(b.label)}</text>`;
      if (b.value === null || b.value === 0) return label;
      return `<rect x="${number(x)}" y="${number(y(b.value))}" width="${number(barWidth)}" height="${number(y(0) - y(b.value))}" fill="${colours.bar}"/>` + label;
    })
    .join('');
  const titleId = `${chart.id}-title`;
  const descId = `${chart.id}-desc`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" ` +
    `role="img" aria-labelledby="${titleId}" aria-describedby="${descId}" font-size="${fontSize}" fill="${colours.text}">` +
    `<title id="${titleId}">${escapeHtml(chart.title)}</title><desc id="${descId}">${escapeHtml(chart.description)}</desc>` +
    `<g aria-hidden="true">${grid}${bars}</g></svg>`
  );
}
