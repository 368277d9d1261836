import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cachedRead } from '../db/read-cache.ts';
import type { RouteDeps } from '../app.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { formatDate } from '../web/format.ts';
import { NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { errorView, first } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { listPageNumber, paginationView } from '../web/list-query.ts';
import { firstQuarter, lastCompleteQuarter, parseQuarter } from './quarter.ts';
import { fixedText, noCostText, roiMethod } from './roi.ts';
import { cellText, openDataCsv, tableCsv } from './render.ts';
import * as service from './service.ts';
import type { ReportData, ReportTable } from './service.ts';

type Body = Record<string, string | string[] | undefined>;
const pageSize = 50;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** Every quarter a report may be for, newest first: from the programme's first to the last complete one. */
function quarterOptions(today: string, selected: string) {
  const options = [];
  let q = lastCompleteQuarter(today);
  while (q.key >= firstQuarter) {
    options.push({ value: q.key, text: `${q.key} (${q.label})`, selected: q.key === selected });
    q = q.q === 1 ? parseQuarter(`${q.year - 1}-Q4`)! : parseQuarter(`${q.year}-Q${q.q - 1}`)!;
  }
  return options;
}

/** A report table as a GOV.UK table: numbers right-aligned, money as £. */
const tableView = (t: ReportTable, csvHref?: string) => ({
  ...t,
  csvHref,
  head: t.columns.map((c) => ({ text: c.header, format: c.kind === 'text' ? undefined : 'numeric' })),
  rows: t.rows.map((r) => r.map((cell, i) => ({ text: cellText(cell, t.columns[i].kind), format: t.columns[i].kind === 'text' ? undefined : 'numeric' }))),
});

/** A report's sections for the page; `csvHref` gives each table's download (archived reports only). */
const reportView = (data: ReportData, csvHref?: (table: string) => string) =>
  data.sections.map((s) => ({ ...s, tables: s.tables.map((t) => tableView(t, csvHref?.(t.id))) }));

const attachment = (reply: FastifyReply, type: string, name: string) =>
  reply.header('content-type', type).header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store');

/** The reports pages: the archive, the quarterly report (printable), the return on investment and the downloads. */
export async function reportRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  const showList = async (request: FastifyRequest, reply: FastifyReply, body: Body | null, fields?: FieldErrors) => {
    const actor = requireActor(request);
    const query = request.query as Record<string, unknown>;
    const page = listPageNumber.parse(query.page);
    const { rows, total } = await service.listReports(db, { page, pageSize });
    const pagination = paginationView(paths.reports(), query, page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const today = todayIso(clock);
    return reply.code(fields ? 400 : 200).view('reports/views/list.njk', {
      title: 'Reports',
      canGenerate: can(actor, 'report:generate'),
      quarterOptions: quarterOptions(today, body ? String(first(body.quarter) ?? '') : lastCompleteQuarter(today).key),
      reports: rows.map((r) => ({ ...r, href: paths.report(r.id), quarterLabel: parseQuarter(r.quarter)?.label, pdfHref: paths.reportPdf(r.id), xlsxHref: paths.reportXlsx(r.id) })),
      pagination,
      ...(fields ? errorView(fields, [], body ?? undefined) : { errors: {} }),
    });
  };

  app.get(paths.reports(), { config: { access: 'report:read' } }, (request, reply) => showList(request, reply, null));

  app.post(paths.reports(), { config: { access: 'report:generate' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const id = await service.generateReport(db, request.ctx(), first(body.quarter));
      return reply.redirect(`${paths.report(id)}?done=generated`);
    } catch (err) {
      if (err instanceof ValidationError) return showList(request, reply, body, err.fields);
      throw err;
    }
  });

  app.get(paths.reportQuarterly(), { config: { access: 'report:read' } }, async (request, reply) => {
    const actor = requireActor(request);
    const today = todayIso(clock);
    const asked = (request.query as Record<string, unknown>).quarter;
    const key = typeof asked === 'string' ? asked : undefined;
    let quarter;
    try {
      quarter = service.chooseQuarter(key, today);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return reply.code(400).view('reports/views/quarterly.njk', {
        title: 'Quarterly report to funders',
        quarterOptions: quarterOptions(today, ''),
        ...errorView(err.fields),
      });
    }
    // Made as a funder sees it, the same for every reader on a day: kept between changes (db/read-cache.ts), as it
    // runs some forty aggregate queries (over 400 ms at national scale).
    const data = await cachedRead(db, `quarterly-report:${quarter.key}:${today}`, () => service.buildReport(db, clock, quarter));
    return reply.view('reports/views/quarterly.njk', {
      title: data.title,
      report: data,
      sections: reportView(data),
      quarterOptions: quarterOptions(today, quarter.key),
      canGenerate: can(actor, 'report:generate'),
      errors: {},
    });
  });

  app.get(paths.reportRoi(), { config: { access: 'report:read' } }, async (_request, reply) => {
    const today = todayIso(clock);
    const roi = await service.roiAsOf(db, today);
    return reply.view('reports/views/roi.njk', {
      title: 'Return on investment',
      asAtText: formatDate(today),
      method: roiMethod(roi.attributionPercent),
      noCost: roi.costPence === 0 ? noCostText : null,
      roiText: roi.roiTenths === null ? null : `${fixedText(roi.roiTenths, 1)}%`,
      ratioText: roi.ratioHundredths === null ? null : `${fixedText(roi.ratioHundredths, 2)} : 1`,
      tables: service.roiTables(roi).map((t) => tableView(t)),
    });
  });

  app.get(paths.report(':id'), { config: { access: 'report:read' } }, async (request: IdRequest, reply) => {
    const actor = requireActor(request);
    const report = await service.getReport(db, request.params.id);
    const id = report.id;
    return reply.view('reports/views/archived.njk', {
      title: report.data.title,
      report: report.data,
      sections: reportView(report.data, (table) => paths.reportTableCsv(id, table)),
      missingNote: service.missingSectionsNote(report.data),
      generatedAt: report.generatedAt,
      // Who made it is the programme team's business; the report itself names no one.
      generatedByName: can(actor, 'report:generate') ? (report.generatedByName ?? 'the system') : null,
      pdfHref: paths.reportPdf(id),
      xlsxHref: paths.reportXlsx(id),
      openDataHref: paths.reportOpenData(id),
      flash: (request.query as Record<string, unknown>).done === 'generated' ? 'Report generated and archived' : undefined,
    });
  });

  for (const file of ['pdf', 'xlsx'] as const) {
    app.get(file === 'pdf' ? paths.reportPdf(':id') : paths.reportXlsx(':id'), { config: { access: 'report:read' } }, async (request: IdRequest, reply) => {
      const { quarter, bytes } = await service.getReportFile(db, request.params.id, file);
      const type = file === 'pdf' ? 'application/pdf' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      return attachment(reply, type, `funder-report-${quarter}.${file}`).send(bytes);
    });
  }

  app.get(paths.reportOpenData(':id'), { config: { access: 'report:read' } }, async (request: IdRequest, reply) => {
    const report = await service.getReport(db, request.params.id);
    return attachment(reply, 'text/csv; charset=utf-8', `funder-report-${report.quarter}-open-data.csv`).send(openDataCsv(report.data));
  });

  app.get('/reports/:id/tables/:table', { config: { access: 'report:read' } }, async (request: FastifyRequest<{ Params: { id: string; table: string } }>, reply) => {
    const report = await service.getReport(db, request.params.id);
    const wanted = request.params.table.replace(/\.csv$/, '');
    const table = report.data.sections.flatMap((s) => s.tables).find((t) => t.id === wanted);
    if (!table) throw new NotFoundError();
    return attachment(reply, 'text/csv; charset=utf-8', `funder-report-${report.quarter}-${table.id}.csv`).send(tableCsv(table));
  });
}
