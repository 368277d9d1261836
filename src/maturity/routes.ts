import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { can, councilScope } from '../auth/policy.ts';
import { requireActor } from '../auth/session.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../web/errors.ts';
import { errorView, failureOf, first, shownVersion, type FormFailure } from '../web/forms.ts';
import { formWholeNumber } from '../web/numbers.ts';
import { paths } from '../web/paths.ts';
import { changeChartSvg } from './chart.ts';
import { levelName, levelNames } from './framework.ts';
import { assessmentKindLabels, assessmentStatusLabels, assessmentStatusTagClass, evidenceMaxLength, reasonMaxLength } from './schemas.ts';
import * as service from './service.ts';
import { programmeRoutes } from './programme-routes.ts';
import { councilPeers, minimumPeerGroup } from './programme.ts';

type Body = Record<string, string | string[] | undefined>;
type CouncilRequest = FastifyRequest<{ Params: { id: string } }>;
type AssessmentRequest = FastifyRequest<{ Params: { id: string; assessmentId: string } }>;

const flashes: Record<string, string> = {
  saved: 'Draft saved',
  submitted: 'Assessment submitted',
  moderated: 'Moderated score saved',
};

const kindWord = (kind: 'baseline' | 'follow_up') => (kind === 'baseline' ? 'baseline' : 'follow-up');

/** The form's answers for each area as the service reads them (blank boxes are left out of a draft, not cleared). */
function answersFrom(body: Body, areas: readonly service.AreaRow[]) {
  return areas.map((a) => {
    const text = (name: string) => first(body[`${name}-${a.key}`]);
    return { area: a.key, score: formWholeNumber(text('score')) ?? null, evidence: text('evidence') ?? null, target: formWholeNumber(text('target')) ?? null };
  });
}

/** The page's view of one area of an assessment. */
function areaView(a: service.Assessment, area: service.AreaRow, previous: Map<string, service.ScoreRow> | null) {
  return { ...area, ...service.answersOf(a, area), previous: previous ? service.effectiveScore(previous.get(area.id)) : null };
}

/**
 * The council's latest level beside its peers' average, area by area, for the "similar councils" table; null when
 * the council has neither a type nor a region to compare by, or no council has a submitted baseline yet.
 */
function peersView(peers: NonNullable<Awaited<ReturnType<typeof councilPeers>>>, change: Awaited<ReturnType<typeof service.councilChange>>) {
  const groups = [peers.byType, peers.byRegion].filter((g) => g !== null);
  if (!groups.length || !groups[0].areas.length) return null;
  const own = new Map(change?.areas.map((a) => [a.key, a.latest]) ?? []);
  const ofGroup = (g: (typeof groups)[number], key: string) => g.areas.find((a) => a.key === key)!;
  return {
    type: peers.byType?.name ?? null,
    region: peers.byRegion?.name ?? null,
    areas: groups[0].areas.map((a) => ({
      key: a.key,
      name: a.name,
      own: own.get(a.key) ?? null,
      byType: peers.byType && ofGroup(peers.byType, a.key),
      byRegion: peers.byRegion && ofGroup(peers.byRegion, a.key),
    })),
  };
}

