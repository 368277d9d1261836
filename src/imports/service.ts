/**
 * Spreadsheet uploads: nominations (councils and admins) and training-provider results (admins).
 *
 * Every upload runs in three phases. (1) The file is read (parse.ts). (2) Every row is checked with plain reads
 * outside any transaction — unknown codes, people, levels, dates, repeated rows, and for results the whole file
 * replayed through the journey state machine from each enrolment's current state — so a bad file is refused
 * without ever holding a lock. (3) Only when every row is valid, one short write transaction applies the rows with
 * the same rules the pages use, in bulk (bulk.ts: nominateManyInTx and applyEventsInTx write what nominateInTx and
 * applyEventInTx would, row after row, in a few set-based statements). Anything refused is mapped back to
 * its row and the transaction rolls back: all or nothing. A row already applied (a live enrolment on the level; an
 * event of that type on that date in the history) is counted as unchanged, so uploading a file twice is a no-op.
 */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { isConcurrencyFailure, isUniqueViolation, type Db, type DbOrTx } from '../db/client.ts';
import { can, councilScope, type Actor, type CouncilScope } from '../auth/policy.ts';
import { placesOverBudgetWarnings, sameWarnings, type PlaceChange } from '../funding/service.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { todayIso } from '../clock.ts';
import { toCsv, type ExportColumn } from '../web/export.ts';
import { applyEventsInTx, BulkRefusal, nominateManyInTx, planEvents } from '../enrolments/bulk.ts';
import { nominatesAnyOpenPeriod, nominatorOf, personRefusal } from '../enrolments/service.ts';
import { currentPeriodWindow, periodRefusal } from '../enrolments/periods.ts';
import { newLearnerSchema, pastDate, journeyEventSchema } from '../enrolments/schemas.ts';
import { apply, eventTypes, isPeriod, journeyStateOf, levelLabels, levels, refusal, type EventType, type JourneyState, type Level, type PlaceEffect } from '../enrolments/journey.ts';
import { journeyRules } from '../settings/service.ts';
import { importLimits } from './limits.ts';
import { FileError, headerKey, readSpreadsheet, reportErrorColumn, type RowError, type Sheet, type SheetRow } from './parse.ts';
import { importColumns, type ImportKind } from './columns.ts';
import * as repo from './repository.ts';
import { inSlices, nextTurn } from '../db/batches.ts';

export type Upload = { buffer: Buffer; fileName: string | null };

/** `budgetWarnings`: the training-places lines the file's approvals took over budget (see RunOptions.budget). */
export type ImportSuccess = { ok: true; runId: string; rows: number; created: number; unchanged: number; invited: number; budgetWarnings: string[] };
/** `budgetWarnings`: a valid file held back, unwritten, because its approvals would take these lines over budget. */
export type ImportFailure = { ok: false; runId: string; rows: number; fileErrors: string[]; rowErrors: RowError[]; hasReport: boolean; budgetWarnings: string[] };
export type ImportOutcome = ImportSuccess | ImportFailure;

/** Where a running upload has got to: reported between phases and every `progressEvery` rows while checking. */
export type ImportProgress = { phase: 'reading' | 'checking' | 'writing'; processed: number; total: number };

/**
 * How an upload runs: into an import run created beforehand (a background upload's queued run), reporting its
 * progress; without a run id the outcome is stored as a new run (the API's synchronous upload).
 */
export type RunOptions = {
  runId?: string;
  progress?: (p: ImportProgress) => Promise<void>;
  /**
   * A results file whose approvals would take a training-places line over budget (worked out for those who read the
   * funds' figures): `hold` (the page) writes nothing and answers the warnings, unless they are exactly `confirmed`
   * (those the page showed when the uploader ticked "Upload anyway"): then it is written, the audit event saying so.
   * Without `budget` (the API) it is written and the outcome carries the warnings.
   */
  budget?: 'hold';
  confirmed?: readonly string[];
};

/** How a held-back file's warnings are stored among the run's errors (no row, no column), told apart by the flag. */
export type StoredBudgetWarning = { row: null; column: null; message: string; overBudget: true };

/** Rows checked between progress reports; the check also yields to other requests at each report. */
export const progressEvery = 1000;

/** The reason recorded for events that need one (declined, deferred, withdrawn) when they come from a results upload. */
export const uploadReason = 'Recorded from the training provider’s results upload';

