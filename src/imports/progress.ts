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

/** A run in a list of uploads: a status tag and a few words on what came of it (or what is happening). */
export function runSummary(run: RunState & Pick<ImportRunRow, 'created' | 'kind'> & { heldOverBudget?: boolean }, config: Pick<Config, 'importInterruptedAfterSeconds'>, now: Date) {
  if (isInterrupted(run, config, now)) return { tag: { text: 'Interrupted', classes: 'govuk-tag--red' }, text: 'Nothing was saved' };
  if (isUnfinished(run)) return { tag: { text: 'In progress', classes: 'govuk-tag--light-blue' }, text: progressText(run) };
  if (run.status === 'succeeded') {
    const what = run.kind === 'nominations' ? ['nomination', 'nominations', 'created'] : ['result', 'results', 'recorded'];
    const counted = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;
    return { tag: { text: 'Saved', classes: 'govuk-tag--green' }, text: `${counted(run.rowCount, 'row', 'rows')} checked, ${counted(run.created, what[0], what[1])} ${what[2]}` };
  }
  if (run.heldOverBudget) return { tag: { text: 'Not saved', classes: 'govuk-tag--red' }, text: 'Over budget: nothing was saved until you upload it again with “Upload anyway”' };
  return { tag: { text: 'Not saved', classes: 'govuk-tag--red' }, text: 'The file had errors: nothing was saved' };
}

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
