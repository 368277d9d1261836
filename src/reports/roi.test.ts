import { describe, expect, it } from 'vitest';
import { computeRoi, divideRounded, fixedText } from './roi.ts';
import { lastCompleteQuarter, parseQuarter, quarterRefusal } from './quarter.ts';

describe('the return on investment, worked out by hand', () => {
  it('credits the attribution share of cashable and non-cashable value, to the penny, and divides by the cost', () => {
    // £1,234.56 cashable + £100.01 non-cashable = £1,334.57; 50% of it is £667.285, rounded half up to £667.29.
    const roi = computeRoi({ cashablePence: 123_456, nonCashablePence: 10_001, attributionPercent: 50, costPence: 50_000 });
    expect(roi.verifiedPence).toBe(133_457);
    expect(roi.benefitsPence).toBe(66_729);
    expect(roi.netBenefitPence).toBe(16_729);
    // (667.29 − 500) ÷ 500 × 100 = 33.458 % → 33.5 %; 667.29 ÷ 500 = 1.33458 → 1.33.
    expect(roi.roiTenths).toBe(335);
    expect(roi.ratioHundredths).toBe(133);
    expect(fixedText(roi.roiTenths!, 1)).toBe('33.5');
    expect(fixedText(roi.ratioHundredths!, 2)).toBe('1.33');
  });

  it('applies the attribution factor: 0% credits nothing, 100% everything', () => {
    expect(computeRoi({ cashablePence: 10_000, nonCashablePence: 0, attributionPercent: 0, costPence: 5_000 })).toMatchObject({ benefitsPence: 0, roiTenths: -1000, ratioHundredths: 0 });
    expect(computeRoi({ cashablePence: 10_000, nonCashablePence: 0, attributionPercent: 100, costPence: 5_000 })).toMatchObject({ benefitsPence: 10_000, roiTenths: 1000, ratioHundredths: 200 });
    expect(fixedText(-1000, 1)).toBe('−100.0');
  });

  it('cannot be computed with no cost, rather than dividing by zero', () => {
    const roi = computeRoi({ cashablePence: 10_000, nonCashablePence: 5, attributionPercent: 50, costPence: 0 });
    expect(roi.roiTenths).toBeNull();
    expect(roi.ratioHundredths).toBeNull();
    expect(roi.benefitsPence).toBe(5_003);
  });

  it('stays exact beyond the range of a float’s whole numbers', () => {
    // £20 billion of value × 37%: the product passes 2^53 pence, BigInt keeps every penny.
    const roi = computeRoi({ cashablePence: 2_000_000_000_001, nonCashablePence: 0, attributionPercent: 37, costPence: 3 });
    expect(roi.benefitsPence).toBe(740_000_000_000);
  });

  it('rounds halves away from zero', () => {
    expect(divideRounded(5n, 10n)).toBe(1n);
    expect(divideRounded(-5n, 10n)).toBe(-1n);
    expect(divideRounded(4n, 10n)).toBe(0n);
    expect(divideRounded(-14n, 10n)).toBe(-1n);
  });
});

describe('quarters', () => {
  it('reads "2026-Q3" as July to September and defaults to the last complete quarter', () => {
    expect(parseQuarter('2026-q3')).toMatchObject({ key: '2026-Q3', start: '2026-07-01', end: '2026-09-30', label: '1 July 2026 to 30 September 2026' });
    expect(lastCompleteQuarter('2026-11-26').key).toBe('2026-Q3');
    expect(lastCompleteQuarter('2026-02-01').key).toBe('2025-Q4');
  });

  it('refuses a quarter written wrongly, before the programme or not yet ended', () => {
    expect(quarterRefusal('2026-Q5', '2026-11-26')).toMatch(/like 2026-Q3/);
    expect(quarterRefusal('Q3 2026', '2026-11-26')).toMatch(/like 2026-Q3/);
    expect(quarterRefusal('2021-Q3', '2026-11-26')).toMatch(/2021-Q4 or later/);
    expect(quarterRefusal('2026-Q4', '2026-11-26')).toMatch(/must have ended: the last one that has is 2026-Q3/);
    expect(quarterRefusal('2026-Q3', '2026-09-30')).not.toBeNull();
    expect(quarterRefusal('2026-Q3', '2026-10-01')).toBeNull();
  });
});
