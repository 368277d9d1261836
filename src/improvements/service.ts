/**
 * The improvements register (issue 12, item 5): a council's SRO or lead records an improvement (submitted); a
 * specialist assigned to the council, or an admin, verifies or queries it; the council changes a queried one, which
 * resubmits it; a verified one is final. One transaction per command, each with its audit event (recordType
 * `improvement`, with `councilId`, `type` and `description` in the snapshot so the audit log can name it).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isForeignKeyViolation, isUniqueViolation, violatedConstraint } from '../db/client.ts';
import { improvementAccess, type Actor, type CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { isUuid } from '../learners/service.ts';
import { evidenceLinkSchema, improvementSchema, reviewSchema, type ImprovementInput } from './schemas.ts';
import { improvementStatusLabels, mayEdit, mayReview, type ImprovementStatus } from './rules.ts';
import * as repo from './repository.ts';
import * as files from '../files/evidence.ts';
import type { EvidenceDeps } from '../files/evidence.ts';
import type { UploadedFile } from '../files/upload.ts';
import type { ImprovementFilters, ImprovementSort } from './repository.ts';

export type { ImprovementFilters, ImprovementRow } from './repository.ts';
export { councilContracts, councilLearners, contractsOf, evidenceOf, evidenceOfEach, improvementsPointingAt, learnersOf } from './repository.ts';
/** The councils in scope, for the list's filter (the engagements list's, kept between changes). */
export { councilChoices } from '../engagements/service.ts';

const staleMessage = 'Someone else changed this improvement since you opened it. Check it and try again.';
const contractsMessage = 'Select contracts of the council from the list';
const learnersMessage = 'Select learners of the council from the list';
const duplicateMessage = 'This improvement is already recorded: the council has one of the same type, date and description';

export async function listImprovements(db: Db, scope: CouncilScope, filters: ImprovementFilters, sort: ImprovementSort, page: { page: number; pageSize: number } | null) {
  return repo.listImprovements(db, scope, filters, sort, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

/** What the actor may do on an improvement they see, from the record. */
function accessTo(actor: Actor, i: { councilId: string; status: string }) {
  const ownCouncil = actor.organisationKind === 'council' && actor.organisationId === i.councilId;
  const access = improvementAccess(actor, { ownCouncil });
  const status = i.status as ImprovementStatus;
  return { ...access, editNow: access.edit && mayEdit(status), reviewNow: access.review && mayReview(status) };
}

/** One improvement in scope, with what the actor may do on it; 404 for an unknown id or one outside scope. */
export async function getImprovement(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string) {
  const improvement = isUuid(id) ? await repo.findImprovement(db, scope, id) : null;
  if (!improvement || !ctx.actor) throw new NotFoundError();
  return { improvement, access: accessTo(ctx.actor, improvement) };
}

const refusals = {
  edit: 'Only the council’s SRO and lead change its improvements',
  review: 'Only a specialist assigned to the council or the programme team verifies or queries an improvement',
} as const;

/** The improvement in scope (404 otherwise), if the actor may make this kind of change (403 otherwise). */
async function improvementFor(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string, may: keyof typeof refusals) {
  const found = await getImprovement(db, ctx, scope, id);
  if (!found.access[may]) throw new ForbiddenError(refusals[may]);
  return found.improvement;
}

/** The council the actor records for: their own (only council staff record improvements). */
function ownCouncilOf(ctx: RequestContext): string {
  const actor = ctx.actor;
  if (!actor || actor.organisationKind !== 'council' || !improvementAccess(actor, { ownCouncil: true }).edit) {
    throw new ForbiddenError('Only a council’s SRO and lead record its improvements');
  }
  return actor.organisationId;
}

/**
 * The date may not be in the future; the learners and the contracts must be the council's. Gives the learners and the
 * contracts (ids sorted, and their names sorted for the audit sentence), each once.
 */
async function checkFacts(db: DbOrTx, ctx: RequestContext, councilId: string, data: ImprovementInput, credited: readonly string[] = []) {
  if (data.date > todayIso(ctx.clock)) throw new ValidationError({ date: 'Date must be today or in the past' });
  if (data.learnerIds.length) {
    const learners = new Set((await repo.councilLearners(db, councilId, credited)).map((l) => l.personId));
    if (data.learnerIds.some((id) => !learners.has(id))) throw new ValidationError({ learnerIds: learnersMessage });
  }
  const contractIds = [...new Set(data.contractIds)].sort();
  const names = new Map<string, string>();
  if (contractIds.length) {
    for (const c of await repo.councilContracts(db, councilId)) names.set(c.contractId, c.name);
    if (contractIds.some((id) => !names.has(id))) throw new ValidationError({ contractIds: contractsMessage });
  }
  return { learnerIds: [...new Set(data.learnerIds)].sort(), contracts: { ids: contractIds, names: contractIds.map((id) => names.get(id)!).sort() } };
}

type Linked = { learnerIds: readonly string[]; contracts: { ids: readonly string[]; names: readonly string[] } };
const snapshot = (i: { councilId: string; type: string; description: string }) => ({ councilId: i.councilId, type: i.type, description: i.description });
const detail = (data: { type: string; description: string; date: string; valuePence: number | null; cashable: boolean | null }, linked: Linked) => ({
  type: data.type,
  description: data.description,
  date: data.date,
  valuePence: data.valuePence,
  cashable: data.cashable,
  learnerIds: linked.learnerIds,
  contractIds: linked.contracts.ids,
  contractNames: linked.contracts.names,
});

/**
 * A duplicate (same council, type, date and description) is a 409, however the two requests raced. A key contract (or
 * a learner) removed between the check and the save fails the link's foreign key: the same 400/422 as choosing one not
 * on the list, and nothing is written (the transaction rolls back).
 */
async function refusingDuplicates<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(duplicateMessage);
    if (isForeignKeyViolation(err)) {
      const constraint = violatedConstraint(err) ?? '';
      if (constraint.startsWith('improvement_contracts_contract_id')) throw new ValidationError({ contractIds: contractsMessage });
      if (constraint.startsWith('improvement_learners_person_id')) throw new ValidationError({ learnerIds: learnersMessage });
    }
    throw err;
  }
}

