import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { RouteDeps } from '../app.ts';
import type { Config } from '../config.ts';
import type { Action } from '../auth/policy.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { NotFoundError } from '../web/errors.ts';
import { toCsv, toXlsx } from '../web/export.ts';
import { paths } from '../web/paths.ts';
import { importColumns, importKinds, importTitles, type ImportKind } from './columns.ts';
import { importLimits, maxErrorsShown } from './limits.ts';
import { errorReportCsv, findRunFor, runImport, type ImportFailure } from './service.ts';

const access: Record<ImportKind, Action> = { nominations: 'import:nominations', results: 'import:results' };
const pagePath = (kind: ImportKind) => (kind === 'nominations' ? paths.importNominations() : paths.importResults());

/** What the multipart parser leaves in the body for the file field. */
type FilePart = { buffer: Buffer; filename: string; truncated: boolean };
type UploadBody = { _csrf?: string; file?: FilePart | string };


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
    maxRows: importLimits(config).maxRows.toLocaleString('en-GB'),
    ownCouncilOnly: councilScope(actor).kind === 'own',
    // The other upload, when this person may use it too.
    otherUpload:
      kind === 'nominations'
        ? can(actor, 'import:results') && { href: paths.importResults(), text: 'Upload the training provider’s results' }
        : can(actor, 'import:nominations') && { href: paths.importNominations(), text: 'Upload nominations' },
  };
}

function failureView(outcome: ImportFailure) {
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
    reportHref: paths.importErrors(outcome.runId),
  };
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
    app.get(pagePath(kind), { config: { access: access[kind] } }, async (request, reply) => reply.view('imports/views/upload.njk', formView(request, kind, deps.config)));

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

  // Uploaders (and admins) download a refused upload's rows with an error column; anyone else gets 404.
  app.get(paths.importErrors(':id'), { config: { access: 'import:nominations' } }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const actor = requireActor(request);
    const run = await findRunFor(db, actor, request.params.id, can(actor, 'import:any-report'));
    if (!run || run.status !== 'failed' || !run.reportRows) throw new NotFoundError();
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${run.kind}-errors-${todayIso(clock)}.csv"`)
      .header('cache-control', 'no-store')
      .send(errorReportCsv(run));
  });

  app.register(async (scoped) => {
    await scoped.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: deps.config.uploadMaxBytes, files: 1, fields: 4, parts: 5 },
      async onFile(part) {
        const buffer = await part.toBuffer();
        (part as unknown as { value: FilePart }).value = { buffer, filename: part.filename, truncated: part.file.truncated };
      },
    });
    for (const kind of importKinds) {
      scoped.post(pagePath(kind), { config: { access: access[kind] } }, async (request, reply: FastifyReply) => {
        const body = (request.body ?? {}) as UploadBody;
        const file = typeof body.file === 'object' ? body.file : undefined;
        const view = formView(request, kind, deps.config);
        const refuse = (message: string) => reply.code(400).view('imports/views/upload.njk', { ...view, errors: { file: message }, errorList: [{ text: message, href: '#file' }] });
        if (!file || (!file.filename && file.buffer.length === 0)) return refuse('Select a CSV or Excel (.xlsx) file to upload');
        if (file.truncated) return refuse(`The selected file must be smaller than ${importLimits(deps.config).size}`);
        const outcome = await runImport(db, deps.config, request.ctx(), kind, { buffer: file.buffer, fileName: file.filename || null });
        if (!outcome.ok) return reply.code(400).view('imports/views/upload.njk', { ...view, ...failureView(outcome) });
        // Invitations, approvals and declines queue e-mails; send them now rather than at the next poll.
        deps.outbox.kick();
        const count = (n: number) => String(n);
        const summary = [
          { key: { text: kind === 'nominations' ? 'Nominations created' : 'Results recorded' }, value: { text: count(outcome.created) } },
          { key: { text: 'Rows already in Pioneer (unchanged)' }, value: { text: count(outcome.unchanged) } },
          ...(kind === 'nominations' ? [{ key: { text: 'People invited to Pioneer' }, value: { text: count(outcome.invited) } }] : []),
        ];
        return reply.view('imports/views/done.njk', { title: 'File uploaded', rows: outcome.rows, summary, again: pagePath(kind) });
      });
    }
  });
}
