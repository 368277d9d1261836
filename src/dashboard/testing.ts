/**
 * Reading the dashboard page in tests: a count as shown (a number, "fewer than 5" or "hidden"), found by its table,
 * row and column, or among the headline figures. Shared by the dashboard suites.
 */
export type Shown = number | 'fewer than 5' | 'hidden';
export const shown = (text: string): Shown => (text === 'fewer than 5' || text === 'hidden' ? text : Number(text.replace(/,/g, '')));

/** Whether a shown count is hidden (for either reason). */
export const isHidden = (n: Shown | undefined) => n === 'fewer than 5' || n === 'hidden';

const tableOf = (html: string, tableId: string) => {
  const start = html.indexOf(`id="${tableId}"`);
  if (start < 0) throw new Error(`no table ${tableId}`);
  return html.slice(start, html.indexOf('</table>', start));
};

const countsOf = (cells: string) => [...cells.matchAll(/<td[^>]*>\s*([^<]*?)\s*<\/td>/g)].map((m) => shown(m[1]));

/** The count in the row headed `label` (a pattern) and the `column`-th column of counts of the table with this id. */
export function cell(html: string, tableId: string, label: string, column = 0): Shown {
  const row = new RegExp(`<th scope="row" class="govuk-table__header">\\s*${label}\\s*</th>([\\s\\S]*?)</tr>`).exec(tableOf(html, tableId));
  if (!row) throw new Error(`no row ${label} in ${tableId}`);
  return countsOf(row[1])[column];
}

/** Every row of a table with its counts, by row label. */
export function rows(html: string, tableId: string): Map<string, Shown[]> {
  const found = [...tableOf(html, tableId).matchAll(/<th scope="row" class="govuk-table__header">\s*([^<]*?)\s*<\/th>([\s\S]*?)<\/tr>/g)];
  return new Map(found.map((r) => [r[1], countsOf(r[2])]));
}

/** Every row of a table with the count in its `column`-th column of counts, by row label. */
export function column(html: string, tableId: string, column = 0): Map<string, Shown> {
  return new Map([...rows(html, tableId)].map(([label, counts]) => [label, counts[column]]));
}

/** A headline figure, found by its label (a pattern). */
export function headline(html: string, label: string): Shown {
  const match = new RegExp(`<dt class="govuk-summary-list__key">${label}</dt>\\s*<dd[^>]*>\\s*<span[^>]*data-figure>([^<]*)</span>`).exec(html);
  if (!match) throw new Error(`no headline figure ${label}`);
  return shown(match[1]);
}

/** What a funder is shown of an exact count with no sum to protect: the count, or "fewer than 5" from 1 to 4. */
export const forFunder = (n: number): Shown => (n > 0 && n < 5 ? 'fewer than 5' : n);

/**
 * What a reader can work out of each hidden count of a sum (`parts` add up to `total`) from what is shown: the
 * range of values it can take, given the shown counts and that a "fewer than 5" is 1 to 4 and a "hidden" one at
 * least 5 (zeros are never hidden). Worked out here from the page alone, apart from src/dashboard/disclosure.ts.
 * A hidden total counts as an unknown with the sign reversed.
 */
export function hiddenRanges(parts: readonly Shown[], total: Shown): { lo: number; hi: number }[] {
  const terms = [...parts.map((n) => ({ n, sign: 1 })), { n: total, sign: -1 }];
  const bounds = (n: Shown) => (n === 'fewer than 5' ? { lo: 1, hi: 4 } : { lo: 5, hi: Infinity });
  // Σ sign·x over hidden terms = rest.
  const rest = -terms.reduce((s, t) => (isHidden(t.n) ? s : s + t.sign * (t.n as number)), 0);
  const hidden = terms.filter((t) => isHidden(t.n)).map((t) => ({ sign: t.sign, ...bounds(t.n) }));
  const span = (h: (typeof hidden)[number]) => (h.sign > 0 ? { lo: h.lo, hi: h.hi } : { lo: -h.hi, hi: -h.lo });
  return hidden.map((h, i) => {
    const others = hidden.filter((_, j) => j !== i).map(span);
    const lo = rest - others.reduce((s, o) => s + o.hi, 0);
    const hi = rest - others.reduce((s, o) => s + o.lo, 0);
    const x = h.sign > 0 ? { lo, hi } : { lo: -hi, hi: -lo };
    return { lo: Math.max(x.lo, h.lo), hi: Math.min(x.hi, h.hi) };
  });
}
