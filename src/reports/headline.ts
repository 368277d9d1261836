/**
 * The quarterly report's headline figures as at the quarter's last day, counted from the dates the records hold
 * (issue 13): councils' programme status from their status history, enrolments' status from their journey events,
 * accreditations by the day awarded, learners by the day registered with the training provider, maturity by the day
 * assessments were submitted. The labels and rules are the dashboard's (src/dashboard), and small counts are hidden by
 * its rule (Cells), with the sums a reader could use to work one out.
 */
import type { Db } from '../db/client.ts';
import { councilScope, seesExactCounts, type Actor } from '../auth/policy.ts';
import { programmeStatuses, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, levels, statuses as journeyStatuses, type Status } from '../enrolments/journey.ts';
import type { CouncilView } from '../dashboard/repository.ts';
import { inProgress, takingPart } from '../dashboard/service.ts';
import { breakdownTotals, engaged, headlineBreakdowns, perCouncilFigures } from '../dashboard/headline-breakdowns.ts';
import { Cells, disclosureRule, type FigureTable } from '../dashboard/figures.ts';
import { formatDate } from '../web/format.ts';
import { councilStatusesAsOf, enrolmentStatusesAsOf } from './repository.ts';

type Count = FigureTable['rows'][number]['counts'][number];

/**
 * The headline figures as at `asOf` (the quarter's last day) and their breakdowns by managing partner, region and
 * council type (the dashboard's, src/dashboard/headline-breakdowns.ts), as `reader` may see them: small counts hidden
 * for a funder (the report is made as one sees it), with the sums a reader could use to work one out.
 */
export async function headlineAsOf(db: Db, reader: Actor, asOf: string) {
  const view: CouncilView = { scope: councilScope(reader), filters: {} };
  const [perCouncil, statusRows, enrolmentRows] = await Promise.all([perCouncilFigures(db, view, asOf), councilStatusesAsOf(db, asOf), enrolmentStatusesAsOf(db, asOf)]);
  // Each council in view at its programme status as at the day, for every figure that counts councils (the
  // breakdowns' too). Its managing partner, region and council type are as recorded now: they keep no history.
  const statusAt = new Map(statusRows.map((r) => [r.councilId, r.status]));
  const per = { ...perCouncil, councils: perCouncil.councils.map((c) => ({ ...c, status: statusAt.get(c.councilId) ?? c.status })) };
  const cells = new Cells();
  const councils = (wanted: readonly string[]) => per.councils.filter((c) => wanted.includes(c.status)).length;
  const status = (s: ProgrammeStatus) => cells.cell(`status:${s}`, councils([s]));
  // Every council is at one status: the statuses add up to every council (a number anyone can count), taking part is
  // onboarding + active, and engaged every status but not engaged.
  cells.sum(programmeStatuses.map(status), councils(programmeStatuses));
  const taking = cells.cell('headline:takingPart', councils(takingPart));
  cells.sum(takingPart.map(status), taking);
  const engagedKey = cells.cell(breakdownTotals.engaged, councils(engaged));
  cells.sum(engaged.map(status), engagedKey);
  const enrolments = (wanted: readonly string[]) => enrolmentRows.filter((r) => wanted.includes(r.status)).reduce((n, r) => n + r.enrolments, 0);
  const journey = (s: Status) => cells.cell(`journey:${s}`, enrolments([s]));
  const inProgressKey = cells.cell('headline:inProgress', enrolments(inProgress));
  cells.sum(inProgress.map(journey), inProgressKey);
  cells.sum(journeyStatuses.map(journey), enrolments(journeyStatuses));
  // The headline figures are the councils' figures added up, as on the dashboard, so each breakdown's column adds up
  // to one; a level's key is the dashboard's (breakdownTotals.practitioner is Practitioner's).
  const total = <T>(rows: readonly T[], n: (r: T) => number) => rows.reduce((sum, r) => sum + n(r), 0);
  const level = (l: string) => cells.cell(`accreditations:${l}`, total(per.accreditations, (a) => (a.level === l ? a.n : 0)));
  const accredited = cells.cell(breakdownTotals.accreditations, total(per.accreditations, (a) => a.n));
  cells.sum(levels.map(level), accredited);
  const started = cells.cell(breakdownTotals.learnersStarted, total(per.learnersStarted, (r) => r.n));
  const measured = cells.cell(breakdownTotals.measured, total(per.maturity, (m) => m.measured));
  const improved = cells.cell(breakdownTotals.improved, total(per.maturity, (m) => m.improved));

  const notTakingPart = 'Not counted as taking part';
  const [table, ...breakdowns] = cells.resolve(
    [
      {
        id: 'headline',
        caption: 'Headline figures',
        rowHeader: 'Figure',
        columns: ['Count'],
        rows: [
          { id: 'councilsTakingPart', label: 'Councils taking part', hint: 'Councils onboarding or active', cells: [taking] },
          {
            id: 'councilsEngaged',
            label: 'Councils engaged',
            hint: 'Councils that have engaged with the programme: every status but not engaged, so those that completed, withdrew or were declined too',
            cells: [engagedKey],
          },
          { id: 'councilsCompleted', label: 'Councils that completed the programme', hint: notTakingPart, cells: [status('completed')] },
          { id: 'councilsWithdrawn', label: 'Councils that withdrew', hint: notTakingPart, cells: [status('withdrawn')] },
          { id: 'councilsDeclined', label: 'Councils declined', hint: `Declined at eligibility review. ${notTakingPart}`, cells: [status('declined')] },
          { id: 'enrolmentsInProgress', label: 'Learner enrolments in progress', hint: 'Approved and working towards accreditation, not deferred', cells: [inProgressKey] },
          { id: 'nominationsAwaitingDecision', label: 'Nominations awaiting a decision', cells: [journey('nominated')] },
          { id: 'accreditationsAwarded', label: 'Accreditations awarded', hint: 'Since the programme began, at every level', cells: [accredited] },
          ...levels.map((l) => ({
            id: `${l}Accreditations`,
            label: l === 'practitioner' ? 'Practitioner accreditations (full accreditation)' : `${levelLabels[l]} accreditations`,
            cells: [level(l)],
          })),
          { id: 'learnersStarted', label: 'Learners who have started', hint: 'People registered with the training provider for at least one level', cells: [started] },
          { id: 'councilsMeasured', label: 'Councils with a baseline and a follow-up maturity assessment', cells: [measured] },
          { id: 'councilsImproved', label: 'Councils whose contract management maturity improved', hint: 'By at least one level in at least one area since their baseline', cells: [improved] },
        ],
      },
      ...headlineBreakdowns(per, cells),
    ],
    !seesExactCounts(reader),
  );
  const shown = (id: string) => table.rows.find((r) => r.id === id)!.counts[0];
  return { table, breakdowns, share: shareText(shown('councilsImproved'), shown('councilsMeasured')), asOfText: formatDate(asOf) };
}

/** The share of councils improved, of those measured, in words; not shown when either count is hidden. */
function shareText(improved: Count, measured: Count): string {
  if (improved.value === null || measured.value === null) return 'The share of councils whose maturity improved is not shown: one of its counts is hidden.';
  if (measured.value === 0) return 'No council had a baseline and a follow-up maturity assessment yet, so there is no share of councils improved.';
  const tenths = Math.round((improved.value * 1000) / measured.value);
  return `Share of councils improved: ${improved.value} of the ${measured.value} councils with a baseline and a follow-up (${(tenths / 10).toFixed(1)}%).`;
}

export { disclosureRule };
