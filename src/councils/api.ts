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
export async function councilApi(app: FastifyInstance, { db }: RouteDeps) {
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
    summary: 'Move a council to another programme status (409 for a move the rules do not allow)',
    tag,
    access: 'council:status',
    params: idParams,
    authorise,
    body: statusMoveSchema,
    responses: { 200: { description: 'The council, moved', schema: apiCouncilDetailSchema } },
    handler: async ({ params, body }, request) => {
      await service.moveStatus(db, request.ctx(), params.id, body);
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
