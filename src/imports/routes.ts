import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import type { Config } from '../config.ts';
import type { Action } from '../auth/policy.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { NotFoundError } from '../web/errors.ts';
import { toCsv, toXlsx } from '../web/export.ts';
import { formValues } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { importColumns, importKinds, importTitles, type ImportKind } from './columns.ts';
import { importLimits, maxErrorsShown } from './limits.ts';
import { errorReportCsv, findRunFor, type ImportFailure } from './service.ts';
import type { ImportRunRow } from './repository.ts';
import type { RowError } from './parse.ts';
import { queueRun, recentRuns } from './runs-repository.ts';
import { acceptSpreadsheetUploads, type FilePart } from './multipart.ts';
import { interruptedMessage, isInterrupted, isUnfinished, progressText, runSummary } from './progress.ts';
import { formatCount, formatDateTime } from '../web/format.ts';

/** How many of a person's latest uploads the upload page lists. */
const recentUploadsShown = 10;

const access: Record<ImportKind, Action> = { nominations: 'import:nominations', results: 'import:results' };
const pagePath = (kind: ImportKind) => (kind === 'nominations' ? paths.importNominations() : paths.importResults());

type UploadBody = { _csrf?: string; file?: FilePart | string; overBudgetConfirmed?: string | string[]; confirmedWarnings?: string | string[] };
type RunParams = { Params: { id: string } };

function formView(request: FastifyRequest, kind: ImportKind, config: Config) {
  const actor = requireActor(request);
  return {
    title: importTitles[kind],
    kind,
    action: pagePath(kind),
    columns: importColumns[kind],
    templateCsv: paths.importTemplate(kind, 'csv'),
    templateXlsx: paths.importTemplate(kind, 'xlsx'),
    maxSize: importLimits(config).size,
    maxRows: formatCount(importLimits(config).maxRows),
    ownCouncilOnly: councilScope(actor).kind === 'own',
    // The other upload, when this person may use it too.
    otherUpload:
      kind === 'nominations'
        ? can(actor, 'import:results') && { href: paths.importResults(), text: 'Upload the training provider’s results' }
        : can(actor, 'import:nominations') && { href: paths.importNominations(), text: 'Upload nominations' },
  };
}

function failureView(outcome: ImportFailure) {
  // Not an error: a valid file held back until the uploader confirms it (the page shows the warnings and "Upload anyway").
  if (outcome.budgetWarnings.length) return { budgetWarnings: outcome.budgetWarnings, heldRows: formatCount(outcome.rows) };
  if (outcome.fileErrors.length) {
    return { errors: { file: outcome.fileErrors[0] }, errorList: outcome.fileErrors.map((text) => ({ text, href: '#file' })) };
  }
  const errorRowCount = new Set(outcome.rowErrors.map((e) => e.row)).size;
  return {
    errorList: [
      {
        text: `${errorRowCount} of ${outcome.rows} ${outcome.rows === 1 ? 'row has' : 'rows have'} errors. Nothing was uploaded: fix the rows and upload the file again`,
        href: '#row-errors',
      },
    ],
    rowErrors: outcome.rowErrors.slice(0, maxErrorsShown),
    moreErrors: outcome.rowErrors.length > maxErrorsShown,
    errorRowCount,
    reportHref: outcome.hasReport ? paths.importErrors(outcome.runId) : undefined,
  };
}

/** A finished run's failure as runImport reported it: errors without a row are about the whole file. */
function storedFailure(run: ImportRunRow): ImportFailure {
  const errors = run.errors as (Omit<RowError, 'row'> & { row: number | null; overBudget?: true })[];
  const aboutFile = errors.filter((e) => e.row === null);
  return {
    ok: false,
    runId: run.id,
    rows: run.rowCount,
    fileErrors: aboutFile.filter((e) => !e.overBudget).map((e) => e.message),
    rowErrors: errors.filter((e): e is RowError => e.row !== null),
    hasReport: run.reportRows !== null,
    budgetWarnings: aboutFile.filter((e) => e.overBudget).map((e) => e.message),
  };
}

/** A saved upload's counts, as the page showed them when uploads ran inside the request. */
function doneView(run: ImportRunRow) {
  const kind = run.kind;
  const summary = [
    { key: { text: kind === 'nominations' ? 'Nominations created' : 'Results recorded' }, value: { text: formatCount(run.created) } },
    { key: { text: 'Rows already in Pioneer (unchanged)' }, value: { text: formatCount(run.unchanged) } },
    ...(kind === 'nominations' ? [{ key: { text: 'People invited to Pioneer' }, value: { text: formatCount(run.invited) } }] : []),
  ];
  return { title: 'File uploaded', rowsText: `${formatCount(run.rowCount)} ${run.rowCount === 1 ? 'row' : 'rows'}`, summary, again: pagePath(kind) };
}

/**
 * Upload pages: the explanation, templates and form (GET), the upload (POST, multipart), and the error report of a
 * refused upload. The POSTs live in their own plugin so multipart bodies are accepted on these two routes only.
 * Multipart fields are parsed before the hooks run (attachFieldsToBody), so the session hook finds `_csrf` in the
 * body as for any form; the file is held in memory, capped at the upload limit, until the handler reads it.
 */
