import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { ValidationError } from '../web/errors.ts';
import { sendExport, toCsv, toXlsx } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { checkSearch, exportQuery, paginationView } from '../web/list-query.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import { importLimits } from '../imports/limits.ts';
import { acceptSpreadsheetUploads, type FilePart } from '../imports/multipart.ts';
import { refusedUploadView } from '../imports/refused.ts';
import { formatCount } from '../web/format.ts';
import { contractColumns, contractExportColumns } from './columns.ts';
import {
  flagKeys,
  flagLabels,
  moneyText,
  poundsText,
  procurementActMinimumKpis,
  ratingLabels,
  ratings,
  ratingTagClass,
  tierHints,
  tierLabels,
  tiers,
  tierTagClass,
} from './rules.ts';
import { contractListQuery, noteMaxLength } from './schemas.ts';
import * as service from './service.ts';
import { improvementStatusLabels, improvementStatusTagClass, improvementTypeLabels } from '../improvements/rules.ts';
import { uploadContracts } from './upload.ts';

const pageSize = 50;
type Body = Record<string, string | string[] | undefined>;
type CouncilRequest = FastifyRequest<{ Params: { id: string } }>;
type ContractRequest = FastifyRequest<{ Params: { id: string } }>;
type KpiRequest = FastifyRequest<{ Params: { id: string; kpiId: string } }>;

/** An improvement that points at the contract, as its page and its delete page list it. */
const improvementView = (i: Awaited<ReturnType<typeof service.improvementsOf>>[number]) => ({
  ...i,
  href: paths.improvement(i.id),
  typeLabel: improvementTypeLabels[i.type],
  statusLabel: improvementStatusLabels[i.status],
  statusTag: improvementStatusTagClass[i.status],
});

const flashes: Record<string, string> = {
  created: 'Contract added',
  updated: 'Contract changed',
  deleted: 'Contract deleted',
  kpi: 'KPI added',
  'kpi-changed': 'KPI changed',
  assessed: 'Assessment recorded',
};

const sortColumns = [
  { key: 'name', text: 'Contract and supplier' },
  { key: 'tier', text: 'Tier' },
  { key: 'totalValue', text: 'Total value' },
  { key: 'endDate', text: 'Ends' },
] as const;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const done = (request: FastifyRequest) => flashes[str((request.query as Record<string, unknown>).done) ?? ''];
const yesNo = (v: string | undefined) => (v === 'yes' ? true : v === 'no' ? false : undefined);

