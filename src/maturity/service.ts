/**
 * Maturity assessments (docs/maturity.md): a council's baseline and follow-ups against a framework, drafted (partial
 * answers allowed) and submitted (every area answered); submitted ones never change except for a specialist's
 * moderation of an area's score, kept beside the council's own. One transaction per command, each audited.
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { formatDate } from '../web/format.ts';
import { parseOrThrow } from '../web/forms.ts';
import { contractManagementKey } from './framework.ts';
import * as repo from './repository.ts';
import { draftSchema, evidenceMaxLength, moderateSchema, startSchema, type ApiAssessment, type AreaAnswer } from './schemas.ts';
import type { AreaRow, AssessmentRow, ScoreRow } from './repository.ts';

export type { AreaRow, AssessmentRow, ScoreRow } from './repository.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The score that counts: a specialist's moderated score where there is one, else the council's own. */
export const effectiveScore = (s: Pick<ScoreRow, 'score' | 'moderatedScore'> | undefined) => s?.moderatedScore ?? s?.score ?? null;

/** The framework every new assessment uses, with its areas in order (block by block). */
export async function currentFramework(db: DbOrTx) {
  const framework = await repo.findFramework(db, contractManagementKey);
  if (!framework) throw new Error('The contract-management maturity framework is missing: the database was not prepared');
  return { ...framework, areas: await repo.frameworkAreas(db, framework.id) };
}

/** The areas grouped by block, for pages that show them under their block's heading. */
export function byBlock<T extends { blockKey: string; blockName: string }>(areas: readonly T[]) {
  const blocks: { key: string; name: string; areas: T[] }[] = [];
  for (const a of areas) {
    const last = blocks[blocks.length - 1];
    if (last && last.key === a.blockKey) last.areas.push(a);
    else blocks.push({ key: a.blockKey, name: a.blockName, areas: [a] });
  }
  return blocks;
}

export type Assessment = AssessmentRow & { areas: AreaRow[]; scores: Map<string, ScoreRow> };

/** One assessment in scope, with its framework's areas and its scores; 404 for an unknown id or one outside scope. */
export async function getAssessment(db: DbOrTx, scope: CouncilScope, id: string): Promise<Assessment> {
  const row = uuidPattern.test(id) ? await repo.findAssessment(db, scope, id) : null;
  if (!row) throw new NotFoundError();
  const [areas, scores] = await Promise.all([repo.frameworkAreas(db, row.frameworkId), repo.scoresOf(db, [row.id])]);
  return { ...row, areas, scores: scores.get(row.id)! };
}

/** Rows of a list with their areas and scores, read in one query per framework and one for all the scores. */
export async function withAnswers(db: DbOrTx, rows: readonly AssessmentRow[]): Promise<Assessment[]> {
  const scores = await repo.scoresOf(db, rows.map((r) => r.id));
  const areas = new Map<string, AreaRow[]>();
  for (const id of new Set(rows.map((r) => r.frameworkId))) areas.set(id, await repo.frameworkAreas(db, id));
  return rows.map((r) => ({ ...r, areas: areas.get(r.frameworkId)!, scores: scores.get(r.id)! }));
}

export async function listAssessments(db: DbOrTx, scope: CouncilScope, filters: repo.AssessmentFilters, page: { page: number; pageSize: number } | null) {
  return repo.listAssessments(db, scope, filters, page && { limit: page.pageSize, offset: (page.page - 1) * page.pageSize });
}

/** A council in scope, or 404 (another council's assessments are never shown, not even that they exist). */
export async function councilOf(db: DbOrTx, scope: CouncilScope, councilId: string) {
  const council = uuidPattern.test(councilId) ? await repo.councilInScopeName(db, scope, councilId) : null;
  if (!council) throw new NotFoundError();
  return council;
}

const submittedMessage = (a: Pick<AssessmentRow, 'submittedAt' | 'kind'>) =>
  `This ${a.kind === 'baseline' ? 'baseline' : 'follow-up'} assessment was submitted on ${formatDate(a.submittedAt)} and can no longer be changed: start a follow-up to record a new assessment`;
const staleMessage = 'Someone else saved this assessment after you opened it: your changes were not saved. Check their answers, then save yours again';

/**
 * Starts the council's next assessment as a draft: its baseline when it has none, else a follow-up that starts from
 * its last submitted assessment (scores, evidence and targets copied). A council has one draft at a time (409).
 */
