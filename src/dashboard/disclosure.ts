/**
 * Disclosure control for published counts: primary suppression of small counts and secondary ("complementary")
 * suppression, so that no hidden count can be worked out from the counts and totals shown beside it.
 *
 * Pure: it knows cells by key and the sums that tie them together, nothing of the dashboard. See docs/dashboard.md.
 */

/** Why a cell is hidden: it is small (1 to threshold − 1), or it is hidden so that a small one cannot be worked out. */
export type Suppression = 'small' | 'secondary';

/**
 * A sum the reader can see or knows: the `parts` add up to `total`, which is either another cell (a total shown on
 * the page, like "taking part" = onboarding + active) or a number known from elsewhere (the 317 councils of the
 * register). A cell may sit in several groups (a row and a column of a two-way table).
 */
export type Group = { parts: readonly string[]; total: string | number };

type Bounds = { lo: number; hi: number };

/**
 * What a reader knows of a hidden cell without any sum: a small one is 1 to threshold − 1; a secondary one is never
 * small (it would be hidden as small) and never 0 (zeros are never chosen), so it is at least the threshold.
 */
const boundsOf = (s: Suppression, threshold: number): Bounds => (s === 'small' ? { lo: 1, hi: threshold - 1 } : { lo: threshold, hi: Infinity });

/**
 * Whether the group lets a reader work out some hidden cell exactly: from `Σ parts − total = 0`, with every shown
 * cell's value and every hidden cell's bounds, the range each hidden cell can take is narrowed to one value. With one
 * hidden cell that is always so; with more it is so when their bounds leave no room (two hidden cells adding up to 2
 * are both 1; a small one and a secondary one adding up to 6 are 1 and 5).
 */
function pinsACell(group: Group, values: ReadonlyMap<string, number>, hidden: ReadonlyMap<string, Suppression>, threshold: number): boolean {
  const terms = [...group.parts.map((key) => ({ key, sign: 1 })), ...(typeof group.total === 'string' ? [{ key: group.total, sign: -1 }] : [])];
  // Σ of the hidden terms (each times its sign) equals `rest`, what the shown cells and a known total leave.
  let rest = typeof group.total === 'number' ? group.total : 0;
  const unknown: { sign: number; bounds: Bounds }[] = [];
  for (const { key, sign } of terms) {
    const s = hidden.get(key);
    if (s) unknown.push({ sign, bounds: boundsOf(s, threshold) });
    else rest -= sign * valueOf(values, key);
  }
  // The signed bounds of a term: +x spans [lo, hi], −x spans [−hi, −lo].
  const span = ({ sign, bounds }: (typeof unknown)[number]) => (sign > 0 ? bounds : { lo: -bounds.hi, hi: -bounds.lo });
  return unknown.some((term, i) => {
    const others = unknown.filter((_, j) => j !== i).map(span);
    const othersLo = others.reduce((n, b) => n + b.lo, 0);
    const othersHi = others.reduce((n, b) => n + b.hi, 0);
    // sign·x = rest − others, so sign·x lies in [rest − othersHi, rest − othersLo].
    const signed = { lo: rest - othersHi, hi: rest - othersLo };
    const x = term.sign > 0 ? signed : { lo: -signed.hi, hi: -signed.lo };
    const lo = Math.max(x.lo, term.bounds.lo);
    const hi = Math.min(x.hi, term.bounds.hi);
    return hi - lo < 1;
  });
}

function valueOf(values: ReadonlyMap<string, number>, key: string): number {
  const n = values.get(key);
  if (n === undefined) throw new Error(`disclosure: no value for cell ${key}`);
  return n;
}

/**
 * The cell to hide next in a group that gives a hidden cell away: the smallest shown non-zero part (the least
 * information lost), first in the group's order on a tie; the total only when no part is left to hide.
 */
function complement(group: Group, values: ReadonlyMap<string, number>, hidden: ReadonlyMap<string, Suppression>): string | undefined {
  const candidates = (keys: readonly string[]) =>
    keys.filter((k) => !hidden.has(k) && valueOf(values, k) > 0).sort((a, b) => valueOf(values, a) - valueOf(values, b));
  return candidates(group.parts)[0] ?? (typeof group.total === 'string' ? candidates([group.total])[0] : undefined);
}

/**
 * Which cells to hide. Primary: every count from 1 to threshold − 1. Secondary: while some group lets a reader work
 * out a hidden cell, hide the next-smallest shown non-zero cell of that group too; a cell hidden for one group may
 * give another away (the row and column of a two-way table), so this repeats over every group until nothing changes.
 * Zero is never hidden: it identifies no one. A group with nothing left to hide is left as it is (it cannot happen
 * with the dashboard's tables, whose known totals each sum many cells).
 */
export function suppressCells(values: ReadonlyMap<string, number>, groups: readonly Group[], threshold: number): Map<string, Suppression> {
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error(`disclosure: threshold must be a whole number of at least 1, not ${threshold}`);
  const hidden = new Map<string, Suppression>();
  for (const [key, n] of values) if (n > 0 && n < threshold) hidden.set(key, 'small');
  for (let changed = true; changed; ) {
    changed = false;
    for (const group of groups) {
      while (pinsACell(group, values, hidden, threshold)) {
        const next = complement(group, values, hidden);
        if (!next) break;
        hidden.set(next, 'secondary');
        changed = true;
      }
    }
  }
  return hidden;
}