/** Councils whose officers may be nominated (as in the nominations service). */
const nominatingStatuses = ['onboarding', 'active'];

const byRow = (a: RowError, b: RowError) => a.row - b.row;

/** Collects row errors; one row may have several (one per column). */
class Problems {
  list: RowError[] = [];
  rows = new Set<number>();
  add(row: number, column: string, message: string) {
    this.list.push({ row, column, message });
    this.rows.add(row);
  }
  has(row: number) {
    return this.rows.has(row);
  }
}

/** Called before each row is checked (with its index): reports progress and yields every `progressEvery` rows. */
type Tick = (index: number) => Promise<void>;

/** Raised inside the write transaction to roll it back with the rows' errors. */
class RowsRefused extends Error {
  constructor(readonly errors: RowError[]) {
    super('rows refused');
  }
}

/** Normalises a level or event as people type them: "Learning started" → learning_started. */
const token = (s: string) => s.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** Remembers the first row of each key, to report a row repeated within the file. */
function repeats(problems: Problems, row: SheetRow, seen: Map<string, number>, key: string, what: string) {
  const earlier = seen.get(key);
  if (earlier !== undefined) {
    problems.add(row.row, 'email', `Row ${row.row} repeats row ${earlier} (${what}): remove one of them`);
    return true;
  }
  seen.set(key, row.row);
  return false;
}

const emailFormat = newLearnerSchema.shape.email;

// ---------------------------------------------------------------------------------------------- nominations

type NominationRow = { row: number; councilId: string; level: Level; period: string; name: string; email: string; jobTitle: string | null };

async function checkNominations(db: Db, ctx: RequestContext, scope: CouncilScope, sheet: Sheet, problems: Problems, tick: Tick): Promise<NominationRow[]> {
  // An upload never goes outside a council's email domains; a council's own staff learn nothing of people elsewhere.
  const who = nominatorOf(ctx, false, true);
  const periods = await currentPeriodWindow(db, ctx.clock);
  const anyOpenPeriod = nominatesAnyOpenPeriod(ctx);
  const codes = [...new Set(sheet.rows.map((r) => r.values.council_code.toUpperCase()).filter(Boolean))];
  const emails = [...new Set(sheet.rows.map((r) => r.values.email.toLowerCase()).filter(Boolean))];
  const councils = new Map((await repo.councilsByCode(db, scope, codes)).map((c) => [c.gssCode, c]));
  const people = new Map((await repo.peopleByEmail(db, emails)).map((p) => [p.email.toLowerCase(), p]));
  const seen = new Map<string, number>();
  const councilOfEmail = new Map<string, { row: number; councilId: string }>();
  const valid: NominationRow[] = [];
  for (const [i, r] of sheet.rows.entries()) {
    await tick(i);
    const v = r.values;
    const code = v.council_code.toUpperCase();
    const council = code ? councils.get(code) : undefined;
    if (!code) problems.add(r.row, 'council_code', 'Enter the council’s GSS code, like E06000001');
    else if (!council) problems.add(r.row, 'council_code', `${v.council_code} is not the GSS code of a council Pioneer knows`);
    else if (!council.inScope) problems.add(r.row, 'council_code', `You cannot nominate officers of ${council.name}: upload nominations only for councils you manage`);
    else if (!nominatingStatuses.includes(council.status ?? '')) {
      problems.add(r.row, 'council_code', `${council.name} is not onboarding or active in the programme, so its officers cannot be nominated yet`);
    }
    const person = newLearnerSchema.safeParse({ name: v.name, email: v.email, jobTitle: v.job_title });
    if (!person.success) {
      const columns: Record<string, string> = { name: 'name', email: 'email', jobTitle: 'job_title' };
      const reported = new Set<string>();
      for (const issue of person.error.issues) {
        const column = columns[String(issue.path[0])] ?? 'row';
        if (!reported.has(column)) problems.add(r.row, column, issue.message);
        reported.add(column);
      }
    }
    const level = token(v.level);
    if (!(levels as readonly string[]).includes(level)) {
      problems.add(r.row, 'level', v.level ? `Level must be foundation, practitioner or expert, not “${v.level}”` : 'Enter the level: foundation, practitioner or expert');
    }
    const period = v.period.replace('/', '-');
    if (!isPeriod(period)) {
      problems.add(r.row, 'period', v.period ? `Period must be a financial year written like 2024-25, not “${v.period}”` : 'Enter the period, a financial year like 2024-25');
    } else {
      const outside = periodRefusal(period, periods, anyOpenPeriod);
      if (outside) problems.add(r.row, 'period', outside);
    }
    const email = v.email.toLowerCase();
    const refused = person.success && council?.inScope ? personRefusal(council, people.get(email) ?? null, { email }, who) : null;
    if (refused) problems.add(r.row, 'email', refused.email);
    if (email && council) {
      const first = councilOfEmail.get(email);
      if (first && first.councilId !== council.id) problems.add(r.row, 'email', `${v.email} is nominated for another council in row ${first.row}`);
      else if (!first) councilOfEmail.set(email, { row: r.row, councilId: council.id });
    }
    if (email && level) repeats(problems, r, seen, `${email}|${level}`, 'the same email address and level');
    if (!problems.has(r.row) && person.success && council) {
      valid.push({ row: r.row, councilId: council.id, level: level as Level, period, name: person.data.name, email: person.data.email, jobTitle: person.data.jobTitle });
    }
  }
  return valid;
}

