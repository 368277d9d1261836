import { describe, expect, it } from 'vitest';
import { suppressCells, type Group } from './disclosure.ts';

/** The hidden cells, as `{ key: 'small' | 'secondary' }` in key order, for comparison with hand-computed answers. */
function hide(values: Record<string, number>, groups: Group[] = [], threshold = 5) {
  const hidden = suppressCells(new Map(Object.entries(values)), groups, threshold);
  return Object.fromEntries([...hidden].sort(([a], [b]) => a.localeCompare(b)));
}

/** The groups of a two-way table with row totals `R<row>`, column totals `C<col>` and a grand total `G`. */
function twoWay(rows: string[], cols: string[]): Group[] {
  return [
    ...rows.map((r) => ({ parts: cols.map((c) => `${r}${c}`), total: `R${r}` })),
    ...cols.map((c) => ({ parts: rows.map((r) => `${r}${c}`), total: `C${c}` })),
    { parts: rows.map((r) => `R${r}`), total: 'G' },
    { parts: cols.map((c) => `C${c}`), total: 'G' },
  ];
}

describe('disclosure control', () => {
  it('hides counts of 1 to 4 and nothing else when no total ties them to others', () => {
    expect(hide({ a: 0, b: 1, c: 4, d: 5, e: 120 })).toEqual({ b: 'small', c: 'small' });
  });

  it('hides nothing at all when every count is 0 or at least the threshold, whatever the totals', () => {
    expect(hide({ a: 0, b: 7, t: 7 }, [{ parts: ['a', 'b'], total: 't' }])).toEqual({});
  });

  it('hides the smallest other part when a shown total would give a small count away', () => {
    // 3 + 10 + 7 = 20: with 10, 7 and 20 shown, 3 is 20 − 17. Hiding 7 too leaves a + c = 10, a anywhere from 1 to 4.
    expect(hide({ a: 3, b: 10, c: 7, total: 20 }, [{ parts: ['a', 'b', 'c'], total: 'total' }])).toEqual({ a: 'small', c: 'secondary' });
  });

  it('counts a total known from elsewhere (the councils of the register) like a shown one', () => {
    expect(hide({ a: 2, b: 6, c: 9 }, [{ parts: ['a', 'b', 'c'], total: 17 }])).toEqual({ a: 'small', b: 'secondary' });
  });

  it('hides a third cell when the first two would add up to a sum that pins them', () => {
    // 1 + 5 = 6 with the 1 at most 4 and the 5 at least 5 leaves only 1 and 5; hiding 9 as well leaves a + b + c = 15.
    expect(hide({ a: 1, b: 5, c: 9, total: 15 }, [{ parts: ['a', 'b', 'c'], total: 'total' }])).toEqual({ a: 'small', b: 'secondary', c: 'secondary' });
    // Two small counts adding up to 2 are both 1.
    expect(hide({ a: 1, b: 1, c: 8, total: 10 }, [{ parts: ['a', 'b', 'c'], total: 'total' }])).toEqual({ a: 'small', b: 'small', c: 'secondary' });
    // Two small counts adding up to 5 could be 1 + 4, 2 + 3, …: nothing more to hide.
    expect(hide({ a: 2, b: 3, c: 8, total: 13 }, [{ parts: ['a', 'b', 'c'], total: 'total' }])).toEqual({ a: 'small', b: 'small' });
  });

  it('hides the total itself when no part is left to hide (remaining = allocated − taken)', () => {
    // Allocated 6 = taken 1 + remaining 5: hiding the 5 still pins 1 + 5 = 6, so the 6 goes too.
    const places: Group[] = [{ parts: ['taken', 'remaining'], total: 'allocated' }];
    expect(hide({ allocated: 6, taken: 1, remaining: 5 }, places)).toEqual({ allocated: 'secondary', remaining: 'secondary', taken: 'small' });
    // Allocated 9 = taken 2 + remaining 7: hiding the 7 (at least 5) leaves taken anywhere from 1 to 4.
    expect(hide({ allocated: 9, taken: 2, remaining: 7 }, places)).toEqual({ remaining: 'secondary', taken: 'small' });
  });

  it('never hides a zero as the complement: it tells nothing, and readers are told hidden counts are not 0', () => {
    expect(hide({ a: 2, z: 0, b: 30, total: 32 }, [{ parts: ['a', 'z', 'b'], total: 'total' }])).toEqual({ a: 'small', b: 'secondary' });
  });

  it('in a 2 × 2 table with its totals, one small count hides all four cells', () => {
    //        c1  c2 | row
    //   r1    3   9 |  12      r1: 3 needs 9 hidden; column c1 then needs 8, column c2 needs 20.
    //   r2    8  20 |  28
    //   col  11  29 |  40
    const values = { r1c1: 3, r1c2: 9, r2c1: 8, r2c2: 20, Rr1: 12, Rr2: 28, Cc1: 11, Cc2: 29, G: 40 };
    expect(hide(values, twoWay(['r1', 'r2'], ['c1', 'c2']))).toEqual({ r1c1: 'small', r1c2: 'secondary', r2c1: 'secondary', r2c2: 'secondary' });
  });

  it('in a 3 × 3 table, suppression in rows and columns goes on until no row or column gives a cell away', () => {
    //        c1  c2  c3 | row
    //   r1    2  10   8 |  20     pass 1: r1 hides 8 (r1c3); c1 hides 6 (r2c1); c3 hides 11 (r3c3)
    //   r2    6   7  12 |  25     pass 2: r2 hides 7 (r2c2); r3 hides 9 (r3c1); c2 hides 10 (r1c2)
    //   r3    9  15  11 |  35     pass 3: every row and column has two or more hidden, none pinned
    //   col  17  32  31 |  80
    const values = { r1c1: 2, r1c2: 10, r1c3: 8, r2c1: 6, r2c2: 7, r2c3: 12, r3c1: 9, r3c2: 15, r3c3: 11 };
    const totals = { Rr1: 20, Rr2: 25, Rr3: 35, Cc1: 17, Cc2: 32, Cc3: 31, G: 80 };
    expect(hide({ ...values, ...totals }, twoWay(['r1', 'r2', 'r3'], ['c1', 'c2', 'c3']))).toEqual({
      r1c1: 'small',
      r1c2: 'secondary',
      r1c3: 'secondary',
      r2c1: 'secondary',
      r2c2: 'secondary',
      r3c1: 'secondary',
      r3c3: 'secondary',
    });
  });

  it('takes another threshold, and refuses one below 1', () => {
    expect(hide({ a: 8, b: 12, t: 20 }, [{ parts: ['a', 'b'], total: 't' }], 10)).toEqual({ a: 'small', b: 'secondary' });
    expect(hide({ a: 1, b: 2 }, [], 1)).toEqual({});
    expect(() => hide({ a: 1 }, [], 0)).toThrow('threshold must be a whole number of at least 1');
  });

  it('refuses a group naming a cell it has no value for, rather than guessing', () => {
    expect(() => hide({ a: 3, t: 3 }, [{ parts: ['a', 'b'], total: 't' }])).toThrow('no value for cell b');
  });
});
