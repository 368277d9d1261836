/**
 * Critical success factors (issue 13 item 2): what the programme must achieve, each judged by indicators of the
 * catalogue against a target and an amber threshold, kept by the programme admins. One transaction per command, each
 * with its audit event (recordType `csf`, the CSF's id; `name` in every snapshot so the log names it).
 */
import type { Db, DbOrTx } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import type { Actor } from '../auth/policy.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { isUuid } from '../learners/service.ts';
import { indicatorByKey, type Indicator } from './catalogue.ts';
import { csfCreateSchema, csfSchema } from './schemas.ts';
import { currentIndicators, formatValue, type IndicatorValue } from './service.ts';
import * as repo from './repository.ts';

export type { CsfRow } from './repository.ts';

export type Rag = 'green' | 'amber' | 'red';

/** How each status reads on a tag (words, never colour alone) and the GOV.UK tag colour it takes. */
export const ragLabels: Record<Rag, string> = { green: 'Green: on target', amber: 'Amber: close to target', red: 'Red: off target' };
export const ragTagClasses: Record<Rag | 'none', string> = { green: 'govuk-tag--green', amber: 'govuk-tag--orange', red: 'govuk-tag--red', none: 'govuk-tag--grey' };

/**
 * The RAG status of a value against a target and amber threshold: green at or beyond the target, amber at or beyond
 * the threshold, red otherwise ("beyond" is above, or below when lower is better). None without a value.
 */
export function ragOf(indicator: Pick<Indicator, 'higherIsBetter'>, value: number | null, target: number, amber: number): Rag | null {
  if (value === null) return null;
  const atLeast = (threshold: number) => (indicator.higherIsBetter ? value >= threshold : value <= threshold);
  if (atLeast(target)) return 'green';
  if (atLeast(amber)) return 'amber';
  return 'red';
}

const duplicateName = () => new ConflictError('There is already a CSF with this name', 'name');
const stale = () => new ConflictError('Someone else changed this CSF since you opened it. Check it and try again.', 'version');

/** The CSF, or 404 (an id that is not a uuid too). */
export async function getCsf(db: DbOrTx, id: string): Promise<repo.CsfRow> {
  const [csf] = isUuid(id) ? await repo.listCsfs(db, id) : [];
  if (!csf) throw new NotFoundError();
  return csf;
}

/** What the audit log keeps of a CSF: every field, so the sentence can name what changed. */
const snapshot = (csf: { name: string; description: string; position: number; indicators: readonly repo.CsfIndicatorRow[] }) => ({
  name: csf.name,
  description: csf.description,
  position: csf.position,
  indicators: csf.indicators.map((i) => ({ key: i.key, target: i.target, amber: i.amber })),
});

export async function createCsf(db: Db, ctx: RequestContext, input: unknown): Promise<string> {
  const data = parseOrThrow(csfCreateSchema, input);
  if (await repo.findCsfByName(db, data.name)) throw duplicateName();
  try {
    return await db.transaction(async (tx) => {
      const id = await repo.insertCsf(tx, { ...data, now: ctx.clock.now() });
      await repo.replaceCsfIndicators(tx, id, data.indicators);
      await recordAudit(tx, ctx, { action: 'csf.created', recordType: 'csf', recordId: id, before: null, after: snapshot(data) });
      return id;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName();
    throw err;
  }
}

/** Changes a CSF (its indicators replaced by those given), refusing a stale version or another CSF's name with 409. */
export async function updateCsf(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const csf = await getCsf(db, id);
  const data = parseOrThrow(csfSchema, input);
  const other = await repo.findCsfByName(db, data.name);
  if (other && other.id !== csf.id) throw duplicateName();
  try {
    await db.transaction(async (tx) => {
      if (!(await repo.updateCsfIfVersion(tx, csf.id, data.version ?? csf.version, { ...data, now: ctx.clock.now() }))) throw stale();
      await repo.replaceCsfIndicators(tx, csf.id, data.indicators);
      await recordAudit(tx, ctx, { action: 'csf.updated', recordType: 'csf', recordId: csf.id, before: snapshot(csf), after: snapshot(data) });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName();
    throw err;
  }
}

/** Deletes a CSF and its targets (the indicators and their snapshots stay), if it is still at the version read. */
export async function deleteCsf(db: Db, ctx: RequestContext, id: string, version: unknown): Promise<repo.CsfRow> {
  const csf = await getCsf(db, id);
  const v = Number(version);
  // The confirmation page sends the version it showed; without it nothing is deleted.
  if (version === undefined || version === '' || !Number.isInteger(v) || v < 1) throw new ValidationError({ _form: 'Confirm the deletion from the CSF’s delete page' });
  await db.transaction(async (tx) => {
    if (!(await repo.deleteCsfIfVersion(tx, csf.id, v))) throw stale();
    await recordAudit(tx, ctx, { action: 'csf.deleted', recordType: 'csf', recordId: csf.id, before: snapshot(csf), after: null });
  });
  return csf;
}

/** A threshold as text in its indicator's unit ("75.0%", "£1,500.00", "12"). */
export const thresholdText = (indicator: Indicator, n: number) => formatValue(indicator, n);

export type CsfIndicatorView = IndicatorValue & { target: number; amber: number; targetText: string; amberText: string; rag: Rag | null };
export type CsfView = Omit<repo.CsfRow, 'indicators'> & { indicators: CsfIndicatorView[]; counts: Record<Rag, number> };

/**
 * Every CSF with each indicator's value as of today as the actor may see it (the evaluation page's values, scope and
 * suppression), its target and RAG status. A suppressed value has no status: it would tell what the value hides.
 */
export async function csfOverview(db: Db, actor: Actor, clock: Clock, only?: repo.CsfRow) {
  const [figures, csfs] = await Promise.all([currentIndicators(db, actor, clock), only ? Promise.resolve([only]) : repo.listCsfs(db)]);
  const byKey = new Map(figures.rows.map((r) => [r.key, r]));
  const views: CsfView[] = csfs.map((csf) => {
    const indicators = csf.indicators.map((t) => {
      const current = byKey.get(t.key)!;
      const indicator = indicatorByKey.get(t.key)!;
      return { ...current, target: t.target, amber: t.amber, targetText: thresholdText(indicator, t.target), amberText: thresholdText(indicator, t.amber), rag: ragOf(indicator, current.value, t.target, t.amber) };
    });
    const counts = { green: 0, amber: 0, red: 0 };
    for (const i of indicators) if (i.rag) counts[i.rag] += 1;
    return { ...csf, indicators, counts };
  });
  return { ...figures, csfs: views };
}
