/**
 * The programme's maturity figures (docs/maturity.md): per area, how the councils' latest levels are spread and the
 * share of councils that improved by at least one level since their baseline; and anonymised peer benchmarks by
 * council type and by region, each group shown only where at least 5 councils contribute. Scores count as
 * moderated where a specialist moderated them.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { cachedRead } from '../db/read-cache.ts';

/** The fewest councils a peer benchmark may describe: fewer, and a group could point at one council. */
export const minimumPeerGroup = 5;

export type ProgrammeRow = {
  councilId: string;
  councilType: string | null;
  region: string | null;
  areaKey: string;
  areaName: string;
  blockName: string;
  baseline: number | null;
  latest: number | null;
  /** Whether the latest submitted assessment is a follow-up (not the baseline itself). */
  followedUp: boolean;
};

/**
 * One row per council with a submitted baseline and area of its framework: its baseline and latest level. The
 * programme view and every council's peer figures read all of them, so they are kept between changes
 * (db/read-cache.ts; submitting or moderating an assessment is audited).
 */
export function programmeRows(db: DbOrTx): Promise<readonly ProgrammeRow[]> {
  return cachedRead(db, 'maturity-programme-rows', () => readProgrammeRows(db));
}

async function readProgrammeRows(db: DbOrTx): Promise<ProgrammeRow[]> {
  return queryRows<ProgrammeRow>(
    db,
    // Latest by `distinct on` and baseline by its kind, not both picked from one windowed list: the planner cannot
    // estimate `row_number() = 1`, guessed a handful of rows and joined every council's areas against every council
    // (600 ms at national scale; 20 ms this way, the same rows).
    sql`with latest as (select distinct on (council_id) council_id, id from maturity_assessments where status = 'submitted'
          order by council_id, submitted_at desc, id desc),
        base as (select council_id, id, framework_id from maturity_assessments where status = 'submitted' and kind = 'baseline')
        select o.id as "councilId", o.la_type_name as "councilType", o.region, a.key as "areaKey", a.name as "areaName", b.name as "blockName",
          coalesce(bs.moderated_score, bs.score)::int as baseline, coalesce(ls.moderated_score, ls.score)::int as latest, (latest.id <> base.id) as "followedUp"
        from base
        join latest on latest.council_id = base.council_id
        join organisations o on o.id = base.council_id
        join maturity_areas a on a.framework_id = base.framework_id
        join maturity_blocks b on b.id = a.block_id
        left join maturity_scores bs on bs.assessment_id = base.id and bs.area_id = a.id
        left join maturity_scores ls on ls.assessment_id = latest.id and ls.area_id = a.id
        order by b.position, a.position, o.id`,
  );
}

export type AreaFigures = {
  key: string;
  name: string;
  blockName: string;
  /** Councils at each latest level 1–5 (index 0 is level 1). */
  distribution: [number, number, number, number, number];
  /** Councils with a latest level in the area. */
  scored: number;
  /** Councils with a baseline and a later follow-up, both scored in the area: those whose change can be measured. */
  measured: number;
  improved: number;
  /** improved / measured, 0–1; null when no council can be measured yet. */
  shareImproved: number | null;
};

export type PeerGroup = { name: string; councils: number; suppressed: boolean; averageBaseline: number | null; averageLatest: number | null; shareImproved: number | null };

const round1 = (n: number) => Math.round(n * 10) / 10;
const mean = (xs: readonly number[]) => (xs.length ? round1(xs.reduce((a, b) => a + b, 0) / xs.length) : null);

/** Per area: the spread of latest levels and the share of measurable councils that improved by at least one level. */
export function areaFigures(rows: readonly ProgrammeRow[]): AreaFigures[] {
  const byArea = new Map<string, AreaFigures>();
  for (const r of rows) {
    let f = byArea.get(r.areaKey);
    if (!f) byArea.set(r.areaKey, (f = { key: r.areaKey, name: r.areaName, blockName: r.blockName, distribution: [0, 0, 0, 0, 0], scored: 0, measured: 0, improved: 0, shareImproved: null }));
    if (r.latest !== null && r.latest >= 1 && r.latest <= 5) {
      f.distribution[r.latest - 1]++;
      f.scored++;
    }
    if (r.followedUp && r.baseline !== null && r.latest !== null) {
      f.measured++;
      if (r.latest - r.baseline >= 1) f.improved++;
    }
  }
  return [...byArea.values()].map((f) => ({ ...f, shareImproved: f.measured ? f.improved / f.measured : null }));
}

