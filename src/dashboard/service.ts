import type { Db } from '../db/client.ts';
import { councilScope, roleLabels, roles, seesExactCounts, type Actor } from '../auth/policy.ts';
import { programmeStatuses, statusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, levels, periodOf, statusLabels as journeyStatusLabels, statuses as journeyStatuses, type Status } from '../enrolments/journey.ts';
import { getSetting } from '../settings/service.ts';
import { todayIso, type Clock } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { ForbiddenError } from '../web/errors.ts';
import { overdueCutoff } from '../enrolments/attention.ts';
import * as repo from './repository.ts';
import { cachedRead } from '../db/read-cache.ts';
import { Cells, disclosureRule, figureLines, suppressionThreshold, type RawTable } from './figures.ts';
import { trends } from './trends.ts';
import { breakdownTotals, engaged, groupings, groupKey, headlineBreakdowns, perCouncilFigures, type Grouping, type PerCouncil } from './headline-breakdowns.ts';

/** Whether any filter narrows the councils. */
export const isFiltered = (f: repo.DashboardFilters) => Boolean(f.region || f.type || f.managingPartner);

/** Why a funder or observer may not filter the figures (the page offers no filters to them; the API answers 403). */
export const filtersRefused =
  'Filters are for programme staff. Funders and observers see the figures for all councils in view, so that a small count hidden in one view cannot be worked out from another';

/** Councils "taking part" are those onboarding or active; the others that once took part are counted apart. */
export const takingPart: readonly ProgrammeStatus[] = ['onboarding', 'active'];

/** Enrolments "in progress": approved and on their way, neither finished nor paused (deferred). */
export const inProgress: readonly Status[] = ['approved', 'registered', 'in_learning', 'assessment_booked', 'not_passed'];

type Row = { id?: string; label: string; hint?: string; cells: string[] };

const table = (id: string, caption: string, rowHeader: string, columns: string[], rows: Row[]): RawTable => ({ id, caption, rowHeader, columns, rows });

/**
 * The learner journey in figures: enrolments by status and level (with overdue), and this period's funded places.
 * The headline figures it gives are sums of the status table's cells, and remaining = allocated − taken.
 */
