/**
 * The SQL of background uploads: queueing a run with its file, claiming it for the job, recording its progress,
 * and failing it (an unexpected error, or an interrupted run). Every state change is conditional on the run's
 * current status, so two instances sharing a database can never both run one upload, and a run that has finished
 * is never overwritten.
 */
import { and, desc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { importRuns } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { ImportKind } from './columns.ts';
import type { ImportProgress } from './service.ts';
import { builderLimit } from '../db/paging.ts';

const unfinished = inArray(importRuns.status, ['queued', 'running']);

/** A file-level error as runImport stores it: no row, no column. */
const fileError = (message: string) => [{ row: null, column: null, message }];

export type QueuedUpload = { kind: ImportKind; uploadedById: string; fileName: string | null; upload: Buffer; now: Date };

/** Stores an upload as a queued run holding its file. */
export async function queueRun(db: DbOrTx, upload: QueuedUpload): Promise<{ id: string }> {
  const [row] = await db
    .insert(importRuns)
    .values({
      kind: upload.kind,
      uploadedById: upload.uploadedById,
      fileName: upload.fileName?.slice(0, 255) ?? null,
      status: 'queued',
      upload: upload.upload,
      createdAt: upload.now,
      updatedAt: upload.now,
    })
    .returning({ id: importRuns.id });
  return row;
}

export type ClaimedRun = { id: string; kind: ImportKind; fileName: string | null; upload: Uint8Array | null };

/**
 * Takes a queued run for this process: only one caller's UPDATE can move it from queued to running. A run not
 * touched since `freshSince` has already been reported as interrupted, so it is not started after all. `resume`
 * also takes the run back when it is running: only for the process that claimed it, starting it again.
 */
export async function claimRun(db: DbOrTx, id: string, now: Date, freshSince: Date, resume = false): Promise<ClaimedRun | null> {
  const [row] = await db
    .update(importRuns)
    .set({ status: 'running', phase: 'reading', processed: 0, updatedAt: now })
    .where(and(eq(importRuns.id, id), resume ? unfinished : eq(importRuns.status, 'queued'), gte(importRuns.updatedAt, freshSince)))
    .returning({ id: importRuns.id, kind: importRuns.kind, fileName: importRuns.fileName, upload: importRuns.upload });
  return row ?? null;
}

/** Where a running upload has got to; the touch is also its heartbeat. */
export async function recordProgress(db: DbOrTx, id: string, progress: ImportProgress, now: Date): Promise<void> {
  await db
    .update(importRuns)
    .set({ phase: progress.phase, processed: progress.processed, rowCount: progress.total, updatedAt: now })
    .where(and(eq(importRuns.id, id), eq(importRuns.status, 'running')));
}

/** Keeps runs waiting in this process's queue from looking interrupted while an earlier upload takes its time. */
export async function touchQueued(db: DbOrTx, ids: string[], now: Date): Promise<void> {
  if (!ids.length) return;
  await db
    .update(importRuns)
    .set({ updatedAt: now })
    .where(and(inArray(importRuns.id, ids), eq(importRuns.status, 'queued')));
}

/** Fails unfinished runs with a file-level message, dropping their files; answers the ids it failed. */
async function failWhere(db: DbOrTx, where: ReturnType<typeof and>, message: string, now: Date): Promise<string[]> {
  const rows = await db
    .update(importRuns)
    .set({ status: 'failed', phase: null, upload: null, errors: fileError(message), updatedAt: now, finishedAt: now })
    .where(and(unfinished, where))
    .returning({ id: importRuns.id });
  return rows.map((r) => r.id);
}

/** Fails one run that has not finished (an unexpected error in its job, or a queued job dropped at shutdown). */
export async function failRun(db: DbOrTx, id: string, message: string, now: Date): Promise<boolean> {
  return (await failWhere(db, eq(importRuns.id, id), message, now)).length > 0;
}

/** Fails these runs if they are still queued (jobs this process will not start). */
export async function failQueued(db: DbOrTx, ids: string[], message: string, now: Date): Promise<string[]> {
  if (!ids.length) return [];
  return failWhere(db, and(inArray(importRuns.id, ids), eq(importRuns.status, 'queued')), message, now);
}

/**
 * Fails every queued or running run not touched since `staleBefore` (every unfinished run when null): its instance
 * stopped before finishing it.
 */
export async function failInterrupted(db: DbOrTx, staleBefore: Date | null, message: string, now: Date): Promise<string[]> {
  return failWhere(db, staleBefore ? lt(importRuns.updatedAt, staleBefore) : undefined, message, now);
}

export type RecentRun = {
  id: string;
  fileName: string | null;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  phase: 'reading' | 'checking' | 'writing' | null;
  processed: number;
  rowCount: number;
  created: number;
  createdAt: Date;
  updatedAt: Date;
  /** Refused, unwritten, only because its approvals would take a budget line over budget (awaiting "Upload anyway"). */
  heldOverBudget: boolean;
};

/** A person's latest uploads of one kind, newest first: what the upload page lists (never the held files). */
export async function recentRuns(db: DbOrTx, uploadedById: string, kind: ImportKind, limit: number): Promise<RecentRun[]> {
  return db
    .select({
      id: importRuns.id,
      fileName: importRuns.fileName,
      status: importRuns.status,
      phase: importRuns.phase,
      processed: importRuns.processed,
      rowCount: importRuns.rowCount,
      created: importRuns.created,
      createdAt: importRuns.createdAt,
      updatedAt: importRuns.updatedAt,
      heldOverBudget: sql<boolean>`${importRuns.errors} @> '[{"overBudget": true}]'::jsonb`,
    })
    .from(importRuns)
    .where(and(eq(importRuns.uploadedById, uploadedById), eq(importRuns.kind, kind)))
    .orderBy(desc(importRuns.createdAt), desc(importRuns.id))
    .limit(builderLimit(limit));
}
