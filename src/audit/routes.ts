import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { todayIso } from '../clock.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { errorView } from '../web/forms.ts';
import { paginationView } from '../web/list-query.ts';
import { paths } from '../web/paths.ts';
import type { AuditRow } from './repository.ts';
import { auditListQuery } from './schemas.ts';
import * as service from './service.ts';

const pageSize = 50;

const json = (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v));

const exportColumns: ExportColumn<AuditRow>[] = [
  { header: 'When', value: (e) => e.occurredAt.toISOString() },
  { header: 'Who', value: (e) => e.actorLabel },
  { header: 'Person ID', value: (e) => e.actorId },
  { header: 'Action', value: (e) => e.action },
  { header: 'Record type', value: (e) => e.recordType },
  { header: 'Record ID', value: (e) => e.recordId },
  { header: 'Before', value: (e) => json(e.before) },
  { header: 'After', value: (e) => json(e.after) },
  { header: 'Request ID', value: (e) => e.requestId },
  { header: 'IP address', value: (e) => e.ip },
];

/** The audit log (programme admins): filter, read before → after, download. */
export async function auditRoutes(app: FastifyInstance, { db, clock }: RouteDeps) {
  app.get('/audit', { config: { access: 'audit:list' } }, async (request, reply) => {
    const query = auditListQuery.parse(request.query);
    const { filters, errors } = service.auditFilters(query);
    const { rows, total } = await service.listAuditEvents(db, filters, { page: query.page, pageSize });
    const vocabulary = await service.auditVocabulary(db);
    return reply.view('audit/views/list.njk', {
      title: 'Audit log',
      query,
      events: rows.map((e) => ({ ...e, changes: service.describeChange(e.before, e.after) })),
      pagination: paginationView(paths.audit(), query, query.page, pageSize, total),
      recordTypeItems: [{ value: '', text: 'All record types' }, ...vocabulary.recordTypes.map((v) => ({ value: v, text: v }))],
      actionItems: [{ value: '', text: 'All actions' }, ...vocabulary.actions.map((v) => ({ value: v, text: v }))],
      ...errorView(errors),
    });
  });

  app.get(paths.auditExport(), { config: { access: 'audit:list' } }, async (request, reply) => {
    const { filters } = service.auditFilters(auditListQuery.parse(request.query));
    const { rows } = await service.listAuditEvents(db, filters);
    return sendExport(reply, 'csv', 'audit-log', todayIso(clock), rows, exportColumns);
  });
}
