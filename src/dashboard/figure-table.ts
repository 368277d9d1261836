import type { TableParams } from '../web/fast-components.ts';
import type { FigureTable } from './figures.ts';

/**
 * A FigureTable as the page's GOV.UK table (drawn by `appTable`): row labels as row headers, counts right-aligned,
 * the caption hidden (the heading above the table says the same words). Built here rather than with loops in the
 * template: the dashboard's tables hold hundreds of cells, and the template's loops were much of the page's CPU.
 */
export const figureTableParams = (t: FigureTable, caption: string): TableParams => ({
  caption,
  captionClasses: 'govuk-visually-hidden',
  classes: 'govuk-table--small-text-until-tablet app-figure-table',
  attributes: { id: t.id },
  firstCellIsHeader: true,
  head: [{ text: t.rowHeader }, ...t.columns.map((c) => ({ text: c, format: 'numeric' }))],
  rows: t.rows.map((r) => [{ text: r.label }, ...r.counts.map((c) => ({ text: c.text, format: 'numeric' }))]),
});
