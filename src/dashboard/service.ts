import type { Db } from '../db/client.ts';
import { councilScope, roleLabels, roles, type Actor } from '../auth/policy.ts';
import { programmeStatuses, statusLabels } from '../councils/rules.ts';
import { levelLabels, levels, periodOf, statusLabels as journeyStatusLabels, statuses as journeyStatuses } from '../enrolments/journey.ts';
import { getSetting } from '../settings/service.ts';
import { todayIso, type Clock } from '../clock.ts';
import * as repo from './repository.ts';
import { overdueCutoff } from '../enrolments/list-repository.ts';

/**
 * The programme in figures for the actor's councils: counts only, never names, so funders see no personal
 * data. Every status and role is listed, with 0 where there are none, so tables keep their shape.
 */
/** The learner journey in figures: enrolments by status and level (with overdue), and this period's funded places. */
async function learnerFigures(db: Db, scope: ReturnType<typeof councilScope>, clock: Clock) {
  const today = todayIso(clock);
  const period = periodOf(today);
  const enrolments = await repo.enrolmentsByStatus(db, scope, overdueCutoff(today, await getSetting(db, 'assessmentDeadlineMonths')));
  const count = (status: string, level: string, field: 'enrolments' | 'overdue') =>
    enrolments.filter((r) => r.status === status && r.level === level).reduce((n, r) => n + r[field], 0);
  const places = await repo.placesByLevel(db, scope, period);
  return {
    levels: levels.map((l) => levelLabels[l]),
    byJourneyStatus: journeyStatuses.map((s) => ({ status: journeyStatusLabels[s], byLevel: levels.map((l) => count(s, l, 'enrolments')) })),
    overdueByLevel: levels.map((l) => journeyStatuses.reduce((n, s) => n + count(s, l, 'overdue'), 0)),
    period,
    placesByLevel: levels.map((l) => {
      const { places: allocated, taken, released } = places.find((p) => p.level === l) ?? { places: 0, taken: 0, released: 0 };
      return { level: levelLabels[l], places: allocated, taken, released, remaining: allocated - taken };
    }),
  };
}

export async function programmeFigures(db: Db, actor: Actor, clock: Clock) {
  const scope = councilScope(actor);
  const status = await repo.councilsByStatus(db, scope);
  const people = await repo.peopleByRole(db, scope);
  return {
    byStatus: programmeStatuses
      .map((s) => ({ key: s, status: statusLabels[s], councils: status.find((r) => r.status === s)?.councils ?? 0 }))
      // Councils a partner manages have all engaged, so a "not engaged: 0" row would only be noise.
      .filter((r) => r.key !== 'not_engaged' || r.councils > 0),
    byPartner: (await repo.councilsByPartner(db, scope)).map((r) => ({ ...r, partner: r.partner ?? 'Not yet assigned' })),
    byRegion: (await repo.councilsByRegion(db, scope)).map((r) => ({ ...r, region: r.region ?? 'Unknown' })),
    byRole: roles.map((r) => {
      const row = people.find((p) => p.role === r);
      return { role: roleLabels[r], active: row?.active ?? 0, invited: row?.invited ?? 0 };
    }),
    ...(await learnerFigures(db, scope, clock)),
    wholeProgramme: scope.kind === 'all',
  };
}
