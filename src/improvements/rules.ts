/**
 * The rules of the improvements register (issue 12, item 5) that need no database: the kinds of improvement, the
 * review's statuses and moves, and money as whole pence (entered in pounds with at most 2 decimal places).
 */

export const improvementTypes = [
  'contract_register',
  'management_plans',
  'kpis',
  'savings',
  'cost_avoidance',
  'risk_mitigated',
  'supplier_performance',
  'other',
] as const;
export type ImprovementType = (typeof improvementTypes)[number];
export const improvementTypeLabels: Record<ImprovementType, string> = {
  contract_register: 'Contract register created',
  management_plans: 'Contract management plans adopted',
  kpis: 'KPIs introduced',
  savings: 'Savings',
  cost_avoidance: 'Cost avoidance',
  risk_mitigated: 'Risk mitigated',
  supplier_performance: 'Supplier performance improved',
  other: 'Other',
};

export const improvementStatuses = ['submitted', 'verified', 'queried'] as const;
export type ImprovementStatus = (typeof improvementStatuses)[number];
export const improvementStatusLabels: Record<ImprovementStatus, string> = { submitted: 'Submitted', verified: 'Verified', queried: 'Queried' };
export const improvementStatusTagClass: Record<ImprovementStatus, string> = {
  submitted: 'govuk-tag--blue',
  verified: 'govuk-tag--green',
  queried: 'govuk-tag--orange',
};

export const reviewDecisions = ['verified', 'queried'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];

/** A reviewer decides on a submitted improvement only; a queried one waits for the council to change and resubmit it. */
export const mayReview = (status: ImprovementStatus) => status === 'submitted';
/** The council changes its improvement until it is verified; changing a queried one resubmits it. */
export const mayEdit = (status: ImprovementStatus) => status !== 'verified';

/** The largest value the register takes: £100 million (an entry above it is a typo, not a council's saving). */
export const maxValuePence = 100_000_000 * 100;

/**
 * Pounds as typed ("1,234.5", "£20") as whole pence, or a GOV.UK message saying what is wrong. Commas and a leading
 * £ are allowed as people write money; a minus sign, letters or a third decimal place are not. Integer arithmetic on
 * the digits, so no float is ever stored or summed.
 */
export function parsePounds(raw: string, label: string): { pence: number } | { error: string } {
  const t = raw.trim().replace(/^£/, '').replace(/,/g, '');
  if (/^-/.test(t)) return { error: `${label} must be £0.01 or more` };
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) return { error: `${label} must be an amount of money, like 1250 or 1250.50` };
  const [whole, fraction = ''] = t.split('.');
  if (fraction.length > 2) return { error: `${label} must have no more than 2 decimal places` };
  if (whole.length > 12) return { error: `${label} must be £${formatPence(maxValuePence)} or less` };
  const pence = Number(whole || '0') * 100 + Number(fraction.padEnd(2, '0'));
  if (pence < 1) return { error: `${label} must be £0.01 or more` };
  if (pence > maxValuePence) return { error: `${label} must be £${formatPence(maxValuePence)} or less` };
  return { pence };
}

const poundsFormat = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** Pence as pounds with separators and pence, without the sign: 123456 → "1,234.56". */
export const formatPence = (pence: number) => poundsFormat.format(pence / 100);
/** Pence as the pages show money: "£1,234.56". */
export const money = (pence: number | null | undefined) => (pence === null || pence === undefined ? '' : `£${formatPence(pence)}`);
/** Pence as the box shows them again: 123450 → "1234.50". */
export const poundsText = (pence: number | null | undefined) => (pence === null || pence === undefined ? '' : (pence / 100).toFixed(2));
