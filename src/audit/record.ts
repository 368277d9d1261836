import { recordsChanged } from '../db/read-cache.ts';
import { auditEvents } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { Actor } from '../auth/policy.ts';
import type { Clock } from '../clock.ts';

/** Who is acting, and from where: what every command carries so its audit event can say so. */
export type RequestContext = {
  actor: Actor | null;
  /** Shown in the audit log when there is no actor (the CLI, the seed, an anonymous sign-in). */
  systemLabel?: string;
  requestId?: string;
  ip?: string;
  clock: Clock;
};

export type AuditEntry = {
  action: string;
  recordType: string;
  recordId: string;
  before?: unknown;
  after?: unknown;
};

/** How the audit log names who acted: the person, or the system label (the CLI, the seed, an anonymous sign-in). */
export const actorLabel = (ctx: RequestContext): string => (ctx.actor ? `${ctx.actor.name} <${ctx.actor.email}>` : (ctx.systemLabel ?? 'system'));

/** Writes one audit event. Call it with the transaction of the change, so both land or neither does. */
export async function recordAudit(tx: DbOrTx, ctx: RequestContext, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    occurredAt: ctx.clock.now(),
    actorId: ctx.actor?.personId ?? null,
    actorLabel: actorLabel(ctx),
    action: entry.action,
    recordType: entry.recordType,
    recordId: entry.recordId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    requestId: ctx.requestId ?? null,
    ip: ctx.ip ?? null,
  });
  // After the insert: a change written outside a transaction has landed by now; inside one, the transaction marks
  // the kept reads stale again when it ends (db/read-cache.ts).
  recordsChanged();
}

/** The fields that changed between two snapshots, for a compact before → after. */
export function changedFields<T extends Record<string, unknown>>(before: T, after: Partial<T>): { before: Partial<T>; after: Partial<T> } {
  const b: Partial<T> = {};
  const a: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (after[key] !== undefined && JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return { before: b, after: a };
}
