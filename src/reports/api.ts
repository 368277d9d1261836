import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf, pageQuery } from '../api/registry.ts';
import { apiReportSchema, apiReportSummarySchema, generateSchema } from './schemas.ts';
import * as service from './service.ts';

const uuidParams = z.object({ id: z.uuid() });

type Summary = z.infer<typeof apiReportSummarySchema>;

const summary = (r: { id: string; quarter: string; generatedAt: Date }): Summary => ({
  id: r.id,
  quarter: r.quarter,
  generatedAt: r.generatedAt.toISOString(),
  links: { self: `/api/v1/reports/${r.id}`, pdf: `/api/v1/reports/${r.id}/pdf`, xlsx: `/api/v1/reports/${r.id}/xlsx` },
});

/** The archive of quarterly funder reports: list, generate (admins), one report's figures and its files. */
export async function reportApi(app: FastifyInstance, { db }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/reports',
    operationId: 'listReports',
    summary: 'The archived quarterly funder reports, newest first',
    description: 'Lists the archived reports (quarter and when each was generated), newest first, paged. Reports hold aggregates only.',
    tag: 'Reports',
    access: 'report:read',
    query: pageQuery,
    responses: { 200: { description: 'A page of archived reports', schema: listOf(apiReportSummarySchema) } },
    handler: async ({ query }) => {
      const { rows, total } = await service.listReports(db, query);
      return { data: rows.map(summary), meta: { total, page: query.page, pageSize: query.pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/reports',
    operationId: 'generateReport',
    summary: 'Generate and archive the quarterly funder report',
    description:
      'Works out the report for a calendar quarter that has ended (the last complete one when `quarter` is left out) as a funder sees the programme, ' +
      'and archives it with its PDF and XLSX; an archived report cannot be changed or deleted. A quarter written wrongly, before 2021-Q4 or not yet ended is a 422.',
    tag: 'Reports',
    access: 'report:generate',
    body: generateSchema,
    responses: { 201: { description: 'The archived report', schema: apiReportSchema } },
    handler: async ({ body }, request, reply) => {
      const id = await service.generateReport(db, request.ctx(), body.quarter);
      const report = await service.getReport(db, id);
      reply.code(201).header('location', `/api/v1/reports/${id}`);
      return { ...summary(report), data: report.data };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/reports/{id}',
    operationId: 'getReport',
    summary: 'An archived report with its figures',
    description: 'Gives an archived report: its quarter, when it was generated, and its figures as they were made (sections of tables; money in pence).',
    tag: 'Reports',
    access: 'report:read',
    params: uuidParams,
    responses: { 200: { description: 'The report', schema: apiReportSchema } },
    handler: async ({ params }) => {
      const report = await service.getReport(db, params.id);
      return { ...summary(report), data: report.data };
    },
  });

  for (const file of ['pdf', 'xlsx'] as const) {
    const mediaType = file === 'pdf' ? 'application/pdf' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    apiRoute(app, {
      method: 'GET',
      url: `/reports/{id}/${file}`,
      operationId: file === 'pdf' ? 'getReportPdf' : 'getReportXlsx',
      summary: `An archived report as ${file === 'pdf' ? 'PDF' : 'an XLSX workbook'}`,
      description: `Gives the ${file === 'pdf' ? 'PDF' : 'XLSX workbook (a sheet per section)'} made when the report was generated, byte for byte.`,
      tag: 'Reports',
      access: 'report:read',
      params: uuidParams,
      responses: { 200: { description: `The report as ${file.toUpperCase()}`, mediaType } },
      handler: async ({ params }, _request, reply) => {
        const { quarter, bytes } = await service.getReportFile(db, params.id, file);
        return reply.header('content-type', mediaType).header('content-disposition', `attachment; filename="funder-report-${quarter}.${file}"`).send(bytes);
      },
    });
  }
}
