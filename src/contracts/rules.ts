/**
 * The rules of key contracts that need no database: tiers, KPI ratings, money in pence, and the two flags computed
 * from a contract and today's date (never stored, so they are right on the day they are read).
 */
import { addMonths } from '../enrolments/journey.ts';

/**
 * The two thresholds the flags turn on, from Settings (src/settings: `procurementActThresholdPounds`,
 * `reprocurementWindowMonths`; read with `contractThresholds`).
 *
 * Procurement Act 2023, section 52: before entering into a public contract with an estimated value of more than
 * £5 million (the default) a contracting authority sets at least three KPIs, publishes them, and assesses performance
 * against them at least once in every 12 months (publishing the assessment). Value in pence; "more than", so a
 * contract worth exactly the threshold is not flagged.
 *
 * Contracts ending within `reprocurementWindowMonths` (default 18, issue 12: about the time a re-procurement of a key
 * contract takes from options appraisal to award) are flagged to plan their re-procurement.
 */
export type ContractThresholds = { procurementActThresholdPence: number; reprocurementWindowMonths: number };
/** Procurement Act 2023 s.52(1): at least three KPIs for a contract over the threshold. */
export const procurementActMinimumKpis = 3;
/** Procurement Act 2023 s.52(4): performance assessed against the KPIs at least once in every period of 12 months. */
export const assessmentIntervalMonths = 12;

export const tiers = ['gold', 'silver', 'bronze'] as const;
export type Tier = (typeof tiers)[number];
export const tierLabels: Record<Tier, string> = { gold: 'Gold', silver: 'Silver', bronze: 'Bronze' };
export const tierHints: Record<Tier, string> = {
  gold: 'Critical to the council’s services or of high value and risk',
  silver: 'Important, with moderate value and risk',
  bronze: 'Routine, with low value and risk',
};
export const tierTagClass: Record<Tier, string> = { gold: 'govuk-tag--yellow', silver: 'govuk-tag--grey', bronze: 'govuk-tag--orange' };

/** The ratings of a KPI assessment, as the Procurement Act 2023 contract performance notices use them. */
export const ratings = ['good', 'approaching', 'requires_improvement', 'inadequate'] as const;
export type Rating = (typeof ratings)[number];
export const ratingLabels: Record<Rating, string> = {
  good: 'Good',
  approaching: 'Approaching target',
  requires_improvement: 'Requires improvement',
  inadequate: 'Inadequate',
};
export const ratingTagClass: Record<Rating, string> = {
  good: 'govuk-tag--green',
  approaching: 'govuk-tag--yellow',
  requires_improvement: 'govuk-tag--orange',
  inadequate: 'govuk-tag--red',
};

/** The list's flag filter. */
export const flagKeys = ['procurement-act', 'assessment-overdue', 'reprocure'] as const;
export type FlagKey = (typeof flagKeys)[number];
export const flagLabels: Record<FlagKey, string> = {
  'procurement-act': 'Procurement Act 2023 duties',
  'assessment-overdue': 'KPI assessment overdue',
  reprocure: 'Plan re-procurement',
};

/** Pence as pounds for a form or a download: 125000050 → "1250000.50", 500 → "5", -150 → "-1.50". */
export function poundsText(pence: number): string {
  const sign = pence < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(pence) / 100);
  const rest = Math.abs(pence) % 100;
  return `${sign}${whole}${rest ? `.${String(rest).padStart(2, '0')}` : ''}`;
}

/**
 * Pence as the pages show money: "£1,250,000.50", "£5,000,000", and an overspent line's remainder with a minus sign
 * (U+2212, as typeset, not a hyphen): "−£1,250.50".
 */
export function moneyText(pence: number): string {
  const sign = pence < 0 ? '−' : '';
  const whole = Math.floor(Math.abs(pence) / 100).toLocaleString('en-GB');
  const rest = Math.abs(pence) % 100;
  return `${sign}£${whole}${rest ? `.${String(rest).padStart(2, '0')}` : ''}`;
}

/** The dates the flags turn on for a given day: the list's filters and a contract's page use the same ones. */
export function flagDates(today: string, thresholds: ContractThresholds) {
  return {
    /** A contract ending on or before this day (and not before today) is flagged for re-procurement. */
    reprocureBy: addMonths(today, thresholds.reprocurementWindowMonths),
    /** A latest assessment before this day is more than 12 months old: the next one is overdue. */
    assessedSince: addMonths(today, -assessmentIntervalMonths),
  };
}

export type ContractFlags = {
  procurementAct: boolean;
  /** For a contract over the threshold: when the next KPI assessment is due (null: none yet, so due now). */
  nextAssessmentDue: string | null;
  assessmentOverdue: boolean;
  tooFewKpis: boolean;
  reprocure: boolean;
  ended: boolean;
};

/** The flags of one contract on `today`, from its value, end date and its KPIs' latest assessment date. */
export function contractFlags(
  c: { totalValuePence: number; endDate: string; kpiCount: number; latestAssessedOn: string | null },
  today: string,
  thresholds: ContractThresholds,
): ContractFlags {
  const procurementAct = c.totalValuePence > thresholds.procurementActThresholdPence;
  const nextAssessmentDue = procurementAct && c.latestAssessedOn ? addMonths(c.latestAssessedOn, assessmentIntervalMonths) : null;
  return {
    procurementAct,
    nextAssessmentDue,
    assessmentOverdue: procurementAct && (nextAssessmentDue === null || nextAssessmentDue < today),
    tooFewKpis: procurementAct && c.kpiCount < procurementActMinimumKpis,
    reprocure: c.endDate >= today && c.endDate <= flagDates(today, thresholds).reprocureBy,
    ended: c.endDate < today,
  };
}