export async function importRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, clock } = deps;

  for (const kind of importKinds) {
    app.get(pagePath(kind), { config: { access: access[kind] } }, async (request, reply) =>
      reply.view('imports/views/upload.njk', { ...formView(request, kind, deps.config), recent: await recentUploads(request, kind) }),
    );

    for (const format of ['csv', 'xlsx'] as const) {
      app.get(paths.importTemplate(kind, format), { config: { access: access[kind] } }, async (_request, reply) => {
        const columns = importColumns[kind].map((c) => ({ header: c.name, value: () => '' }));
        const body = format === 'csv' ? toCsv([], columns) : await toXlsx([], columns, kind);
        return reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="${kind}-template.${format}"`)
          .send(body);
      });
    }
  }

  /** The run behind a status page or report, for its uploader or whoever may open any report (anyone else: 404). */
  const runFor = async (request: FastifyRequest<RunParams>) => {
    const actor = requireActor(request);
    const run = await findRunFor(db, actor, request.params.id, can(actor, 'import:any-report'));
    if (!run) throw new NotFoundError();
    return run;
  };

  // Uploaders (and admins) download a refused upload's rows with an error column; anyone else gets 404.
  app.get(paths.importErrors(':id'), { config: { access: 'import:nominations' } }, async (request: FastifyRequest<RunParams>, reply) => {
    const run = await runFor(request);
    if (run.status !== 'failed' || !run.reportRows) throw new NotFoundError();
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${run.kind}-errors-${todayIso(clock)}.csv"`)
      .header('cache-control', 'no-store')
      .send(errorReportCsv(run));
  });

  /** The person's latest uploads of this kind, so an upload left running can be found again from its page. */
  const recentUploads = async (request: FastifyRequest, kind: ImportKind) => {
    const now = clock.now();
    return (await recentRuns(db, requireActor(request).personId, kind, recentUploadsShown)).map((run) => ({
      href: paths.importRun(run.id),
      fileName: run.fileName ?? 'A file without a name',
      uploadedAt: formatDateTime(run.createdAt),
      ...runSummary({ ...run, kind }, deps.config, now),
    }));
  };

  // An upload's status page: progress while it runs, then the counts, or the upload page with what was wrong.
  // Uploaders land here after the POST; without JavaScript, "Check progress" reloads it.
  app.get(paths.importRun(':id'), { config: { access: 'import:nominations' } }, async (request: FastifyRequest<RunParams>, reply) => {
    const run = await runFor(request);
    reply.header('cache-control', 'no-store');
    const interrupted = isInterrupted(run, deps.config, clock.now());
    if (isUnfinished(run) && !interrupted) {
      return reply.view('imports/views/status.njk', {
        title: `Uploading ${run.fileName ?? 'your file'}`,
        caption: importTitles[run.kind],
        progress: progressText(run),
        progressHref: paths.importRunProgress(run.id),
        checkHref: paths.importRun(run.id),
      });
    }
    if (run.status === 'succeeded') return reply.view('imports/views/done.njk', doneView(run));
    const failure = interrupted ? { ...storedFailure(run), fileErrors: [interruptedMessage], rowErrors: [] } : storedFailure(run);
    return reply.view('imports/views/upload.njk', { ...formView(request, run.kind, deps.config), ...failureView(failure) });
  });

  // What the status page's script polls: whether the run has finished (then it reloads) and what is happening.
  app.get(paths.importRunProgress(':id'), { config: { access: 'import:nominations' } }, async (request: FastifyRequest<RunParams>, reply) => {
    const run = await runFor(request);
    const finished = !isUnfinished(run) || isInterrupted(run, deps.config, clock.now());
    return reply
      .header('cache-control', 'no-store')
      .send({ status: run.status, finished, phase: run.phase, processed: run.processed, total: run.rowCount, text: finished ? null : progressText(run) });
  });

  app.register(async (scoped) => {
    await acceptSpreadsheetUploads(scoped, deps.config.uploadMaxBytes);
    for (const kind of importKinds) {
      scoped.post(pagePath(kind), { config: { access: access[kind] } }, async (request, reply: FastifyReply) => {
        const body = (request.body ?? {}) as UploadBody;
        const file = typeof body.file === 'object' ? body.file : undefined;
        const view = formView(request, kind, deps.config);
        const refuse = (message: string) => reply.code(400).view('imports/views/upload.njk', { ...view, errors: { file: message }, errorList: [{ text: message, href: '#file' }] });
        if (!file || (!file.filename && file.buffer.length === 0)) return refuse('Select a CSV or Excel (.xlsx) file to upload');
        if (file.truncated) return refuse(`The selected file must be smaller than ${importLimits(deps.config).size}`);
        // The file waits in the run for the background job; the person follows it on the status page.
        const actor = requireActor(request);
        const run = await queueRun(db, { kind, uploadedById: actor.personId, fileName: file.filename || null, upload: file.buffer, now: clock.now() });
        // A results file over budget waits for "Upload anyway" (ticked when the file is sent again after the warning),
        // which confirms the warnings the page showed (sent back as hidden fields), not whatever a file brings.
        const confirmed = formValues(body.overBudgetConfirmed).includes('yes') ? formValues(body.confirmedWarnings) : [];
        deps.importJobs.enqueue({ runId: run.id, ctx: request.ctx(), budget: 'hold', confirmed });
        return reply.redirect(paths.importRun(run.id), 303);
      });
    }
  });
}
