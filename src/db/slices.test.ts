import { describe, expect, it } from 'vitest';
import { inSlices, mapInSlices, sliceRows } from './batches.ts';

const rows = Array.from({ length: sliceRows * 2 + 7 }, (_, i) => i);

describe('work over many rows, a slice at a time', () => {
  it('inSlices hands every row once, in order, in slices of sliceRows, the last one short', async () => {
    const slices: (readonly number[])[] = [];
    await inSlices(rows, async (slice) => void slices.push(slice));
    expect(slices.map((s) => s.length)).toEqual([sliceRows, sliceRows, 7]);
    expect(slices.flat()).toEqual(rows);
    const none: unknown[] = [];
    await inSlices([], async (slice) => void none.push(slice));
    expect(none).toEqual([]);
  });

  it('lets a timer that fell due run between slices (another request waiting), not only after the last', async () => {
    const seen: string[] = [];
    setTimeout(() => seen.push('timer'), 0);
    await inSlices(rows, async (slice) => {
      const until = Date.now() + 3; // each slice holds the thread a moment, as building a statement does
      while (Date.now() < until);
      seen.push(`slice ${slice[0]}`);
    });
    expect(seen.indexOf('timer')).toBeGreaterThan(0);
    expect(seen.indexOf('timer')).toBeLessThan(seen.length - 1);
  });

  it('mapInSlices maps every row with its index, in order', async () => {
    expect(await mapInSlices(rows, (r, i) => r * 10 + (i === r ? 1 : 0))).toEqual(rows.map((r) => r * 10 + 1));
  });
});
