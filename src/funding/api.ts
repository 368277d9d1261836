import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute, listOf, pageQuery } from '../api/registry.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ForbiddenError, ValidationError } from '../web/errors.ts';
import { apiFundDetailSchema, apiFundSchema, apiSpendAcrossFundsSchema, apiSpendSchema, spendAcrossFundsApiQuery, spendApiListQuery, spendSchema } from './schemas.ts';
import * as service from './service.ts';
import type { Level } from '../enrolments/journey.ts';

const tag = 'Funding';
const idParams = z.object({ id: z.uuid() });
const aggregatesOnly = 'Funders and observers see a fund’s figures, not its spend rows';

const figures = (f: service.Figures) => ({
  budgetPence: f.budgetPence,
  committedPence: f.committedPence,
  spentPence: f.spentPence,
  remainingPence: f.remainingPence,
  forecastPence: f.forecastPence,
});

const spendToApi = (s: service.SpendItemRow): z.infer<typeof apiSpendSchema> => ({
  id: s.id,
  lineId: s.lineId,
  lineName: s.lineName,
  supplier: s.supplier,
  spentOn: s.spentOn,
  amountPence: s.amountPence,
  reference: s.reference,
  version: s.version,
});

/** Funding over the API: the same service and schemas as the pages; funders and observers get aggregates only. */
export async function fundingApi(app: FastifyInstance, { db, clock }: RouteDeps) {
  const fundToApi = async (fund: service.FundRow) => {
    const summary = await service.fundSummary(db, clock, fund);
    const base = { id: fund.id, source: fund.source, name: fund.name, amountPence: fund.amountPence, startDate: fund.startDate, endDate: fund.endDate, conditions: fund.conditions };
    return { base, summary };
  };

  apiRoute(app, {
    method: 'GET',
    url: '/funds',
    operationId: 'listFunds',
    description: 'Lists the programme’s funds, earliest first, each with the whole fund’s budget, committed, spent, remaining and forecast (in whole pence). A bad page is refused with 400.',
    summary: 'List funds with their figures',
    tag,
    access: 'fund:aggregate',
    query: pageQuery,
    responses: { 200: { description: 'A page of funds', schema: listOf(apiFundSchema) } },
    handler: async ({ query }) => {
      const funds = await service.listFunds(db);
      const page = funds.slice((query.page - 1) * query.pageSize, query.page * query.pageSize);
      const data = [];
      for (const fund of page) {
        const { base, summary } = await fundToApi(fund);
        data.push({ ...base, totals: figures(summary.total) });
      }
      return { data, meta: { total: funds.length, page: query.page, pageSize: query.pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/funds/{id}',
    operationId: 'getFund',
    description: 'One fund with, for the whole fund and each budget line, its budget, committed, spent, remaining and forecast at the fund’s end (in whole pence, as of today). 404 for an unknown fund.',
    summary: 'Get a fund and its budget lines’ figures',
    tag,
    access: 'fund:aggregate',
    params: idParams,
    responses: { 200: { description: 'The fund', schema: apiFundDetailSchema } },
    handler: async ({ params }) => {
      const { base, summary } = await fundToApi(await service.getFund(db, params.id));
      return {
        ...base,
        totals: figures(summary.total),
        lines: summary.lines.map((l) => ({ id: l.id, kind: l.kind, name: l.name, level: l.level as Level | null, unitCostPence: l.unitCostPence, dayRatePence: l.dayRatePence, ...figures(l) })),
      };
    },
  });

  /** Funders and observers read a fund's figures, never its spend rows: 403 (they know the fund exists). */
  const seesSpend = async (params: Record<string, string>, request: FastifyRequest) => {
    await service.getFund(db, params.id);
    if (!can(requireActor(request), 'fund:list')) throw new ForbiddenError(aggregatesOnly);
  };

  apiRoute(app, {
    method: 'GET',
    url: '/funds/{id}/spend',
    operationId: 'listFundSpend',
    description:
      'Lists a fund’s spend items, newest first, with supplier and reference. Filter by budget line (`lineId`), part of the supplier or reference (`q`) and dates (`from`, `to`, YYYY-MM-DD, inclusive). A bad filter or page is refused with 400. Funders and observers are refused with 403: they see the fund’s figures only.',
    summary: 'List a fund’s spend',
    tag,
    access: 'fund:aggregate',
    params: idParams,
    query: spendApiListQuery,
    problems: { 403: aggregatesOnly },
    authorise: seesSpend,
    callers: 'fund:list',
    responses: { 200: { description: 'A page of spend items', schema: listOf(apiSpendSchema) } },
    handler: async ({ params, query }) => {
      const { page, pageSize, lineId, q, from, to } = query;
      if (from && to && to < from) throw new ValidationError({ to: 'to must be the same as or after from' }, 400);
      const { rows, total } = await service.listSpend(db, params.id, { lineId, q, from, to }, { sort: 'spentOn', order: 'desc' }, { page, pageSize });
      return { data: rows.map(spendToApi), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'GET',
    url: '/spend',
    operationId: 'listSpendAcrossFunds',
    description:
      'Lists the spend items of every fund, as the “Spend across funds” page does (the same query): each with its fund and the kind of its budget line, newest first by default. ' +
      'Filter by fund (`fundId`), kind of budget line (`lineKind`), budget line (`lineId`), part of the supplier or reference (`q`) and dates (`from`, `to`, YYYY-MM-DD, inclusive); ' +
      'sort by `spentOn`, `supplier`, `amount` or `fund` (`order` asc or desc). Ties keep one order, so paging gives every item once. ' +
      'A bad filter, sort or page is refused with 400 naming it (the page ignores one). Funders and observers are refused with 403: they see the funds’ figures only.',
    summary: 'List spend across funds',
    tag,
    access: 'fund:list',
    query: spendAcrossFundsApiQuery,
    problems: { 403: 'Only programme admins and partner staff read spend rows: funders and observers see the funds’ figures only' },
    responses: { 200: { description: 'A page of spend items', schema: listOf(apiSpendAcrossFundsSchema) } },
    handler: async ({ query }) => {
      const { page, pageSize, fundId, lineKind, lineId, q, from, to, sort, order } = query;
      if (from && to && to < from) throw new ValidationError({ to: 'to must be the same as or after from' }, 400);
      const { rows, total } = await service.listSpend(db, fundId ?? null, { lineKind, lineId, q, from, to }, { sort, order }, { page, pageSize });
      return { data: rows.map((s) => ({ ...spendToApi(s), fundId: s.fundId, fundName: s.fundName, lineKind: s.lineKind })), meta: { total, page, pageSize } };
    },
  });

  apiRoute(app, {
    method: 'POST',
    url: '/funds/{id}/spend',
    operationId: 'recordFundSpend',
    description:
      'Records one item of spend against a budget line of the fund: `amount` in pounds (more than 0, at most 2 decimal places), `spentOn` within the fund’s dates, `lineId` one of the fund’s lines. Any of these wrong is a 422 naming the field; a `reference` already recorded on the fund (ignoring case) is a 409.',
    summary: 'Record spend on a fund',
    tag,
    access: 'fund:manage',
    params: idParams,
    body: spendSchema,
    problems: { 409: 'The reference is already recorded on this fund' },
    authorise: async (params) => void (await service.getFund(db, params.id)),
    responses: { 201: { description: 'The spend item, recorded', schema: apiSpendSchema } },
    // The service parses the body as sent (the schema turns pounds into pence, so its output would not parse again).
    handler: async ({ params }, request, reply) => {
      const fund = await service.getFund(db, params.id);
      const id = await service.createSpend(db, request.ctx(), fund.id, request.body);
      return reply.code(201).send(spendToApi(await service.getSpend(db, fund, id)));
    },
  });
}
