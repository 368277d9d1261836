import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope, type CouncilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import {
  apiCouncilDetailSchema,
  apiCouncilSchema,
  apiSpecialistSchema,
  councilApiListQuery,
  councilCreateSchema,
  participationEditSchema,
  specialistSetSchema,
  statusMoveSchema,
} from './schemas.ts';
import * as service from './service.ts';
import type { CouncilListRow } from './service.ts';

const idParams = z.object({ id: z.uuid() });
const tag = 'Councils';

/** A council as the API shows it: the managing partner as one object. */
function toApi(row: CouncilListRow): z.infer<typeof apiCouncilSchema> {
  return {
    id: row.id,
    gssCode: row.gssCode,
    code: row.code,
    name: row.name,
    type: row.type,
    typeName: row.typeName,
    region: row.region,
    programmeStatus: row.programmeStatus,
    managingPartner:
      row.managingPartnerId && row.managingPartnerCode && row.managingPartnerName
        ? { id: row.managingPartnerId, code: row.managingPartnerCode, name: row.managingPartnerName }
        : null,
    onboardingDate: row.onboardingDate,
    version: row.version,
  };
}

/** The councils API: the same service, scope and schemas as the pages. */
export async function councilApi(app: FastifyInstance, { db, config }: RouteDeps) {
  const leaving = { rules: { includeLeads: config.sroNetworkIncludesLeads }, baseUrl: config.baseUrl };
  const detail = async (scope: CouncilScope, id: string): Promise<z.infer<typeof apiCouncilDetailSchema>> => {
    const c = await service.getCouncil(db, scope, id);
    return {
      ...toApi(c),
      managingPartnerReason: c.managingPartnerReason,
      agreementSignedDate: c.agreementSignedDate,
      baselineBookedDate: c.baselineBookedDate,
      sroPersonId: c.sroPersonId,
      leadPersonId: c.leadPersonId,
      emailDomains: c.emailDomains ?? [],
    };
  };

  apiRoute(app, {
    method: 'GET',
    url: '/councils',
    operationId: 'listCouncils',
    description:
      'Lists the councils you may see (all of them, those your partner manages, those you are assigned to, or your own), with their programme status, managing partner and onboarding date. Filter by part of the name or code (q), region, type, status or managing partner, and sort. A bad filter or page is refused with 400.',
    summary: 'List the councils you may see, filtered and paged',
    tag,
    access: 'council:list',
    query: councilApiListQuery,
    responses: { 200: { description: 'A page of councils', schema: listOf(apiCouncilSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, ...filters } = query;
      const { rows, total } = await service.listCouncils(db, service.viewerOf(requireActor(request)), filters, { page, pageSize });
      return { data: rows.map(toApi), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/councils',
    operationId: 'createCouncil',
    description:
      'Adds a council that is not yet in the register, such as a new unitary authority: its GSS code, register code (the GSS code when none is given), name, type and region. A GSS code or register code that an organisation already has answers 409.',
    summary: 'Add a council that is not yet in the register, such as a new unitary authority',
    tag,
    access: 'council:create',
    body: councilCreateSchema,
    responses: { 201: { description: 'The council, added', schema: apiCouncilDetailSchema } },
    handler: async ({ body }, request, reply) => {
      const id = await service.createCouncil(db, request.ctx(), body);
      return reply.code(201).header('location', `/api/v1/councils/${id}`).send(await detail(councilScope(requireActor(request)), id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/councils/{id}',
    operationId: 'getCouncil',
    description:
      'Returns one council with its participation: status, managing partner and the reason for it, onboarding, agreement and baseline dates, SRO and lead, and the version to send with a change. A council outside what you may see answers 404.',
    summary: 'One council with its participation',
    tag,
    access: 'council:view',
    params: idParams,
    responses: { 200: { description: 'The council', schema: apiCouncilDetailSchema } },
    handler: async ({ params }, request) => detail(councilScope(requireActor(request)), params.id),
  });

  /** A council outside the caller's scope is 404 before its body is looked at. */
  const authorise = async (params: Record<string, string>, request: FastifyRequest) => {
    await service.getCouncil(db, councilScope(requireActor(request)), params.id);
  };

  apiRoute(app, {
    method: 'PATCH',
    url: '/councils/{id}',
    operationId: 'updateCouncil',
    description:
      'Changes a council’s participation details. Send only the fields to change (null clears one) and the version you read: if someone changed the council since, the answer is 409 and nothing is written. A council outside what you may see answers 404.',
    summary: 'Change participation details; send the version you read (409 if someone changed it since)',
    tag,
    access: 'council:edit',
    params: idParams,
    authorise,
    body: participationEditSchema,
    responses: { 200: { description: 'The council, changed', schema: apiCouncilDetailSchema } },
    handler: async ({ params, body }, request) => {
      await service.editParticipation(db, request.ctx(), params.id, body);
      return detail(councilScope(requireActor(request)), params.id);
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/councils/{id}/status',
    operationId: 'moveCouncilStatus',
    description:
      'Moves a council to another programme status, with a reason. A move the programme’s rules do not allow, or a stale version, answers 409 saying why; nothing is written. A council outside what you may see answers 404.',
    summary: 'Move a council to another programme status (409 for a move the rules do not allow)',
    tag,
    access: 'council:status',
    params: idParams,
    authorise,
    body: statusMoveSchema,
    responses: { 200: { description: 'The council, moved', schema: apiCouncilDetailSchema } },
    handler: async ({ params, body }, request) => {
      await service.moveStatus(db, request.ctx(), params.id, body, leaving);
      return detail(councilScope(requireActor(request)), params.id);
    },
  });

  const specialistList = z.object({ data: z.array(apiSpecialistSchema) });
  const specialistsOf = async (scope: CouncilScope, id: string): Promise<z.infer<typeof specialistList>> => {
    const { specialists } = await service.councilSpecialists(db, scope, id);
    return { data: specialists.map((s) => ({ personId: s.personId, name: s.name, email: s.email })) };
  };

  apiRoute(app, {
    method: 'GET',
    url: '/councils/{id}/specialists',
    operationId: 'listCouncilSpecialists',
    description:
      'Lists the commercial specialists assigned to a council, by name. A council outside what you may see answers 404.',
    summary: 'The commercial specialists assigned to a council',
    tag,
    access: 'council:view',
    params: idParams,
    responses: { 200: { description: 'The assigned specialists, by name', schema: specialistList } },
    handler: async ({ params }, request) => specialistsOf(councilScope(requireActor(request)), params.id),
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/councils/{id}/specialists',
    operationId: 'replaceCouncilSpecialists',
    description:
      'Replaces the whole set of commercial specialists assigned to a council with the people listed (at most 200, each once; an empty list removes them all). Each must be an active commercial specialist, or the answer names the problem and nothing changes. A council outside what you may see answers 404.',
    summary: 'Replace the set of commercial specialists assigned to a council (each must be an active specialist)',
    tag,
    access: 'council:assign-specialists',
    params: idParams,
    authorise,
    body: specialistSetSchema,
    responses: { 200: { description: 'The assigned specialists, after the change', schema: specialistList } },
    handler: async ({ params, body }, request) => {
      await service.replaceSpecialists(db, request.ctx(), params.id, body);
      return specialistsOf(councilScope(requireActor(request)), params.id);
    },
  });
}
