/**
 * The in-process job queue of uploads from the pages. The page stores the file in a queued import run and hands
 * the run here; the request answers straight away and the person watches the status page.
 *
 * One upload runs at a time per process: that bounds the memory a burst of large files can take, and on PGlite (one
 * connection) running them side by side would gain nothing. Each run is claimed with a conditional UPDATE before it
 * starts, so two instances sharing a database can never both run it. The uploader's request context (who, from
 * where) is kept with the job in memory, for the import's audit event; a run whose process stops is therefore never
 * resumed elsewhere, but reported as interrupted (progress.ts) and failed at the next start-up.
 */
import type { Config } from '../config.ts';
import { isDatabaseUnavailable, isEmbedded, type Db } from '../db/client.ts';
import type { Clock } from '../clock.ts';
import type { RequestContext } from '../audit/record.ts';
import { runImport as importFile, type ImportProgress, type RunOptions } from './service.ts';
import * as runs from './runs-repository.ts';
import { interruptedMessage, staleBefore, unexpectedMessage } from './progress.ts';
import { describeError } from '../web/safe-log.ts';

/** `budget`, `confirmed`: what the uploader said about a file over budget (RunOptions), kept in memory with the job. */
export type ImportJob = { runId: string; ctx: RequestContext } & Pick<RunOptions, 'budget' | 'confirmed'>;

/** The part of the app's logger the jobs use (pino's methods fit). */
export type JobLog = { error(details: object, message: string): void; warn(details: object, message: string): void };

export type ImportJobsDeps = {
  db: Db;
  config: Config;
  clock: Clock;
  log: JobLog;
  /** Called after an upload has been saved: it may have queued emails (invitations, approvals). */
  onSucceeded?: () => void;
  /** The import itself; tests hand in one that fails, to see the runner cope. */
  runImport?: typeof importFile;
  /** How long to wait before trying an upload again while the database is unreachable (default 5 s). */
  retryAfterMs?: number;
};

export function createImportJobs(deps: ImportJobsDeps) {
  const { db, config, clock, log } = deps;
  const run = deps.runImport ?? importFile;
  const waiting: ImportJob[] = [];
  let current: Promise<void> | null = null;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  let wake: (() => void) | null = null;
  /** Waits before trying again; cut short when the jobs stop. */
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), deps.retryAfterMs ?? 5000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /**
   * Runs one job to its end; never rejects, and never leaves the run running if it can help it. While the database
   * is unreachable it tries again every few seconds (the write is all or nothing, so nothing was half-saved), until
   * the jobs stop or the run has gone so long without a heartbeat that it is reported interrupted.
   */
  async function perform(job: ImportJob): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await attemptOnce(job, attempt > 0);
      if (outcome !== 'unavailable' || stopped) return;
      await pause();
      if (stopped) return;
    }
  }

  async function attemptOnce(job: ImportJob, resume: boolean): Promise<'done' | 'unavailable'> {
    try {
      const claimed = await runs.claimRun(db, job.runId, clock.now(), staleBefore(config, clock.now()), resume);
      // Another instance took it, it waited so long it was already reported interrupted, or (trying again) it was
      // saved after all: the commit went through just before the connection broke.
      if (!claimed) return 'done';
      if (!claimed.upload) throw new Error('The queued run holds no file');
      const buffer = Buffer.from(claimed.upload.buffer, claimed.upload.byteOffset, claimed.upload.byteLength);
      const progress = async (p: ImportProgress) => {
        await runs.recordProgress(db, job.runId, p, clock.now());
        await runs.touchQueued(db, waiting.map((w) => w.runId), clock.now());
      };
      const outcome = await run(db, config, job.ctx, claimed.kind, { buffer, fileName: claimed.fileName }, { runId: job.runId, progress, budget: job.budget, confirmed: job.confirmed });
      if (outcome.ok) deps.onSucceeded?.();
    } catch (err) {
      if (isDatabaseUnavailable(err) && !stopped) {
        log.warn({ runId: job.runId, error: describeError(err) }, 'database unavailable: the upload will be tried again');
        return 'unavailable';
      }
      log.error({ runId: job.runId, error: describeError(err) }, 'upload job failed');
      try {
        await runs.failRun(db, job.runId, unexpectedMessage, clock.now());
      } catch (failure) {
        log.error({ runId: job.runId, error: describeError(failure) }, 'could not mark the failed upload; it will be reported as interrupted');
      }
    }
    return 'done';
  }

  function next() {
    if (current || stopped) return;
    const job = waiting.shift();
    if (!job) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    current = perform(job).finally(() => {
      current = null;
      next();
    });
  }

  return {
    /** Queues a run (already stored as queued, with its file) to be imported after those before it. */
    enqueue(job: ImportJob) {
      // Shutting down: the run stays queued and is reported interrupted once the threshold has passed.
      if (stopped) return;
      waiting.push(job);
      next();
    },

    /** Resolves when nothing is running or waiting (tests await it instead of sleeping). */
    idle(): Promise<void> {
      if (!current && !waiting.length) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    /**
     * At start-up: fails the runs an instance stopped before finishing. On PGlite that is every unfinished run, since
     * the data folder's lock means no other process can be running one; on PostgreSQL, where other instances may be,
     * only those not touched within the threshold.
     */
    async failInterrupted(): Promise<string[]> {
      const now = clock.now();
      const ids = await runs.failInterrupted(db, isEmbedded(db) ? null : staleBefore(config, now), interruptedMessage, now);
      if (ids.length) log.warn({ runIds: ids }, 'uploads interrupted before they finished were marked failed');
      return ids;
    },

    /**
     * At shutdown: lets the running upload finish (within the shutdown grace) and fails the ones still waiting,
     * so their uploaders are told at once rather than after the threshold.
     */
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      const dropped = waiting.splice(0).map((j) => j.runId);
      await current;
      for (const resolve of idleWaiters.splice(0)) resolve();
      if (!dropped.length) return;
      try {
        await runs.failQueued(db, dropped, interruptedMessage, clock.now());
      } catch (err) {
        log.error({ runIds: dropped, error: describeError(err) }, 'could not mark the waiting uploads as interrupted');
      }
    },
  };
}

export type ImportJobs = ReturnType<typeof createImportJobs>;