async function learnerFigures(db: Db, view: repo.CouncilView, today: string, cells: Cells, perCouncil: PerCouncil) {
  const period = periodOf(today);
  const enrolments = await repo.enrolmentsByStatus(db, view, overdueCutoff(today, await getSetting(db, 'assessmentDeadlineMonths')));
  const sum = (wanted: (r: (typeof enrolments)[number]) => boolean, field: 'enrolments' | 'overdue' = 'enrolments') =>
    enrolments.filter(wanted).reduce((n, r) => n + r[field], 0);
  const key = (s: string, l: string) => `learners:${s}:${l}`;
  const byStatus = table(
    'learners-by-status',
    'Learners by journey status and level',
    'Status',
    levels.map((l) => levelLabels[l]),
    [
      ...journeyStatuses.map((s) => ({ label: journeyStatusLabels[s], cells: levels.map((l) => cells.cell(key(s, l), sum((r) => r.status === s && r.level === l))) })),
      // Overdue enrolments are some of those registered, in learning or not passed: a subset, not a part of a sum.
      { label: 'Overdue: assessment past its deadline', cells: levels.map((l) => cells.cell(key('overdue', l), sum((r) => r.level === l, 'overdue'))) },
    ],
  );
  const headline = (name: string, statuses: readonly Status[], n: number) => {
    cells.sum(statuses.flatMap((s) => levels.map((l) => key(s, l))), cells.cell(`headline:${name}`, n));
    return `headline:${name}`;
  };
  const places = await repo.placesByLevel(db, view, period);
  const placesTable = table(
    'funded-places',
    `Funded places in ${period}`,
    'Level',
    ['Allocated', 'Taken', 'Released', 'Remaining'],
    levels.map((l) => {
      const { places: allocated, taken, released } = places.find((p) => p.level === l) ?? { places: 0, taken: 0, released: 0 };
      const [a, t, r, left] = (['allocated', 'taken', 'released', 'remaining'] as const).map((m, i) => cells.cell(`places:${l}:${m}`, [allocated, taken, released, allocated - taken][i]));
      cells.sum([t, left], a);
      return { label: levelLabels[l], cells: [a, t, r, left] };
    }),
  );
  // Each accreditation is of one enrolment, which it leaves accredited: a reader may take the two as equal.
  const awarded = perCouncil.accreditations;
  const accreditations = headline('accreditations', ['accredited'], awarded.reduce((n, a) => n + a.n, 0));
  const awardedKey = (l: string) => cells.cell(`accreditations:${l}`, awarded.filter((a) => a.level === l).reduce((n, a) => n + a.n, 0));
  cells.sum(levels.map(awardedKey), accreditations);
  const byLevel = table(
    'accreditations-by-level',
    'Accreditations awarded by level, since the programme began',
    'Level',
    ['Accreditations'],
    levels.map((l) => ({ label: levelLabels[l], cells: [awardedKey(l)] })),
  );
  // Every enrolment is in one cohort or none, so each column adds up to a figure of the status table.
  const cohorts = await repo.enrolmentsByCohort(db, view);
  const cohortRows = cohorts.map((c, i) => ({
    label: c.cohort ? `${c.cohort} (${levelLabels[c.level as keyof typeof levelLabels] ?? c.level})` : 'Not yet in a cohort',
    cells: [cells.cell(`cohort:${i}:enrolments`, c.enrolments), cells.cell(`cohort:${i}:accredited`, c.accredited)],
  }));
  cells.sum(cohortRows.map((r) => r.cells[0]), sum(() => true));
  cells.sum(cohortRows.map((r) => r.cells[1]), cells.cell('learners:accredited:all', sum((r) => r.status === 'accredited')));
  cells.sum(levels.map((l) => key('accredited', l)), 'learners:accredited:all');
  const byCohort = table('learners-by-cohort', 'Learner enrolments by cohort', 'Cohort', ['Enrolments', 'Accredited'], cohortRows);
  return {
    tables: [byStatus, byLevel, byCohort, placesTable],
    enrolmentsInProgress: headline('inProgress', inProgress, sum((r) => inProgress.includes(r.status as Status))),
    awaitingDecision: headline('awaiting', ['nominated'], sum((r) => r.status === 'nominated')),
    accreditations,
    // Practitioner is the level the programme funds: the "full accreditation" its results are quoted in.
    practitionerAccreditations: awardedKey('practitioner'),
    learnersStarted: cells.cell(breakdownTotals.learnersStarted, perCouncil.learnersStarted.reduce((n, r) => n + r.n, 0)),
  };
}

/**
 * Councils by status, by managing partner, by region and by council type. Their sums tie them together: the statuses add up to every
 * council in view (a number anyone can count in the councils list), each column of the partner and region tables adds
 * up to a status count or "taking part" (onboarding + active).
 */