export async function recordImprovement(db: Db, ctx: RequestContext, input: unknown): Promise<string> {
  const councilId = ownCouncilOf(ctx);
  const data = parseOrThrow(improvementSchema, input);
  const linked = await checkFacts(db, ctx, councilId, data);
  return refusingDuplicates(() =>
    db.transaction(async (tx) => {
      const now = ctx.clock.now();
      const id = await repo.insertImprovement(
        tx,
        {
          councilId,
          type: data.type,
          description: data.description,
          improvedOn: data.date,
          valuePence: data.valuePence,
          cashable: data.cashable,
          recordedById: ctx.actor!.personId,
          createdAt: now,
          updatedAt: now,
        },
        linked.learnerIds,
        linked.contracts.ids,
      );
      await recordAudit(tx, ctx, { action: 'improvement.recorded', recordType: 'improvement', recordId: id, before: null, after: { councilId, ...detail(data, linked) } });
      return id;
    }),
  );
}

/** The council changes its improvement (not once verified); a queried one is resubmitted. A stale version is a 409. */
export async function updateImprovement(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const current = await improvementFor(db, ctx, scope, id, 'edit');
  const data = parseOrThrow(improvementSchema, input);
  if (!mayEdit(current.status)) throw new ConflictError('A verified improvement cannot be changed');
  const linked = await checkFacts(db, ctx, current.councilId, data, current.learnerIds);
  const currentContracts = await repo.contractsOf(db, id);
  const version = data.version ?? current.version;
  await refusingDuplicates(() =>
    db.transaction(async (tx) => {
      const resubmitted = current.status === 'queried';
      const changed = await repo.updateImprovementIfVersion(tx, id, version, {
        type: data.type,
        description: data.description,
        improvedOn: data.date,
        valuePence: data.valuePence,
        cashable: data.cashable,
        status: 'submitted',
        updatedAt: ctx.clock.now(),
      });
      if (!changed) throw new ConflictError(staleMessage, 'version');
      await repo.replaceLearners(tx, id, linked.learnerIds);
      await repo.replaceContracts(tx, id, linked.contracts.ids);
      const byId = [...currentContracts].sort((a, b) => (a.contractId < b.contractId ? -1 : 1));
      const before = detail({ ...current, date: current.improvedOn }, { learnerIds: current.learnerIds, contracts: { ids: byId.map((c) => c.contractId), names: byId.map((c) => c.name).sort() } });
      await recordAudit(tx, ctx, {
        action: resubmitted ? 'improvement.resubmitted' : 'improvement.updated',
        recordType: 'improvement',
        recordId: id,
        before: { councilId: current.councilId, ...before, status: current.status },
        after: { councilId: current.councilId, ...detail(data, linked), status: 'submitted' },
      });
    }),
  );
}