/** Maturity pages: a council's assessments and change chart, drafting and submitting, moderation; the programme view. */
export async function maturityRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { db } = deps;

  /** An assessment of the council in the path, in scope; 404 otherwise (an id of another council's assessment too). */
  const assessmentOf = async (request: AssessmentRequest) => {
    const a = await service.getAssessment(db, councilScope(requireActor(request)), request.params.assessmentId);
    if (a.councilId !== request.params.id) throw new NotFoundError();
    return a;
  };

  // ---- The council's maturity page ----

  const showCouncil = async (request: CouncilRequest, reply: FastifyReply, fields?: FieldErrors, status = 400) => {
    const actor = requireActor(request);
    const council = await service.councilOf(db, councilScope(actor), request.params.id);
    const [{ rows }, change, peers] = await Promise.all([
      service.listAssessments(db, { kind: 'own', councilId: council.id }, { councilId: council.id }, null),
      service.councilChange(db, council.id),
      councilPeers(db, council.id),
    ]);
    const draft = rows.find((r) => r.status === 'draft') ?? null;
    const canAssess = can(actor, 'maturity:assess');
    const labels = change && { baseline: `Baseline (${service.formatShortDate(change.baseline.submittedAt)})`, latest: change.latest.id === change.baseline.id ? 'Latest' : `Latest (${service.formatShortDate(change.latest.submittedAt)})` };
    const chart =
      change && change.latest.id !== change.baseline.id
        ? await changeChartSvg({
            id: 'maturity-change-chart',
            title: `${council.name}: contract management maturity, baseline and latest assessment by area`,
            description: 'Two bars for each area, the baseline level and the latest level, from 0 to 5. The same figures, with the change, are in the table that follows.',
            rows: change.areas.map((a) => ({ area: a.name, baseline: a.baseline, latest: a.latest })),
            labels: { baseline: 'Baseline', latest: 'Latest' },
          })
        : null;
    const done = (request.query as Record<string, unknown>).done;
    return reply.code(fields ? status : 200).view('maturity/views/council.njk', {
      title: `Contract management maturity: ${council.name}`,
      council,
      rows: rows.map((r) => ({ ...r, href: paths.maturityAssessment(council.id, r.id), kindLabel: assessmentKindLabels[r.kind] })),
      change: change && {
        ...change,
        labels,
        sameAssessment: change.latest.id === change.baseline.id,
        areas: change.areas.map((a) => ({ ...a, changeText: service.signed(a.change) })),
        improved: change.areas.filter((a) => (a.change ?? 0) > 0).length,
        declined: change.areas.filter((a) => (a.change ?? 0) < 0).length,
      },
      chart,
      peers: peers && peersView(peers, change),
      minimumPeerGroup,
      draft: draft && { href: `${paths.maturityAssessment(council.id, draft.id)}/edit`, kind: kindWord(draft.kind) },
      canStart: canAssess && !draft,
      startText: rows.some((r) => r.kind === 'baseline') ? 'Start a follow-up assessment' : 'Start the baseline assessment',
      canAssess,
      statusLabels: assessmentStatusLabels,
      statusTagClass: assessmentStatusTagClass,
      flash: !fields && typeof done === 'string' ? flashes[done] : undefined,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id/maturity', { config: { access: 'maturity:view' } }, (request: CouncilRequest, reply) => showCouncil(request, reply));

  app.post('/councils/:id/maturity', { config: { access: 'maturity:assess' } }, async (request: CouncilRequest, reply) => {
    try {
      const a = await service.startAssessment(db, request.ctx(), councilScope(requireActor(request)), { councilId: request.params.id });
      return reply.redirect(`${paths.maturityAssessment(a.councilId, a.id)}/edit`);
    } catch (err) {
      if (err instanceof ConflictError) return showCouncil(request, reply, { _form: err.message }, 409);
      throw err;
    }
  });

  // ---- One assessment ----

  app.get('/councils/:id/maturity/:assessmentId', { config: { access: 'maturity:view' } }, async (request: AssessmentRequest, reply) => {
    const actor = requireActor(request);
    const a = await assessmentOf(request);
    const previous = a.basedOnId ? (await service.getAssessment(db, { kind: 'all' }, a.basedOnId)).scores : null;
    const done = (request.query as Record<string, unknown>).done;
    return reply.view('maturity/views/assessment.njk', {
      title: `${assessmentKindLabels[a.kind]} assessment: ${a.councilName}`,
      a,
      kindLabel: assessmentKindLabels[a.kind],
      blocks: service.byBlock(a.areas.map((area) => areaView(a, area, previous))),
      councilHref: paths.councilMaturity(a.councilId),
      editHref: a.status === 'draft' && can(actor, 'maturity:assess') ? `${paths.maturityAssessment(a.councilId, a.id)}/edit` : null,
      moderateHref: a.status === 'submitted' && can(actor, 'maturity:moderate') ? `${paths.maturityAssessment(a.councilId, a.id)}/moderate` : null,
      statusLabels: assessmentStatusLabels,
      statusTagClass: assessmentStatusTagClass,
      levelName,
      flash: typeof done === 'string' ? flashes[done] : undefined,
    });
  });

  const showEdit = async (reply: FastifyReply, a: service.Assessment, body: Body | null, failure?: FormFailure) => {
    const previous = a.basedOnId ? (await service.getAssessment(db, { kind: 'all' }, a.basedOnId)).scores : null;
    const blocks = service.byBlock(
      a.areas.map((area) => {
        const v = areaView(a, area, previous);
        const value = (name: string, stored: number | string | null) => (body ? (first(body[`${name}-${area.key}`]) ?? '') : stored === null ? '' : String(stored));
        const score = value('score', v.score);
        const target = value('target', v.target);
        return {
          ...v,
          evidenceValue: value('evidence', v.evidence),
          scoreItems: levelNames.map((_, i) => ({ value: String(i + 1), text: levelName(i + 1), hint: { text: area.descriptors[i] }, checked: score === String(i + 1) })),
          targetItems: [{ value: '', text: 'Choose a level' }, ...levelNames.map((_, i) => ({ value: String(i + 1), text: levelName(i + 1), selected: target === String(i + 1) }))],
        };
      }),
    );
    return reply.code(failure?.status ?? 200).view('maturity/views/edit.njk', {
      title: `${assessmentKindLabels[a.kind]} assessment: ${a.councilName}`,
      a,
      kindWord: kindWord(a.kind),
      blocks,
      version: shownVersion(body, failure, String(a.version)),
      action: `${paths.maturityAssessment(a.councilId, a.id)}/edit`,
      councilHref: paths.councilMaturity(a.councilId),
      evidenceMaxLength,
      ...(failure ? errorView(failure.fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id/maturity/:assessmentId/edit', { config: { access: 'maturity:assess' } }, async (request: AssessmentRequest, reply) => {
    const a = await assessmentOf(request);
    if (a.status !== 'draft') throw new ConflictError(`This assessment was submitted on ${service.formatShortDate(a.submittedAt)} and can no longer be changed: start a follow-up to record a new assessment`);
    return showEdit(reply, a, null);
  });

  app.post('/councils/:id/maturity/:assessmentId/edit', { config: { access: 'maturity:assess' } }, async (request: AssessmentRequest, reply) => {
    const a = await assessmentOf(request);
    const body = (request.body ?? {}) as Body;
    const submit = first(body.action) === 'submit';
    try {
      const version = formWholeNumber(first(body.version));
      await service.saveAssessment(db, request.ctx(), councilScope(requireActor(request)), a.id, { areas: answersFrom(body, a.areas), version: typeof version === 'number' ? version : undefined }, { submit });
    } catch (err) {
      const failure = failureOf(err);
      if (failure.status === 400) return showEdit(reply, a, body, failure);
      // Submitted meanwhile: nothing to save over (the error page says so). Stale: the form again with what was typed,
      // over the draft as it is now (its version too), so saving it again after checking works.
      const fresh = await service.getAssessment(db, { kind: 'all' }, a.id);
      if (fresh.status !== 'draft') throw err;
      return showEdit(reply, fresh, body, failure);
    }
    return reply.redirect(submit ? `${paths.councilMaturity(a.councilId)}?done=submitted` : `${paths.maturityAssessment(a.councilId, a.id)}?done=saved`);
  });

  // ---- Moderation ----

  const showModerate = async (reply: FastifyReply, a: service.Assessment, body: Body | null, fields?: FieldErrors, status = 400) => {
    if (a.status !== 'submitted') throw new ConflictError('Only a submitted assessment can be moderated: this one is still a draft');
    const chosen = body ? first(body.area) : undefined;
    const score = body ? first(body.score) : undefined;
    return reply.code(fields ? status : 200).view('maturity/views/moderate.njk', {
      title: `Moderate a score: ${a.councilName}`,
      a,
      kindLabel: assessmentKindLabels[a.kind],
      action: `${paths.maturityAssessment(a.councilId, a.id)}/moderate`,
      backHref: paths.maturityAssessment(a.councilId, a.id),
      areaItems: [
        { value: '', text: 'Choose an area' },
        ...a.areas.map((area) => {
          const s = a.scores.get(area.id);
          const now = service.effectiveScore(s);
          return { value: area.key, text: `${area.name} (${s?.moderatedScore != null ? `moderated to ${now}, council’s own ${s.score}` : `scored ${now ?? 'not scored'}`})`, selected: chosen === area.key };
        }),
      ],
      scoreItems: levelNames.map((_, i) => ({ value: String(i + 1), text: levelName(i + 1), checked: score === String(i + 1) })),
      reason: body ? first(body.reason) : undefined,
      reasonMaxLength,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get('/councils/:id/maturity/:assessmentId/moderate', { config: { access: 'maturity:moderate' } }, async (request: AssessmentRequest, reply) => {
    const a = await assessmentOf(request);
    const area = (request.query as Record<string, unknown>).area;
    return showModerate(reply, a, typeof area === 'string' ? { area } : null);
  });

  app.post('/councils/:id/maturity/:assessmentId/moderate', { config: { access: 'maturity:moderate' } }, async (request: AssessmentRequest, reply) => {
    const a = await assessmentOf(request);
    const body = (request.body ?? {}) as Body;
    try {
      await service.moderate(db, request.ctx(), councilScope(requireActor(request)), a.id, {
        area: first(body.area) || undefined,
        score: formWholeNumber(first(body.score)),
        reason: first(body.reason),
      });
    } catch (err) {
      if (err instanceof ValidationError) return showModerate(reply, a, body, err.fields);
      throw err;
    }
    return reply.redirect(`${paths.maturityAssessment(a.councilId, a.id)}?done=moderated`);
  });

  await programmeRoutes(app, deps);
}
