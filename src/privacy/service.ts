/**
 * UK GDPR requests about one person (docs/privacy.md): subject access (everything held about them, as one download)
 * and erasure (their identity removed, the programme's facts kept under an "Erased person N" placeholder).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import type { Actor } from '../auth/policy.ts';
import { getPerson } from '../people/service.ts';
import { releaseRegistrationsOf } from '../networks/events/service.ts';
import { ConflictError, NotFoundError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { erasureSchema } from './schemas.ts';
import * as repo from './repository.ts';

export type SubjectRecords = Awaited<ReturnType<typeof repo.subjectRecords>>;

/**
 * Everything Pioneer holds about a person, by kind of record, and the audit event saying it was exported (written
 * before the download starts, so an export that fails halfway is still on record). `id` must already be in scope:
 * an admin's request goes through `subjectAccessFor`, a person's own through the account page.
 */
async function exportRecords(db: Db, ctx: RequestContext, id: string) {
  const person = await repo.findPerson(db, id);
  if (!person) throw new NotFoundError('We could not find that person.');
  const { emails } = await repo.identifiersOf(db, id);
  const records = await repo.subjectRecords(db, id, emails);
  await db.transaction(async (tx) => {
    await recordAudit(tx, ctx, { action: 'person.data_exported', recordType: 'person', recordId: id, after: { recordTypes: Object.keys(records) } });
  });
  return { person, records };
}

/** An admin's subject access request for a person they may see (anyone else's id is not found). */
export async function subjectAccessFor(db: Db, ctx: RequestContext, id: string) {
  const person = await getPerson(db, ctx, id);
  return exportRecords(db, ctx, person.id);
}

/** The signed-in person's own data. */
export const ownSubjectAccess = (db: Db, ctx: RequestContext, actor: Actor) => exportRecords(db, ctx, actor.personId);

type PersonForErasure = { id: string; name: string; roles: readonly string[]; status: string; erasedAt: Date | null };

/** Why this person cannot be erased by this actor, or null when they can. */
export function erasureProblem(actor: Actor | null, person: PersonForErasure, otherActiveAdmins: number): string | null {
  if (person.erasedAt) return 'This person has already been erased.';
  if (person.id === actor?.personId) return 'You cannot erase yourself. Ask another programme admin to do it.';
  if (person.status === 'active' && person.roles.includes('programme_admin') && otherActiveAdmins === 0) {
    return `${person.name} is the last active programme admin. Give someone else the programme admin role first.`;
  }
  return null;
}

/** The problem the confirmation page shows before the admin gives a reason (the same rules as the erasure itself). */
export async function erasureCheck(db: Db, ctx: RequestContext, id: string) {
  const person = await getPerson(db, ctx, id);
  const row = (await repo.findPerson(db, person.id))!;
  return { person, problem: erasureProblem(ctx.actor, { ...row, roles: row.roles }, await repo.otherActiveAdmins(db, person.id)) };
}

/** Replaces every occurrence of each text (case-insensitive) in a string. */
function replaceAll(value: string, replacements: readonly [string, string][]): string {
  let out = value;
  for (const [from, to] of replacements) {
    if (!from) continue;
    out = out.replace(new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), to);
  }
  return out;
}

/** Free text they wrote, in the before/after of their own audit events. */
const theirTextKeys = ['reason', 'reflection', 'note', 'decisionNote'];

/** A JSON value with the person's names and emails replaced, their job title dropped, and the free text under `textKeys`. */
function scrubJson(value: unknown, replacements: readonly [string, string][], textKeys: readonly string[] = []): unknown {
  if (typeof value === 'string') return replaceAll(value, replacements);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, replacements, textKeys));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (k === 'jobTitle') return [k, null];
        if (typeof v === 'string' && textKeys.includes(k)) return [k, '[erased]'];
        return [k, scrubJson(v, replacements, textKeys)];
      }),
    );
  }
  return value;
}

/**
 * Erases a person, irreversibly, in one transaction: their name, email and job title become a placeholder's
 * ("Erased person 417", a non-deliverable address so the real one can be invited again), free text they wrote goes,
 * every way in ends, mail to them is emptied, and the audit log keeps what happened without naming them.
 * Refused (nothing written): erasing yourself, the last active programme admin, someone already erased.
 */
export async function erasePerson(db: Db, ctx: RequestContext, id: string, input: unknown, baseUrl: string) {
  const { id: personId } = await getPerson(db, ctx, id);
  const { reason } = parseOrThrow(erasureSchema, input);
  return db.transaction((tx) => eraseInTransaction(tx, ctx, personId, reason, baseUrl));
}

/**
 * The erasure itself, in the caller's transaction: an admin's erasure above, and retention's anonymisation of people
 * deactivated too long (src/privacy/retention.ts), so both do and audit exactly the same. The person's row is locked
 * and the refusals checked here (ConflictError), so a caller need not have checked them first.
 */
export async function eraseInTransaction(tx: DbOrTx, ctx: RequestContext, personId: string, reason: string, baseUrl: string) {
  await repo.lockPerson(tx, personId);
  const person = (await repo.findPerson(tx, personId))!;
  const problem = erasureProblem(ctx.actor, person, await repo.otherActiveAdmins(tx, personId));
  if (problem) throw new ConflictError(problem);
  const now = ctx.clock.now();
  const { names, emails } = await repo.identifiersOf(tx, personId);
  const number = await repo.nextErasedNumber(tx);
  const placeholder = { number, name: `Erased person ${number}`, email: `erased-person-${number}@erased.invalid` };
  // Longest first, so "Jane Doe" goes before a "Jane" that some earlier correction recorded.
  const replacements: [string, string][] = [
    ...emails.map((e): [string, string] => [e, placeholder.email]),
    ...names.map((n): [string, string] => [n, placeholder.name]),
  ].sort((a, b) => b[0].length - a[0].length);

  // Before their name goes, so the audit of each place given up names them as the rest of their history does.
  await releaseRegistrationsOf(tx, ctx, personId, baseUrl);
  await repo.erasePersonRows(tx, personId, placeholder, now);
  await repo.scrubMailTo(tx, emails, placeholder.email);
  for (const mail of await repo.mailNaming(tx, [...names, ...emails])) {
    await repo.setMailText(tx, mail.id, replaceAll(mail.subject, replacements), replaceAll(mail.body, replacements));
  }
  // Audit events are matched by id and email, not name alone, so another person who shares the name keeps theirs.
  for (const e of await repo.auditEventsNaming(tx, personId, [personId, ...emails])) {
    const theirs = e.actorId === personId;
    // Their API tokens' labels are their words too, whoever created the token.
    const textKeys = [...(theirs ? theirTextKeys : []), ...(e.recordType === 'api_token' ? ['name'] : [])];
    await repo.rewriteAuditEvent(tx, {
      id: e.id,
      actorLabel: theirs ? placeholder.name : replaceAll(e.actorLabel, replacements),
      before: scrubJson(e.before, replacements, textKeys),
      after: scrubJson(e.after, replacements, textKeys),
      dropIp: theirs,
    });
  }
  for (const run of await repo.importRunsNaming(tx, emails)) {
    await repo.setImportRunText(tx, {
      id: run.id,
      fileName: run.fileName === null ? null : replaceAll(run.fileName, replacements),
      errors: scrubJson(run.errors, replacements),
      reportRows: scrubJson(run.reportRows, replacements),
    });
  }
  await recordAudit(tx, ctx, { action: 'person.erased', recordType: 'person', recordId: personId, after: { reason: replaceAll(reason, replacements), erasedNumber: number } });
  return { id: personId, name: placeholder.name, erasedAt: now };
}
