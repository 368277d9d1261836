import { formatCount } from '../web/format.ts';
import { suppressCells, type Group, type Suppression } from './disclosure.ts';

/**
 * Counts from 1 up to this (exclusive) are not shown to funders and observers, so that no one can be picked out of a
 * small number ("the 2 learners in X who did not pass"). Five is the usual threshold of official statistics; zero is
 * shown, since it identifies no one. Programme staff see exact figures (`seesExactCounts` in src/auth/policy.ts).
 * A constant, not a setting: it is a published statistical convention rather than a programme rule, and it is
 * printed beside every figure; lowering it would quietly weaken the protection of downloads already shared.
 */
export const suppressionThreshold = 5;

/** How a suppressed count reads on the page and in a download: a small one, and one hidden to protect a small one. */
export const suppressedText = `fewer than ${suppressionThreshold}`;
export const suppressedMarker = `<${suppressionThreshold}`;
export const secondaryText = 'hidden';

/**
 * The rule as stated beside the figures (page, downloads, API), so a reader knows what a hidden count may be.
 * Secondary suppression is in src/dashboard/disclosure.ts.
 */
export const disclosureRule =
  `Counts from 1 to ${suppressionThreshold - 1} are shown as “${suppressedText}” (“${suppressedMarker}” in the downloads), so that no one can be identified from a small number. ` +
  `Some other counts are shown as “${secondaryText}”, so that a count under ${suppressionThreshold} cannot be worked out from the totals and counts beside it. Zero is shown as 0.`;

/** What the downloads say beside each hidden count. */
export const suppressionNotes: Record<Suppression, string> = {
  small: `Between 1 and ${suppressionThreshold - 1}: counts under ${suppressionThreshold} are not shown`,
  secondary: `Hidden so that a count under ${suppressionThreshold} cannot be worked out from the totals`,
};

/** A count as the reader may see it: `value` is null when it is suppressed, and `suppressed` says why. */
export type Count = { value: number | null; text: string; suppressed: Suppression | null };

/** The count as shown, hidden for the reason given (if any). */
export function shownCount(n: number, suppressed: Suppression | undefined): Count {
  if (suppressed === 'small') return { value: null, text: suppressedText, suppressed };
  if (suppressed === 'secondary') return { value: null, text: secondaryText, suppressed };
  return { value: n, text: formatCount(n), suppressed: null };
}

/**
 * A count tied to no other by a sum shown beside it (a month of a trend): exact, or suppressed when `suppress` and
 * it is 1 to 4.
 */
export const count = (n: number, suppress: boolean): Count => shownCount(n, suppress && n > 0 && n < suppressionThreshold ? 'small' : undefined);

/** A count as a download cell: the number, or the marker when suppressed. */
export const downloadValue = (c: Count): number | string => (c.suppressed === 'secondary' ? secondaryText : (c.value ?? suppressedMarker));

/**
 * A table of the dashboard: what it counts (its caption), a header for its row labels and one per column of counts.
 * The page prints it and the downloads flatten it, so the two always hold the same numbers.
 */
export type FigureTable = {
  id: string;
  caption: string;
  rowHeader: string;
  columns: readonly string[];
  /** `id` names a row for the API where its label is not enough (the headline figures). */
  rows: readonly { id?: string; label: string; hint?: string; counts: readonly Count[] }[];
};

/** One line of the download per count: which table, which row and column, the count and the date it is as at. */
export type FigureLine = { figure: string; category: string; measure: string; count: Count; asAt: string };

export function figureLines(tables: readonly FigureTable[], asAt: string): FigureLine[] {
  return tables.flatMap((t) =>
    t.rows.flatMap((r) => r.counts.map((c, i) => ({ figure: t.caption, category: r.label, measure: t.columns[i], count: c, asAt }))),
  );
}

/** A table before suppression: each count named by the key of its cell in a `Cells` ledger. */
export type RawTable = Omit<FigureTable, 'rows'> & { rows: readonly { id?: string; label: string; hint?: string; cells: readonly string[] }[] };

/**
 * The counts of a page, each under a key, with the sums a reader can see between them (a total beside its parts, one
 * figure the sum of a table's cells). A count shown twice (a status in its table and among the headline figures) is
 * one cell, so it is hidden in both places or in neither.
 */
export class Cells {
  readonly values = new Map<string, number>();
  readonly groups: Group[] = [];

  /** Records a count under `key` and returns the key, for a table's row. */
  cell(key: string, n: number): string {
    const had = this.values.get(key);
    if (had !== undefined && had !== n) throw new Error(`figures: cell ${key} is both ${had} and ${n}`);
    this.values.set(key, n);
    return key;
  }

  /** Records that the cells `parts` add up to `total`: a cell's key, or a number the reader knows from elsewhere. */
  sum(parts: readonly string[], total: string | number) {
    this.groups.push({ parts, total });
  }

  /** The tables as shown: exact, or with small counts and those that would give them away hidden when `suppress`. */
  resolve(tables: readonly RawTable[], suppress: boolean): FigureTable[] {
    const hidden = suppress ? suppressCells(this.values, this.groups, suppressionThreshold) : new Map<string, Suppression>();
    return tables.map(({ rows, ...t }) => ({
      ...t,
      rows: rows.map(({ cells, ...r }) => ({ ...r, counts: cells.map((k) => shownCount(this.values.get(k)!, hidden.get(k))) })),
    }));
  }
}
