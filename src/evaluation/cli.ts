import type { Db } from '../db/client.ts';
import type { RequestContext } from '../audit/record.ts';
import { monthName } from '../dashboard/trends.ts';
import { indicatorKeys } from './catalogue.ts';
import { takeSnapshot } from './snapshots.ts';

/** `pioneer evaluation snapshot [--replace]`: takes this month's indicator snapshot and says what it wrote. */
export async function snapshotCommand(db: Db, ctx: RequestContext, replace: boolean): Promise<string> {
  const { month, written } = await takeSnapshot(db, ctx, { replace });
  const name = monthName(month.slice(0, 7));
  if (written === 0) return `The snapshot for ${name} was already taken (${indicatorKeys.length} indicators); nothing written. Say --replace to work it out again.`;
  return `${replace ? 'Worked out again' : 'Took'} the snapshot for ${name}: ${written} of ${indicatorKeys.length} indicators written.`;
}
