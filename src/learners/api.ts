import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf, pageQuery } from '../api/registry.ts';
import { accreditationItem, cpdEntrySchema, cpdItem, cpdList, learnerItem, learnersApiQuery, renewalSchema, type CpdActivity } from './schemas.ts';
import type { CpdRow } from './repository.ts';
import * as renewals from './renewals.ts';
import * as service from './service.ts';

const idParams = z.object({ id: z.uuid() });
const accreditationParams = z.object({ id: z.uuid(), accreditationId: z.uuid() });

/** A learner as the API answers. */
const toItem = (l: service.LearnerRecord): z.infer<typeof learnerItem> => ({
  id: l.id,
  name: l.name,
  email: l.email,
  councilId: l.councilId,
  councilName: l.councilName,
  jobTitle: l.jobTitle,
  enrolments: l.enrolments.map((e) => ({ id: e.id, level: e.level, period: e.period, status: e.status, cohortId: e.cohortId, attempts: e.attempts, overdue: e.overdue })),
  accreditations: l.accreditations.map((a) => ({ id: a.id, level: a.level, awardedOn: a.awardedOn, certificateNumber: a.certificateNumber, status: a.status, dueOn: a.dueOn })),
});

const toAccreditation = (a: service.AccreditationView): z.infer<typeof accreditationItem> => ({
  id: a.id,
  level: a.level,
  awardedOn: a.awardedOn,
  renewedOn: a.renewedOn,
  certificateNumber: a.certificateNumber,
  status: a.status,
  dueOn: a.dueOn,
});

const toCpd = (c: CpdRow): z.infer<typeof cpdItem> => ({ id: c.id, date: c.date, hours: c.hours, activity: c.activity as CpdActivity, reflection: c.reflection });

/** Learners and their CPD under /api/v1: the same policy and scope as the pages. */
export async function learnerApi(app: FastifyInstance, { db }: RouteDeps) {
  apiRoute(app, {
    method: 'GET',
    url: '/learners',
    operationId: 'listLearners',
    description:
      'Lists the learners you may see (people with an enrolment), with their enrolments and accreditations. Filter by council, level or part of the name or email address (q). A bad filter or page is refused with 400.',
    summary: 'List the learners you may see (people with an enrolment), with their enrolments and accreditations',
    tag: 'Learners',
    access: 'enrolment:list',
    query: learnersApiQuery,
    responses: { 200: { description: 'A page of learners', schema: listOf(learnerItem) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, ...filters } = query;
      const { rows, total } = await service.listLearners(db, request.ctx(), filters, { page, pageSize });
      return { data: rows.map(toItem), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/learners/{id}',
    operationId: 'getLearner',
    description:
      'Returns one learner with their enrolments and accreditations. Staff reach the learners of the councils they may see and a learner their own record; anyone else’s answers 404.',
    summary: 'Get one learner with their enrolments and accreditations (a learner may read their own record)',
    tag: 'Learners',
    access: 'signed-in',
    params: idParams,
    responses: { 200: { description: 'The learner', schema: learnerItem } },
    handler: async ({ params }, request) => toItem(await service.getLearner(db, request.ctx(), params.id)),
  });

  apiRoute(app, {
    method: 'GET',
    url: '/learners/{id}/cpd',
    operationId: 'listLearnerCpd',
    description:
      'Returns a learner’s CPD log, newest first and paged, with the number of entries and hours of the whole log. Whoever may read the learner may read the log; anyone else gets 404.',
    summary: 'A learner’s CPD log, newest first, with the totals of the whole log',
    tag: 'Learners',
    access: 'signed-in',
    params: idParams,
    query: pageQuery,
    responses: { 200: { description: 'The CPD log', schema: cpdList.extend({ meta: listOf(cpdItem).shape.meta }) } },
    handler: async ({ params, query }, request) => {
      const { rows, totals } = await service.cpdLog(db, request.ctx(), params.id, query);
      return { data: rows.map(toCpd), totals, meta: { total: totals.entries, page: query.page, pageSize: query.pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/learners/{id}/cpd',
    operationId: 'logLearnerCpd',
    description:
      'Adds an entry to your own CPD log: the day (from 1 November 2021 to today), the hours (more than 0, at most 24, in quarter hours), the kind of activity and what you learned. Sending the same entry again adds nothing and answers 200 with it. A learner you may not see answers 404.',
    problems: {
      403: 'The learner is someone you may see but not yourself: only the learner keeps their CPD log',
    },
    summary: 'Add an entry to your own CPD log (only the learner themself may)',
    tag: 'Learners',
    access: 'signed-in',
    params: idParams,
    body: cpdEntrySchema(undefined, 'json'),
    authorise: (params, request) => service.authoriseCpdEntry(db, request.ctx(), params.id),
    responses: { 200: { description: 'The same entry was already in the log: nothing added', schema: cpdItem }, 201: { description: 'The entry added', schema: cpdItem } },
    handler: async ({ params }, request, reply) => {
      // The service validates again with today's date (the declared schema checks everything else).
      const { entry, created } = await service.logCpd(db, request.ctx(), params.id, request.body);
      return reply.code(created ? 201 : 200).send(toCpd(entry));
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/learners/{id}/accreditations/{accreditationId}/renewals',
    operationId: 'renewAccreditation',
    description:
      'Records the day a learner’s Foundation accreditation was renewed, which moves its next renewal date. The day may not be in the future, before the programme began, before the award or before the last renewal. Recording the day already recorded changes nothing. A learner or accreditation you may not see answers 404.',
    problems: {
      409: 'The accreditation is Practitioner or Expert, which are not renewed, or someone recorded a later renewal at the same moment',
    },
    summary:
      'Record the day a learner’s Foundation accreditation was renewed (programme admins, and managing partner staff for their councils); the same date again changes nothing',
    tag: 'Learners',
    access: 'accreditation:renew',
    params: accreditationParams,
    body: renewalSchema(),
    authorise: async (params, request) => {
      await renewals.authoriseRenewal(db, request.ctx(), params.id, params.accreditationId);
    },
    responses: { 200: { description: 'The accreditation with its new due date and upkeep status (409 for a Practitioner or Expert accreditation)', schema: accreditationItem } },
    handler: async ({ params }, request) => {
      // The service validates again with today's date (the declared schema checks everything else).
      const { accreditation } = await renewals.recordRenewal(db, request.ctx(), params.id, params.accreditationId, request.body);
      return toAccreditation(accreditation);
    },
  });
}
