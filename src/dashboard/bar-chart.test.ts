import { describe, expect, it } from 'vitest';
import { barChartSvg, niceTicks } from './bar-chart.ts';
import { Cells, count, figureLines, suppressedMarker, downloadValue } from './figures.ts';

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten up to at least the largest value', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(20)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(21)).toEqual([0, 10, 20, 30]);
    expect(niceTicks(82)).toEqual([0, 50, 100]);
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
  });
});

describe('barChartSvg', () => {
  const chart = (values: (number | null)[]) =>
    barChartSvg({ id: 'c', title: 'Nominations <each> month & more', description: 'The figures are in the table.', bars: values.map((value, i) => ({ label: `M${i}`, value })) });

  it('is one image with a title and a description, scaling to its container', () => {
    const svg = chart([1, 2, 3]);
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="c-title" aria-describedby="c-desc"/);
    expect(svg).toContain('viewBox="0 0 360 200" width="100%"');
    expect(svg).not.toMatch(/<svg[^>]* height=/);
    expect(svg).toContain('<title id="c-title">Nominations &lt;each&gt; month &amp; more</title>');
    expect(svg).toContain('<desc id="c-desc">The figures are in the table.</desc>');
    expect(svg).toContain('<g aria-hidden="true">');
  });

  it('draws one bar per value, the tallest reaching the top tick, and none for a suppressed or zero value', () => {
    const svg = chart([10, null, 0, 20]);
    const rects = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(rects).toHaveLength(2);
    expect(rects[1]).toBeCloseTo(rects[0] * 2, 1);
    expect(svg.match(/<text [^>]*text-anchor="middle">M\d<\/text>/g)).toHaveLength(4);
    expect(svg).toContain('>20</text>');
  });
});

describe('suppressed counts', () => {
  it('hides 1 to 4 when asked, never 0 or 5', () => {
    expect(count(0, true)).toEqual({ value: 0, text: '0', suppressed: null });
    expect(count(1, true)).toEqual({ value: null, text: 'fewer than 5', suppressed: 'small' });
    expect(count(4, true)).toEqual({ value: null, text: 'fewer than 5', suppressed: 'small' });
    expect(count(5, true)).toEqual({ value: 5, text: '5', suppressed: null });
    expect(count(3, false)).toEqual({ value: 3, text: '3', suppressed: null });
    expect(count(12345, false).text).toBe('12,345');
  });

  it('downloads a suppressed count as a marker, one line per count of a table', () => {
    const lines = figureLines([{ id: 't', caption: 'Things', rowHeader: 'Kind', columns: ['A', 'B'], rows: [{ label: 'X', counts: [count(2, true), count(7, true)] }] }], '2026-11-26');
    expect(lines.map((l) => [l.figure, l.category, l.measure, downloadValue(l.count), l.asAt])).toEqual([
      ['Things', 'X', 'A', suppressedMarker, '2026-11-26'],
      ['Things', 'X', 'B', 7, '2026-11-26'],
    ]);
  });

  it('hides a count shown twice in both places, with the cell a shown total would give it away by, and only when asked', () => {
    // Taking part (9) = onboarding (2) + active (7); the withdrawn count is shown in the headline and in the status table.
    const cells = new Cells();
    const tables = (suppress: boolean) => {
      const [onboarding, active, withdrawn] = [cells.cell('onboarding', 2), cells.cell('active', 7), cells.cell('withdrawn', 3)];
      cells.sum([onboarding, active], cells.cell('takingPart', 9));
      return cells.resolve(
        [
          { id: 'headline', caption: 'Headline', rowHeader: 'Figure', columns: ['Count'], rows: [{ label: 'Taking part', cells: ['takingPart'] }, { label: 'Withdrew', cells: [cells.cell('withdrawn', 3)] }] },
          { id: 'status', caption: 'Status', rowHeader: 'Status', columns: ['Councils'], rows: [onboarding, active, withdrawn].map((k) => ({ label: k, cells: [k] })) },
        ],
        suppress,
      );
    };
    const texts = (suppress: boolean) => tables(suppress).map((t) => t.rows.map((r) => [r.label, r.counts[0].text, r.counts[0].value]));
    expect(texts(true)).toEqual([
      [['Taking part', '9', 9], ['Withdrew', 'fewer than 5', null]],
      [['onboarding', 'fewer than 5', null], ['active', 'hidden', null], ['withdrawn', 'fewer than 5', null]],
    ]);
    expect(texts(false)[1]).toEqual([['onboarding', '2', 2], ['active', '7', 7], ['withdrawn', '3', 3]]);
    expect(downloadValue(tables(true)[1].rows[1].counts[0])).toBe('hidden');
    expect(() => cells.cell('withdrawn', 4)).toThrow('cell withdrawn is both 3 and 4');
  });
});
