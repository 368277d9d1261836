/** How a background upload's run reads to the person waiting for it: shared by the status page, its JSON and the jobs. */
import type { Config } from '../config.ts';
import type { ImportRunRow } from './repository.ts';
import { formatCount } from '../web/format.ts';

/** Stored on a run whose process stopped before it finished (seen at start-up, or on the status page). */
export const interruptedMessage = 'The upload was interrupted before it finished. Nothing was saved: upload the file again';

/** Stored on a run whose job failed unexpectedly; the details are in the log, under the run's id. */
export const unexpectedMessage = 'Something went wrong while your file was uploading. Nothing was saved: upload the file again';

/** Runs last touched before this moment, and still unfinished, were interrupted. */
export const staleBefore = (config: Pick<Config, 'importInterruptedAfterSeconds'>, now: Date) =>
  new Date(now.getTime() - config.importInterruptedAfterSeconds * 1000);

type RunState = Pick<ImportRunRow, 'status' | 'phase' | 'processed' | 'rowCount' | 'updatedAt'>;

export const isUnfinished = (run: RunState) => run.status === 'queued' || run.status === 'running';

/** Unfinished, and not touched for longer than the threshold: its process stopped. */
export const isInterrupted = (run: RunState, config: Pick<Config, 'importInterruptedAfterSeconds'>, now: Date) =>
  isUnfinished(run) && run.updatedAt.getTime() < staleBefore(config, now).getTime();

/** What is happening now, in plain English. */
export function progressText(run: RunState): string {
  if (run.status === 'queued') return 'Waiting to start';
  switch (run.phase) {
    case 'checking':
      return `Checking rows: ${formatCount(run.processed)} of ${formatCount(run.rowCount)}`;
    case 'writing':
      return 'Saving the rows';
    default:
      return 'Reading the file';
  }
}