/** Key contracts: a council's list (with downloads and upload), a contract's page, its form, KPIs and deletion. */
export async function contractRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, clock } = deps;
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const load = (request: ContractRequest) => service.getContract(db, request.ctx(), scopeOf(request), request.params.id);

  // ---- A council's list ----

  app.get('/councils/:id/contracts', { config: { access: 'contract:list' } }, async (request: CouncilRequest, reply) => {
    const actor = requireActor(request);
    const council = await service.councilFor(db, scopeOf(request), request.params.id);
    const query = contractListQuery.parse(request.query ?? {});
    const { filters, status, errors, errorList } = checkSearch(query);
    const listFilters = { councilId: council.id, tier: filters.tier, flag: filters.flag, q: filters.q };
    const { rows, total, thresholds } = await service.listContracts(db, request.ctx(), scopeOf(request), listFilters, query, { page: query.page, pageSize });
    const base = paths.councilContracts(council.id);
    const linkQuery = { tier: filters.tier, flag: filters.flag, q: filters.q, sort: query.sort, order: query.order };
    const pagination = paginationView(base, linkQuery, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const any = (text: string) => ({ value: '', text });
    return reply.code(status).view('contracts/views/list.njk', {
      title: `Key contracts of ${council.name}`,
      council,
      thresholdText: moneyText(thresholds.procurementActThresholdPence),
      windowMonths: thresholds.reprocurementWindowMonths,
      base,
      rows: rows.map((r) => ({ ...r, annualValue: moneyText(r.annualValuePence), totalValue: moneyText(r.totalValuePence) })),
      pagination,
      query,
      errors,
      errorList,
      filtered: Boolean(query.tier || query.flag || query.q),
      tierItems: [any('Any tier'), ...tiers.map((t) => ({ value: t, text: tierLabels[t], selected: t === query.tier }))],
      flagItems: [any('Any or none'), ...flagKeys.map((f) => ({ value: f, text: flagLabels[f], selected: f === query.flag }))],
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      canEdit: can(actor, 'contract:edit'),
      tierLabels,
      tierTagClass,
      flash: done(request),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/councils/:id/contracts/export.${format}`, { config: { access: 'contract:list' } }, async (request: CouncilRequest, reply) => {
      const council = await service.councilFor(db, scopeOf(request), request.params.id);
      const query = exportQuery(contractListQuery.parse(request.query ?? {}));
      const filters = { councilId: council.id, tier: query.tier, flag: query.flag, q: query.q };
      const { rows } = await service.listContracts(db, request.ctx(), scopeOf(request), filters, query, null);
      return sendExport(reply, format, 'key-contracts', todayIso(clock), rows, contractExportColumns);
    });
  }

  // ---- Adding and changing a contract ----

  const contractInput = (body: Body) => ({
    name: first(body.name),
    supplier: first(body.supplier),
    annualValue: first(body.annualValue),
    totalValue: first(body.totalValue),
    startDate: joinDateParts(body, 'startDate'),
    endDate: joinDateParts(body, 'endDate'),
    tier: first(body.tier) || undefined,
    managerId: first(body.managerId) || undefined,
    hasPlan: yesNo(first(body.hasPlan)),
    version: formWholeNumber(first(body.version)),
  });

  const showForm = async (reply: FastifyReply, opts: { council: { id: string; name: string }; contract?: service.ContractRow; body: Body | null; failure?: FormFailure }) => {
    const { council, contract: c, body, failure } = opts;
    const people = await service.councilPeople(db, council.id);
    const managerId = body ? first(body.managerId) : c?.managerId;
    const tier = body ? first(body.tier) : c?.tier;
    const hasPlan = body ? first(body.hasPlan) : c ? (c.hasPlan ? 'yes' : 'no') : undefined;
    return reply.code(failure?.status ?? 200).view('contracts/views/form.njk', {
      title: c ? `Change ${c.name}` : `Add a key contract for ${council.name}`,
      council,
      contract: c,
      action: c ? paths.contractEdit(c.id) : paths.councilContractNew(council.id),
      back: c ? paths.contract(c.id) : paths.councilContracts(council.id),
      managerItems: [{ value: '', text: 'No contract manager yet' }, ...people.map((p) => ({ value: p.personId, text: p.jobTitle ? `${p.name}, ${p.jobTitle}` : p.name, selected: p.personId === managerId }))],
      tierItems: tiers.map((t) => ({ value: t, text: tierLabels[t], hint: { text: tierHints[t] }, checked: t === tier })),
      planItems: [
        { value: 'yes', text: 'Yes', checked: hasPlan === 'yes' },
        { value: 'no', text: 'No', checked: hasPlan === 'no' },
      ],
      values: {
        name: body ? first(body.name) : c?.name,
        supplier: body ? first(body.supplier) : c?.supplier,
        annualValue: body ? first(body.annualValue) : c && poundsText(c.annualValuePence),
        totalValue: body ? first(body.totalValue) : c && poundsText(c.totalValuePence),
        startDate: dateInputValue(body, 'startDate', c?.startDate ?? null),
        endDate: dateInputValue(body, 'endDate', c?.endDate ?? null),
        version: shownVersion(body, failure, c?.version),
      },
      ...(failure ? errorView(failure.fields, ['startDate', 'endDate'], body) : { errors: {} }),
    });
  };

  app.get('/councils/:id/contracts/new', { config: { access: 'contract:edit' } }, async (request: CouncilRequest, reply) =>
    showForm(reply, { council: await service.councilFor(db, scopeOf(request), request.params.id), body: null }),
  );

  app.post('/councils/:id/contracts/new', { config: { access: 'contract:edit' } }, async (request: CouncilRequest, reply) => {
    const council = await service.councilFor(db, scopeOf(request), request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      const id = await service.createContract(db, request.ctx(), scopeOf(request), council.id, contractInput(body));
      return reply.redirect(`${paths.contract(id)}?done=created`);
    } catch (err) {
      return showForm(reply, { council, body, failure: failureOf(err) });
    }
  });

  app.get('/contracts/:id/edit', { config: { access: 'contract:edit' } }, async (request: ContractRequest, reply) => {
    const { contract } = await load(request);
    return showForm(reply, { council: { id: contract.councilId, name: contract.councilName }, contract, body: null });
  });

  app.post('/contracts/:id/edit', { config: { access: 'contract:edit' } }, async (request: ContractRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.updateContract(db, request.ctx(), scopeOf(request), request.params.id, contractInput(body));
      return reply.redirect(`${paths.contract(request.params.id)}?done=updated`);
    } catch (err) {
      const failure = failureOf(err);
      const { contract } = await load(request);
      return showForm(reply, { council: { id: contract.councilId, name: contract.councilName }, contract, body, failure });
    }
  });

  // ---- A contract's page ----

  app.get('/contracts/:id', { config: { access: 'contract:list' } }, async (request: ContractRequest, reply) => {
    const actor = requireActor(request);
    const { contract: c, kpis, flags, thresholds } = await load(request);
    const improvements = await service.improvementsOf(db, c.id);
    return reply.view('contracts/views/show.njk', {
      title: c.name,
      c,
      kpis,
      improvements: improvements.map(improvementView),
      flags,
      values: { annual: moneyText(c.annualValuePence), total: moneyText(c.totalValuePence) },
      canEdit: can(actor, 'contract:edit'),
      minimumKpis: procurementActMinimumKpis,
      windowMonths: thresholds.reprocurementWindowMonths,
      thresholdText: moneyText(thresholds.procurementActThresholdPence),
      tierLabels,
      tierTagClass,
      ratingLabels,
      ratingTagClass,
      flash: done(request),
    });
  });

  // ---- Deleting ----

  const showDelete = async (request: ContractRequest, reply: FastifyReply, failure?: FormFailure) => {
    const { contract: c, kpis } = await load(request);
    const improvements = await service.improvementsOf(db, c.id);
    return reply.code(failure?.status ?? 200).view('contracts/views/delete.njk', {
      title: `Delete ${c.name}`,
      c,
      kpiCount: kpis.length,
      improvements: improvements.map(improvementView),
      linkedRefusal: improvements.length ? service.linkedRefusal(improvements.length) : null,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/contracts/:id/delete', { config: { access: 'contract:edit' } }, (request: ContractRequest, reply) => showDelete(request, reply));

  app.post('/contracts/:id/delete', { config: { access: 'contract:edit' } }, async (request: ContractRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    const version = formWholeNumber(first(body.version));
    try {
      // The confirmation page sends the version it showed; without it nothing is deleted.
      if (typeof version !== 'number') throw new ValidationError({ _form: 'Confirm the deletion from the contract’s delete page' });
      const c = await service.deleteContract(db, request.ctx(), scopeOf(request), request.params.id, version);
      return reply.redirect(`${paths.councilContracts(c.councilId)}?done=deleted`);
    } catch (err) {
      return showDelete(request, reply, failureOf(err));
    }
  });

  // ---- KPIs ----

  const showKpiForm = async (request: ContractRequest | KpiRequest, reply: FastifyReply, opts: { kpi?: service.KpiRow; body: Body | null; failure?: FormFailure }) => {
    const { contract: c } = await load(request);
    const { kpi, body, failure } = opts;
    return reply.code(failure?.status ?? 200).view('contracts/views/kpi-form.njk', {
      title: kpi ? `Change the KPI ${kpi.name}` : 'Add a KPI',
      c,
      kpi,
      action: kpi ? paths.contractKpiEdit(c.id, kpi.id) : paths.contractKpiNew(c.id),
      values: {
        name: body ? first(body.name) : kpi?.name,
        target: body ? first(body.target) : kpi?.target,
        version: shownVersion(body, failure, kpi?.version),
      },
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  const kpiInput = (body: Body) => ({ name: first(body.name), target: first(body.target), version: formWholeNumber(first(body.version)) });
  const kpiOf = async (request: KpiRequest) => {
    const { contract } = await load(request);
    return service.kpiOf(db, contract.id, request.params.kpiId);
  };

  app.get('/contracts/:id/kpis/new', { config: { access: 'contract:edit' } }, (request: ContractRequest, reply) => showKpiForm(request, reply, { body: null }));
  app.post('/contracts/:id/kpis/new', { config: { access: 'contract:edit' } }, async (request: ContractRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.addKpi(db, request.ctx(), scopeOf(request), request.params.id, kpiInput(body));
      return reply.redirect(`${paths.contract(request.params.id)}?done=kpi#kpis`);
    } catch (err) {
      return showKpiForm(request, reply, { body, failure: failureOf(err) });
    }
  });

  app.get('/contracts/:id/kpis/:kpiId/edit', { config: { access: 'contract:edit' } }, async (request: KpiRequest, reply) => showKpiForm(request, reply, { kpi: await kpiOf(request), body: null }));
  app.post('/contracts/:id/kpis/:kpiId/edit', { config: { access: 'contract:edit' } }, async (request: KpiRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.editKpi(db, request.ctx(), scopeOf(request), request.params.id, request.params.kpiId, kpiInput(body));
      return reply.redirect(`${paths.contract(request.params.id)}?done=kpi-changed#kpis`);
    } catch (err) {
      const failure = failureOf(err);
      return showKpiForm(request, reply, { kpi: await kpiOf(request), body, failure });
    }
  });

  const showAssessForm = async (request: KpiRequest, reply: FastifyReply, body: Body | null, failure?: FormFailure) => {
    const { contract: c } = await load(request);
    const kpi = await service.kpiOf(db, c.id, request.params.kpiId);
    const rating = body ? first(body.rating) : kpi.rating;
    return reply.code(failure?.status ?? 200).view('contracts/views/assess-form.njk', {
      title: `Assess the KPI ${kpi.name}`,
      c,
      kpi,
      ratingItems: ratings.map((r) => ({ value: r, text: ratingLabels[r], checked: r === rating })),
      values: {
        assessedOn: dateInputValue(body, 'assessedOn', body ? null : todayIso(clock)),
        note: body ? first(body.note) : kpi.note,
        version: shownVersion(body, failure, kpi.version),
      },
      noteMaxLength,
      ...(failure ? errorView(failure.fields, ['assessedOn'], body) : { errors: {} }),
    });
  };

  app.get('/contracts/:id/kpis/:kpiId/assess', { config: { access: 'contract:edit' } }, (request: KpiRequest, reply) => showAssessForm(request, reply, null));
  app.post('/contracts/:id/kpis/:kpiId/assess', { config: { access: 'contract:edit' } }, async (request: KpiRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.assessKpi(db, request.ctx(), scopeOf(request), request.params.id, request.params.kpiId, {
        rating: first(body.rating) || undefined,
        assessedOn: joinDateParts(body, 'assessedOn'),
        note: first(body.note),
        version: formWholeNumber(first(body.version)),
      });
      return reply.redirect(`${paths.contract(request.params.id)}?done=assessed#kpis`);
    } catch (err) {
      return showAssessForm(request, reply, body, failureOf(err));
    }
  });

  // ---- Uploading a council's contracts ----

  const uploadView = (council: { id: string; name: string }) => ({
    title: `Upload key contracts of ${council.name}`,
    council,
    columns: contractColumns,
    maxSize: importLimits(deps.config).size,
    maxRows: formatCount(importLimits(deps.config).maxRows),
  });

  app.get('/councils/:id/contracts/upload', { config: { access: 'contract:edit' } }, async (request: CouncilRequest, reply) =>
    reply.view('contracts/views/upload.njk', { ...uploadView(await service.councilFor(db, scopeOf(request), request.params.id)), errors: {} }),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/councils/:id/contracts/template.${format}`, { config: { access: 'contract:edit' } }, async (request: CouncilRequest, reply) => {
      await service.councilFor(db, scopeOf(request), request.params.id);
      const columns = contractColumns.map((c) => ({ header: c.name, value: () => '' }));
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="key-contracts-template.${format}"`)
        .send(format === 'csv' ? toCsv([], columns) : await toXlsx([], columns, 'key-contracts'));
    });
  }

  // The upload's POST is multipart: in its own plugin, as the other uploads are, so no other route takes multipart.
  app.register(async (scoped) => {
    await acceptSpreadsheetUploads(scoped, deps.config.uploadMaxBytes);
    scoped.post('/councils/:id/contracts/upload', { config: { access: 'contract:edit' } }, async (request: CouncilRequest, reply: FastifyReply) => {
      const council = await service.councilFor(db, scopeOf(request), request.params.id);
      const body = (request.body ?? {}) as { file?: FilePart | string };
      const file = typeof body.file === 'object' ? body.file : undefined;
      const view = uploadView(council);
      const refuse = (message: string) => reply.code(400).view('contracts/views/upload.njk', { ...view, errors: { file: message }, errorList: [{ text: message, href: '#file' }] });
      if (!file || (!file.filename && file.buffer.length === 0)) return refuse('Select a CSV or Excel (.xlsx) file to upload');
      if (file.truncated) return refuse(`The selected file must be smaller than ${importLimits(deps.config).size}`);
      const outcome = await uploadContracts(db, deps.config, request.ctx(), scopeOf(request), council.id, file.buffer);
      if (!outcome.ok) return reply.code(400).view('contracts/views/upload.njk', { ...view, ...refusedUploadView(outcome) });
      return reply.view('contracts/views/uploaded.njk', { title: 'File uploaded', council, outcome, list: paths.councilContracts(council.id) });
    });
  });
}
