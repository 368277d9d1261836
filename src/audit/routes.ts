import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { todayIso } from '../clock.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { errorView } from '../web/forms.ts';
import { paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import { downloadCompression } from '../web/compression.ts';
import { actorName } from './describe.ts';
import { auditRowsHtml } from './rows-html.ts';
import { auditListQuery } from './schemas.ts';
import * as service from './service.ts';

const pageSize = 50;

const exportColumns: ExportColumn<service.DescribedRow>[] = [
  { header: 'When', date: 'dateTime', value: (e) => e.occurredAt },
  { header: 'Who', value: (e) => actorName(e.actorLabel) },
  { header: 'What happened', value: (e) => e.description.text },
  { header: 'Record type', value: (e) => e.recordType },
  { header: 'Record ID', value: (e) => e.recordId },
  { header: 'Request ID', value: (e) => e.requestId },
  { header: 'IP address', value: (e) => e.ip },
];

/** The date filters' errors for the layout's summary, each linked to its first wrong box. */
function dateErrors(problems: Partial<Record<'from' | 'to', service.DateProblem>>) {
  const view = errorView(Object.fromEntries(Object.entries(problems).map(([field, p]) => [field, p.message])));
  return { ...view, errorList: Object.entries(problems).map(([field, p]) => ({ text: p.message, href: `#${field}-${p.parts[0]}` })) };
}

/** The audit log (programme admins): each event as a sentence, filtered, downloadable. */
export async function auditRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get(paths.audit(), { config: { access: 'audit:list' } }, async (request, reply) => {
    const query = auditListQuery.parse(request.query);
    const { filters, problems } = service.auditFilters(query);
    const { rows, total, more } = await service.listAuditEvents(db, filters, { page: query.page, pageSize }, service.pageCountLimit);
    const vocabulary = await service.auditVocabulary(db);
    const pagination = paginationView(paths.audit(), query, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    return reply.view('audit/views/list.njk', {
      title: 'Audit log',
      query,
      rows: auditRowsHtml(rows.map((e) => ({ ...e, changes: service.describeChange(e.before, e.after) }))),
      pagination,
      more,
      downloads: { csv: `${paths.auditExport('csv')}${pagination.queryString()}`, xlsx: `${paths.auditExport('xlsx')}${pagination.queryString()}` },
      recordTypeItems: [{ value: '', text: 'All record types' }, ...vocabulary.recordTypes.map((v) => ({ value: v, text: v }))],
      actionItems: [{ value: '', text: 'All actions' }, ...vocabulary.actions.map((v) => ({ value: v, text: v }))],
      wrongParts: { from: problems.from?.parts ?? [], to: problems.to?.parts ?? [] },
      ...dateErrors(problems),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.auditExport(format), { config: { access: 'audit:list' }, compress: downloadCompression }, async (request, reply) => {
      const { filters } = service.auditFilters(auditListQuery.parse(request.query));
      return sendExport(reply, format, 'audit-log', todayIso(clock), service.exportAuditEvents(db, filters), exportColumns);
    });
  }
}
