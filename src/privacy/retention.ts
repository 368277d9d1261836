/**
 * Retention (docs/privacy.md): personal data is kept no longer than its period, a setting per kind of data. One run
 * deletes expired sessions and spent links, drops old IP addresses from the audit log, removes people invited long
 * ago who never accepted (and nothing else is held about), deletes old invitation links of nominated learners who
 * never signed in, and anonymises people deactivated for longer than their period, by the same erasure an admin
 * starts. Each kind (and each person) is its own transaction and every rule is "older than", so a run that stops
 * half-way leaves whole steps behind and the next run finishes the job.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { addDays, addMonths } from '../enrolments/journey.ts';
import { retentionSettings, withUnit, type RetentionPeriods } from '../settings/service.ts';
import { ConflictError } from '../web/errors.ts';
import { eraseInTransaction } from './service.ts';
import * as repo from './retention-repository.ts';
import type { RetentionCounts, RetentionKind } from './retention-kinds.ts';

/** The reason the audit log gives for an erasure made by the retention rules. */
export const retentionReason = 'retention period';


/**
 * How long a claim on the day's run lasts: longer than a run takes. A claim still unfinished after this belongs to an
 * instance that stopped half-way, and another instance runs the day again (every step is safe to repeat).
 */
export const retentionLeaseMs = 2 * 60 * 60_000;

/** The UK dates on or before which each kind is due today, from the periods in settings. */
export function cutoffsFor(now: Date, today: string, periods: RetentionPeriods): repo.Cutoffs {
  return {
    now,
    invitationsOn: addDays(today, -periods.invitationRetentionDays),
    auditIpOn: addMonths(today, -periods.auditIpRetentionMonths),
    deactivatedOn: addMonths(today, -periods.deactivatedRetentionMonths),
  };
}

async function currentCutoffs(db: Db, ctx: Pick<RequestContext, 'clock'>) {
  const periods = await retentionSettings(db);
  return { periods, cutoffs: cutoffsFor(ctx.clock.now(), todayIso(ctx.clock), periods) };
}

/** How many most of each kind of person the admin page lists. */
export const previewListLimit = 50;

/** What a run now would remove: counts per kind, and the people it would remove or anonymise (admins see names). */
export async function retentionPreview(db: Db, ctx: Pick<RequestContext, 'clock'>) {
  const { periods, cutoffs } = await currentCutoffs(db, ctx);
  return {
    periods,
    cutoffs,
    counts: await repo.dueCounts(db, cutoffs),
    people: await repo.duePeople(db, cutoffs, previewListLimit),
    runs: await repo.recentRuns(db, 10),
  };
}

/**
 * Removes or anonymises each due person in a transaction of their own, checking them again once their row is locked
 * (they may have accepted, been reactivated or erased meanwhile). A person the erasure refuses is left as they are.
 */
