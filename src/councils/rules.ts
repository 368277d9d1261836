/** The rules of a council's participation, free of I/O so they can be unit-tested exhaustively. */

export const programmeStatuses = [
  'not_engaged',
  'interested',
  'eligibility_review',
  'onboarding',
  'active',
  'completed',
  'withdrawn',
  'declined',
] as const;
export type ProgrammeStatus = (typeof programmeStatuses)[number];

export const statusLabels: Record<ProgrammeStatus, string> = {
  not_engaged: 'Not engaged',
  interested: 'Interested',
  eligibility_review: 'Eligibility review',
  onboarding: 'Onboarding',
  active: 'Active',
  completed: 'Completed',
  withdrawn: 'Withdrawn',
  declined: 'Declined',
};

/** GOV.UK tag colour per status. */
export const statusTagClass: Record<ProgrammeStatus, string> = {
  not_engaged: 'govuk-tag--grey',
  interested: 'govuk-tag--light-blue',
  eligibility_review: 'govuk-tag--purple',
  onboarding: 'govuk-tag--yellow',
  active: 'govuk-tag--green',
  completed: 'govuk-tag--blue',
  withdrawn: 'govuk-tag--orange',
  declined: 'govuk-tag--red',
};

/**
 * Allowed moves. The main line is interested → eligibility review → onboarding → active → completed;
 * a council may withdraw from any live stage, may be declined at eligibility review, and may come back
 * (withdrawn / declined → interested) to try again.
 */
const transitions: Record<ProgrammeStatus, readonly ProgrammeStatus[]> = {
  not_engaged: ['interested'],
  interested: ['eligibility_review', 'withdrawn'],
  eligibility_review: ['onboarding', 'declined', 'withdrawn'],
  onboarding: ['active', 'withdrawn'],
  active: ['completed', 'withdrawn'],
  completed: [],
  withdrawn: ['interested'],
  declined: ['interested'],
};

/** The usual statuses a council passes through to reach each status: how demo and benchmark data build history. */
export const usualPathTo: Record<ProgrammeStatus, readonly ProgrammeStatus[]> = {
  not_engaged: [],
  interested: ['interested'],
  eligibility_review: ['interested', 'eligibility_review'],
  declined: ['interested', 'eligibility_review', 'declined'],
  onboarding: ['interested', 'eligibility_review', 'onboarding'],
  active: ['interested', 'eligibility_review', 'onboarding', 'active'],
  completed: ['interested', 'eligibility_review', 'onboarding', 'active', 'completed'],
  withdrawn: ['interested', 'eligibility_review', 'onboarding', 'withdrawn'],
};

/** Moves that must carry a reason. */
export const reasonRequired: ReadonlySet<ProgrammeStatus> = new Set(['withdrawn', 'declined']);

export function allowedMoves(from: ProgrammeStatus): readonly ProgrammeStatus[] {
  return transitions[from];
}

/**
 * Why a move is refused, or null when it is allowed. `input` problems are the user's to fix in the form
 * (a missing reason); `state` problems clash with where the council is (an illegal move, no onboarding date).
 */
export type MoveProblem = { kind: 'input' | 'state'; field: 'status' | 'reason'; message: string };

export function moveProblem(from: ProgrammeStatus, to: ProgrammeStatus, reason?: string | null, onboardingDate?: string | null): MoveProblem | null {
  if (!transitions[from].includes(to)) {
    const options = transitions[from].map((s) => statusLabels[s].toLowerCase());
    const message = `A council cannot move from ${statusLabels[from].toLowerCase()} to ${statusLabels[to].toLowerCase()}.` +
      (options.length ? ` From ${statusLabels[from].toLowerCase()} it can move to ${options.join(' or ')}.` : ' It is at the end of the programme.');
    return { kind: 'state', field: 'status', message };
  }
  if (reasonRequired.has(to) && !reason?.trim()) return { kind: 'input', field: 'reason', message: `Enter the reason the council is ${statusLabels[to].toLowerCase()}` };
  if (to === 'active' && !onboardingDate) return { kind: 'state', field: 'status', message: 'Record the onboarding date before making the council active' };
  return null;
}

/**
 * Which partner manages a council, by its onboarding date: before the cut-over (1 July 2023 by default,
 * a setting) it stays with DLUHC/MHCLG; from then on, Local Partnerships.
 */
export function managingPartnerCodeFor(onboardingDate: string, cutover: string, before: string, after: string): string {
  return onboardingDate < cutover ? before : after;
}

/** The domain of an email address, in lower case. */
export const emailDomain = (email: string) => email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();

/**
 * Whether an address is on one of a council's email domains. Only the exact domain matches: a subdomain
 * (schools.westshire.gov.uk) must be listed itself, so listing a council's domain never lets in its neighbours'.
 */
export const onEmailDomains = (email: string, domains: readonly string[]) => domains.includes(emailDomain(email));

/** The programme launched in November 2021: no programme date can be earlier. */
export const programmeStartDate = '2021-11-01';

/** Council types in the register's English universe (code → name), for filters and new councils. */
export const councilTypes = {
  CTY: 'County',
  UA: 'Unitary authority',
  MD: 'Metropolitan district',
  NMD: 'Non-metropolitan district',
  LBO: 'London borough',
  CC: 'City corporation',
} as const;
export type CouncilType = keyof typeof councilTypes;

export const englishRegions = [
  'East Midlands',
  'East of England',
  'London',
  'North East',
  'North West',
  'South East',
  'South West',
  'West Midlands',
  'Yorkshire and The Humber',
] as const;
