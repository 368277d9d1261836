import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { startPeriodic } from '../periodic.ts';
import { runDailyRetention } from './retention.ts';
import type { RetentionCounts } from './retention-kinds.ts';

/** How the audit log names the daily job when it erases someone or records a run. */
export const retentionJobLabel = 'the daily retention job';

/**
 * Applies the retention rules once a day: every RETENTION_CHECK_MINUTES (and once at start) each instance asks to run
 * today's run, and the first to claim the day in the database runs it (the others find it taken), so it happens once
 * per UK day however many instances there are. `onRun` gets the counts (the log says how many, never who). 0 minutes:
 * not started (then run `pioneer retention run` daily from a scheduler).
 */
export function startRetentionJob(
  db: Db,
  config: Pick<Config, 'retentionCheckMinutes' | 'baseUrl'>,
  clock: Clock,
  onRun: (counts: RetentionCounts) => void,
  onError: (err: unknown) => void,
) {
  return startPeriodic(
    config.retentionCheckMinutes,
    async () => {
      const counts = await runDailyRetention(db, { actor: null, systemLabel: retentionJobLabel, clock }, config.baseUrl);
      if (counts) onRun(counts);
    },
    onError,
  );
}