/**
 * Peer benchmarks: for each group (a council type, a region), the councils in it, their average level at baseline
 * and now over all areas, and the share of them whose average level rose by at least one level. A group of fewer
 * than `minimumPeerGroup` councils is listed as suppressed, with no figures.
 */
export function peerGroups(rows: readonly ProgrammeRow[], groupOf: (r: ProgrammeRow) => string | null, minimum = minimumPeerGroup): PeerGroup[] {
  const groups = new Map<string, Map<string, ProgrammeRow[]>>();
  for (const r of rows) {
    const name = groupOf(r) ?? 'Not recorded';
    if (!groups.has(name)) groups.set(name, new Map());
    const councils = groups.get(name)!;
    if (!councils.has(r.councilId)) councils.set(r.councilId, []);
    councils.get(r.councilId)!.push(r);
  }
  return [...groups.entries()]
    .map(([name, councils]): PeerGroup => {
      if (councils.size < minimum) return { name, councils: councils.size, suppressed: true, averageBaseline: null, averageLatest: null, shareImproved: null };
      const all = [...councils.values()].flat();
      const measured = [...councils.values()].filter((rs) => rs[0].followedUp);
      const improved = measured.filter((rs) => {
        const b = mean(rs.flatMap((r) => (r.baseline === null ? [] : [r.baseline])));
        const l = mean(rs.flatMap((r) => (r.latest === null ? [] : [r.latest])));
        return b !== null && l !== null && l - b >= 1;
      });
      return {
        name,
        councils: councils.size,
        suppressed: false,
        averageBaseline: mean(all.flatMap((r) => (r.baseline === null ? [] : [r.baseline]))),
        averageLatest: mean(all.flatMap((r) => (r.latest === null ? [] : [r.latest]))),
        shareImproved: measured.length ? improved.length / measured.length : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One peer group's standing in one area, as the council's own page shows it: null average where too few contribute. */
export type PeerArea = { key: string; name: string; councils: number; average: number | null };

/**
 * A council's peers by area: the other councils of its group (its type, or its region) with a latest level in the area,
 * and their average latest level, kept back (null) where fewer than `minimum` contribute. The council itself is left
 * out: it knows its own level, so counting it would let it work out what the others average to with one fewer.
 */
export function peerAreas(rows: readonly ProgrammeRow[], councilId: string, inGroup: (r: ProgrammeRow) => boolean, minimum = minimumPeerGroup): PeerArea[] {
  const byArea = new Map<string, { name: string; levels: number[] }>();
  for (const r of rows) {
    if (!byArea.has(r.areaKey)) byArea.set(r.areaKey, { name: r.areaName, levels: [] });
    if (r.councilId !== councilId && r.latest !== null && inGroup(r)) byArea.get(r.areaKey)!.levels.push(r.latest);
  }
  return [...byArea.entries()].map(([key, { name, levels }]) => ({ key, name, councils: levels.length, average: levels.length >= minimum ? mean(levels) : null }));
}

/** The council's type and region, and how the other councils of each stand now per area (docs/maturity.md). */
export async function councilPeers(db: DbOrTx, councilId: string) {
  const [[council], rows] = await Promise.all([
    queryRows<{ type: string | null; region: string | null }>(db, sql`select la_type_name as type, region from organisations where id = ${councilId}`),
    programmeRows(db),
  ]);
  if (!council) return null;
  const group = (name: string | null, of: (r: ProgrammeRow) => string | null) => (name ? { name, areas: peerAreas(rows, councilId, (r) => of(r) === name) } : null);
  return { byType: group(council.type, (r) => r.councilType), byRegion: group(council.region, (r) => r.region) };
}

/**
 * The programme view's figures, worked out once between changes like the rows they come from: grouping 3,500
 * council-area rows by area, type and region on every request cost ~5 ms of CPU, most of the page. Callers only read them.
 */
export const programmeFigures = (db: DbOrTx) => cachedRead(db, 'maturity-programme-figures', async () => figuresOf(await programmeRows(db)));

function figuresOf(rows: readonly ProgrammeRow[]) {
  const councils = new Set(rows.map((r) => r.councilId));
  const followedUp = new Set(rows.filter((r) => r.followedUp).map((r) => r.councilId));
  return {
    councils: councils.size,
    followedUp: followedUp.size,
    areas: areaFigures(rows),
    byType: peerGroups(rows, (r) => r.councilType),
    byRegion: peerGroups(rows, (r) => r.region),
  };
}

/** "42%" for a share 0–1; "–" when there is none. */
export const percent = (share: number | null) => (share === null ? '–' : `${Math.round(share * 100)}%`);