async function writeNominations(tx: DbOrTx, config: Config, ctx: RequestContext, scope: CouncilScope, rows: NominationRow[]) {
  try {
    return await nominateManyInTx(tx, config, ctx, scope, rows);
  } catch (err) {
    if (err instanceof BulkRefusal) throw new RowsRefused(err.refusals.map((f) => ({ row: f.row, column: nominationColumn(f.field), message: f.message })));
    throw err;
  }
}

const nominationColumn = (field: string) =>
  ({ councilId: 'council_code', personId: 'email', email: 'email', level: 'level', period: 'period', name: 'name', jobTitle: 'job_title' })[field] ?? 'row';

// ---------------------------------------------------------------------------------------------- results

/** A result row to apply; `level`, `period` and `place` (the funded place its move takes or gives back) for the budget check. */
type ResultRow = { row: number; enrolmentId: string; type: EventType; date: string; certificateNumber: string | undefined; level: string; period: string; place: PlaceEffect };

const certificateFormat = journeyEventSchema('9999-12-31').shape.certificateNumber;


async function checkResults(db: Db, ctx: RequestContext, sheet: Sheet, problems: Problems, tick: Tick): Promise<{ apply: ResultRow[]; unchanged: number }> {
  const today = todayIso(ctx.clock);
  const rules = await journeyRules(db);
  const dateRange = pastDate('Date', today);
  const emails = [...new Set(sheet.rows.map((r) => r.values.email.toLowerCase()).filter(Boolean))];
  const people = new Map((await repo.peopleByEmail(db, emails)).map((p) => [p.email.toLowerCase(), p]));
  const enrolments = new Map((await repo.latestEnrolments(db, [...new Set([...people.values()].map((p) => p.id))])).map((e) => [`${e.personId}|${e.level}`, e]));
  // Only events on the file's dates can make a row "already recorded", and only enrolments whose last step is on or
  // after the earliest of them can have one (steps are dated in order): usually a few, unless the file is a repeat.
  const fileDates = [...new Set(sheet.rows.map((r) => r.values.date).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)))].sort();
  const mayHaveRecorded = [...enrolments.values()].filter((e) => fileDates.length && e.lastEventOn >= fileDates[0]);
  const recorded = await repo.eventsOf(db, mayHaveRecorded.map((e) => e.id), fileDates);
  const history = new Set(recorded.map((e) => `${e.enrolmentId}|${e.type}|${e.occurredOn}|${(e.certificateNumber ?? '').toUpperCase()}`));
  const certs = [...new Set(sheet.rows.map((r) => r.values.certificate_number.toUpperCase()).filter(Boolean))];
  const taken = new Map((await repo.certificatesTaken(db, certs)).map((c) => [c.certificate, c.enrolmentId]));

  // The state each enrolment reaches as the file is replayed in order, starting from what is stored.
  const states = new Map<string, { state: JourneyState; lastEventOn: string }>();
  const certRows = new Map<string, number>();
  const seen = new Map<string, number>();
  const toApply: ResultRow[] = [];
  let unchanged = 0;
  for (const [i, r] of sheet.rows.entries()) {
    await tick(i);
    const v = r.values;
    const email = v.email.toLowerCase();
    let person: repo.PersonByEmail | undefined;
    if (!email) problems.add(r.row, 'email', 'Enter the learner’s email address');
    else if (!emailFormat.safeParse(v.email).success) problems.add(r.row, 'email', `${v.email} is not an email address in the correct format, like name@council.gov.uk`);
    else if (!(person = people.get(email))) problems.add(r.row, 'email', `No one in Pioneer has the email address ${v.email}`);
    const level = token(v.level);
    const levelOk = (levels as readonly string[]).includes(level);
    if (!levelOk) problems.add(r.row, 'level', v.level ? `Level must be foundation, practitioner or expert, not “${v.level}”` : 'Enter the level: foundation, practitioner or expert');
    const type = token(v.event);
    const typeOk = (eventTypes as readonly string[]).includes(type);
    if (!typeOk) problems.add(r.row, 'event', v.event ? `Event must be one of ${eventTypes.join(', ')}; “${v.event}” is not` : `Enter the event: one of ${eventTypes.join(', ')}`);
    let date = v.date;
    if (!date) problems.add(r.row, 'date', 'Enter the date, like 31/10/2023');
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) problems.add(r.row, 'date', `Date must be a real date, like 31/10/2023 or 2023-10-31, not “${v.date}”`);
    else {
      const checked = dateRange.safeParse(date);
      if (!checked.success) problems.add(r.row, 'date', checked.error.issues[0].message);
      else date = checked.data;
    }
    const cert = v.certificate_number;
    if (type === 'passed' && !cert) problems.add(r.row, 'certificate_number', 'Enter the certificate number for a pass');
    else if (cert && typeOk && type !== 'passed') problems.add(r.row, 'certificate_number', 'Leave certificate_number empty unless the event is passed');
    else if (cert && !certificateFormat.safeParse(cert).success) problems.add(r.row, 'certificate_number', certificateFormat.safeParse(cert).error!.issues[0].message);
    const enrolment = person && levelOk ? enrolments.get(`${person.id}|${level}`) : undefined;
    if (person && levelOk && !enrolment) problems.add(r.row, 'level', `${person.name} has no ${levelLabels[level as Level]} enrolment`);
    if (email && levelOk && typeOk && date) repeats(problems, r, seen, `${email}|${level}|${type}|${date}|${cert.toUpperCase()}`, 'the same learner, level, event and date');
    if (problems.has(r.row) || !enrolment) continue;

    if (history.has(`${enrolment.id}|${type}|${date}|${type === 'passed' ? cert.toUpperCase() : ''}`)) {
      unchanged++;
      continue;
    }
    if (cert) {
      const owner = taken.get(cert.toUpperCase());
      const earlier = certRows.get(cert.toUpperCase());
      if (owner !== undefined || earlier !== undefined) {
        problems.add(r.row, 'certificate_number', earlier ? `Certificate number ${cert} is also in row ${earlier}` : `Certificate number ${cert} is already recorded for another accreditation`);
        continue;
      }
      certRows.set(cert.toUpperCase(), r.row);
    }
    const current = states.get(enrolment.id) ?? { state: journeyStateOf(enrolment), lastEventOn: enrolment.lastEventOn };
    const event = { type: type as EventType, date, reason: uploadReason, certificateNumber: cert || null };
    const refused = refusal(current.state, event, rules);
    if (refused) {
      problems.add(r.row, refused.field === 'type' ? 'event' : refused.field === 'certificateNumber' ? 'certificate_number' : 'event', refused.message);
      continue;
    }
    if (date < current.lastEventOn) {
      problems.add(r.row, 'date', `Date must be the same as or after the learner’s last step, on ${current.lastEventOn}`);
      continue;
    }
    const move = apply(current.state, event, rules);
    states.set(enrolment.id, { state: move.next, lastEventOn: date });
    toApply.push({ row: r.row, enrolmentId: enrolment.id, type: type as EventType, date, certificateNumber: cert || undefined, level: enrolment.level, period: enrolment.period, place: move.place });
  }
  return { apply: toApply, unchanged };
}

