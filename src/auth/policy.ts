/**
 * The policy module: every rule about who may see or change what. Routes ask `can()` before acting and
 * pass `councilScope()` / `peopleScope()` to repositories, which turn the scope into a WHERE clause, so
 * pages, API, exports and downloads share one set of rules.
 */

export const roles = [
  'programme_admin',
  'partner_staff',
  'specialist',
  'council_sro',
  'council_lead',
  'learner',
  'funder',
] as const;
export type Role = (typeof roles)[number];

export const roleLabels: Record<Role, string> = {
  programme_admin: 'Programme admin',
  partner_staff: 'Managing partner staff',
  specialist: 'Commercial specialist',
  council_sro: 'Council SRO',
  council_lead: 'Council lead',
  learner: 'Learner',
  funder: 'Funder or observer',
};

/** Roles that only make sense for people in a council, and those only for people in a partner. */
export const councilRoles: readonly Role[] = ['council_sro', 'council_lead', 'learner'];
export const partnerRoles: readonly Role[] = ['programme_admin', 'partner_staff', 'specialist', 'funder'];

/** The signed-in person, as every policy decision sees them. */
export type Actor = {
  personId: string;
  name: string;
  email: string;
  organisationId: string;
  organisationKind: 'council' | 'partner';
  roles: readonly Role[];
};

export type Action =
  | 'council:list'
  | 'council:view'
  | 'council:edit'
  | 'council:create'
  | 'council:status'
  | 'council:override-partner'
  | 'council:assign-specialists'
  | 'council:email-domains'
  | 'person:list'
  | 'person:view'
  | 'person:invite'
  | 'person:manage'
  | 'person:edit'
  | 'person:subject-access'
  | 'person:erase'
  | 'audit:list'
  | 'dashboard:aggregate'
  | 'evaluation:read'
  | 'settings:manage'
  | 'retention:manage'
  | 'place:list'
  | 'place:allocate'
  | 'place-request:list'
  | 'place-request:create'
  | 'place-request:decide'
  | 'cohort:list'
  | 'cohort:manage'
  | 'cohort:reschedule'
  | 'enrolment:list'
  | 'enrolment:nominate'
  | 'enrolment:any-email-domain'
  | 'enrolment:any-open-period'
  | 'enrolment:decide'
  | 'enrolment:progress'
  | 'enrolment:withdraw-nomination'
  | 'enrolment:correct-nomination'
  | 'accreditation:renew'
  | 'import:nominations'
  | 'import:results'
  | 'import:any-report'
  | 'journey:own'
  | 'network:view-any'
  | 'network:manage-members'
  | 'network:manage-resources'
  | 'network:download-any'
  | 'network:manage-events'
  | 'maturity:view'
  | 'maturity:assess'
  | 'maturity:moderate'
  | 'maturity:programme'
  | 'network:moderate-discussions'
  | 'engagement:list'
  | 'engagement:manage'
  | 'engagement:work'
  | 'engagement:log-time'
  | 'engagement:sign-off'
  | 'contract:list'
  | 'contract:edit'
  | 'improvement:list'
  | 'improvement:record'
  | 'improvement:verify'
  | 'survey:manage'
  | 'survey:results'
  | 'fund:aggregate'
  | 'fund:list'
  | 'fund:manage'
  | 'report:read'
  | 'report:generate'
  | 'csf:manage';

/** Which councils a query may return. */
export type CouncilScope =
  | { kind: 'all' }
  | { kind: 'managedBy'; partnerId: string }
  | { kind: 'assignedTo'; personId: string }
  | { kind: 'own'; councilId: string }
  | { kind: 'none' };

const has = (actor: Actor, ...wanted: Role[]) => wanted.some((r) => actor.roles.includes(r));

