import { sql, type SQL } from 'drizzle-orm';
import type { CouncilScope } from '../auth/policy.ts';

/**
 * The policy module's council scope as a WHERE condition on a council id (any SQL expression). Every
 * repository that lists, counts or finds by council uses this, so a scope means the same thing everywhere.
 */
export function councilInScope(scope: CouncilScope, councilId: SQL): SQL {
  switch (scope.kind) {
    case 'all':
      return sql`true`;
    case 'managedBy':
      return sql`${councilId} in (select council_id from participations where managing_partner_id = ${scope.partnerId}::uuid)`;
    case 'assignedTo':
      return sql`${councilId} in (select council_id from specialist_assignments where person_id = ${scope.personId}::uuid)`;
    case 'own':
      return sql`${councilId} = ${scope.councilId}::uuid`;
    case 'none':
      return sql`false`;
  }
}
