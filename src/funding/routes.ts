import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ConflictError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { dateInputValue, errorView, first, joinDateParts } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { levelLabels, levels, type Level } from '../enrolments/journey.ts';
import { lineKindLabels, lineKinds, type LineKind } from './schemas.ts';
import { signedMoney } from './money.ts';
import * as service from './service.ts';

type Body = Record<string, string | string[] | undefined>;
type FundRequest = FastifyRequest<{ Params: { id: string } }>;
type Failure = { fields: FieldErrors; status: number };

const flashes: Record<string, string> = { created: 'Fund added', line: 'Budget line added', spend: 'Spend recorded' };
const done = (request: FastifyRequest) => flashes[String((request.query as Record<string, unknown>).done ?? '')];

function failureOf(err: unknown): Failure {
  if (err instanceof ValidationError) return { fields: err.fields, status: 400 };
  if (err instanceof ConflictError) return { fields: { [err.field === 'version' ? '_form' : (err.field ?? '_form')]: err.message }, status: 409 };
  throw err;
}

const figuresView = (f: service.Figures) => ({
  budget: signedMoney(f.budgetPence),
  committed: signedMoney(f.committedPence),
  spent: signedMoney(f.spentPence),
  remaining: signedMoney(f.remainingPence),
  forecast: signedMoney(f.forecastPence),
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
    return reply.view('funding/views/list.njk', { title: 'Funding', rows, canManage: can(actor, 'fund:manage'), flash: done(request) });
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
      fund: { ...fund, amount: signedMoney(fund.amountPence) },
      total: figuresView(summary.total),
      lines: summary.lines.map((l) => ({ ...l, kindLabel: lineKindLabels[l.kind], ...figuresView(l) })),
      today: summary.today,
      spend: spend && { total: spend.total, rows: spend.rows.map((s) => ({ ...s, amount: signedMoney(s.amountPence) })) },
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

  const showSpendForm = async (reply: FastifyReply, fund: service.FundRow, body: Body | null, failure?: Failure) => {
    const values: Partial<ReturnType<typeof spendInput>> = body ? spendInput(body) : {};
    const lines = await service.listLines(db, fund.id);
    return reply.code(failure?.status ?? 200).view('funding/views/spend-form.njk', {
      title: `Record spend on ${fund.name}`,
      fund,
      values: { ...values, spentOn: dateInputValue(body, 'spentOn', null) },
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
}