async function councilFigures(db: Db, view: repo.CouncilView, cells: Cells) {
  const status = await repo.councilsByStatus(db, view);
  const councils = (wanted: readonly ProgrammeStatus[]) => status.filter((r) => wanted.includes(r.status as ProgrammeStatus)).reduce((n, r) => n + r.councils, 0);
  const statusKey = (s: ProgrammeStatus) => cells.cell(`status:${s}`, councils([s]));
  const all = councils(programmeStatuses);
  cells.sum(programmeStatuses.map(statusKey), all);
  const takingPartKey = cells.cell('headline:takingPart', councils(takingPart));
  cells.sum(takingPart.map(statusKey), takingPartKey);
  const engagedKey = cells.cell(breakdownTotals.engaged, councils(engaged));
  cells.sum(engaged.map(statusKey), engagedKey);
  const byStatus = table(
    'councils-by-status',
    'Councils by programme status',
    'Status',
    ['Councils'],
    programmeStatuses
      // Councils a partner manages have all engaged, so a "not engaged: 0" row would only be noise.
      .filter((s) => s !== 'not_engaged' || councils([s]) > 0)
      .map((s) => ({ label: statusLabels[s], cells: [statusKey(s)] })),
  );
  /**
   * Rows of councils by some grouping; `sums` says what each column (`measure`) adds up to: its parts, with
   * `alsoParts` (engaged councils and those not engaged make every council), equal `total`. A cell's key names its
   * group and measure (groupKey), so a count shown again in the headline figures' breakdowns is the same cell.
   */
  const grouped = (name: Grouping, rows: { label: string; counts: number[] }[], sums: { measure: string; alsoParts?: string[]; total: string | number }[]) => {
    const keyed = rows.map((r) => ({ label: r.label, cells: r.counts.map((n, c) => cells.cell(groupKey(name, r.label, sums[c].measure), n)) }));
    sums.forEach(({ alsoParts = [], total }, c) => cells.sum([...keyed.map((r) => r.cells[c]), ...alsoParts], total));
    return keyed;
  };
  const partners = await repo.councilsByPartner(db, view, engaged, takingPart);
  const byPartner = table(
    'councils-by-partner',
    'Councils by managing partner (councils that have engaged with the programme)',
    'Managing partner',
    ['Engaged', 'Taking part', 'Active'],
    grouped('partner', partners.map((r) => ({ label: r.partner ?? groupings.partner.none, counts: [r.councils, r.takingPart, r.active] })), [
      { measure: 'engaged', alsoParts: [statusKey('not_engaged')], total: all },
      { measure: 'takingPart', total: takingPartKey },
      { measure: 'active', total: statusKey('active') },
    ]),
  );
  const regions = await repo.councilsByRegion(db, view, takingPart);
  const byRegion = table(
    'councils-by-region',
    'Councils by region',
    'Region',
    ['Councils', 'Taking part', 'Active'],
    grouped('region', regions.map((r) => ({ label: r.region ?? groupings.region.none, counts: [r.councils, r.takingPart, r.active] })), [
      { measure: 'councils', total: all },
      { measure: 'takingPart', total: takingPartKey },
      { measure: 'active', total: statusKey('active') },
    ]),
  );
  const types = await repo.councilsByType(db, view, takingPart);
  const byType = table(
    'councils-by-type',
    'Councils by council type',
    'Council type',
    ['Councils', 'Taking part', 'Active'],
    grouped('type', types.map((r) => ({ label: r.type ?? groupings.type.none, counts: [r.councils, r.takingPart, r.active] })), [
      { measure: 'councils', total: all },
      { measure: 'takingPart', total: takingPartKey },
      { measure: 'active', total: statusKey('active') },
    ]),
  );
  return { statusKey, takingPartKey, engagedKey, tables: [byStatus, byPartner, byRegion, byType] };
}

/** People by role: active, and invited but not yet signed in. A person may hold several roles, so no sum ties the rows. */
async function peopleFigures(db: Db, view: repo.CouncilView, cells: Cells) {
  const people = await repo.peopleByRole(db, view);
  return table(
    'people-by-role',
    'People by role',
    'Role',
    ['Active', 'Invited, not yet signed in'],
    roles.map((r) => {
      const row = people.find((p) => p.role === r);
      return { label: roleLabels[r], cells: [cells.cell(`people:${r}:active`, row?.active ?? 0), cells.cell(`people:${r}:invited`, row?.invited ?? 0)] };
    }),
  );
}

/**
 * The programme in figures for the actor's councils, as at today: counts only, never names, so funders see no
 * personal data, and for those who may not see them exactly small counts hidden, with the counts that would give
 * them away (src/dashboard/disclosure.ts). Every status and role is listed, with 0 where there are none, so tables
 * keep their shape.
 *
 * `filters` narrow the councils counted, for those who see exact counts only (`filtersAllowed`): a funder comparing
 * the figures of two filtered views could work out by difference a small count each view hides.
 */
