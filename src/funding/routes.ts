import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ValidationError, type FieldErrors } from '../web/errors.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { levelLabels, levels, type Level } from '../enrolments/journey.ts';
import { lineKindLabels, lineKinds, spendSortKeys, spendUploadColumns, type LineKind } from './schemas.ts';
import { moneyText } from '../contracts/rules.ts';
import * as service from './service.ts';
import { z } from 'zod';
import { todayIso } from '../clock.ts';
import { sendExport, toCsv, toXlsx, type ExportColumn } from '../web/export.ts';
import { checkSearch, exportQuery, listQuery, paginationView, selectItems } from '../web/list-query.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { formatCount } from '../web/format.ts';
import { parseDateText } from '../imports/parse.ts';
import { importLimits } from '../imports/limits.ts';
import { refusedUploadView } from '../imports/refused.ts';
import { acceptSpreadsheetUploads, type FilePart } from '../imports/multipart.ts';

type Body = Record<string, string | string[] | undefined>;

const spendPageSize = 50;
const spendSortColumns = [
  { key: 'spentOn', text: 'Date' },
  { key: 'fund', text: 'Fund' },
  { key: 'supplier', text: 'Supplier and reference' },
  { key: 'amount', text: 'Amount', numeric: true },
] as const;
const spendListQ = listQuery(spendSortKeys, 'spentOn').extend({
  // Newest first unless asked otherwise.
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
  lineId: z.uuid().optional().catch(undefined),
  // The list across funds filters by fund and by budget line kind.
  fundId: z.uuid().optional().catch(undefined),
  lineKind: z.enum(lineKinds).optional().catch(undefined),
  from: z.string().trim().max(20).optional().catch(undefined),
  to: z.string().trim().max(20).optional().catch(undefined),
});
type SpendListQuery = z.infer<typeof spendListQ>;

/** The spend download: amounts as numbers in pounds, dates as date cells. */
const spendExportColumns: ExportColumn<service.SpendItemRow>[] = [
  { header: 'Date', value: (r) => r.spentOn, date: 'date' },
  { header: 'Supplier', value: (r) => r.supplier },
  { header: 'Budget line', value: (r) => r.lineName },
  { header: 'Amount (£)', value: (r) => r.amountPence / 100 },
  { header: 'Reference', value: (r) => r.reference },
];
/** The download across funds: the fund and the line's kind beside each item. */
const allSpendExportColumns: ExportColumn<service.SpendItemRow>[] = [
  spendExportColumns[0],
  { header: 'Fund', value: (r) => r.fundName },
  spendExportColumns[1],
  spendExportColumns[2],
  { header: 'Budget line kind', value: (r) => lineKindLabels[r.lineKind] },
  ...spendExportColumns.slice(3),
];
type FundRequest = FastifyRequest<{ Params: { id: string } }>;
type Failure = FormFailure;

const flashes: Record<string, string> = { created: 'Fund added', line: 'Budget line added', spend: 'Spend recorded', spendChanged: 'Spend changed', spendRemoved: 'Spend removed' };
const done = (request: FastifyRequest) => flashes[String((request.query as Record<string, unknown>).done ?? '')];

const figuresView = (f: service.Figures) => ({
  budget: moneyText(f.budgetPence),
  committed: moneyText(f.committedPence),
  spent: moneyText(f.spentPence),
  remaining: moneyText(f.remainingPence),
  forecast: moneyText(f.forecastPence),
  overCommitted: f.overCommitted,
  overForecast: f.overForecast,
});