const resultColumn = (field: string) => ({ type: 'event', reason: 'event', date: 'date', certificateNumber: 'certificate_number', cohortId: 'event' })[field] ?? 'row';

async function writeResults(tx: DbOrTx, ctx: RequestContext, rows: ResultRow[]) {
  const rules = await journeyRules(tx);
  // Locked in slices in one order (by id, as each slice is), so two uploads never wait on each other in a circle.
  const locked = new Map<string, Awaited<ReturnType<typeof repo.lockEnrolments>>[number]>();
  await inSlices([...new Set(rows.map((r) => r.enrolmentId))].sort(), async (ids) => {
    for (const e of await repo.lockEnrolments(tx, [...ids])) locked.set(e.id, e);
  });
  const problems = new Problems();
  const present = rows.filter((r) => {
    if (!locked.has(r.enrolmentId)) problems.add(r.row, 'email', 'The learner’s enrolment was removed while the file was uploading: upload the file again');
    return locked.has(r.enrolmentId);
  });
  // Replayed again from the locked rows: someone may have moved a learner since the file was checked.
  const events = present.map((r) => ({ row: r.row, enrolmentId: r.enrolmentId, event: { type: r.type, date: r.date, reason: uploadReason, certificateNumber: r.certificateNumber } }));
  const { plan, refusals } = await planEvents(locked, events, rules);
  for (const f of refusals) problems.add(f.row, resultColumn(f.field), f.message);
  if (problems.list.length) throw new RowsRefused(problems.list);
  try {
    const written = await applyEventsInTx(tx, ctx, plan);
    return { created: written.events, unchanged: 0, invited: 0 };
  } catch (err) {
    if (err instanceof BulkRefusal) throw new RowsRefused(err.refusals.map((f) => ({ row: f.row, column: resultColumn(f.field), message: f.message })));
    throw err;
  }
}

