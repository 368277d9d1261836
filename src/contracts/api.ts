import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf } from '../api/registry.ts';
import { councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { NotFoundError, ValidationError } from '../web/errors.ts';
import type { ContractFlags } from './rules.ts';
import { apiContractSchema, assessmentSchema, contractApiListQuery, contractCreateApiSchema, contractSchema, kpiSchema } from './schemas.ts';
import * as service from './service.ts';

const tag = 'Contracts';
const idParams = z.object({ id: z.uuid() });
const kpiParams = z.object({ id: z.uuid(), kpiId: z.uuid() });
const versionQuery = z.object({ version: z.coerce.number().int().min(1).optional().describe('The KPI version you read; a stale one is refused with 409') });

const toApi = (c: service.ContractRow, flags: ContractFlags, kpis: service.KpiRow[]): z.infer<typeof apiContractSchema> => ({
  id: c.id,
  councilId: c.councilId,
  councilName: c.councilName,
  ...service.valuesOf(c),
  managerName: c.managerName,
  flags,
  kpis: kpis.map((k) => ({ id: k.id, name: k.name, target: k.target, rating: k.rating, assessedOn: k.assessedOn, note: k.note, version: k.version })),
  version: c.version,
});

/** Key contracts: the same service, scope and schemas as the pages. Bodies give money in pounds; answers in pence. */
export async function contractApi(app: FastifyInstance, { db }: RouteDeps) {
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const getOne = async (request: FastifyRequest, id: string) => {
    const { contract, kpis, flags } = await service.getContract(db, request.ctx(), scopeOf(request), id);
    return toApi(contract, flags, kpis);
  };
  const authorise = async (params: Record<string, string>, request: FastifyRequest) => {
    await service.getContract(db, request.ctx(), scopeOf(request), params.id);
  };

  apiRoute(app, {
    method: 'GET',
    url: '/contracts',
    operationId: 'listContracts',
    description:
      'Lists the key contracts of the councils you may see (a specialist: the councils assigned to them; council staff: their own council), soonest end first, each with its KPIs and flags: Procurement Act 2023 duties (total value over the threshold in Settings, default £5m) with the next KPI assessment due, and re-procurement planning (ending within the window in Settings, default 18 months). Filter by council, tier, flag and a search over name and supplier. A bad filter or page is refused with 400.',
    summary: 'List key contracts',
    tag,
    access: 'contract:list',
    query: contractApiListQuery,
    responses: { 200: { description: 'A page of key contracts', schema: listOf(apiContractSchema) } },
    handler: async ({ query }, request) => {
      const { page, pageSize, councilId, tier, flag, q } = query;
      const { rows, total } = await service.listContracts(db, request.ctx(), scopeOf(request), { councilId, tier, flag, q }, { sort: 'endDate', order: 'asc' }, { page, pageSize });
      const kpis = await service.kpisByContract(db, rows.map((r) => r.id));
      return { data: rows.map((r) => toApi(r, r.flags, kpis.get(r.id) ?? [])), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/contracts',
    operationId: 'createContract',
    description:
      'Adds a key contract to a council you keep contracts for (council staff: their own). Values in pounds, 0 or more with at most 2 decimal places (stored as pence); the end date the same as or after the start; the contract manager, when given, a person of the same council. A contract with the same name and supplier as another of the council is refused with 409. Any other problem is a 422 naming the field.',
    summary: 'Add a key contract to a council',
    tag,
    access: 'contract:edit',
    body: contractCreateApiSchema,
    problems: { 409: 'The council already has a contract with this name and supplier' },
    responses: { 201: { description: 'The contract', schema: apiContractSchema } },
    handler: async ({ body }, request, reply) => {
      try {
        await service.councilFor(db, scopeOf(request), body.councilId);
      } catch (err) {
        if (err instanceof NotFoundError) throw new ValidationError({ councilId: 'councilId must be a council whose contracts you keep' });
        throw err;
      }
      // The service parses the body as sent (pounds → pence), as it does a form's, so it gets the raw body.
      const id = await service.createContract(db, request.ctx(), scopeOf(request), body.councilId, request.body);
      return reply.code(201).header('location', `/api/v1/contracts/${id}`).send(await getOne(request, id));
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/contracts/{id}',
    operationId: 'getContract',
    description: 'One key contract of a council you may see, with its KPIs (each with its latest assessment) and flags; 404 for one outside your councils.',
    summary: 'Get one key contract',
    tag,
    access: 'contract:list',
    params: idParams,
    responses: { 200: { description: 'The contract', schema: apiContractSchema } },
    handler: async ({ params }, request) => getOne(request, params.id),
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/contracts/{id}',
    operationId: 'updateContract',
    description:
      'Replaces a key contract’s details (not its council or KPIs), with the same rules as adding one. Send the version you read: a stale one is refused with 409, as is a name and supplier another contract of the council has.',
    summary: 'Change a key contract; send the version you read',
    tag,
    access: 'contract:edit',
    params: idParams,
    authorise,
    body: contractSchema,
    problems: { 409: 'Someone else changed the contract since you read it, or another contract of the council has this name and supplier' },
    responses: { 200: { description: 'The contract, changed', schema: apiContractSchema } },
    handler: async ({ params }, request) => {
      await service.updateContract(db, request.ctx(), scopeOf(request), params.id, request.body);
      return getOne(request, params.id);
    },
  });

  // ---- KPIs: the contract (with all its KPIs and flags) is the answer, as the page shows it after each change ----

  apiRoute(app, {
    method: 'POST',
    url: '/contracts/{id}/kpis',
    operationId: 'addContractKpi',
    description: 'Adds a KPI (name and target) to a key contract of a council you keep contracts for; 404 for a contract outside your councils, 422 naming the field for a missing or too long name or target.',
    summary: 'Add a KPI to a key contract',
    tag,
    access: 'contract:edit',
    params: idParams,
    authorise,
    body: kpiSchema.omit({ version: true }),
    responses: { 201: { description: 'The contract with its KPIs', schema: apiContractSchema } },
    handler: async ({ params }, request, reply) => {
      await service.addKpi(db, request.ctx(), scopeOf(request), params.id, request.body);
      return reply.code(201).header('location', `/api/v1/contracts/${params.id}`).send(await getOne(request, params.id));
    },
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/contracts/{id}/kpis/{kpiId}',
    operationId: 'updateContractKpi',
    description: 'Changes a KPI’s name and target. Send the version you read: a stale one is refused with 409; 404 for a KPI not of this contract.',
    summary: 'Change a KPI; send the version you read',
    tag,
    access: 'contract:edit',
    params: kpiParams,
    authorise,
    body: kpiSchema,
    problems: { 409: 'Someone else changed the KPI since you read it' },
    responses: { 200: { description: 'The contract with its KPIs', schema: apiContractSchema } },
    handler: async ({ params }, request) => {
      await service.editKpi(db, request.ctx(), scopeOf(request), params.id, params.kpiId, request.body);
      return getOne(request, params.id);
    },
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/contracts/{id}/kpis/{kpiId}/assessment',
    operationId: 'assessContractKpi',
    description:
      'Records a KPI’s latest assessment (rating, date assessed — not in the future — and a note), replacing the one before (the audit log keeps it); the contract’s next assessment due moves with it. Send the version you read: a stale one is refused with 409.',
    summary: 'Record the latest assessment of a KPI',
    tag,
    access: 'contract:edit',
    params: kpiParams,
    authorise,
    body: assessmentSchema,
    problems: { 409: 'Someone else changed the KPI since you read it' },
    responses: { 200: { description: 'The contract with its KPIs', schema: apiContractSchema } },
    handler: async ({ params }, request) => {
      await service.assessKpi(db, request.ctx(), scopeOf(request), params.id, params.kpiId, request.body);
      return getOne(request, params.id);
    },
  });

  apiRoute(app, {
    method: 'DELETE',
    url: '/contracts/{id}/kpis/{kpiId}',
    operationId: 'deleteContractKpi',
    description: 'Deletes a KPI of a key contract; 404 for one already deleted or not of this contract; with `version`, a stale one is refused with 409.',
    summary: 'Delete a KPI of a key contract',
    tag,
    access: 'contract:edit',
    params: kpiParams,
    query: versionQuery,
    authorise,
    problems: { 409: 'Someone else changed the KPI since you read it' },
    responses: { 200: { description: 'The contract with its remaining KPIs', schema: apiContractSchema } },
    handler: async ({ params, query }, request) => {
      await service.deleteKpi(db, request.ctx(), scopeOf(request), params.id, params.kpiId, query.version);
      return getOne(request, params.id);
    },
  });
}