export async function startAssessment(db: Db, ctx: RequestContext, scope: CouncilScope, input: unknown): Promise<Assessment> {
  const { councilId } = parseOrThrow(startSchema, input);
  const council = await councilOf(db, scope, councilId);
  const draftExists = async () => {
    const draft = await repo.findDraftId(db, council.id);
    return draft ? new ConflictError(`${council.name} already has a draft assessment: continue that one (or submit it) before starting another`) : null;
  };
  const existing = await draftExists();
  if (existing) throw existing;
  const framework = await currentFramework(db);
  let id: string;
  try {
    id = await db.transaction(async (tx) => {
      const baseline = await repo.hasBaseline(tx, council.id);
      const basedOnId = baseline ? await repo.lastSubmittedId(tx, council.id) : null;
      const kind = baseline ? 'follow_up' : 'baseline';
      const newId = await repo.insertAssessment(tx, { councilId: council.id, frameworkId: framework.id, kind, basedOnId, createdById: ctx.actor?.personId ?? null, now: ctx.clock.now() });
      if (basedOnId) await repo.copyScores(tx, basedOnId, newId);
      await recordAudit(tx, ctx, { action: 'maturity.started', recordType: 'maturity_assessment', recordId: newId, before: null, after: { councilId: council.id, kind, basedOnId } });
      return newId;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw (await draftExists()) ?? new ConflictError(`${council.name} already has a baseline assessment`);
  }
  return getAssessment(db, { kind: 'all' }, id);
}

type Normalised = { areaId: string; key: string; name: string; score: number | null; evidence: string | null; target: number | null };

/**
 * Checks each answer against the framework's areas, naming the area in every message (keyed `score-<area key>` etc.).
 * A field left out keeps what is stored; null (or a blank box) clears it.
 */
function checkAnswers(areas: readonly AreaRow[], answers: readonly AreaAnswer[], stored: ReadonlyMap<string, ScoreRow>): Normalised[] {
  const byKey = new Map(areas.map((a) => [a.key, a]));
  const errors: FieldErrors = {};
  const seen = new Set<string>();
  const out: Normalised[] = [];
  answers.forEach((answer, i) => {
    const area = byKey.get(answer.area);
    if (!area) {
      errors[`areas.${i}.area`] = `There is no area “${answer.area}” in this framework`;
      return;
    }
    if (seen.has(area.key)) {
      errors[`areas.${i}.area`] = `${area.name} is answered more than once`;
      return;
    }
    seen.add(area.key);
    for (const field of ['score', 'target'] as const) {
      const v = answer[field];
      if (v != null && (v < 1 || v > 5)) errors[`${field}-${area.key}`] = `${field === 'score' ? 'Score' : 'Target level'} for ${area.name} must be from 1 to 5`;
    }
    const kept = stored.get(area.id);
    const evidence = answer.evidence === undefined ? (kept?.evidence ?? null) : answer.evidence?.trim() || null;
    if (evidence && evidence.length > evidenceMaxLength) errors[`evidence-${area.key}`] = `Evidence for ${area.name} must be ${evidenceMaxLength} characters or fewer`;
    const pick = (field: 'score' | 'target') => (answer[field] === undefined ? (kept?.[field] ?? null) : answer[field]);
    out.push({ areaId: area.id, key: area.key, name: area.name, score: pick('score'), evidence, target: pick('target') });
  });
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return out;
}

/** What a submission lacks: every area needs a score, evidence and a target level. */
export function missingAnswers(areas: readonly AreaRow[], scores: ReadonlyMap<string, Pick<ScoreRow, 'score' | 'evidence' | 'target'>>): FieldErrors {
  const errors: FieldErrors = {};
  for (const area of areas) {
    const s = scores.get(area.id);
    if (s?.score == null) errors[`score-${area.key}`] = `Select a score for ${area.name}`;
    if (!s?.evidence?.trim()) errors[`evidence-${area.key}`] = `Enter the evidence for ${area.name}`;
    if (s?.target == null) errors[`target-${area.key}`] = `Select a target level for ${area.name}`;
  }
  return errors;
}

/**
 * Saves answers to a draft (any areas, blanks allowed), and with `submit` then submits it: all areas answered,
 * else nothing is written and each missing answer is named. A submitted assessment is refused with 409, as is a
 * stale `version`.
 */
export async function saveAssessment(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown, opts: { submit: boolean }): Promise<Assessment> {
  const current = await getAssessment(db, scope, id);
  if (current.status !== 'draft') throw new ConflictError(submittedMessage(current));
  const data = parseOrThrow(draftSchema, input ?? {});
  const answers = checkAnswers(current.areas, data.areas, current.scores);
  if (opts.submit) {
    const merged = new Map(current.scores);
    for (const a of answers) merged.set(a.areaId, { ...(merged.get(a.areaId) as ScoreRow), score: a.score, evidence: a.evidence, target: a.target });
    const missing = missingAnswers(current.areas, merged);
    if (Object.keys(missing).length) throw new ValidationError(missing);
  }
  await db.transaction(async (tx) => {
    const now = ctx.clock.now();
    if (!(await repo.touchDraft(tx, id, data.version ?? null, now))) {
      const fresh = await repo.findAssessment(tx, { kind: 'all' }, id);
      throw fresh?.status === 'submitted' ? new ConflictError(submittedMessage(fresh)) : new ConflictError(staleMessage, 'version');
    }
    await repo.upsertScores(tx, id, answers);
    const changed = answers.filter((a) => {
      const before = current.scores.get(a.areaId);
      return (before?.score ?? null) !== a.score || (before?.target ?? null) !== a.target || (before?.evidence ?? null) !== a.evidence;
    });
    if (changed.length || !opts.submit) {
      await recordAudit(tx, ctx, {
        action: 'maturity.draft_saved',
        recordType: 'maturity_assessment',
        recordId: id,
        before: { scores: Object.fromEntries(changed.map((a) => [a.name, current.scores.get(a.areaId)?.score ?? null])) },
        after: { councilId: current.councilId, kind: current.kind, scores: Object.fromEntries(changed.map((a) => [a.name, a.score])) },
      });
    }
    if (opts.submit) {
      if (!(await repo.markSubmitted(tx, id, ctx.actor?.personId ?? null, now))) throw new ConflictError(staleMessage, 'version');
      await recordAudit(tx, ctx, {
        action: 'maturity.submitted',
        recordType: 'maturity_assessment',
        recordId: id,
        before: { status: 'draft' },
        after: { status: 'submitted', councilId: current.councilId, kind: current.kind },
      });
    }
  });
  return getAssessment(db, { kind: 'all' }, id);
}

/**
 * A specialist's (or admin's) moderation of one area of a submitted assessment: the moderated score and the reason
 * are kept beside the council's own score, which never changes. A draft is refused with 409.
 */
export async function moderate(db: Db, ctx: RequestContext, scope: CouncilScope, id: string, input: unknown): Promise<Assessment> {
  const current = await getAssessment(db, scope, id);
  if (current.status !== 'submitted') throw new ConflictError('Only a submitted assessment can be moderated: this one is still a draft');
  const data = parseOrThrow(moderateSchema, input);
  const area = current.areas.find((a) => a.key === data.area || a.id === data.area);
  if (!area) throw new ValidationError({ area: 'Select the area' });
  const before = current.scores.get(area.id);
  if (effectiveScore(before) === data.score) throw new ValidationError({ score: `The score for ${area.name} is already ${data.score}: choose a different score` });
  await db.transaction(async (tx) => {
    await repo.moderateScore(tx, { assessmentId: id, areaId: area.id, score: data.score, reason: data.reason, by: ctx.actor?.personId ?? null, now: ctx.clock.now() });
    await recordAudit(tx, ctx, {
      action: 'maturity.moderated',
      recordType: 'maturity_assessment',
      recordId: id,
      before: { area: area.name, score: effectiveScore(before) },
      after: { councilId: current.councilId, area: area.name, ownScore: before?.score ?? null, score: data.score, reason: data.reason },
    });
  });
  return getAssessment(db, { kind: 'all' }, id);
}

export function toApiAssessment(a: Assessment): ApiAssessment {
  return {
    id: a.id,
    councilId: a.councilId,
    councilName: a.councilName,
    framework: a.frameworkKey,
    kind: a.kind,
    status: a.status,
    basedOnId: a.basedOnId,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    submittedAt: a.submittedAt?.toISOString() ?? null,
    submittedByName: a.submittedByName,
    version: a.version,
    areas: a.areas.map((area) => {
      const s = answersOf(a, area);
      return { areaId: area.id, area: area.key, areaName: area.name, block: area.blockName, ...s, moderatedAt: s.moderatedAt?.toISOString() ?? null };
    }),
  };
}

/** One area's answers in an assessment, null where there are none (the pages and the API read them alike). */
export function answersOf(a: Assessment, area: AreaRow) {
  const s = a.scores.get(area.id);
  return {
    score: s?.score ?? null,
    evidence: s?.evidence ?? null,
    target: s?.target ?? null,
    moderatedScore: s?.moderatedScore ?? null,
    moderationReason: s?.moderationReason ?? null,
    moderatedByName: s?.moderatedByName ?? null,
    moderatedAt: s?.moderatedAt ?? null,
  };
}

/**
 * A council's change: per area its baseline score and its latest submitted score (moderated where moderated) and
 * the difference; null when the council has no submitted baseline yet.
 */
export async function councilChange(db: DbOrTx, councilId: string) {
  const { rows } = await repo.listAssessments(db, { kind: 'own', councilId }, { councilId, status: 'submitted' }, null);
  const baseline = rows.find((r) => r.kind === 'baseline');
  if (!baseline) return null;
  const latest = rows[0];
  const [areas, scores] = await Promise.all([repo.frameworkAreas(db, baseline.frameworkId), repo.scoresOf(db, [baseline.id, latest.id])]);
  return {
    baseline,
    latest,
    areas: areas.map((area) => {
      const before = effectiveScore(scores.get(baseline.id)!.get(area.id));
      const after = effectiveScore(scores.get(latest.id)!.get(area.id));
      const target = scores.get(latest.id)!.get(area.id)?.target ?? null;
      return { key: area.key, name: area.name, blockName: area.blockName, baseline: before, latest: after, target, change: before !== null && after !== null ? after - before : null };
    }),
  };
}
export type CouncilChange = NonNullable<Awaited<ReturnType<typeof councilChange>>>;

/** "+1", "0", "−1" as the pages write a change of level. */
export const signed = (n: number | null) => (n === null ? '–' : n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '0');

/** "4 December 2026" for a submitted assessment's date. */
export const formatShortDate = (d: Date | null) => formatDate(d);
