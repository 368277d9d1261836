/**
 * The headline figures funders quote, broken down by each council's managing partner, region and council type: the
 * dashboard's tables (as at today) and the quarterly report's (as at a quarter's end, src/reports/headline.ts). One
 * definition of each figure, read council by council, so each column adds up to its headline figure.
 */
import type { Db } from '../db/client.ts';
import { programmeStatuses, type ProgrammeStatus } from '../councils/rules.ts';
import { maturityByCouncil } from '../evaluation/repository.ts';
import type { Cells, RawTable } from './figures.ts';
import * as repo from './repository.ts';

/** Councils that have "engaged" with the programme: any status but not engaged (those that left or were declined too). */
export const engaged: readonly ProgrammeStatus[] = programmeStatuses.filter((s) => s !== 'not_engaged');

/** What the headline figures are broken down by: each council's managing partner, region and council type. */
export type Grouping = 'partner' | 'region' | 'type';
export const groupings: Record<Grouping, { name: string; rowHeader: string; none: string }> = {
  partner: { name: 'managing partner', rowHeader: 'Managing partner', none: 'Not yet assigned' },
  region: { name: 'region', rowHeader: 'Region', none: 'Unknown' },
  type: { name: 'council type', rowHeader: 'Council type', none: 'Unknown' },
};

/** The cell of one group's count of a measure: one key wherever the count is shown (a council table, a breakdown). */
export const groupKey = (g: Grouping, label: string, measure: string) => `${g}:${label}:${measure}`;

/**
 * The figures of each council in view that the headline figures add up and their breakdowns group: the council's
 * status and groups, learners who have started, accreditations by level, and the maturity indicators.
 */
export type PerCouncil = {
  councils: Awaited<ReturnType<typeof repo.councilGroups>>;
  learnersStarted: Awaited<ReturnType<typeof repo.learnersStartedByCouncil>>;
  accreditations: Awaited<ReturnType<typeof repo.accreditationsByCouncil>>;
  maturity: Awaited<ReturnType<typeof maturityByCouncil>>;
};

/** Each council's figures as at `asOf` (its status as recorded now: the report puts in its status as at the day). */
export async function perCouncilFigures(db: Db, view: repo.CouncilView, asOf: string): Promise<PerCouncil> {
  return {
    councils: await repo.councilGroups(db, view),
    learnersStarted: await repo.learnersStartedByCouncil(db, view, asOf),
    accreditations: await repo.accreditationsByCouncil(db, view, asOf),
    // The evaluation indicators' own definitions (src/evaluation), so the dashboard and the evaluation page agree.
    maturity: await maturityByCouncil(db, (id) => repo.inView(view, id), asOf),
  };
}

/**
 * The keys of the headline figures' cells that the breakdowns' columns add up to: whoever shows the breakdowns
 * records those figures under these keys, so the disclosure control audits each column against its total.
 */
export const breakdownTotals = {
  engaged: 'headline:councilsEngaged',
  learnersStarted: 'headline:learnersStarted',
  practitioner: 'accreditations:practitioner',
  accreditations: 'headline:accreditations',
  measured: 'headline:councilsMeasured',
  improved: 'headline:councilsImproved',
} as const;

/**
 * The columns of the breakdowns, each adding up to a headline figure (breakdownTotals). A learner is counted once,
 * under one council (repo.learnersStartedByCouncil says which), so every column adds up exactly.
 */
const breakdownColumns = [
  { measure: 'engaged', column: 'Councils engaged' },
  { measure: 'learnersStarted', column: 'Learners who have started' },
  { measure: 'practitioner', column: 'Practitioner accreditations (full accreditation)' },
  { measure: 'accreditations', column: 'Accreditations at any level' },
  { measure: 'measured', column: 'Councils with a follow-up maturity assessment' },
  { measure: 'improved', column: 'Councils whose maturity improved' },
] as const satisfies readonly { measure: keyof typeof breakdownTotals; column: string }[];

/**
 * The headline figures funders quote by managing partner, by region and by council type: each council's figures (the
 * same rows the headline figures add up) summed over the councils of a group. Each column adds up to its headline
 * figure, a sum the disclosure control audits; a group with nothing to count is left out. A partner's count of
 * engaged councils is the same cell as in the dashboard's councils-by-partner table.
 */
export function headlineBreakdowns(per: PerCouncil, cells: Cells): RawTable[] {
  // Each council's counts, in breakdownColumns' order, added to by the measure's name.
  const figures = new Map<string, number[]>();
  const add = (councilId: string, measure: (typeof breakdownColumns)[number]['measure'], n: number) => {
    let counts = figures.get(councilId);
    if (!counts) figures.set(councilId, (counts = breakdownColumns.map(() => 0)));
    counts[breakdownColumns.findIndex((c) => c.measure === measure)] += n;
  };
  for (const c of per.councils) if (engaged.includes(c.status as ProgrammeStatus)) add(c.councilId, 'engaged', 1);
  for (const r of per.learnersStarted) add(r.councilId, 'learnersStarted', r.n);
  for (const a of per.accreditations) {
    if (a.level === 'practitioner') add(a.councilId, 'practitioner', a.n);
    add(a.councilId, 'accreditations', a.n);
  }
  for (const m of per.maturity) {
    add(m.councilId, 'measured', m.measured);
    add(m.councilId, 'improved', m.improved);
  }
  const groupsOf = new Map(per.councils.map((c) => [c.councilId, c]));
  return (Object.keys(groupings) as Grouping[]).map((g) => {
    const { name, rowHeader, none } = groupings[g];
    const rows = new Map<string, number[]>();
    for (const [councilId, counts] of figures) {
      const label = groupsOf.get(councilId)?.[g] ?? none;
      const row = rows.get(label) ?? breakdownColumns.map(() => 0);
      rows.set(label, row.map((n, i) => n + counts[i]));
    }
    const labels = [...rows.keys()]
      .filter((label) => rows.get(label)!.some((n) => n > 0))
      .sort((a, b) => Number(a === none) - Number(b === none) || a.localeCompare(b, 'en-GB'));
    const keyed = labels.map((label) => ({ label, cells: breakdownColumns.map((c, i) => cells.cell(groupKey(g, label, c.measure), rows.get(label)![i])) }));
    breakdownColumns.forEach((c, i) => cells.sum(keyed.map((r) => r.cells[i]), breakdownTotals[c.measure]));
    return {
      id: `headline-by-${g}`,
      caption: `Headline figures by ${name} (each column adds up to its headline figure; a learner counts once, under their first council)`,
      rowHeader,
      columns: breakdownColumns.map((c) => c.column),
      rows: keyed,
    };
  });
}