export async function programmeFigures(db: Db, actor: Actor, clock: Clock, filters: repo.DashboardFilters = {}) {
  const today = todayIso(clock);
  const suppress = !seesExactCounts(actor);
  if (suppress && isFiltered(filters)) throw new ForbiddenError(filtersRefused);
  const view: repo.CouncilView = { scope: councilScope(actor), filters };
  // About twenty aggregate queries over every enrolment and accreditation, the same for everyone with this scope,
  // filters and disclosure: kept between changes (db/read-cache.ts), with all three in the key.
  return cachedRead(db, `dashboard:${JSON.stringify([view, suppress, today])}`, () => figuresFor(db, view, today, suppress));
}

async function figuresFor(db: Db, view: repo.CouncilView, today: string, suppress: boolean) {
  const { filters } = view;
  const cells = new Cells();
  const perCouncil = await perCouncilFigures(db, view, today);
  const councils = await councilFigures(db, view, cells);
  const learners = await learnerFigures(db, view, today, cells, perCouncil);
  const people = await peopleFigures(db, view, cells);
  const maturity = (field: 'measured' | 'improved') => perCouncil.maturity.reduce((n, m) => n + m[field], 0);
  const measuredKey = cells.cell(breakdownTotals.measured, maturity('measured'));
  const improvedKey = cells.cell(breakdownTotals.improved, maturity('improved'));
  const byGroup = headlineBreakdowns(perCouncil, cells);
  const notTakingPart = 'Not counted as taking part';
  const headlineTable = table('headline', 'Headline figures', 'Figure', ['Count'], [
    { id: 'councilsTakingPart', label: 'Councils taking part', hint: 'Councils onboarding or active', cells: [councils.takingPartKey] },
    {
      id: 'councilsEngaged',
      label: 'Councils engaged',
      hint: 'Councils that have engaged with the programme: every status but not engaged, so those that completed, withdrew or were declined too',
      cells: [councils.engagedKey],
    },
    { id: 'councilsCompleted', label: 'Councils that completed the programme', hint: notTakingPart, cells: [councils.statusKey('completed')] },
    { id: 'councilsWithdrawn', label: 'Councils that withdrew', hint: notTakingPart, cells: [councils.statusKey('withdrawn')] },
    { id: 'councilsDeclined', label: 'Councils declined', hint: `Declined at eligibility review. ${notTakingPart}`, cells: [councils.statusKey('declined')] },
    {
      id: 'enrolmentsInProgress',
      label: 'Learner enrolments in progress',
      hint: 'Approved and working towards accreditation, not deferred. A learner on two levels counts twice',
      cells: [learners.enrolmentsInProgress],
    },
    { id: 'nominationsAwaitingDecision', label: 'Nominations awaiting a decision', cells: [learners.awaitingDecision] },
    { id: 'accreditationsAwarded', label: 'Accreditations awarded', hint: 'Since the programme began, at every level', cells: [learners.accreditations] },
    {
      id: 'practitionerAccreditations',
      label: 'Practitioner accreditations (full accreditation)',
      hint: 'The level the programme funds, since the programme began',
      cells: [learners.practitionerAccreditations],
    },
    { id: 'learnersStarted', label: 'Learners who have started', hint: 'People registered with the training provider for at least one level', cells: [learners.learnersStarted] },
    {
      id: 'councilsMeasured',
      label: 'Councils with a follow-up maturity assessment',
      hint: 'A submitted baseline and at least one submitted follow-up',
      cells: [measuredKey],
    },
    {
      id: 'councilsImproved',
      label: 'Councils whose contract management maturity improved',
      hint: 'By at least one level in at least one area since their baseline, of the councils with a follow-up assessment',
      cells: [improvedKey],
    },
  ]);
  const [headline, ...breakdowns] = cells.resolve([headlineTable, ...byGroup, ...councils.tables, ...learners.tables, people], suppress);
  // The months of a trend are tied by no sum shown on the page (the headline figures run from the programme's start).
  const monthly = await trends(db, view, today, suppress);
  return {
    asAt: today,
    asAtText: formatDate(today),
    suppress,
    threshold: suppressionThreshold,
    disclosureRule,
    wholeProgramme: view.scope.kind === 'all',
    filters,
    filtered: isFiltered(filters),
    headline,
    trends: monthly,
    breakdowns,
    lines: figureLines([headline, ...monthly.map((t) => t.table), ...breakdowns], today),
  };
}
