/** All SQL of maturity assessments. */
import { sql, type SQL } from 'drizzle-orm';
import type { CouncilScope } from '../auth/policy.ts';
import { pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { councilInScope } from '../db/scope.ts';
import type { AssessmentKind, AssessmentStatus } from './schemas.ts';
import { pageClause } from '../db/paging.ts';

export type AreaRow = { id: string; key: string; name: string; position: number; blockKey: string; blockName: string; descriptors: string[] };
export type FrameworkRow = { id: string; key: string; name: string; description: string };

export async function findFramework(db: DbOrTx, key: string): Promise<FrameworkRow | null> {
  const [row] = await queryRows<FrameworkRow>(db, sql`select id, key, name, description from maturity_frameworks where key = ${key}`);
  return row ?? null;
}

export async function frameworkAreas(db: DbOrTx, frameworkId: string): Promise<AreaRow[]> {
  return queryRows<AreaRow>(
    db,
    sql`select a.id, a.key, a.name, a.position, b.key as "blockKey", b.name as "blockName", a.descriptors
        from maturity_areas a join maturity_blocks b on b.id = a.block_id
        where a.framework_id = ${frameworkId} order by b.position, a.position`,
  );
}

export type AssessmentRow = {
  id: string;
  councilId: string;
  councilName: string;
  frameworkId: string;
  frameworkKey: string;
  kind: AssessmentKind;
  status: AssessmentStatus;
  basedOnId: string | null;
  createdAt: Date;
  createdByName: string | null;
  updatedAt: Date;
  submittedAt: Date | null;
  submittedByName: string | null;
  version: number;
  scored: number;
};

const assessmentSelect = sql`select m.id, m.council_id as "councilId", o.name as "councilName", m.framework_id as "frameworkId", f.key as "frameworkKey",
    m.kind, m.status, m.based_on_id as "basedOnId", m.created_at as "createdAt", c.name as "createdByName", m.updated_at as "updatedAt",
    m.submitted_at as "submittedAt", s.name as "submittedByName", m.version,
    (select count(*)::int from maturity_scores x where x.assessment_id = m.id and x.score is not null) as scored
  from maturity_assessments m
  join organisations o on o.id = m.council_id
  join maturity_frameworks f on f.id = m.framework_id
  left join people c on c.id = m.created_by_id
  left join people s on s.id = m.submitted_by_id`;

/** Dates come back as text from raw queries on one driver and Dates on the other: one shape for the callers. */
const toDate = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));
const normalise = (r: AssessmentRow): AssessmentRow => ({ ...r, createdAt: toDate(r.createdAt)!, updatedAt: toDate(r.updatedAt)!, submittedAt: toDate(r.submittedAt) });

export type AssessmentFilters = { councilId?: string; status?: AssessmentStatus; kind?: AssessmentKind };

function listWhere(scope: CouncilScope, f: AssessmentFilters): SQL {
  const parts = [councilInScope(scope, sql`m.council_id`)];
  if (f.councilId) parts.push(sql`m.council_id = ${f.councilId}::uuid`);
  if (f.status) parts.push(sql`m.status = ${f.status}`);
  if (f.kind) parts.push(sql`m.kind = ${f.kind}`);
  return sql.join(parts, sql` and `);
}

/** Assessments in scope, newest first (a draft before everything submitted), and how many match. */
export async function listAssessments(db: DbOrTx, scope: CouncilScope, filters: AssessmentFilters, page: { limit: number; offset: number } | null) {
  const where = listWhere(scope, filters);
  const rows = await queryRows<AssessmentRow>(
    db,
    sql`${assessmentSelect} where ${where} order by m.submitted_at desc nulls first, m.created_at desc, m.id${page ? pageClause(page.limit, page.offset) : sql``}`,
  );
  const [{ total }] = await queryRows<{ total: number }>(db, sql`select count(*)::int as total from maturity_assessments m where ${where}`);
  return { rows: rows.map(normalise), total };
}

export async function findAssessment(db: DbOrTx, scope: CouncilScope, id: string): Promise<AssessmentRow | null> {
  const [row] = await queryRows<AssessmentRow>(db, sql`${assessmentSelect} where m.id = ${id}::uuid and ${councilInScope(scope, sql`m.council_id`)}`);
  return row ? normalise(row) : null;
}

export type ScoreRow = {
  areaId: string;
  score: number | null;
  evidence: string | null;
  target: number | null;
  moderatedScore: number | null;
  moderationReason: string | null;
  moderatedByName: string | null;
  moderatedAt: Date | null;
};

