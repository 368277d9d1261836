/**
 * The change chart of a council's maturity page: per area, the baseline and the latest level as two bars, drawn on
 * the server as SVG by vega-lite and vega (ADR 0015) with no canvas and no browser script. Like the dashboard's bar
 * charts (ADR 0010) the SVG is a picture of the table beside it: one `role="img"` with a title and a description,
 * the drawing inside hidden from assistive technology, sized by its viewBox so that it scales to its column. Each
 * area's name sits above its two bars so that the drawing stays narrow enough to read on a 320 px phone.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { escapeHtml } from '../web/html-escape.ts';

export type ChangeRow = { area: string; baseline: number | null; latest: number | null };

/** GOV.UK colours: mid grey for the baseline, blue for the latest (each 3:1 against white, WCAG 1.4.11). */
const colours = { baseline: '#505a5f', latest: '#1d70b8', text: '#0b0c0c', grid: '#b1b4b6' } as const;


/** The vega-lite specification (exported for the test, which checks what is drawn from what). */
export function changeChartSpec(rows: readonly ChangeRow[], labels: { baseline: string; latest: string }): TopLevelSpec {
  const values = rows.flatMap((r, i) => [
    { order: i, area: r.area, series: labels.baseline, level: r.baseline, label: `${labels.baseline}: ${r.baseline ?? 'none'}` },
    { order: i, area: r.area, series: labels.latest, level: r.latest, label: `${labels.latest}: ${r.latest ?? 'none'}` },
  ]);
  return {
    data: { values },
    config: { aria: false, font: 'Arial, sans-serif', view: { stroke: null }, axis: { labelColor: colours.text, titleColor: colours.text, labelFontSize: 12 }, header: { labelFontSize: 13, labelColor: colours.text } },
    facet: {
      row: { field: 'area', type: 'nominal', sort: { field: 'order' }, header: { title: null, labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelPadding: 2, labelFontWeight: 'bold', labelLimit: 0 } },
    },
    spacing: 8,
    spec: {
      width: 260,
      height: { step: 17 },
      encoding: {
        // Each bar is named by the text after it ("Baseline: 2"), not by an axis, so the area's name above its bars
        // starts at the left edge and the drawing stays narrow.
        y: { field: 'series', type: 'nominal', sort: [labels.baseline, labels.latest], axis: null },
      },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            // Levels 0–5 take the left part; the rest of the width is room for the text after the longest bar.
            x: { field: 'level', type: 'quantitative', scale: { domain: [0, 8], nice: false }, axis: { title: null, values: [0, 1, 2, 3, 4, 5], gridColor: colours.grid, labels: false, ticks: false, domain: false } },
            color: { field: 'series', type: 'nominal', scale: { domain: [labels.baseline, labels.latest], range: [colours.baseline, colours.latest] }, legend: null },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 12, color: colours.text },
          encoding: {
            x: { field: 'level', type: 'quantitative' },
            text: { field: 'label', type: 'nominal' },
          },
        },
      ],
    },
  } as TopLevelSpec;
}

/** The chart as SVG markup: `role="img"`, its title and description (ids from `id`), scaling to its container. */
export async function changeChartSvg(opts: { id: string; title: string; description: string; rows: readonly ChangeRow[]; labels: { baseline: string; latest: string } }): Promise<string> {
  const { spec } = compile(changeChartSpec(opts.rows, opts.labels));
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const head = svg.match(/^<svg[^>]*>/)![0];
  const viewBox = head.match(/viewBox="([^"]*)"/)?.[1] ?? '';
  const titleId = `${opts.id}-title`;
  const descId = `${opts.id}-desc`;
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg" class="app-maturity-chart" viewBox="${viewBox}" width="100%" role="img" ` +
    `aria-labelledby="${titleId}" aria-describedby="${descId}" focusable="false">` +
    `<title id="${titleId}">${escapeHtml(opts.title)}</title><desc id="${descId}">${escapeHtml(opts.description)}</desc><g aria-hidden="true">`;
  return `${open}${svg.slice(head.length, -'</svg>'.length)}</g></svg>`;
}
