/**
 * The read side of enrolments, shared by the pages, the downloads and the API: lists with status counts, one
 * enrolment with its history, each with the assessment due date and the overdue flag computed from the settings.
 */
import { cachedRead } from '../db/read-cache.ts';
import { mapBatches, type RowBatches } from '../db/batches.ts';
import type { CouncilScope } from '../auth/policy.ts';
import type { Clock } from '../clock.ts';
import { todayIso } from '../clock.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { learnerListRules } from '../settings/service.ts';
import { NotFoundError } from '../web/errors.ts';
import { assessmentDueOn, type JourneyRules } from './journey.ts';
import { attentionBy, attentionCutoffs, type Attention, type AttentionCutoffs, type AttentionRules } from './attention.ts';
import * as list from './list-repository.ts';
import type { EnrolmentExportRow, EnrolmentFilters, EnrolmentListRow, ListDates } from './list-repository.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a row gains from the rules: the assessment due date, the overdue flag and why it needs attention. */
type Due = { assessmentDueOn: string | null; overdue: boolean; attention: Attention | null };
export type EnrolmentItem = EnrolmentListRow & Due;
/** A learners download's row with its due date, overdue flag and attention. */
export type EnrolmentExportItem = EnrolmentExportRow & Due;

type Rules = { journey: JourneyRules; attention: AttentionRules };

/** A row with its due date, overdue flag and attention, by today's cutoffs (`ListDates.cutoffs`, worked out once a list). */
function withDue<R extends Pick<EnrolmentListRow, 'status' | 'registeredOn' | 'lastEventOn'>>(row: R, rules: Rules, cutoffs: AttentionCutoffs): R & Due {
  const attention = attentionBy(row, rules.attention, cutoffs);
  // Overdue comes first among the reasons (attention.ts), so an overdue enrolment is exactly one flagged for its assessment.
  // Added to the row the driver made, not spread into a new one: in V8 `{ ...row, more }` costs microseconds a row,
  // a third of a learners download's time when it was written so.
  return Object.assign(row, { assessmentDueOn: assessmentDueOn(row, rules.journey), overdue: attention?.reason === 'assessment', attention });
}

type Page = { page: number; pageSize: number };
const limitOffset = (page: Page) => ({ limit: page.pageSize, offset: (page.page - 1) * page.pageSize });

/** What the date filters compare with on `today`, from the rules. */
export const listDates = (rules: Awaited<ReturnType<typeof learnerListRules>>, today: string): ListDates => ({
  today,
  cutoffs: attentionCutoffs(rules.attention, today),
  upkeep: rules.upkeep,
});

type ListContext = { rules: Rules; today: string; dates: ListDates };

/**
 * The rules, today, and today's cutoffs for the date filters: what every list read needs first. Kept between changes
 * (db/read-cache.ts), one entry a day: a list shows due dates with the rules, and working out the dozen cutoffs on
 * every request was 1–2 % of a learners page's CPU. The journey's own steps read the rules afresh.
 */
function listContext(db: DbOrTx, clock: Clock): Promise<ListContext> {
  const today = todayIso(clock);
  return cachedRead(db, `enrolments.listContext:${today}`, async () => {
    const rules = await learnerListRules(db);
    return { rules, today, dates: listDates(rules, today) };
  });
}

/** A page of enrolments with each one's due date and overdue flag. */
export async function listEnrolments(
  db: DbOrTx,
  clock: Clock,
  scope: CouncilScope,
  filters: EnrolmentFilters,
  page: Page,
): Promise<{ rows: EnrolmentItem[]; total: number }> {
  const { rules, dates } = await listContext(db, clock);
  const { rows, total } = await list.listEnrolments(db, scope, filters, dates, limitOffset(page));
  return { rows: rows.map((r) => withDue(r, rules, dates.cutoffs)), total };
}

/** Every matching enrolment with its due date and overdue flag, in the list's order, read in batches (the downloads). */
export async function exportEnrolments(db: Db, clock: Clock, scope: CouncilScope, filters: EnrolmentFilters, batchSize?: number): Promise<RowBatches<EnrolmentExportItem>> {
  const { rules, dates } = await listContext(db, clock);
  return mapBatches(await list.exportEnrolments(db, scope, filters, dates, batchSize), (r) => withDue(r, rules, dates.cutoffs));
}

/**
 * The learners page: a page of enrolments as `listEnrolments` gives it, and beside it the status counts and the
 * filters' councils (when `withCouncils`) and cohorts. After the rules, two statements (three when the filter options
 * are read again), at once on PostgreSQL's pool (PGlite serialises them): each statement is a round trip the app pays
 * for in CPU as well as time.
 */
export async function listPage(db: DbOrTx, clock: Clock, scope: CouncilScope, filters: EnrolmentFilters, page: Page, withCouncils: boolean) {
  const { rules, dates } = await listContext(db, clock);
  // The status counts ignore the status, overdue and attention filters; without them, their total is the list's
  // count, and the page need not count every row a second time.
  const countedBySummary = !filters.status && filters.overdue === undefined && !filters.attention;
  const summarised = list.listPageSummary(db, scope, filters, dates, withCouncils);
  const [found, summary] = await Promise.all([
    list.listEnrolments(db, scope, filters, dates, limitOffset(page), countedBySummary ? summarised.then((s) => s.counts.total) : undefined),
    summarised,
  ]);
  return { rows: found.rows.map((r) => withDue(r, rules, dates.cutoffs)), total: found.total, ...summary };
}

/** How many enrolments in scope need attention today: the count the council page and the councils list show. */
export async function needsAttentionCount(db: DbOrTx, clock: Clock, scope: CouncilScope): Promise<number> {
  const { dates } = await listContext(db, clock);
  return list.attentionCount(db, scope, dates);
}

/** Enrolments in scope today by status, with the overdue and needs-attention counts the council page shows. */
export async function statusCounts(db: DbOrTx, clock: Clock, scope: CouncilScope) {
  const { dates } = await listContext(db, clock);
  return list.statusCounts(db, scope, dates);
}

/** One enrolment in scope with its accreditation, due date and overdue flag; 404 for a bad id or one out of scope. */
export async function getEnrolment(db: DbOrTx, clock: Clock, scope: CouncilScope, id: string) {
  if (!uuidPattern.test(id)) throw new NotFoundError();
  const row = await list.findEnrolment(db, scope, id);
  if (!row) throw new NotFoundError();
  const rules = await learnerListRules(db);
  return { enrolment: { ...withDue(row, rules, attentionCutoffs(rules.attention, todayIso(clock))), accreditation: row.accreditation }, rules: rules.journey };
}

/** One enrolment with its history, oldest step first. */
export async function getEnrolmentWithHistory(db: DbOrTx, clock: Clock, scope: CouncilScope, id: string) {
  const { enrolment, rules } = await getEnrolment(db, clock, scope, id);
  return { enrolment, rules, history: await list.enrolmentHistory(db, enrolment.id) };
}
