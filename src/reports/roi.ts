/**
 * Return on investment, after Phillips: the programme's monetary benefits against what it cost.
 *
 *   benefits        = (verified cashable + verified non-cashable value) × attribution % ÷ 100
 *   ROI %           = (benefits − cost) ÷ cost × 100
 *   benefit-cost    = benefits ÷ cost
 *
 * Everything is whole pence and worked out with BigInt, so no step goes through a float: the attributable benefits
 * are rounded to the nearest penny (a half penny up), the ROI to one decimal place and the ratio to two, each half
 * away from zero. With no cost recorded neither can be computed (a division by zero), and the page says so.
 */
export type RoiInput = { cashablePence: number; nonCashablePence: number; attributionPercent: number; costPence: number };

export type Roi = RoiInput & {
  verifiedPence: number;
  benefitsPence: number;
  netBenefitPence: number;
  /** Tenths of a percent (ROI 12.5 % is 125), or null when the cost is zero. */
  roiTenths: number | null;
  /** Hundredths (a ratio of 1.25 is 125), or null when the cost is zero. */
  ratioHundredths: number | null;
};

/** a ÷ b rounded to the nearest whole number, halves away from zero (b > 0). */
export function divideRounded(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  if (2n * (r < 0n ? -r : r) >= b) return a < 0n ? q - 1n : q + 1n;
  return q;
}

export function computeRoi(input: RoiInput): Roi {
  const verified = BigInt(input.cashablePence) + BigInt(input.nonCashablePence);
  const benefits = divideRounded(verified * BigInt(input.attributionPercent), 100n);
  const cost = BigInt(input.costPence);
  const net = benefits - cost;
  return {
    ...input,
    verifiedPence: Number(verified),
    benefitsPence: Number(benefits),
    netBenefitPence: Number(net),
    roiTenths: cost > 0n ? Number(divideRounded(net * 1000n, cost)) : null,
    ratioHundredths: cost > 0n ? Number(divideRounded(benefits * 100n, cost)) : null,
  };
}

/** Tenths or hundredths as text: 125 tenths → "12.5", −5 tenths → "−0.5". */
export function fixedText(n: number, places: 1 | 2): string {
  const scale = 10 ** places;
  const abs = Math.abs(n);
  const text = `${Math.floor(abs / scale).toLocaleString('en-GB')}.${String(abs % scale).padStart(places, '0')}`;
  return n < 0 ? `−${text}` : text;
}

/** What the page and the report say when the ROI cannot be computed. */
export const noCostText = 'Cannot be computed: no programme spend is recorded yet, so there is no cost to divide by';

/** The method, in words, as the page and the report state it beside the figures. */
export function roiMethod(attributionPercent: number): string[] {
  return [
    'Return on investment follows the Phillips method: the programme’s monetary benefits are weighed against what it cost.',
    'Benefits are the financial value of the improvements councils recorded that the programme has verified, cashable and non-cashable alike (both are shown), ' +
      `made on or before the date. Only ${attributionPercent}% of that value is counted as the programme’s benefit (the attribution factor, a setting): councils would have made some of the improvements without it.`,
    'Cost is the actual spend recorded against the programme’s funds on or before the date (commitments not yet spent are not counted).',
    'ROI % = (benefits − cost) ÷ cost × 100; benefit-cost ratio = benefits ÷ cost. Sums are exact to the penny; the attributable benefits are rounded to the nearest penny, the ROI to one decimal place and the ratio to two (halves away from zero).',
  ];
}
