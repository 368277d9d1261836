/**
 * The quarterly report's headline figures as at the quarter's last day, counted from the dates the records hold
 * (issue 13): councils' programme status from their status history, enrolments' status from their journey events,
 * accreditations by the day awarded, learners by the day registered with the training provider, maturity by the day
 * assessments were submitted. The labels and rules are the dashboard's (src/dashboard), and small counts are hidden by
 * its rule (Cells), with the sums a reader could use to work one out.
 */
import type { Db } from '../db/client.ts';
import { councilScope, type Actor } from '../auth/policy.ts';
import { programmeStatuses, type ProgrammeStatus } from '../councils/rules.ts';
import { levelLabels, levels, statuses as journeyStatuses, type Status } from '../enrolments/journey.ts';
import { accreditationsByLevel, inView, learnersStarted, type CouncilView } from '../dashboard/repository.ts';
import { inProgress, takingPart } from '../dashboard/service.ts';
import { Cells, disclosureRule, type FigureTable } from '../dashboard/figures.ts';
import { indicatorValuesWhere } from '../evaluation/repository.ts';
import { formatDate } from '../web/format.ts';
import { councilStatusesAsOf, enrolmentStatusesAsOf } from './repository.ts';

type Count = FigureTable['rows'][number]['counts'][number];

/** The headline figures as at `asOf` (the quarter's last day), with small counts hidden: a table and what it means. */
export async function headlineAsOf(db: Db, reader: Actor, asOf: string) {
  const view: CouncilView = { scope: councilScope(reader), filters: {} };
  const [councilRows, enrolmentRows, awarded, started, maturity] = await Promise.all([
    councilStatusesAsOf(db, asOf),
    enrolmentStatusesAsOf(db, asOf),
    accreditationsByLevel(db, view, asOf),
    learnersStarted(db, view, asOf),
    indicatorValuesWhere(db, ['councils_improved_maturity', 'councils_baseline_and_follow_up'], (id) => inView(view, id), asOf),
  ]);
  const cells = new Cells();
  const councils = (wanted: readonly string[]) => councilRows.filter((r) => wanted.includes(r.status)).reduce((n, r) => n + r.councils, 0);
  const status = (s: ProgrammeStatus) => cells.cell(`status:${s}`, councils([s]));
  // Every council is at one status: the statuses add up to every council (a number anyone can count), and taking part
  // is onboarding + active.
  cells.sum(programmeStatuses.map(status), councils(programmeStatuses));
  const taking = cells.cell('takingPart', councils(takingPart));
  cells.sum(takingPart.map(status), taking);
  const enrolments = (wanted: readonly string[]) => enrolmentRows.filter((r) => wanted.includes(r.status)).reduce((n, r) => n + r.enrolments, 0);
  const journey = (s: Status) => cells.cell(`journey:${s}`, enrolments([s]));
  const inProgressKey = cells.cell('inProgress', enrolments(inProgress));
  cells.sum(inProgress.map(journey), inProgressKey);
  cells.sum(journeyStatuses.map(journey), enrolments(journeyStatuses));
  const level = (l: string) => cells.cell(`accredited:${l}`, awarded.find((a) => a.level === l)?.n ?? 0);
  const accredited = cells.cell('accredited', awarded.reduce((n, a) => n + a.n, 0));
  cells.sum(levels.map(level), accredited);
  const measured = cells.cell('measured', maturity.get('councils_baseline_and_follow_up') ?? 0);
  const improved = cells.cell('improved', maturity.get('councils_improved_maturity') ?? 0);

  const notTakingPart = 'Not counted as taking part';
  const [table] = cells.resolve(
    [
      {
        id: 'headline',
        caption: 'Headline figures',
        rowHeader: 'Figure',
        columns: ['Count'],
        rows: [
          { id: 'councilsTakingPart', label: 'Councils taking part', hint: 'Councils onboarding or active', cells: [taking] },
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
          { id: 'learnersStarted', label: 'Learners who have started', hint: 'People registered with the training provider for at least one level', cells: [cells.cell('started', started)] },
          { id: 'councilsMeasured', label: 'Councils with a baseline and a follow-up maturity assessment', cells: [measured] },
          { id: 'councilsImproved', label: 'Councils whose contract management maturity improved', hint: 'By at least one level in at least one area since their baseline', cells: [improved] },
        ],
      },
    ],
    true,
  );
  const shown = (id: string) => table.rows.find((r) => r.id === id)!.counts[0];
  return { table, share: shareText(shown('councilsImproved'), shown('councilsMeasured')), asOfText: formatDate(asOf) };
}

/** The share of councils improved, of those measured, in words; not shown when either count is hidden. */
function shareText(improved: Count, measured: Count): string {
  if (improved.value === null || measured.value === null) return 'The share of councils whose maturity improved is not shown: one of its counts is hidden.';
  if (measured.value === 0) return 'No council had a baseline and a follow-up maturity assessment yet, so there is no share of councils improved.';
  const tenths = Math.round((improved.value * 1000) / measured.value);
  return `Share of councils improved: ${improved.value} of the ${measured.value} councils with a baseline and a follow-up (${(tenths / 10).toFixed(1)}%).`;
}

export { disclosureRule };