/** A reviewer verifies or queries a submitted improvement; anything else (already decided, stale) is a 409. */
export async function reviewImprovement(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const current = await improvementFor(db, ctx, scope, id, 'review');
  const data = parseOrThrow(reviewSchema, input);
  if (!mayReview(current.status)) {
    throw new ConflictError(`This improvement is ${improvementStatusLabels[current.status].toLowerCase()}: only a submitted improvement can be verified or queried`);
  }
  const note = data.note || null;
  await db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const changed = await repo.updateImprovementIfVersion(tx, id, data.version ?? current.version, {
      status: data.decision,
      reviewNote: note,
      reviewedById: ctx.actor!.personId,
      reviewedAt: now,
      updatedAt: now,
    });
    if (!changed) throw new ConflictError(staleMessage, 'version');
    await recordAudit(tx, ctx, {
      action: data.decision === 'verified' ? 'improvement.verified' : 'improvement.queried',
      recordType: 'improvement',
      recordId: id,
      before: { ...snapshot(current), status: current.status },
      after: { ...snapshot(current), status: data.decision, note },
    });
  });
}

/**
 * Evidence is checked against the improvement's status before the work starts (a clear 409 at once) and again here, in
 * the writing transaction with the row locked: a verification landing between the two would otherwise leave evidence
 * added to (or taken from) an improvement already verified.
 */
async function stillEditable(tx: DbOrTx, id: string) {
  const status = await repo.lockedStatus(tx, id);
  if (!status) throw new NotFoundError();
  if (!mayEdit(status)) throw new ConflictError('A verified improvement cannot be changed');
}

/** The council adds an https link as evidence (not once verified). */
export async function addEvidence(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown) {
  const current = await improvementFor(db, ctx, scope, id, 'edit');
  const data = parseOrThrow(evidenceLinkSchema, input);
  if (!mayEdit(current.status)) throw new ConflictError('A verified improvement cannot be changed');
  await db.transaction(async (tx) => {
    await stillEditable(tx, id);
    await repo.insertEvidence(tx, { improvementId: id, title: data.title, url: data.url, addedById: ctx.actor!.personId, addedAt: ctx.clock.now() });
    await recordAudit(tx, ctx, { action: 'improvement.evidence_added', recordType: 'improvement', recordId: id, before: null, after: { ...snapshot(current), evidence: data.title, url: data.url } });
  });
}

/**
 * The council adds a file as evidence (not once verified: 409), with the resource library's upload rules
 * (src/files: type from the bytes, size limit, stored through the storage interface).
 */
export async function addEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, file: UploadedFile | null): Promise<string> {
  const current = await improvementFor(deps.db, ctx, scope, id, 'edit');
  if (!mayEdit(current.status)) throw new ConflictError('A verified improvement cannot be changed');
  return files.addEvidenceFile(deps, { improvementId: id }, file, { personId: ctx.actor!.personId, at: ctx.clock.now() }, async (tx, stored) => {
    await stillEditable(tx, id);
    await recordAudit(tx, ctx, {
      action: 'improvement.evidence_file_added',
      recordType: 'improvement',
      recordId: id,
      before: null,
      after: { ...snapshot(current), fileName: stored.fileName, contentType: stored.contentType, sizeBytes: stored.sizeBytes },
    });
  });
}

/** An evidence file of an improvement the actor sees (404 otherwise, as for the improvement), with its bytes. */
export async function openEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, fileId: string) {
  await getImprovement(deps.db, ctx, scope, id);
  return files.openEvidenceFile(deps, { improvementId: id }, fileId);
}

/** One evidence file of an improvement the actor may change now, for the removal's confirmation page: 404, 403, or 409 once verified. */
export async function removableEvidenceFile(db: DbOrTx, ctx: RequestContext, scope: CouncilScope, id: string, fileId: string) {
  const current = await improvementFor(db, ctx, scope, id, 'edit');
  const file = await files.evidenceFileOf(db, { improvementId: id }, fileId);
  if (!mayEdit(current.status)) throw new ConflictError('A verified improvement cannot be changed');
  return { improvement: current, file };
}

/** The council removes an evidence file (not once verified: 409): the row and its audit event, then the stored bytes. */
export async function removeEvidenceFile(deps: EvidenceDeps, ctx: RequestContext, scope: CouncilScope, id: string, fileId: string) {
  const { improvement: current } = await removableEvidenceFile(deps.db, ctx, scope, id, fileId);
  await files.removeEvidenceFile(deps, { improvementId: id }, fileId, async (tx, file) => {
    await stillEditable(tx, id);
    await recordAudit(tx, ctx, {
      action: 'improvement.evidence_file_removed',
      recordType: 'improvement',
      recordId: id,
      before: { ...snapshot(current), fileName: file.fileName, contentType: file.contentType, sizeBytes: file.sizeBytes },
      after: null,
    });
  });
}

/** The improvement's evidence files, oldest first. */
export const evidenceFilesOf = (db: DbOrTx, improvementId: string) => files.evidenceFilesOf(db, { improvementId });
