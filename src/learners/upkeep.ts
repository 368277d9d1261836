/**
 * Keeping an accreditation: whether it is current, due soon or lapsed is computed from dates and CPD hours, never
 * stored by hand. Foundation holders re-accredit every N years; Practitioner and Expert holders log M hours of CPD in
 * each accreditation year (a year runs from the award's anniversary). Pure, so it is unit-tested with exact dates.
 */
import { addDays, addMonths, type Level } from '../enrolments/journey.ts';

export type UpkeepRules = {
  /** Years after which a Foundation accreditation must be renewed. */
  foundationRenewalYears: number;
  /** CPD hours a Practitioner or Expert holder needs in each accreditation year. */
  cpdHoursPerYear: number;
  /** How many days before a deadline the status turns to "due soon". */
  dueSoonDays: number;
};

export const upkeepStatuses = ['current', 'due_soon', 'lapsed'] as const;
export type UpkeepStatus = (typeof upkeepStatuses)[number];
export const upkeepLabels: Record<UpkeepStatus, string> = { current: 'Current', due_soon: 'Due soon', lapsed: 'Lapsed' };
export const upkeepTagClass: Record<UpkeepStatus, string> = { current: 'govuk-tag--green', due_soon: 'govuk-tag--yellow', lapsed: 'govuk-tag--red' };

export type Upkeep = {
  status: UpkeepStatus;
  /** The next deadline: renewal (Foundation) or the end of the current accreditation year. */
  dueOn: string;
  /** CPD hours logged in the current accreditation year, and the hours the year needs (0 for Foundation). */
  hoursThisYear: number;
  hoursNeeded: number;
};

type Accreditation = { level: Level; awardedOn: string; renewedOn?: string | null };
type CpdEntry = { activityDate: string; hours: number };

const sumHours = (cpd: readonly CpdEntry[], from: string, toExclusive: string) =>
  cpd.filter((c) => c.activityDate >= from && c.activityDate < toExclusive).reduce((total, c) => total + c.hours, 0);

/** The accreditation year that `today` falls in: from an anniversary of the award to the next (exclusive). */
export function accreditationYear(awardedOn: string, today: string): { from: string; toExclusive: string; yearsDone: number } {
  let yearsDone = 0;
  while (addMonths(awardedOn, 12 * (yearsDone + 1)) <= today) yearsDone++;
  return { from: addMonths(awardedOn, 12 * yearsDone), toExclusive: addMonths(awardedOn, 12 * (yearsDone + 1)), yearsDone };
}

/** When a Foundation accreditation must be renewed: N years after its award or its last renewal (the reminders use it too). */
export const foundationRenewalDue = (accreditation: Omit<Accreditation, 'level'>, rules: Pick<UpkeepRules, 'foundationRenewalYears'>) =>
  addMonths(accreditation.renewedOn ?? accreditation.awardedOn, 12 * rules.foundationRenewalYears);

export function upkeepOf(accreditation: Accreditation, cpd: readonly CpdEntry[], rules: UpkeepRules, today: string): Upkeep {
  if (accreditation.level === 'foundation') {
    const dueOn = foundationRenewalDue(accreditation, rules);
    const status: UpkeepStatus = today > dueOn ? 'lapsed' : today >= addDays(dueOn, -rules.dueSoonDays) ? 'due_soon' : 'current';
    return { status, dueOn, hoursThisYear: 0, hoursNeeded: 0 };
  }
  const { from: yearStart, toExclusive: dueOn, yearsDone } = accreditationYear(accreditation.awardedOn, today);
  const hoursThisYear = sumHours(cpd, yearStart, dueOn);
  const lastYearShort = yearsDone > 0 && sumHours(cpd, addMonths(accreditation.awardedOn, 12 * (yearsDone - 1)), yearStart) < rules.cpdHoursPerYear;
  const status: UpkeepStatus = lastYearShort
    ? 'lapsed'
    : hoursThisYear < rules.cpdHoursPerYear && today >= addDays(dueOn, -rules.dueSoonDays)
      ? 'due_soon'
      : 'current';
  return { status, dueOn, hoursThisYear, hoursNeeded: rules.cpdHoursPerYear };
}

/**
 * The CPD year a learner's log is measured against, with the hours logged in it: the current accreditation year of
 * their latest Practitioner or Expert accreditation (`accredited`), or, before they hold one, the 12 months to today.
 */
export function cpdYearOf(
  accreditations: readonly Accreditation[],
  cpd: readonly CpdEntry[],
  rules: UpkeepRules,
  today: string,
): { from: string; toExclusive: string; hours: number; needed: number; accredited: boolean } {
  const kept = accreditations.filter((a) => a.level !== 'foundation').sort((a, b) => a.awardedOn.localeCompare(b.awardedOn));
  const latest = kept[kept.length - 1];
  const year = latest ? accreditationYear(latest.awardedOn, today) : { from: addDays(addMonths(today, -12), 1), toExclusive: addDays(today, 1) };
  return { from: year.from, toExclusive: year.toExclusive, hours: sumHours(cpd, year.from, year.toExclusive), needed: rules.cpdHoursPerYear, accredited: Boolean(latest) };
}
