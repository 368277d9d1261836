import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { todayIso } from '../clock.ts';
import { ConflictError, ForbiddenError } from '../web/errors.ts';
import { sendExport, type ExportColumn } from '../web/export.ts';
import { dateInputValue, errorView, failureOf, first, joinDateParts, shownVersion, type FormFailure } from '../web/forms.ts';
import { checkSearch, exportQuery, listQuery, paginationView } from '../web/list-query.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import {
  improvementStatuses,
  improvementStatusLabels,
  improvementStatusTagClass,
  improvementTypeLabels,
  improvementTypes,
  money,
  poundsText,
  type ImprovementStatus,
} from './rules.ts';
import { cashableFilters, descriptionMaxLength, improvementSortKeys, noteMaxLength } from './schemas.ts';
import * as service from './service.ts';
import { allowedTypesText } from '../files/detect.ts';
import { acceptFileForms, fileOf, type FileFormBody } from '../files/multipart.ts';
import { sendStoredFile } from '../files/send.ts';
import { fileDescription } from '../files/upload.ts';
import { sizeText } from '../imports/limits.ts';

const pageSize = 50;
type Body = Record<string, string | string[] | undefined>;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type Failure = FormFailure;

const flashes: Record<string, string> = {
  recorded: 'Improvement recorded',
  updated: 'Improvement changed',
  resubmitted: 'Improvement changed and resubmitted',
  verified: 'Improvement verified',
  queried: 'Improvement queried: the council has been asked to answer',
  evidence: 'Evidence added',
  'evidence-file': 'File added as evidence',
  'evidence-file-removed': 'Evidence file removed',
};

const cashableLabels: Record<(typeof cashableFilters)[number], string> = { cashable: 'Cashable', non_cashable: 'Non-cashable', none: 'No financial value' };
const valueKindOf = (cashable: boolean | null) => (cashable === null ? 'none' : cashable ? 'cashable' : 'non_cashable');

const sortColumns = [
  { key: 'council', text: 'Council and improvement' },
  { key: 'date', text: 'Date' },
  { key: 'value', text: 'Value', numeric: true },
  { key: 'status', text: 'Status' },
] as const;

const listQ = listQuery(improvementSortKeys, 'date').extend({
  // Newest first unless asked otherwise.
  order: z.enum(['asc', 'desc']).catch('desc').default('desc'),
  type: z.enum(improvementTypes).optional().catch(undefined),
  status: z.enum(improvementStatuses).optional().catch(undefined),
  councilId: z.uuid().optional().catch(undefined),
  cashable: z.enum(cashableFilters).optional().catch(undefined),
});
type ListQ = z.infer<typeof listQ>;
const filtersOf = (q: ListQ) => ({ type: q.type, status: q.status, councilId: q.councilId, cashable: q.cashable, q: q.q || undefined });

const exportColumns: ExportColumn<service.ImprovementRow>[] = [
  { header: 'Council', value: (r) => r.councilName },
  { header: 'Type', value: (r) => improvementTypeLabels[r.type] },
  { header: 'Description', value: (r) => r.description },
  { header: 'Date', value: (r) => r.improvedOn, date: 'date' },
  { header: 'Financial value (£)', value: (r) => (r.valuePence === null ? null : r.valuePence / 100) },
  { header: 'Cashable', value: (r) => (r.cashable === null ? '' : r.cashable ? 'Cashable' : 'Non-cashable') },
  { header: 'Status', value: (r) => improvementStatusLabels[r.status] },
  { header: 'Learners credited', value: (r) => r.learnerIds.length },
  { header: 'Review note', value: (r) => r.reviewNote },
  { header: 'Reviewed', value: (r) => r.reviewedAt, date: 'dateTime' },
];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v.filter(Boolean) : v ? [v] : []);
const doneFlash = (request: FastifyRequest) => flashes[str((request.query as Record<string, unknown>).done) ?? ''];