/** Role → actions it grants (before record scope is applied). */
const grants: Record<Role, readonly Action[]> = {
  programme_admin: [
    'council:list',
    'council:view',
    'council:edit',
    'council:create',
    'council:status',
    'council:override-partner',
    'council:assign-specialists',
    // Which email domains a council's own staff may nominate and invite addresses on.
    'council:email-domains',
    'person:list',
    'person:view',
    'person:invite',
    'person:manage',
    // Correcting a person's name, job title and email address (a new address is confirmed from its mailbox).
    'person:edit',
    // UK GDPR requests (src/privacy): everything held about a person as one download, and erasure.
    'person:subject-access',
    'person:erase',
    'audit:list',
    'dashboard:aggregate',
    // The evaluation page: indicators of the programme's success, in aggregate (src/evaluation).
    'evaluation:read',
    'settings:manage',
    // The retention rules' page: what the next daily run would remove, and running it now.
    'retention:manage',
    'place:list',
    'place:allocate',
    // Requests for more places: anyone who may approve nominations may ask; only the programme team grants or refuses.
    'place-request:list',
    'place-request:create',
    'place-request:decide',
    'cohort:list',
    'cohort:manage',
    // Changing a cohort's start and end dates (never to exclude what its learners have already done).
    'cohort:reschedule',
    'enrolment:list',
    'enrolment:nominate',
    // Nominating an address outside the council's email domains, when asked for explicitly (audited).
    'enrolment:any-email-domain',
    // Nominating for any open period; a council's own staff nominate for the current period or the next only.
    'enrolment:any-open-period',
    'enrolment:decide',
    'enrolment:progress',
    // Withdrawing a nomination, or correcting its level or period, while it awaits a decision.
    'enrolment:withdraw-nomination',
    'enrolment:correct-nomination',
    // Recording a Foundation renewal: whoever records the rest of a learner's journey.
    'accreditation:renew',
    'import:nominations',
    'import:results',
    // Anyone's refused-upload report, not only their own (support: "what was wrong with the council's file?").
    'import:any-report',
    // Every network's home page, and adding or removing the people who belong to a network by hand (docs/networks.md).
    'network:view-any',
    'network:manage-members',
    // Every network's resource library: adding, editing and deleting resources, and downloading any of them.
    'network:manage-resources',
    'network:download-any',
    // Creating, changing and cancelling any network's events and recording attendance (a network's facilitators may too, for theirs).
    'network:manage-events',
    // Maturity assessments (docs/maturity.md): every council's, drafting and submitting for a council, moderating
    // a submitted one, and the programme view of all councils.
    'maturity:view',
    'maturity:assess',
    'maturity:moderate',
    'maturity:programme',
    // Reading, joining and moderating any network's discussions (hiding posts, locking threads, open reports).
    'network:moderate-discussions',
    // Transformation engagements (src/engagements): opening them, their details and status; milestones and actions too.
    'engagement:list',
    'engagement:manage',
    'engagement:work',
    // Key contracts (src/contracts): every council's, read and kept (support for a council that asks).
    'contract:list',
    'contract:edit',
    // The improvements register (src/improvements): every council's, verifying or querying them.
    'improvement:list',
    'improvement:verify',
    // Surveys (src/surveys): writing them, opening and closing them, sending them and reminders; reading the results.
    'survey:manage',
    'survey:results',
    // Funding (src/funding): funds, budget lines and spend, kept by the programme admins.
    'fund:aggregate',
    'fund:list',
    'fund:manage',
    // Quarterly funder reports (src/reports): reading the archive, and generating (archiving) a report.
    'report:read',
    'report:generate',
    // Critical success factors (src/evaluation/csfs.ts): adding, changing and deleting them and their targets.
    'csf:manage',
  ],
  partner_staff: [
    'council:list',
    'council:view',
    'council:edit',
    'council:status',
    'person:list',
    'person:view',
    'dashboard:aggregate',
    'evaluation:read',
    'place:list',
    // Asking the programme team for more places for the councils they manage, and following those requests.
    'place-request:list',
    'place-request:create',
    'cohort:list',
    'enrolment:list',
    'enrolment:any-email-domain',
    'enrolment:decide',
    'enrolment:progress',
    'enrolment:withdraw-nomination',
    'enrolment:correct-nomination',
    'accreditation:renew',
    // Programme staff see every network's home page; only the programme admins change who was added by hand.
    'network:view-any',
    // The programme's maturity figures in aggregate, and the assessments of the councils they manage, read-only.
    'maturity:programme',
    'maturity:view',
    // The engagements of the councils they manage, read-only, and their improvements.
    'engagement:list',
    'improvement:list',
    // …and those councils' key contracts, read-only.
    'contract:list',
    // Survey results (src/surveys), with the free-text answers; counts under 5 suppressed.
    'survey:results',
    // Funding (src/funding): funds, their lines and spend, read-only.
    'fund:aggregate',
    'fund:list',
    // Quarterly funder reports (src/reports), read-only: aggregates only, with the funders' disclosure rule.
    'report:read',
  ],
  // Specialists see and moderate the maturity assessments of the councils assigned to them (the scope keeps them to
  // those), and work on the engagements they are on (the record decides): time, milestones, actions. They read those
  // councils' key contracts, and verify or query their improvements.
  specialist: ['council:list', 'council:view', 'person:list', 'person:view', 'enrolment:list', 'maturity:view', 'maturity:moderate', 'engagement:list', 'engagement:work', 'engagement:log-time', 'contract:list', 'improvement:list', 'improvement:verify'],
  // A council's SRO and lead nominate their officers and follow them; approval is the managing partner's.
  // They also correct their own council's people (the scope keeps them to it), within the council's email domains,
  // and withdraw or correct their council's nominations until the managing partner decides.
  // They complete their own council's maturity assessments (baseline and follow-ups) and see its engagements; the SRO signs off their action plans.
  // They keep their own council's key contracts and KPIs (src/contracts; the scope keeps them to it), and both record
  // their council's improvements (specialists assigned to the council verify them; funders see only aggregates).
  council_sro: ['council:list', 'council:view', 'person:list', 'person:view', 'person:edit', 'place:list', 'enrolment:list', 'enrolment:nominate', 'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'import:nominations', 'maturity:view', 'maturity:assess', 'engagement:list', 'engagement:sign-off', 'contract:list', 'contract:edit', 'improvement:list', 'improvement:record'],
  council_lead: ['council:list', 'council:view', 'person:list', 'person:view', 'person:edit', 'place:list', 'enrolment:list', 'enrolment:nominate', 'enrolment:withdraw-nomination', 'enrolment:correct-nomination', 'import:nominations', 'maturity:view', 'maturity:assess', 'engagement:list', 'contract:list', 'contract:edit', 'improvement:list', 'improvement:record'],
  learner: ['journey:own'],
  // Funded places are programme money, not personal data: funders see allocations and take-up.
  // …and the programme's maturity figures in aggregate, with peer benchmarks only where 5 or more councils contribute.
  // …and survey results in aggregate (counts under 5 suppressed, never the free-text answers).
  // …and each fund's budget, committed, spent and remaining per line, without the supplier rows (src/funding).
  // …and the quarterly funder reports, as archived (aggregates only, src/reports).
  funder: ['council:list', 'dashboard:aggregate', 'evaluation:read', 'place:list', 'maturity:programme', 'survey:results', 'fund:aggregate', 'report:read'],
};

/** May the actor perform this kind of action at all? Record-level checks go through the scopes below. */
export function can(actor: Actor | null, action: Action): boolean {
  if (!actor) return false;
  return actor.roles.some((r) => grants[r].includes(action));
}

/**
 * The councils the actor may see. The widest scope among their roles wins; a funder sees the register
 * and programme status (no personal data), so for the list they get `all`, but `council:view` stays closed to them.
 */
export function councilScope(actor: Actor): CouncilScope {
  if (has(actor, 'programme_admin', 'funder')) return { kind: 'all' };
  if (has(actor, 'partner_staff') && actor.organisationKind === 'partner') return { kind: 'managedBy', partnerId: actor.organisationId };
  if (has(actor, 'specialist')) return { kind: 'assignedTo', personId: actor.personId };
  if (has(actor, 'council_sro', 'council_lead') && actor.organisationKind === 'council') return { kind: 'own', councilId: actor.organisationId };
  return { kind: 'none' };
}

/**
 * Whether the dashboard shows the actor exact counts: programme staff do; funders and observers see small counts
 * (1 to 4) as "fewer than 5", and counts a total would give them away from as "hidden" (src/dashboard/figures.ts,
 * disclosure.ts), on the page, in its downloads and from the API.
 */
export function seesExactCounts(actor: Actor): boolean {
  return has(actor, 'programme_admin', 'partner_staff');
}

/**
 * Whether refusals may tell the actor about people outside their own council (that an email has an account
 * elsewhere, whose it is): the programme team may; a council's own staff, and anyone else, may not.
 */
export function learnsOfOtherPeople(actor: Actor): boolean {
  return has(actor, 'programme_admin', 'partner_staff');
}

/** The people the actor may see: those in councils of their scope, plus (for admins) everyone. */
export type PeopleScope = { kind: 'all' } | { kind: 'inCouncils'; councils: CouncilScope } | { kind: 'self'; personId: string };

export function peopleScope(actor: Actor): PeopleScope {
  if (has(actor, 'programme_admin')) return { kind: 'all' };
  if (can(actor, 'person:list')) return { kind: 'inCouncils', councils: councilScope(actor) };
  return { kind: 'self', personId: actor.personId };
}

/** Where a person lands after signing in: the most useful page for their widest role. */
export function homePath(actor: Actor): string {
  if (has(actor, 'programme_admin', 'partner_staff', 'specialist')) return '/councils';
  if (has(actor, 'council_sro', 'council_lead') && actor.organisationKind === 'council') return `/councils/${actor.organisationId}`;
  if (has(actor, 'funder')) return '/dashboard';
  if (has(actor, 'learner')) return '/my-journey';
  return '/account';
}

/**
 * Whose learner records (enrolments, accreditations, CPD) the actor may see: those of councils in their scope if
 * they may list enrolments, otherwise only their own.
 */
export type LearnerScope = { kind: 'councils'; councils: CouncilScope } | { kind: 'self'; personId: string };

export function learnerScope(actor: Actor): LearnerScope {
  if (can(actor, 'enrolment:list')) return { kind: 'councils', councils: councilScope(actor) };
  return { kind: 'self', personId: actor.personId };
}

/**
 * Whether the actor may add to this person's CPD log: only their own, and only once they are or have been a learner
 * on the programme (an enrolment or an accreditation of their own, which the caller looks up). Staff and funders
 * keep no CPD log here, whatever their roles.
 */
export function canLogCpd(actor: Actor, log: { personId: string; hasBeenLearner: boolean }): boolean {
  return log.personId === actor.personId && log.hasBeenLearner;
}

/**
 * What the actor may do in one network, from their standing in it (src/networks reads it from the records):
 * members, facilitators and programme staff see its home page and resource library; admins and facilitators see who
 * was added by hand; only admins change that list. Members (facilitators are members) and admins download the
 * network's resources; facilitators and admins add, edit and delete them. Events (src/networks/events) are run by the
 * network's facilitators and the programme admins; members register for them. Discussions (src/networks/discussions)
 * are the members' and facilitators' own, and the programme admins': other programme staff who see the network do not
 * see them (404); facilitators and admins moderate them.
 */
export function networkAccess(actor: Actor, standing: { member: boolean; facilitator: boolean }) {
  const see = standing.member || standing.facilitator || can(actor, 'network:view-any');
  return {
    see,
    seeMembers: see && (standing.facilitator || can(actor, 'network:manage-members')),
    manage: can(actor, 'network:manage-members'),
    download: standing.member || standing.facilitator || can(actor, 'network:download-any'),
    manageResources: standing.facilitator || can(actor, 'network:manage-resources'),
    manageEvents: see && (standing.facilitator || can(actor, 'network:manage-events')),
    register: standing.member || standing.facilitator,
    discuss: standing.member || standing.facilitator || can(actor, 'network:moderate-discussions'),
    moderate: standing.facilitator || can(actor, 'network:moderate-discussions'),
  };
}

/**
 * What the actor may do on one engagement they can see (its council is in their scope; src/engagements reads
 * `onTeam` from the record): admins manage it; specialists on it log time and, with admins, keep its milestones and
 * action plan; its council's SRO signs the plan off. Everyone else who sees it reads it (403 for a change).
 */
export function engagementAccess(actor: Actor, standing: { onTeam: boolean; ownCouncil: boolean }) {
  return {
    manage: can(actor, 'engagement:manage'),
    logTime: standing.onTeam && can(actor, 'engagement:log-time'),
    work: can(actor, 'engagement:manage') || (standing.onTeam && can(actor, 'engagement:work')),
    signOff: standing.ownCouncil && can(actor, 'engagement:sign-off'),
  };
}

/**
 * What the actor may do on one improvement they can see (its council is in their scope, so a specialist's are the
 * councils assigned to them): the council's SRO and lead change it until it is verified; specialists and admins
 * verify or query it. Everyone else who sees it reads it (403 for a change).
 */
export function improvementAccess(actor: Actor, standing: { ownCouncil: boolean }) {
  return {
    edit: standing.ownCouncil && can(actor, 'improvement:record'),
    review: can(actor, 'improvement:verify'),
  };
}
