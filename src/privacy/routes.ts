import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { errorView } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import type { PersonRow } from '../people/repository.ts';
import { reasonMaxLength } from './schemas.ts';
import * as service from './service.ts';
import { subjectAccessFileName, subjectAccessZip } from './zip.ts';

/** Sends the subject access ZIP as a download (streamed; nothing personal in the file name). */
export function sendSubjectAccess(reply: FastifyReply, date: string, name: string, records: service.SubjectRecords, generatedAt: Date) {
  return reply
    .header('content-type', 'application/zip')
    .header('content-disposition', `attachment; filename="${subjectAccessFileName(date)}"`)
    .header('cache-control', 'no-store')
    .send(subjectAccessZip(name, records, generatedAt));
}

/** Subject access (admins from a person's page, anyone for themselves from their account) and erasure. */
export async function privacyRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, clock, config } = deps;

  app.get<{ Params: { id: string } }>('/people/:id/subject-access', { config: { access: 'person:subject-access' } }, async (request, reply) => {
    const { person, records } = await service.subjectAccessFor(db, request.ctx(), request.params.id);
    return sendSubjectAccess(reply, todayIso(clock), person.name, records, clock.now());
  });

  app.get(paths.accountData(), { config: { access: 'signed-in' } }, async (request, reply) => {
    const { person, records } = await service.ownSubjectAccess(db, request.ctx(), requireActor(request));
    return sendSubjectAccess(reply, todayIso(clock), person.name, records, clock.now());
  });

  const eraseView = (reply: FastifyReply, status: number, person: PersonRow, problem: string | null, values: { reason?: unknown }, errors: FieldErrors = {}) =>
    reply.code(status).view('privacy/views/erase.njk', {
      title: `Erase ${person.name}`,
      person,
      problem,
      reason: typeof values.reason === 'string' ? values.reason : '',
      reasonMaxLength,
      ...errorView(errors),
    });

  app.get<{ Params: { id: string } }>('/people/:id/erase', { config: { access: 'person:erase' } }, async (request, reply) => {
    const { person, problem } = await service.erasureCheck(db, request.ctx(), request.params.id);
    return eraseView(reply, 200, person, problem, {});
  });

  app.post<{ Params: { id: string } }>('/people/:id/erase', { config: { access: 'person:erase' } }, async (request, reply) => {
    const form = (request.body ?? {}) as { reason?: unknown };
    try {
      const erased = await service.erasePerson(db, request.ctx(), request.params.id, { reason: form.reason }, config.baseUrl);
      return reply.view('privacy/views/erased.njk', { title: `${erased.name}: erasure complete`, erased });
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      const { person, problem } = await service.erasureCheck(db, request.ctx(), request.params.id);
      if (err instanceof ConflictError) return eraseView(reply, 409, person, problem, form, { _form: err.message });
      return eraseView(reply, 400, person, problem, form, err.fields);
    }
  });
}