export async function scoresOf(db: DbOrTx, assessmentIds: readonly string[]): Promise<Map<string, Map<string, ScoreRow>>> {
  const out = new Map<string, Map<string, ScoreRow>>(assessmentIds.map((id) => [id, new Map()]));
  if (!assessmentIds.length) return out;
  const rows = await queryRows<ScoreRow & { assessmentId: string }>(
    db,
    sql`select s.assessment_id as "assessmentId", s.area_id as "areaId", s.score, s.evidence, s.target, s.moderated_score as "moderatedScore",
          s.moderation_reason as "moderationReason", p.name as "moderatedByName", s.moderated_at as "moderatedAt"
        from maturity_scores s left join people p on p.id = s.moderated_by_id
        where s.assessment_id = any(${pgArray(assessmentIds)}::uuid[])`,
  );
  for (const r of rows) out.get(r.assessmentId)?.set(r.areaId, { ...r, moderatedAt: toDate(r.moderatedAt) });
  return out;
}

/** The council's draft, if it has one (a council has at most one). */
export async function findDraftId(db: DbOrTx, councilId: string): Promise<string | null> {
  const [row] = await queryRows<{ id: string }>(db, sql`select id from maturity_assessments where council_id = ${councilId}::uuid and status = 'draft'`);
  return row?.id ?? null;
}

export async function hasBaseline(db: DbOrTx, councilId: string): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from maturity_assessments where council_id = ${councilId}::uuid and kind = 'baseline'`);
  return row.n > 0;
}

/** The council's last submitted assessment (the one a new follow-up starts from). */
export async function lastSubmittedId(db: DbOrTx, councilId: string): Promise<string | null> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`select id from maturity_assessments where council_id = ${councilId}::uuid and status = 'submitted' order by submitted_at desc, id desc limit 1`,
  );
  return row?.id ?? null;
}

export async function insertAssessment(
  db: DbOrTx,
  a: { councilId: string; frameworkId: string; kind: AssessmentKind; basedOnId: string | null; createdById: string | null; now: Date },
): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into maturity_assessments (council_id, framework_id, kind, status, based_on_id, created_by_id, created_at, updated_at)
        values (${a.councilId}::uuid, ${a.frameworkId}::uuid, ${a.kind}, 'draft', ${a.basedOnId}, ${a.createdById}, ${a.now}, ${a.now}) returning id`,
  );
  return row.id;
}

/** Copies the effective scores (moderated where moderated), evidence and targets of one assessment into another. */
export async function copyScores(db: DbOrTx, fromId: string, toId: string) {
  await db.execute(sql`insert into maturity_scores (assessment_id, area_id, score, evidence, target)
    select ${toId}::uuid, area_id, coalesce(moderated_score, score), evidence, target from maturity_scores where assessment_id = ${fromId}::uuid`);
}

export type ScoreWrite = { areaId: string; score: number | null; evidence: string | null; target: number | null };

export async function upsertScores(db: DbOrTx, assessmentId: string, rows: readonly ScoreWrite[]) {
  if (!rows.length) return;
  await db.execute(sql`insert into maturity_scores (assessment_id, area_id, score, evidence, target)
    select ${assessmentId}::uuid, t.area, t.score, t.evidence, t.target
    from unnest(${pgArray(rows.map((r) => r.areaId))}::uuid[], ${pgArray(rows.map((r) => r.score))}::smallint[], ${pgArray(rows.map((r) => r.evidence))}::text[],
      ${pgArray(rows.map((r) => r.target))}::smallint[]) as t(area, score, evidence, target)
    on conflict (assessment_id, area_id) do update set score = excluded.score, evidence = excluded.evidence, target = excluded.target`);
}

/** Bumps a draft's version if it is still the draft at `version` (any version when null); false when stale or submitted. */
export async function touchDraft(db: DbOrTx, id: string, version: number | null, now: Date): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update maturity_assessments set version = version + 1, updated_at = ${now}
        where id = ${id}::uuid and status = 'draft' ${version === null ? sql`` : sql`and version = ${version}`} returning id`,
  );
  return rows.length > 0;
}

export async function markSubmitted(db: DbOrTx, id: string, by: string | null, now: Date): Promise<boolean> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update maturity_assessments set status = 'submitted', submitted_at = ${now}, submitted_by_id = ${by}, updated_at = ${now}, version = version + 1
        where id = ${id}::uuid and status = 'draft' returning id`,
  );
  return rows.length > 0;
}

export async function moderateScore(db: DbOrTx, m: { assessmentId: string; areaId: string; score: number; reason: string; by: string | null; now: Date }) {
  await db.execute(sql`update maturity_scores set moderated_score = ${m.score}, moderation_reason = ${m.reason}, moderated_by_id = ${m.by}, moderated_at = ${m.now}
    where assessment_id = ${m.assessmentId}::uuid and area_id = ${m.areaId}::uuid`);
  await db.execute(sql`update maturity_assessments set updated_at = ${m.now} where id = ${m.assessmentId}::uuid`);
}

/** A council's name if it is in scope. */
export async function councilInScopeName(db: DbOrTx, scope: CouncilScope, councilId: string): Promise<{ id: string; name: string } | null> {
  const [row] = await queryRows<{ id: string; name: string }>(
    db,
    sql`select id, name from organisations o where o.id = ${councilId}::uuid and o.kind = 'council' and ${councilInScope(scope, sql`o.id`)}`,
  );
  return row ?? null;
}