/** Funding pages: the funds, a fund's summary and spend, and the admins' forms for funds, lines and spend. */
export async function fundingRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db, clock } = deps;

  app.get('/funding', { config: { access: 'fund:aggregate' } }, async (request, reply) => {
    const actor = requireActor(request);
    const funds = await service.listFunds(db);
    const rows = [];
    for (const fund of funds) rows.push({ ...fund, ...figuresView((await service.fundSummary(db, clock, fund)).total) });
    return reply.view('funding/views/list.njk', { title: 'Funding', rows, canManage: can(actor, 'fund:manage'), seesSpend: can(actor, 'fund:list'), flash: done(request) });
  });

  // ---- A fund ----

  const fundInput = (body: Body) => ({
    source: first(body.source),
    name: first(body.name),
    amount: first(body.amount),
    startDate: joinDateParts(body, 'startDate'),
    endDate: joinDateParts(body, 'endDate'),
    conditions: first(body.conditions),
  });

  const showFundForm = (reply: FastifyReply, body: Body | null, failure?: Failure) =>
    reply.code(failure?.status ?? 200).view('funding/views/fund-form.njk', {
      title: 'Add a fund',
      values: { ...(body ? fundInput(body) : {}), startDate: dateInputValue(body, 'startDate', null), endDate: dateInputValue(body, 'endDate', null) },
      ...(failure ? errorView(failure.fields, ['startDate', 'endDate'], body) : { errors: {} }),
    });

  app.get('/funding/new', { config: { access: 'fund:manage' } }, async (_request, reply) => showFundForm(reply, null));

  app.post('/funding/new', { config: { access: 'fund:manage' } }, async (request, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      const id = await service.createFund(db, request.ctx(), fundInput(body));
      return reply.redirect(`${paths.fund(id)}?done=created`);
    } catch (err) {
      return showFundForm(reply, body, failureOf(err));
    }
  });

  app.get('/funding/:id', { config: { access: 'fund:aggregate' } }, async (request: FundRequest, reply) => {
    const actor = requireActor(request);
    const fund = await service.getFund(db, request.params.id);
    const summary = await service.fundSummary(db, clock, fund);
    const seesSpend = can(actor, 'fund:list');
    const spend = seesSpend ? await service.listSpend(db, fund.id, {}, { sort: 'spentOn', order: 'desc' }, { page: 1, pageSize: 20 }) : null;
    return reply.view('funding/views/show.njk', {
      title: fund.name,
      fund: { ...fund, amount: moneyText(fund.amountPence) },
      total: figuresView(summary.total),
      lines: summary.lines.map((l) => ({ ...l, kindLabel: lineKindLabels[l.kind], ...figuresView(l) })),
      today: summary.today,
      spend: spend && { total: spend.total, rows: spend.rows.map((s) => ({ ...s, amount: moneyText(s.amountPence) })) },
      canManage: can(actor, 'fund:manage'),
      flash: done(request),
    });
  });

  // ---- A budget line ----

  const lineInput = (body: Body) => ({
    kind: first(body.kind) || undefined,
    name: first(body.name),
    budget: first(body.budget),
    level: first(body.level),
    unitCost: first(body.unitCost),
    dayRate: first(body.dayRate),
  });

  const showLineForm = (reply: FastifyReply, fund: service.FundRow, body: Body | null, failure?: Failure) => {
    const values: Partial<ReturnType<typeof lineInput>> = body ? lineInput(body) : {};
    return reply.code(failure?.status ?? 200).view('funding/views/line-form.njk', {
      title: `Add a budget line to ${fund.name}`,
      fund,
      values,
      kindItems: lineKinds.map((k: LineKind) => ({ value: k, text: lineKindLabels[k], checked: k === values.kind })),
      levelItems: [{ value: '', text: 'Not training places' }, ...levels.map((l: Level) => ({ value: l, text: levelLabels[l], selected: l === values.level }))],
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/funding/:id/lines/new', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) =>
    showLineForm(reply, await service.getFund(db, request.params.id), null),
  );

  app.post('/funding/:id/lines/new', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) => {
    const fund = await service.getFund(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      await service.createLine(db, request.ctx(), fund.id, lineInput(body));
      return reply.redirect(`${paths.fund(fund.id)}?done=line`);
    } catch (err) {
      return showLineForm(reply, fund, body, failureOf(err));
    }
  });

  // ---- Spend ----

  const spendInput = (body: Body) => ({
    supplier: first(body.supplier),
    spentOn: joinDateParts(body, 'spentOn'),
    lineId: first(body.lineId),
    amount: first(body.amount),
    reference: first(body.reference),
  });

  /** The spend form: recording an item, or changing `item` (its stored values until the person posts). */
  const showSpendForm = async (reply: FastifyReply, fund: service.FundRow, body: Body | null, failure?: Failure, item?: service.SpendItemRow) => {
    const stored = item && { supplier: item.supplier, lineId: item.lineId, amount: (item.amountPence / 100).toFixed(2), reference: item.reference, version: String(item.version) };
    const values: Partial<ReturnType<typeof spendInput> & { version: string }> = body ? { ...spendInput(body), version: shownVersion(body, failure, stored?.version) } : (stored ?? {});
    const lines = await service.listLines(db, fund.id);
    return reply.code(failure?.status ?? 200).view('funding/views/spend-form.njk', {
      title: item ? `Change spend on ${fund.name}` : `Record spend on ${fund.name}`,
      heading: item ? 'Change spend' : 'Record spend',
      action: item ? paths.fundSpendEdit(fund.id, item.id) : paths.fundSpendNew(fund.id),
      back: item ? paths.fundSpend(fund.id) : paths.fund(fund.id),
      item,
      fund,
      values: { ...values, spentOn: dateInputValue(body, 'spentOn', item?.spentOn ?? null) },
      lineItems: [{ value: '', text: 'Select a budget line' }, ...lines.map((l) => ({ value: l.id, text: l.name, selected: l.id === values.lineId }))],
      ...(failure ? errorView(failure.fields, ['spentOn'], body) : { errors: {} }),
    });
  };

  app.get('/funding/:id/spend/new', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) =>
    showSpendForm(reply, await service.getFund(db, request.params.id), null),
  );

  app.post('/funding/:id/spend/new', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) => {
    const fund = await service.getFund(db, request.params.id);
    const body = (request.body ?? {}) as Body;
    try {
      await service.createSpend(db, request.ctx(), fund.id, spendInput(body));
      return reply.redirect(`${paths.fund(fund.id)}?done=spend`);
    } catch (err) {
      return showSpendForm(reply, fund, body, failureOf(err));
    }
  });

  // ---- The spend list, its downloads, changing and removing an item ----

  const spendFilters = (q: SpendListQuery) => {
    const errors: FieldErrors = {};
    const date = (name: 'from' | 'to', label: string) => {
      if (!q[name]) return undefined;
      const iso = parseDateText(q[name]);
      if (!iso) errors[name] = `${label} must be a real date, like 31/3/2026`;
      return iso ?? undefined;
    };
    const from = date('from', 'From date');
    const to = date('to', 'To date');
    if (from && to && to < from) errors.to = 'To date must be the same as or after the from date';
    return { filters: { fundId: q.fundId, lineKind: q.lineKind, lineId: q.lineId, q: q.q || undefined, from, to: errors.to ? undefined : to }, errors };
  };

  /**
   * The spend list: a fund's (`fund`), or every fund's (null: the list across funds, filtered by fund and budget line
   * kind rather than by one fund's lines, with a Fund column). The same query, filters, sort, paging and downloads.
   */
  const spendList = async (request: FastifyRequest, reply: FastifyReply, fund: service.FundRow | null) => {
    const actor = requireActor(request);
    const query = spendListQ.parse(request.query ?? {});
    const { filters: checked, status, errors: searchErrors } = checkSearch(query);
    const { filters, errors: dateErrors } = spendFilters(checked);
    const errors = { ...searchErrors, ...dateErrors };
    const fundId = fund?.id ?? filters.fundId ?? null;
    const { rows, total, amountPence } = await service.listSpend(db, fundId, filters, query, { page: query.page, pageSize: spendPageSize });
    const listHref = fund ? paths.fundSpend(fund.id) : paths.fundingSpend();
    // Links keep the dates as typed (a bad one is dropped from the list, not from the box).
    const linkQuery = { fundId: filters.fundId, lineKind: filters.lineKind, lineId: filters.lineId, q: filters.q, from: filters.from && query.from, to: filters.to && query.to, sort: query.sort, order: query.order };
    const pagination = paginationView(listHref, linkQuery, query.page, spendPageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const choices = fund
      ? { lineItems: selectItems([{ value: '', text: 'Any budget line' }, ...(await service.listLines(db, fund.id)).map((l) => ({ value: l.id, text: l.name }))], query.lineId) }
      : {
          fundItems: selectItems([{ value: '', text: 'Any fund' }, ...(await service.listFunds(db)).map((f) => ({ value: f.id, text: f.name }))], query.fundId),
          kindItems: selectItems([{ value: '', text: 'Any kind' }, ...lineKinds.map((k) => ({ value: k, text: lineKindLabels[k] }))], query.lineKind),
        };
    return reply.code(Object.keys(errors).length ? 400 : status).view('funding/views/spend-list.njk', {
      title: fund ? `Spend on ${fund.name}` : 'Spend across funds',
      fund,
      listHref,
      exportHrefs: { csv: `${fund ? paths.fundSpendExport(fund.id, 'csv') : paths.fundingSpendExport('csv')}${pagination.queryString()}`, xlsx: `${fund ? paths.fundSpendExport(fund.id, 'xlsx') : paths.fundingSpendExport('xlsx')}${pagination.queryString()}` },
      rows: rows.map((r) => ({ ...r, amount: moneyText(r.amountPence), kind: lineKindLabels[r.lineKind] })),
      totalAmount: moneyText(amountPence),
      pagination,
      query,
      ...errorView(errors),
      filtered: Boolean(filters.fundId || filters.lineKind || filters.lineId || filters.q || filters.from || filters.to),
      ...choices,
      columns: spendSortColumns
        .filter((c) => !fund || c.key !== 'fund')
        .map((c) => ({
          ...c,
          href: pagination.sortHref(c.key, query.sort, query.order),
          ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
        })),
      canManage: can(actor, 'fund:manage'),
      flash: done(request),
    });
  };

  const spendDownload = async (request: FastifyRequest, reply: FastifyReply, format: 'csv' | 'xlsx', fund: service.FundRow | null) => {
    const query = exportQuery(spendListQ.parse(request.query ?? {}));
    const { filters, errors } = spendFilters(query);
    if (Object.keys(errors).length) throw new ValidationError(errors, 400);
    const { rows } = await service.listSpend(db, fund?.id ?? filters.fundId ?? null, filters, query, null);
    return sendExport(reply, format, fund ? 'spend' : 'spend-across-funds', todayIso(clock), rows, fund ? spendExportColumns : allSpendExportColumns);
  };

  app.get(paths.fundingSpend(), { config: { access: 'fund:list' } }, (request, reply) => spendList(request, reply, null));
  app.get('/funding/:id/spend', { config: { access: 'fund:list' } }, async (request: FundRequest, reply) => spendList(request, reply, await service.getFund(db, request.params.id)));

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.fundingSpendExport(format), { config: { access: 'fund:list' } }, (request, reply) => spendDownload(request, reply, format, null));
    app.get(paths.fundSpendExport(':id', format), { config: { access: 'fund:list' } }, async (request: FundRequest, reply) =>
      spendDownload(request, reply, format, await service.getFund(db, request.params.id)),
    );
  }

  type SpendRequest = FastifyRequest<{ Params: { id: string; spendId: string } }>;
  const loadSpend = async (request: SpendRequest) => {
    const fund = await service.getFund(db, request.params.id);
    return { fund, item: await service.getSpend(db, fund, request.params.spendId) };
  };

  app.get('/funding/:id/spend/:spendId/edit', { config: { access: 'fund:manage' } }, async (request: SpendRequest, reply) => {
    const { fund, item } = await loadSpend(request);
    return showSpendForm(reply, fund, null, undefined, item);
  });

  app.post('/funding/:id/spend/:spendId/edit', { config: { access: 'fund:manage' } }, async (request: SpendRequest, reply) => {
    const { fund, item } = await loadSpend(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.changeSpend(db, request.ctx(), fund.id, item.id, { ...spendInput(body), version: formWholeNumber(first(body.version)) });
      return reply.redirect(`${paths.fundSpend(fund.id)}?done=spendChanged`);
    } catch (err) {
      // A stale change: the form again with what was typed, over the item as it is now (its version too); one removed
      // meanwhile is not found.
      const failure = failureOf(err);
      return showSpendForm(reply, fund, body, failure, failure.stale ? (await loadSpend(request)).item : item);
    }
  });

  const showRemoval = (reply: FastifyReply, fund: service.FundRow, item: service.SpendItemRow, failure?: Failure) =>
    reply.code(failure?.status ?? 200).view('funding/views/spend-remove.njk', {
      title: `Remove spend with ${item.supplier}`,
      fund,
      item: { ...item, amount: moneyText(item.amountPence) },
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });

  app.get('/funding/:id/spend/:spendId/remove', { config: { access: 'fund:manage' } }, async (request: SpendRequest, reply) => {
    const { fund, item } = await loadSpend(request);
    return showRemoval(reply, fund, item);
  });

  app.post('/funding/:id/spend/:spendId/remove', { config: { access: 'fund:manage' } }, async (request: SpendRequest, reply) => {
    const { fund, item } = await loadSpend(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.removeSpend(db, request.ctx(), fund.id, item.id, { version: formWholeNumber(first(body.version)) });
      return reply.redirect(`${paths.fundSpend(fund.id)}?done=spendRemoved`);
    } catch (err) {
      return showRemoval(reply, fund, item, failureOf(err));
    }
  });

  // ---- Uploading spend ----

  const uploadView = (fund: service.FundRow) => ({
    title: `Upload spend on ${fund.name}`,
    fund,
    columns: spendUploadColumns,
    maxSize: importLimits(deps.config).size,
    maxRows: formatCount(importLimits(deps.config).maxRows),
  });

  app.get('/funding/:id/spend/upload', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) =>
    reply.view('funding/views/spend-upload.njk', { ...uploadView(await service.getFund(db, request.params.id)), errors: {} }),
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.fundSpendTemplate(':id', format), { config: { access: 'fund:manage' } }, async (request: FundRequest, reply) => {
      await service.getFund(db, request.params.id);
      const columns = spendUploadColumns.map((c) => ({ header: c.name, value: () => '' }));
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename="spend-template.${format}"`)
        .send(format === 'csv' ? toCsv([], columns) : await toXlsx([], columns, 'spend'));
    });
  }

  // The upload's POST is multipart: in its own plugin, as the other uploads are, so no other route takes multipart.
  // It runs inside the request, as the key contracts' upload does: a fund's spend file is tens or hundreds of rows.
  app.register(async (scoped) => {
    await acceptSpreadsheetUploads(scoped, deps.config.uploadMaxBytes);
    scoped.post('/funding/:id/spend/upload', { config: { access: 'fund:manage' } }, async (request: FundRequest, reply: FastifyReply) => {
      const fund = await service.getFund(db, request.params.id);
      const body = (request.body ?? {}) as { file?: FilePart | string };
      const file = typeof body.file === 'object' ? body.file : undefined;
      const view = uploadView(fund);
      const refuse = (message: string) => reply.code(400).view('funding/views/spend-upload.njk', { ...view, errors: { file: message }, errorList: [{ text: message, href: '#file' }] });
      if (!file || (!file.filename && file.buffer.length === 0)) return refuse('Select a CSV or Excel (.xlsx) file to upload');
      if (file.truncated) return refuse(`The selected file must be smaller than ${importLimits(deps.config).size}`);
      const outcome = await service.uploadSpend(db, deps.config, request.ctx(), fund.id, file.buffer);
      if (!outcome.ok) return reply.code(400).view('funding/views/spend-upload.njk', { ...view, ...refusedUploadView(outcome) });
      return reply.view('funding/views/spend-uploaded.njk', { title: 'File uploaded', fund, rows: outcome.rows, total: moneyText(outcome.totalPence) });
    });
  });
}