/** The improvements register's pages: the list (with downloads and totals), recording and changing one, its page and its review. */
export async function improvementRoutes(app: FastifyInstance, { db, clock, config, storage }: RouteDeps) {
  const fileDeps = { db, storage, maxBytes: config.resourceMaxBytes };
  const scopeOf = (request: FastifyRequest) => councilScope(requireActor(request));
  const load = (request: IdRequest) => service.getImprovement(db, request.ctx(), scopeOf(request), request.params.id);

  // ---- The list ----

  app.get(paths.improvements(), { config: { access: 'improvement:list' } }, async (request, reply) => {
    const actor = requireActor(request);
    const query = listQ.parse(request.query ?? {});
    const { filters: checked, status, errors, errorList } = checkSearch(query);
    const filters = filtersOf(checked);
    const { rows, total, totals } = await service.listImprovements(db, councilScope(actor), filters, query, { page: query.page, pageSize });
    const linkQuery = { ...filters, sort: query.sort, order: query.order };
    const pagination = paginationView(paths.improvements(), linkQuery, query.page, pageSize, total);
    if (pagination.lastPageHref) return reply.redirect(pagination.lastPageHref);
    const councils = await service.councilChoices(db, councilScope(actor));
    const any = (text: string) => ({ value: '', text });
    return reply.code(status).view('improvements/views/list.njk', {
      title: councils.length === 1 ? `Improvements of ${councils[0].name}` : 'Improvements',
      singleCouncil: councils.length === 1 ? councils[0] : null,
      rows: rows.map((r) => ({ ...r, value: money(r.valuePence), typeLabel: improvementTypeLabels[r.type] })),
      totals: { ...totals, value: money(totals.valuePence), cashable: money(totals.cashablePence), nonCashable: money(totals.nonCashablePence) },
      pagination,
      query,
      errors,
      errorList,
      filtered: Boolean(filters.type || filters.status || filters.councilId || filters.cashable || filters.q),
      typeItems: [any('Any type'), ...improvementTypes.map((t) => ({ value: t, text: improvementTypeLabels[t], selected: t === query.type }))],
      statusItems: [any('Any status'), ...improvementStatuses.map((s) => ({ value: s, text: improvementStatusLabels[s], selected: s === query.status }))],
      councilItems: [any('Any council'), ...councils.map((c) => ({ value: c.id, text: c.name, selected: c.id === query.councilId }))],
      cashableItems: [any('Any value'), ...cashableFilters.map((c) => ({ value: c, text: cashableLabels[c], selected: c === query.cashable }))],
      columns: sortColumns.map((c) => ({
        ...c,
        href: pagination.sortHref(c.key, query.sort, query.order),
        ariaSort: c.key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none',
      })),
      exportQuery: pagination.queryString(),
      canRecord: can(actor, 'improvement:record') && actor.organisationKind === 'council',
      statusLabels: improvementStatusLabels,
      statusTagClass: improvementStatusTagClass,
      flash: doneFlash(request),
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(paths.improvementsExport(format), { config: { access: 'improvement:list' } }, async (request, reply) => {
      const query = exportQuery(listQ.parse(request.query ?? {}));
      const { rows } = await service.listImprovements(db, scopeOf(request), filtersOf(query), query, null);
      return sendExport(reply, format, 'improvements', todayIso(clock), rows, exportColumns);
    });
  }

  // ---- Recording and changing an improvement ----

  /** The form's fields from a posted body (the API sends the same as JSON). */
  const improvementInput = (body: Body) => ({
    type: first(body.type) || undefined,
    description: first(body.description),
    date: joinDateParts(body, 'date'),
    valueKind: first(body.valueKind) || undefined,
    value: first(body.value),
    learnerIds: list(body.learnerIds),
    contractIds: list(body.contractIds),
    version: formWholeNumber(first(body.version)),
  });

  const showForm = async (reply: FastifyReply, opts: { councilId: string; improvement?: service.ImprovementRow; body: Body | null; failure?: Failure }) => {
    const { improvement: i, body } = opts;
    const [learners, contracts] = await Promise.all([service.councilLearners(db, opts.councilId, i?.learnerIds ?? []), service.councilContracts(db, opts.councilId)]);
    const chosen = body ? list(body.learnerIds) : (i?.learnerIds ?? []);
    const chosenContracts = body ? list(body.contractIds) : (i?.contractIds ?? []);
    const type = body ? first(body.type) : i?.type;
    const valueKind = body ? first(body.valueKind) : i ? valueKindOf(i.cashable) : undefined;
    return reply.code(opts.failure?.status ?? 200).view('improvements/views/form.njk', {
      title: i ? 'Change the improvement' : 'Record an improvement',
      improvement: i,
      typeItems: improvementTypes.map((t) => ({ value: t, text: improvementTypeLabels[t], checked: t === type })),
      valueKindItems: [
        { value: 'none', text: 'No financial value', checked: valueKind === 'none' },
        { value: 'cashable', text: 'Cashable', hint: { text: 'Money the council no longer spends, so its budget can go elsewhere' }, checked: valueKind === 'cashable' },
        { value: 'non_cashable', text: 'Non-cashable', hint: { text: 'Value that does not free budget, such as cost avoided or time saved' }, checked: valueKind === 'non_cashable' },
      ],
      learnerItems: learners.map((l) => ({ value: l.personId, text: l.name, hint: l.jobTitle ? { text: l.jobTitle } : undefined, checked: chosen.includes(l.personId) })),
      contractItems: contracts.map((c) => ({ value: c.contractId, text: c.name, hint: { text: c.supplier }, checked: chosenContracts.includes(c.contractId) })),
      contractsHref: paths.councilContracts(opts.councilId),
      values: {
        description: body ? first(body.description) : i?.description,
        date: dateInputValue(body, 'date', i?.improvedOn ?? null),
        value: body ? first(body.value) : poundsText(i?.valuePence),
        version: shownVersion(body, opts.failure, i?.version),
      },
      descriptionMaxLength,
      ...(opts.failure ? errorView(opts.failure.fields, ['date'], body) : { errors: {} }),
    });
  };

  app.get(paths.improvementNew(), { config: { access: 'improvement:record' } }, async (request, reply) => {
    const actor = requireActor(request);
    if (actor.organisationKind !== 'council') throw new ForbiddenError('Only a council’s SRO and lead record its improvements');
    return showForm(reply, { councilId: actor.organisationId, body: null });
  });

  app.post(paths.improvementNew(), { config: { access: 'improvement:record' } }, async (request, reply) => {
    const actor = requireActor(request);
    const body = (request.body ?? {}) as Body;
    try {
      const id = await service.recordImprovement(db, request.ctx(), improvementInput(body));
      return reply.redirect(`${paths.improvement(id)}?done=recorded`);
    } catch (err) {
      return showForm(reply, { councilId: actor.organisationId, body, failure: failureOf(err) });
    }
  });

  const editable = async (request: IdRequest) => {
    const { improvement, access } = await load(request);
    if (!access.edit) throw new ForbiddenError('Only the council’s SRO and lead change its improvements');
    if (!access.editNow) throw new ConflictError('A verified improvement cannot be changed');
    return improvement;
  };

  app.get('/improvements/:id/edit', { config: { access: 'improvement:list' } }, async (request: IdRequest, reply) => {
    const improvement = await editable(request);
    return showForm(reply, { councilId: improvement.councilId, improvement, body: null });
  });

  app.post('/improvements/:id/edit', { config: { access: 'improvement:list' } }, async (request: IdRequest, reply) => {
    const improvement = await editable(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.updateImprovement(db, request.ctx(), scopeOf(request), improvement.id, improvementInput(body));
      return reply.redirect(`${paths.improvement(improvement.id)}?done=${improvement.status === 'queried' ? 'resubmitted' : 'updated'}`);
    } catch (err) {
      // A stale edit: the form again with what was typed, over the improvement as it is now (its version too).
      const failure = failureOf(err);
      return showForm(reply, { councilId: improvement.councilId, improvement: failure.stale ? await editable(request) : improvement, body, failure });
    }
  });

  // ---- The improvement's page, its evidence and its review ----

  const showImprovement = async (request: IdRequest, reply: FastifyReply, failure?: Failure & { body: Body }) => {
    const { improvement: i, access } = await load(request);
    const [learners, contracts, evidence, evidenceFiles] = await Promise.all([
      service.learnersOf(db, i.id),
      service.contractsOf(db, i.id),
      service.evidenceOf(db, i.id),
      service.evidenceFilesOf(db, i.id),
    ]);
    return reply.code(failure?.status ?? 200).view('improvements/views/show.njk', {
      title: improvementTypeLabels[i.type],
      i,
      typeLabel: improvementTypeLabels[i.type],
      value: money(i.valuePence),
      learners,
      contracts: contracts.map((c) => ({ ...c, href: paths.contract(c.contractId) })),
      evidence,
      evidenceFiles: evidenceFiles.map((f) => ({
        ...f,
        href: paths.improvementEvidenceFile(i.id, f.id),
        removeHref: access.editNow ? paths.improvementEvidenceFileRemove(i.id, f.id) : null,
        description: fileDescription(f),
      })),
      fileUploadAction: access.editNow ? paths.improvementEvidenceFiles(i.id) : null,
      fileHint: `A ${allowedTypesText} file, smaller than ${sizeText(config.resourceMaxBytes)}.`,
      access,
      statusLabel: improvementStatusLabels[i.status as ImprovementStatus],
      statusTag: improvementStatusTagClass[i.status as ImprovementStatus],
      evidenceValues: failure ? { title: first(failure.body.title), url: first(failure.body.url) } : {},
      flash: failure ? undefined : doneFlash(request),
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/improvements/:id', { config: { access: 'improvement:list' } }, (request: IdRequest, reply) => showImprovement(request, reply));

  app.post('/improvements/:id/evidence', { config: { access: 'improvement:list' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    try {
      await service.addEvidence(db, request.ctx(), scopeOf(request), request.params.id, { title: first(body.title), url: first(body.url) });
      return reply.redirect(`${paths.improvement(request.params.id)}?done=evidence#evidence`);
    } catch (err) {
      return showImprovement(request, reply, { ...failureOf(err), body });
    }
  });

  // Evidence files: the upload is multipart, in its own plugin (src/files/multipart.ts), CSRF checked as for any form.
  app.register(async (scoped) => {
    const readForm = await acceptFileForms(scoped, { maxBytes: config.resourceMaxBytes, fields: 2 });
    scoped.post<{ Params: { id: string } }>('/improvements/:id/evidence-files', { config: { access: 'improvement:list' }, preValidation: readForm }, async (request, reply) => {
      const body = (request.body ?? {}) as FileFormBody;
      try {
        await service.addEvidenceFile(fileDeps, request.ctx(), scopeOf(request), request.params.id, fileOf(body));
        return reply.redirect(`${paths.improvement(request.params.id)}?done=evidence-file#evidence`, 303);
      } catch (err) {
        return showImprovement(request, reply, { ...failureOf(err), body: {} });
      }
    });
  });

  app.get('/improvements/:id/evidence-files/:fileId', { config: { access: 'improvement:list' } }, async (request: FastifyRequest<{ Params: { id: string; fileId: string } }>, reply) => {
    const { file, content } = await service.openEvidenceFile(fileDeps, request.ctx(), scopeOf(request), request.params.id, request.params.fileId);
    return sendStoredFile(reply, file, content, 'evidence');
  });

  type FileRequest = FastifyRequest<{ Params: { id: string; fileId: string } }>;

  app.get('/improvements/:id/evidence-files/:fileId/remove', { config: { access: 'improvement:list' } }, async (request: FileRequest, reply) => {
    const { id, fileId } = request.params;
    const { improvement: i, file } = await service.removableEvidenceFile(db, request.ctx(), scopeOf(request), id, fileId);
    return reply.view('files/views/evidence-file-remove.njk', {
      title: `Remove ${file.fileName}`,
      caption: improvementTypeLabels[i.type],
      file: { ...file, description: fileDescription(file) },
      recordText: `the improvement “${i.description}”`,
      action: paths.improvementEvidenceFileRemove(id, fileId),
      backHref: `${paths.improvement(id)}#evidence`,
    });
  });

  app.post('/improvements/:id/evidence-files/:fileId/remove', { config: { access: 'improvement:list' } }, async (request: FileRequest, reply) => {
    await service.removeEvidenceFile(fileDeps, request.ctx(), scopeOf(request), request.params.id, request.params.fileId);
    return reply.redirect(`${paths.improvement(request.params.id)}?done=evidence-file-removed#evidence`, 303);
  });

  const showReview = async (request: IdRequest, reply: FastifyReply, body: Body | null, failure?: Failure) => {
    const { improvement: i, access } = await load(request);
    if (!access.review) throw new ForbiddenError('Only a specialist assigned to the council or the programme team verifies or queries an improvement');
    if (!access.reviewNow && !failure) throw new ConflictError(`This improvement is ${improvementStatusLabels[i.status].toLowerCase()}: only a submitted improvement can be verified or queried`);
    const decision = body ? first(body.decision) : undefined;
    return reply.code(failure?.status ?? 200).view('improvements/views/review.njk', {
      title: `Verify or query: ${improvementTypeLabels[i.type]}`,
      i,
      typeLabel: improvementTypeLabels[i.type],
      value: money(i.valuePence),
      decisionItems: [
        { value: 'verified', text: 'Verify it', hint: { text: 'The evidence shows the improvement happened as described' }, checked: decision === 'verified' },
        { value: 'queried', text: 'Query it', hint: { text: 'The council must answer or change it, then it comes back to you' }, checked: decision === 'queried' },
      ],
      // After a stale decision: the improvement as it is now, its version, and the decision and note as typed.
      values: { note: body ? first(body.note) : '', version: shownVersion(body, failure, i.version) },
      noteMaxLength,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/improvements/:id/review', { config: { access: 'improvement:list' } }, (request: IdRequest, reply) => showReview(request, reply, null));

  app.post('/improvements/:id/review', { config: { access: 'improvement:list' } }, async (request: IdRequest, reply) => {
    const body = (request.body ?? {}) as Body;
    const decision = first(body.decision);
    try {
      await service.reviewImprovement(db, request.ctx(), scopeOf(request), request.params.id, { decision: decision || undefined, note: first(body.note), version: formWholeNumber(first(body.version)) });
      return reply.redirect(`${paths.improvement(request.params.id)}?done=${decision}`);
    } catch (err) {
      return showReview(request, reply, body, failureOf(err));
    }
  });
}
