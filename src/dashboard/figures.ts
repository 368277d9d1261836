import { formatCount } from '../web/format.ts';

/**
 * Counts from 1 up to this (exclusive) are not shown to funders and observers, so that no one can be picked out of a
 * small number ("the 2 learners in X who did not pass"). Five is the usual threshold of official statistics; zero is
 * shown, since it identifies no one. Programme staff see exact figures (`seesExactCounts` in src/auth/policy.ts).
 */
export const suppressionThreshold = 5;

/** How a suppressed count reads on the page and in a download. */
export const suppressedText = `fewer than ${suppressionThreshold}`;
export const suppressedMarker = `<${suppressionThreshold}`;

/** A count as the reader may see it: `value` is null when it is suppressed. */
export type Count = { value: number | null; text: string };

/** The count as shown: exact, or suppressed when `suppress` and it is 1 to 4. */
export function count(n: number, suppress: boolean): Count {
  if (suppress && n > 0 && n < suppressionThreshold) return { value: null, text: suppressedText };
  return { value: n, text: formatCount(n) };
}

/** A count as a download cell: the number, or the marker when suppressed. */
export const downloadValue = (c: Count): number | string => c.value ?? suppressedMarker;

/**
 * A table of the dashboard: what it counts (its caption), a header for its row labels and one per column of counts.
 * The page prints it and the downloads flatten it, so the two always hold the same numbers.
 */
export type FigureTable = {
  id: string;
  caption: string;
  rowHeader: string;
  columns: readonly string[];
  rows: readonly { label: string; hint?: string; counts: readonly Count[] }[];
};

/** One line of the download per count: which table, which row and column, the count and the date it is as at. */
export type FigureLine = { figure: string; category: string; measure: string; count: Count; asAt: string };

export function figureLines(tables: readonly FigureTable[], asAt: string): FigureLine[] {
  return tables.flatMap((t) =>
    t.rows.flatMap((r) => r.counts.map((c, i) => ({ figure: t.caption, category: r.label, measure: t.columns[i], count: c, asAt }))),
  );
}