async function applyToPeople(db: Db, ctx: RequestContext, baseUrl: string, cutoffs: repo.Cutoffs, kind: 'invitedPeople' | 'deactivatedPeople') {
  let done = 0;
  for (const id of await repo.dueIds(db, cutoffs, kind)) {
    try {
      const applied = await db.transaction(async (tx) => {
        if (!(await repo.stillDue(tx, cutoffs, kind, id))) return false;
        await eraseInTransaction(tx, ctx, id, retentionReason, baseUrl);
        if (kind === 'invitedPeople') await repo.deletePerson(tx, id);
        return true;
      });
      if (applied) done += 1;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return done;
}

/** Applies every rule once, each kind in its own transaction(s); returns how many of each it removed. */
async function applyRules(db: Db, ctx: RequestContext, baseUrl: string, cutoffs: repo.Cutoffs): Promise<RetentionCounts> {
  const inTx = <T>(step: (tx: Tx) => Promise<T>) => db.transaction(step);
  const sessions = await inTx((tx) => repo.deleteExpiredSessions(tx, cutoffs));
  const links = await inTx((tx) => repo.deleteSpentLinks(tx, cutoffs));
  const auditIps = await inTx((tx) => repo.dropOldAuditIps(tx, cutoffs));
  const invitedPeople = await applyToPeople(db, ctx, baseUrl, cutoffs, 'invitedPeople');
  const invitationLinks = await inTx((tx) => repo.deleteStaleInvitationLinks(tx, cutoffs));
  const deactivatedPeople = await applyToPeople(db, ctx, baseUrl, cutoffs, 'deactivatedPeople');
  return { sessions, links, auditIps, invitedPeople, invitationLinks, deactivatedPeople };
}

/** Runs the rules under a claimed run row, then records the counts and an audit event saying what the run removed. */
async function runClaimed(db: Db, ctx: RequestContext, baseUrl: string, run: { id: string; claimId: string; trigger: 'daily' | 'manual' }, cutoffs: repo.Cutoffs) {
  const counts = await applyRules(db, ctx, baseUrl, cutoffs);
  await db.transaction(async (tx) => {
    await repo.finishRun(tx, run.id, run.claimId, ctx.clock.now(), counts);
    await recordAudit(tx, ctx, { action: 'retention.run', recordType: 'retention_run', recordId: run.id, after: { trigger: run.trigger, counts } });
  });
  return counts;
}

/**
 * The daily run, if no instance has run today (UK date) yet: the day is claimed by inserting its row, which a unique
 * index allows once, so two instances never both run it. Returns the counts, or null when the day was already taken.
 */
export async function runDailyRetention(db: Db, ctx: RequestContext, baseUrl: string): Promise<RetentionCounts | null> {
  const { cutoffs } = await currentCutoffs(db, ctx);
  const claimId = randomUUID();
  const now = ctx.clock.now();
  const id = await repo.claimDay(db, todayIso(ctx.clock), claimId, now, new Date(now.getTime() - retentionLeaseMs));
  if (!id) return null;
  return runClaimed(db, ctx, baseUrl, { id, claimId, trigger: 'daily' }, cutoffs);
}

/** A run started by an admin ("Run now") or the CLI: applies the rules at once, whether or not today's daily run has happened. */
export async function runRetentionNow(db: Db, ctx: RequestContext, baseUrl: string): Promise<RetentionCounts> {
  const { cutoffs } = await currentCutoffs(db, ctx);
  const claimId = randomUUID();
  const id = await repo.startManualRun(db, todayIso(ctx.clock), claimId, ctx.clock.now());
  return runClaimed(db, ctx, baseUrl, { id, claimId, trigger: 'manual' }, cutoffs);
}

/** How the admin page names each kind, what a run does to it, and the day on or before which it is due. */
export function kindDescriptions(periods: RetentionPeriods, cutoffs: repo.Cutoffs): Record<RetentionKind, { what: string; effect: string; on: string | null }> {
  const days = withUnit(periods.invitationRetentionDays, 'days');
  return {
    sessions: { what: 'Sign-in sessions that have expired', effect: 'Deleted', on: null },
    links: { what: 'Password reset, email change and invitation links that have been used or have expired', effect: 'Deleted', on: null },
    auditIps: { what: `Audit log events older than ${withUnit(periods.auditIpRetentionMonths, 'months')} that still hold an IP address`, effect: 'IP address dropped', on: cutoffs.auditIpOn },
    invitedPeople: { what: `People last invited ${days} ago or more who never accepted, with nothing else held about them`, effect: 'Removed', on: cutoffs.invitationsOn },
    invitationLinks: { what: `Unused invitation links sent ${days} ago or more to nominated learners, who stay`, effect: 'Deleted', on: cutoffs.invitationsOn },
    deactivatedPeople: { what: `People deactivated for ${withUnit(periods.deactivatedRetentionMonths, 'months')} or more`, effect: 'Anonymised, as an erasure does', on: cutoffs.deactivatedOn },
  };
}