/** The funded places a results file takes and gives back, by level and period (the budget check's input). */
function placeChanges(rows: readonly ResultRow[]): PlaceChange[] {
  const changes = new Map<string, PlaceChange>();
  for (const r of rows) {
    if (r.place !== 'take' && r.place !== 'release') continue;
    const key = `${r.level}|${r.period}`;
    const change = changes.get(key) ?? { level: r.level, period: r.period, taken: 0, released: 0 };
    if (r.place === 'take') change.taken++;
    else change.released++;
    changes.set(key, change);
  }
  return [...changes.values()];
}

// ---------------------------------------------------------------------------------------------- the upload

/**
 * Checks and applies one upload; the outcome (and a refused file's rows, for the error report) is stored in the
 * import run `options.runId` names, or in a new one.
 */
export async function runImport(db: Db, config: Config, ctx: RequestContext, kind: ImportKind, upload: Upload, options: RunOptions = {}): Promise<ImportOutcome> {
  const actor = ctx.actor as Actor;
  const base = { kind, uploadedById: actor.personId, fileName: upload.fileName?.slice(0, 255) ?? null };
  const report = options.progress ?? (async () => {});
  /** Stores the outcome: the queued run finished (its file dropped), or a new run. */
  const store = (on: DbOrTx, outcome: repo.RunOutcome) =>
    options.runId ? repo.finishRun(on, options.runId, outcome, ctx.clock.now()) : repo.insertRun(on, { ...base, ...outcome, finishedAt: ctx.clock.now() });

  let sheet: Sheet;
  try {
    await report({ phase: 'reading', processed: 0, total: 0 });
    sheet = await readSpreadsheet(upload.buffer, importColumns[kind], importLimits(config));
    await nextTurn();
  } catch (err) {
    if (!(err instanceof FileError)) throw err;
    const run = await store(db, { status: 'failed', errors: err.messages.map((message) => ({ row: null, column: null, message })) });
    return { ok: false, runId: run.id, rows: 0, fileErrors: err.messages, rowErrors: [], hasReport: false, budgetWarnings: [] };
  }
  const total = sheet.rows.length;
  const refuse = async (errors: RowError[]): Promise<ImportFailure> => {
    const sorted = [...errors].sort(byRow);
    const run = await store(db, {
      status: 'failed',
      rowCount: total,
      format: sheet.format,
      errors: sorted,
      reportRows: { header: sheet.header, rows: sheet.rows.map((r) => ({ row: r.row, cells: r.cells })) },
    });
    return { ok: false, runId: run.id, rows: total, fileErrors: [], rowErrors: sorted, hasReport: true, budgetWarnings: [] };
  };
  const tick: Tick = async (index) => {
    if (index % progressEvery !== 0) return;
    await report({ phase: 'checking', processed: index, total });
    // Let other requests in between chunks (on PGlite the checking reads and this loop share the one thread).
    await nextTurn();
  };

  const problems = new Problems();
  for (const e of sheet.errors) problems.add(e.row, e.column, e.message);
  const scope = councilScope(actor);
  const checked =
    kind === 'nominations'
      ? { nominations: await checkNominations(db, ctx, scope, sheet, problems, tick) }
      : { results: await checkResults(db, ctx, sheet, problems, tick) };
  if (problems.list.length) return refuse(problems.list);

  const budgetWarnings = checked.results && can(actor, 'fund:aggregate') ? await placesOverBudgetWarnings(db, placeChanges(checked.results.apply), 'upload') : [];
  if (budgetWarnings.length && options.budget === 'hold' && !sameWarnings(budgetWarnings, options.confirmed ?? [])) {
    const errors: StoredBudgetWarning[] = budgetWarnings.map((message) => ({ row: null, column: null, message, overBudget: true }));
    const run = await store(db, { status: 'failed', rowCount: total, format: sheet.format, errors });
    return { ok: false, runId: run.id, rows: total, fileErrors: [], rowErrors: [], hasReport: false, budgetWarnings };
  }
  // Written over budget from the page only past the hold above, i.e. with the warnings confirmed; from the API, not.
  const overBudget = budgetWarnings.length ? { budgetWarnings, overBudgetConfirmed: options.budget === 'hold' } : {};

  try {
    await report({ phase: 'writing', processed: total, total });
    const outcome = await db.transaction(async (tx) => {
      const counts =
        kind === 'nominations' ? await writeNominations(tx, config, ctx, scope, checked.nominations!) : await writeResults(tx, ctx, checked.results!.apply);
      const unchanged = counts.unchanged + (checked.results?.unchanged ?? 0);
      const run = await store(tx, { status: 'succeeded', rowCount: total, format: sheet.format, created: counts.created, unchanged, invited: counts.invited });
      await recordAudit(tx, ctx, {
        action: `import.${kind}`,
        recordType: 'import_run',
        recordId: run.id,
        after: { fileName: base.fileName, format: sheet.format, rows: total, created: counts.created, unchanged, invited: counts.invited, ...overBudget },
      });
      return { ok: true as const, runId: run.id, rows: total, created: counts.created, unchanged, invited: counts.invited, budgetWarnings };
    });
    return outcome;
  } catch (err) {
    if (err instanceof RowsRefused) return refuse(err.errors);
    if (isConcurrencyFailure(err) || isUniqueViolation(err)) {
      const message = 'Someone else changed the same records while your file was uploading. Nothing was saved: upload the file again';
      const run = await store(db, { status: 'failed', rowCount: total, format: sheet.format, errors: [{ row: null, column: null, message }] });
      return { ok: false, runId: run.id, rows: total, fileErrors: [message], rowErrors: [], hasReport: false, budgetWarnings: [] };
    }
    throw err;
  }
}

