import type { Db } from '../db/client.ts';
import { councilScope, roleLabels, roles, type Actor } from '../auth/policy.ts';
import { programmeStatuses, statusLabels } from '../councils/rules.ts';
import * as repo from './repository.ts';

/**
 * The programme in figures for the actor's councils: counts only, never names, so funders see no personal
 * data. Every status and role is listed, with 0 where there are none, so tables keep their shape.
 */
export async function programmeFigures(db: Db, actor: Actor) {
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
    wholeProgramme: scope.kind === 'all',
  };
}
