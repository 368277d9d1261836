import type { Db } from '../db/client.ts';
import { councilScope, roleLabels, roles, seesExactCounts, type Actor, type CouncilScope } from '../auth/policy.ts';
import { programmeStatuses, statusLabels, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, levels, periodOf, statusLabels as journeyStatusLabels, statuses as journeyStatuses, type Status } from '../enrolments/journey.ts';
import { getSetting } from '../settings/service.ts';
import { todayIso, type Clock } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { overdueCutoff } from '../enrolments/attention.ts';
import * as repo from './repository.ts';
import { count as countOf, figureLines, suppressionThreshold, type Count, type FigureTable } from './figures.ts';
import { trends } from './trends.ts';

/** Councils "taking part" are those onboarding or active; the others that once took part are counted apart. */
export const takingPart: readonly ProgrammeStatus[] = ['onboarding', 'active'];

/** Enrolments "in progress": approved and on their way, neither finished nor paused (deferred). */
export const inProgress: readonly Status[] = ['approved', 'registered', 'in_learning', 'assessment_booked', 'not_passed'];

type Counter = (n: number) => Count;
type Row = { label: string; hint?: string; counts: Count[] };

const table = (id: string, caption: string, rowHeader: string, columns: string[], rows: Row[]): FigureTable => ({ id, caption, rowHeader, columns, rows });

/** The learner journey in figures: enrolments by status and level (with overdue), and this period's funded places. */
async function learnerFigures(db: Db, scope: CouncilScope, today: string, count: Counter) {
  const period = periodOf(today);
  const enrolments = await repo.enrolmentsByStatus(db, scope, overdueCutoff(today, await getSetting(db, 'assessmentDeadlineMonths')));
  const sum = (wanted: (r: (typeof enrolments)[number]) => boolean, field: 'enrolments' | 'overdue' = 'enrolments') =>
    enrolments.filter(wanted).reduce((n, r) => n + r[field], 0);
  const places = await repo.placesByLevel(db, scope, period);
  const byStatus = table(
    'learners-by-status',
    'Learners by journey status and level',
    'Status',
    levels.map((l) => levelLabels[l]),
    [
      ...journeyStatuses.map((s) => ({ label: journeyStatusLabels[s], counts: levels.map((l) => count(sum((r) => r.status === s && r.level === l))) })),
      { label: 'Overdue: assessment past its deadline', counts: levels.map((l) => count(sum((r) => r.level === l, 'overdue'))) },
    ],
  );
  const placesTable = table(
    'funded-places',
    `Funded places in ${period}`,
    'Level',
    ['Allocated', 'Taken', 'Released', 'Remaining'],
    levels.map((l) => {
      const { places: allocated, taken, released } = places.find((p) => p.level === l) ?? { places: 0, taken: 0, released: 0 };
      return { label: levelLabels[l], counts: [allocated, taken, released, allocated - taken].map(count) };
    }),
  );
  return {
    tables: [byStatus, placesTable],
    enrolmentsInProgress: sum((r) => inProgress.includes(r.status as Status)),
    awaitingDecision: sum((r) => r.status === 'nominated'),
  };
}

/** Councils by status, by managing partner and by region. */
async function councilFigures(db: Db, scope: CouncilScope, count: Counter) {
  const status = await repo.councilsByStatus(db, scope);
  const councils = (wanted: readonly ProgrammeStatus[]) => status.filter((r) => wanted.includes(r.status as ProgrammeStatus)).reduce((n, r) => n + r.councils, 0);
  const byStatus = table(
    'councils-by-status',
    'Councils by programme status',
    'Status',
    ['Councils'],
    programmeStatuses
      // Councils a partner manages have all engaged, so a "not engaged: 0" row would only be noise.
      .filter((s) => s !== 'not_engaged' || councils([s]) > 0)
      .map((s) => ({ label: statusLabels[s], counts: [count(councils([s]))] })),
  );
  const byPartner = table(
    'councils-by-partner',
    'Councils by managing partner (councils that have engaged with the programme)',
    'Managing partner',
    ['Engaged', 'Taking part', 'Active'],
    (await repo.councilsByPartner(db, scope, takingPart)).map((r) => ({
      label: r.partner ?? 'Not yet assigned',
      counts: [count(r.councils), count(r.takingPart), count(r.active)],
    })),
  );
  const byRegion = table(
    'councils-by-region',
    'Councils by region',
    'Region',
    ['Councils', 'Taking part', 'Active'],
    (await repo.councilsByRegion(db, scope, takingPart)).map((r) => ({
      label: r.region ?? 'Unknown',
      counts: [count(r.councils), count(r.takingPart), count(r.active)],
    })),
  );
  return { councils, tables: [byStatus, byPartner, byRegion] };
}

/** People by role: active, and invited but not yet signed in. */
async function peopleFigures(db: Db, scope: CouncilScope, count: Counter) {
  const people = await repo.peopleByRole(db, scope);
  return table(
    'people-by-role',
    'People by role',
    'Role',
    ['Active', 'Invited, not yet signed in'],
    roles.map((r) => {
      const row = people.find((p) => p.role === r);
      return { label: roleLabels[r], counts: [count(row?.active ?? 0), count(row?.invited ?? 0)] };
    }),
  );
}

/**
 * The programme in figures for the actor's councils, as at today: counts only, never names, so funders see no
 * personal data, and small counts suppressed for those who may not see them exactly. Every status and role is
 * listed, with 0 where there are none, so tables keep their shape.
 */
export async function programmeFigures(db: Db, actor: Actor, clock: Clock) {
  const scope = councilScope(actor);
  const today = todayIso(clock);
  const suppress = !seesExactCounts(actor);
  const count: Counter = (n) => countOf(n, suppress);
  const { councils, tables: councilTables } = await councilFigures(db, scope, count);
  const learners = await learnerFigures(db, scope, today, count);
  const notTakingPart = 'Not counted as taking part';
  const headline = table('headline', 'Headline figures', 'Figure', ['Count'], [
    { label: 'Councils taking part', hint: 'Councils onboarding or active', counts: [count(councils(takingPart))] },
    { label: 'Councils that completed the programme', hint: notTakingPart, counts: [count(councils(['completed']))] },
    { label: 'Councils that withdrew', hint: notTakingPart, counts: [count(councils(['withdrawn']))] },
    { label: 'Councils declined', hint: `Declined at eligibility review. ${notTakingPart}`, counts: [count(councils(['declined']))] },
    {
      label: 'Learner enrolments in progress',
      hint: 'Approved and working towards accreditation, not deferred. A learner on two levels counts twice',
      counts: [count(learners.enrolmentsInProgress)],
    },
    { label: 'Nominations awaiting a decision', counts: [count(learners.awaitingDecision)] },
    { label: 'Accreditations awarded', hint: 'Since the programme began', counts: [count(await repo.accreditationsAwarded(db, scope, today))] },
  ]);
  const monthly = await trends(db, scope, today, suppress);
  const breakdowns = [...councilTables, ...learners.tables, await peopleFigures(db, scope, count)];
  return {
    asAt: today,
    asAtText: formatDate(today),
    suppress,
    threshold: suppressionThreshold,
    wholeProgramme: scope.kind === 'all',
    headline,
    trends: monthly,
    breakdowns,
    lines: figureLines([headline, ...monthly.map((t) => t.table), ...breakdowns], today),
  };
}