/** A stored run, for its uploader or whoever may open any report (anyone else: null, which the route turns into 404). */
export async function findRunFor(db: Db, actor: Actor, id: string, anyReport: boolean) {
  if (!z.uuid().safeParse(id).success) return null;
  const run = await repo.findRun(db, id);
  if (!run || (run.uploadedById !== actor.personId && !anyReport)) return null;
  return run;
}

type ReportRow = { row: number; cells: string[]; error: string };

/** The error report: every uploaded row as it was sent, plus an `error` column; formulas neutralised (CSV injection). */
export function errorReportCsv(run: repo.ImportRunRow): string {
  const report = run.reportRows as { header: string[]; rows: { row: number; cells: string[] }[] } | null;
  if (!report) return toCsv([], [{ header: 'error', value: () => '' }]);
  const byRowErrors = new Map<number, string[]>();
  for (const e of run.errors as RowError[]) {
    const list = byRowErrors.get(e.row) ?? [];
    list.push(e.column && e.column !== 'row' ? `${e.column}: ${e.message}` : e.message);
    byRowErrors.set(e.row, list);
  }
  const width = Math.max(report.header.length, ...report.rows.map((r) => r.cells.length));
  const header = Array.from({ length: width }, (_, i) => report.header[i] ?? '');
  const rows: ReportRow[] = report.rows.map((r) => ({ row: r.row, cells: r.cells, error: (byRowErrors.get(r.row) ?? []).join('; ') }));
  const columns: ExportColumn<ReportRow>[] = [
    ...header.flatMap((h, i) => (headerKey(h) === reportErrorColumn ? [] : [{ header: h, value: (r: ReportRow) => r.cells[i] ?? '' }])),
    { header: reportErrorColumn, value: (r) => r.error },
  ];
  return toCsv(rows, columns);
}
