import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import { todayIso } from '../clock.ts';
import { getPerson } from '../people/service.ts';
import { sendSubjectAccess } from './routes.ts';
import { erasureResult, erasureSchema } from './schemas.ts';
import * as service from './service.ts';

const idParams = z.object({ id: z.uuid() });

/** Subject access and erasure under /api/v1: the same policy, scope and rules as the pages. */
export async function privacyApi(app: FastifyInstance, { db, clock, config }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/people/{id}/subject-access',
    operationId: 'getSubjectAccessExport',
    description:
      'Answers a subject access request: everything Pioneer holds about one person as a ZIP — summary.html (readable on its own) and, per kind of record (profile, invitations and links, sessions, API tokens, enrolments, journey events, accreditations, CPD, emails sent, requests for places, audit events), a JSON and a CSV file. Secrets (token and session hashes, passwords) are never included, nor anything about another person. Each export is recorded in the audit log. A person outside what you may see answers 404.',
    summary: 'Download everything Pioneer holds about a person (ZIP)',
    tag: 'People',
    access: 'person:subject-access',
    params: idParams,
    responses: { 200: { description: 'The ZIP of the person’s records', mediaType: 'application/zip' } },
    handler: async ({ params }, request, reply) => {
      const { person, records } = await service.subjectAccessFor(db, request.ctx(), params.id);
      return sendSubjectAccess(reply, todayIso(clock), person.name, records, clock.now());
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/people/{id}/erasure',
    operationId: 'erasePerson',
    description:
      'Erases a person, irreversibly: their name, email address and job title become an "Erased person N" placeholder, free text they wrote (CPD reflections, reasons, notes) is removed, their sessions, API tokens and links end, and the audit log no longer names them. The programme’s facts (enrolments, accreditations, statuses, periods, council) stay under the placeholder. The reason is kept in the audit log. Erasing yourself, the last active programme admin, or someone already erased answers 409 and changes nothing; a person outside what you may see answers 404.',
    summary: 'Erase a person, keeping the programme’s facts under a placeholder',
    tag: 'People',
    access: 'person:erase',
    problems: { 409: 'The person is you, the last active programme admin, or already erased' },
    params: idParams,
    authorise: async (params: Record<string, string>, request: FastifyRequest) => {
      await getPerson(db, request.ctx(), params.id);
    },
    body: erasureSchema,
    responses: { 200: { description: 'The placeholder the person’s records are now held under', schema: erasureResult } },
    handler: async ({ params, body }, request) => {
      const erased = await service.erasePerson(db, request.ctx(), params.id, body, config.baseUrl);
      return { id: erased.id, name: erased.name, erasedAt: erased.erasedAt.toISOString() };
    },
  });
}
