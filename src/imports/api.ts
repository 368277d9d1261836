import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { sendProblem } from '../api/problem.ts';
import { AppError } from '../web/errors.ts';
import { importColumns, type ImportKind } from './columns.ts';
import { importLimits } from './limits.ts';
import { runImport } from './service.ts';
import { formatCount } from '../web/format.ts';
import { budgetWarningsSchema } from '../funding/schemas.ts';

export const csvMediaType = 'text/csv';
export const xlsxMediaType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Reads a raw upload into a Buffer, refusing it (413) as soon as it passes the upload limit. */
const readUpload = (limits: ReturnType<typeof importLimits>) => async (request: FastifyRequest, payload: IncomingMessage): Promise<Buffer> => {
  const tooLarge = () => new AppError(413, 'Request too large', `The file must be smaller than ${limits.size}`);
  if (Number(request.headers['content-length'] ?? 0) > limits.maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += (chunk as Buffer).length;
    if (size > limits.maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};

const resultSchema = z.object({
  rows: z.number().int().describe('Data rows in the file'),
  created: z.number().int().describe('Enrolments nominated (nominations) or journey events recorded (results)'),
  unchanged: z.number().int().describe('Rows already in Pioneer (the file, or part of it, was uploaded before)'),
  invited: z.number().int().describe('People new to Pioneer, invited as learners'),
  budgetWarnings: budgetWarningsSchema,
});

async function upload(kind: ImportKind, deps: RouteDeps, request: FastifyRequest, reply: FastifyReply) {
  if (!Buffer.isBuffer(request.body)) {
    return sendProblem(request, reply, {
      status: 415,
      title: 'Unsupported Media Type',
      detail: `Send the spreadsheet as the request body, with Content-Type ${csvMediaType} or ${xlsxMediaType}.`,
    });
  }
  const outcome = await runImport(deps.db, deps.config, request.ctx(), kind, { buffer: request.body, fileName: null });
  if (outcome.ok) {
    if (outcome.invited) deps.outbox.kick();
    return reply.code(201).send({ rows: outcome.rows, created: outcome.created, unchanged: outcome.unchanged, invited: outcome.invited, budgetWarnings: outcome.budgetWarnings });
  }
  const fileProblem = outcome.fileErrors.length > 0;
  return sendProblem(request, reply, {
    status: 422,
    title: 'Unprocessable Content',
    detail: fileProblem
      ? outcome.fileErrors[0]
      : `${new Set(outcome.rowErrors.map((e) => e.row)).size} of ${outcome.rows} rows have errors. Nothing was written: fix them and send the file again.`,
    errors: fileProblem ? outcome.fileErrors.map((message) => ({ row: null, column: null, message })) : outcome.rowErrors,
  });
}

const describe = (kind: ImportKind, limits: ReturnType<typeof importLimits>) =>
  `A CSV (UTF-8) or XLSX file whose header row has exactly the columns ${importColumns[kind].map((c) => c.name).join(', ')} ` +
  `(matched ignoring case, spaces, underscores and hyphens), at most ${formatCount(limits.maxRows)} rows and ${limits.size}.`;

/**
 * The spreadsheet uploads over the API: the same files and rules as the pages. Registered in their own plugin so
 * the CSV and XLSX body parsers apply to these two operations only.
 */
export async function importApi(app: FastifyInstance, deps: RouteDeps) {
  const limits = importLimits(deps.config);
  app.register(async (scoped) => {
    for (const type of [csvMediaType, xlsxMediaType]) scoped.addContentTypeParser(type, readUpload(limits));
    for (const [kind, operationId, summary, description] of [
      [
        'nominations',
        'importNominations',
        'Nominate officers from a spreadsheet (all rows or none; a repeated file changes nothing)',
        'Nominates the officers listed in a CSV or XLSX file, as POST /enrolments does one at a time. Every row is checked first: if any row has a problem the answer is 422 listing each row’s problems and nothing is written; otherwise every row is applied. Sending the same file again changes nothing.',
      ],
      [
        'results',
        'importResults',
        'Record the training provider’s results from a spreadsheet (all rows or none; a repeated file changes nothing)',
        'Records the training provider’s results listed in a CSV or XLSX file, each row a step of an enrolment’s journey. Every row is checked first: if any row has a problem the answer is 422 listing each row’s problems and nothing is written; otherwise every row is applied. Sending the same file again changes nothing. The upload is answered when it has been applied (not queued, unlike the page’s). Approvals that take a training-places budget line over its budget are applied all the same: budgetWarnings in the answer says which line, by how much and how many of the file’s approvals count against it (the upload page holds such a file back until the uploader ticks “Upload anyway”).',
      ],
    ] as const) {
      apiRoute(scoped, {
        method: 'POST',
        url: `/imports/${kind}`,
        operationId,
        summary,
        description,
        tag: 'Imports',
        access: kind === 'nominations' ? 'import:nominations' : 'import:results',
        rawBody: { mediaTypes: [csvMediaType, xlsxMediaType], description: describe(kind, limits) },
        responses: { 201: { description: 'Every row is valid and was applied', schema: resultSchema } },
        handler: async (_input, request, reply) => upload(kind, deps, request, reply),
      });
    }
  });
}
