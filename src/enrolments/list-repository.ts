import { cachedRead, keptTotal } from '../db/read-cache.ts';
import { and, asc, count, desc, eq, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { accreditations, cohorts, enrolmentEvents, enrolments, organisations, participations, people } from '../db/schema.ts';
import { pgArray, queryRows, type Db, type DbOrTx } from '../db/client.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { councilInScope } from '../db/scope.ts';
import { batchStatement, exportBatchSize, queryArrays, readInBatches, type RowBatches } from '../db/batches.ts';
import { levels, statuses, type Level, type Status } from './journey.ts';
import { attentionCondition, overdueCondition, type AttentionCutoffs, type AttentionReason } from './attention.ts';
import { upkeepCondition, type UpkeepFilter } from '../learners/upkeep-sql.ts';
import type { UpkeepRules } from '../learners/upkeep.ts';
import { containsPattern } from '../db/search.ts';
import { orderByKeys, pageClause, readFromNearerEnd, type PageFrom } from '../db/paging.ts';
import { selectList } from '../db/select-list.ts';

export const enrolmentSortKeys = ['name', 'council', 'level', 'status', 'dueDate', 'lastEvent'] as const;
export type EnrolmentSortKey = (typeof enrolmentSortKeys)[number];

/** What an enrolment list (page, export, API) can be narrowed and ordered by. */
export type EnrolmentFilters = {
  q?: string;
  councilId?: string;
  level?: Level;
  cohortId?: string;
  status?: Status;
  /** true: only overdue enrolments; false: only those not overdue. */
  overdue?: boolean;
  period?: string;
  /** Only enrolments that need attention: for one reason, or for any. */
  attention?: AttentionReason | 'any';
  /** Only enrolments whose accreditation is due soon or lapsed: by CPD hours, or Foundation renewal. */
  upkeep?: UpkeepFilter;
  sort: EnrolmentSortKey;
  order: 'asc' | 'desc';
};

/** What the date-dependent filters compare with today: the attention cutoffs (with the overdue one) and the upkeep rules. */
export type ListDates = { today: string; cutoffs: AttentionCutoffs; upkeep: UpkeepRules };


function listWhere(scope: CouncilScope, f: Omit<EnrolmentFilters, 'sort' | 'order'>, dates: ListDates, withStatus = true): SQL | undefined {
  const cutoff = dates.cutoffs.overdue;
  return and(
    councilInScope(scope, sql`${enrolments.councilId}`),
    f.q ? or(sql`${people.name} ilike ${containsPattern(f.q)}`, sql`${people.email} ilike ${containsPattern(f.q)}`) : undefined,
    f.councilId ? eq(enrolments.councilId, f.councilId) : undefined,
    f.level ? eq(enrolments.level, f.level) : undefined,
    f.cohortId ? eq(enrolments.cohortId, f.cohortId) : undefined,
    f.period ? eq(enrolments.period, f.period) : undefined,
    withStatus && f.status ? eq(enrolments.status, f.status) : undefined,
    withStatus && f.overdue === true ? overdueCondition(cutoff) : undefined,
    withStatus && f.overdue === false ? sql`not ${overdueCondition(cutoff)}` : undefined,
    withStatus && f.attention ? attentionCondition(dates.cutoffs, f.attention === 'any' ? undefined : f.attention) : undefined,
    f.upkeep ? upkeepCondition(f.upkeep, dates.upkeep, dates.today) : undefined,
  );
}

function listOrder(sort: EnrolmentSortKey, order: 'asc' | 'desc', reversed = false): SQL[] {
  // Reversed (a page read from the list's end, db/paging.ts), every key runs the other way, NULLs included.
  const down = (order === 'desc') !== reversed;
  const dir = down ? desc : asc;
  const up = reversed ? desc : asc;
  // The person's name as copied onto the enrolment (kept equal by triggers), so no order needs the people table.
  const tail = [up(enrolments.personName), up(enrolments.id)];
  switch (sort) {
    case 'name':
      return [dir(enrolments.personName), up(enrolments.id)];
    case 'council':
      return [dir(organisations.name), ...tail];
    case 'level':
      return [dir(sql`array_position(${pgArray(levels)}::text[], ${enrolments.level})`), ...tail];
    case 'status':
      // The journey's order (nominated before accredited), not the alphabet.
      return [dir(sql`array_position(${pgArray(statuses)}::text[], ${enrolments.status})`), ...tail];
    case 'dueDate':
      // Not registered yet: no due date, last whichever way the dates run.
      return [sql`${enrolments.registeredOn} ${sql.raw(down ? 'desc' : 'asc')} nulls ${sql.raw(reversed ? 'first' : 'last')}`, ...tail];
    case 'lastEvent':
      return [dir(enrolments.lastEventOn), ...tail];
  }
}

const rowFields = {
  id: enrolments.id,
  personId: enrolments.personId,
  personName: people.name,
  personEmail: people.email,
  jobTitle: people.jobTitle,
  councilId: enrolments.councilId,
  councilName: organisations.name,
  level: enrolments.level,
  period: enrolments.period,
  status: enrolments.status,
  resumeStatus: enrolments.resumeStatus,
  cohortId: enrolments.cohortId,
  cohortName: cohorts.name,
  attempts: enrolments.attempts,
  placeState: enrolments.placeState,
  roleDescription: enrolments.roleDescription,
  contracts: enrolments.contracts,
  nominatedOn: enrolments.nominatedOn,
  approvedOn: enrolments.approvedOn,
  registeredOn: enrolments.registeredOn,
  lastEventOn: enrolments.lastEventOn,
  version: enrolments.version,
};

export type EnrolmentListRow = {
  id: string;
  personId: string;
  personName: string;
  personEmail: string;
  jobTitle: string | null;
  councilId: string;
  councilName: string;
  level: Level;
  period: string;
  status: Status;
  resumeStatus: Status | null;
  cohortId: string | null;
  cohortName: string | null;
  attempts: number;
  placeState: 'none' | 'taken' | 'released';
  roleDescription: string | null;
  contracts: string | null;
  nominatedOn: string;
  approvedOn: string | null;
  registeredOn: string | null;
  lastEventOn: string;
  version: number;
};

/** A learners download's row: what its columns and due dates need (the list's ids of person, council and cohort, and the version, left out). */
export type EnrolmentExportRow = Omit<EnrolmentListRow, 'personId' | 'councilId' | 'cohortId' | 'resumeStatus' | 'version'>;

/** A download batch's select list, in the order `exportRow` reads it. */
const exportSelectList = sql.join(
  [
    enrolments.id, people.name, people.email, people.jobTitle, organisations.name, enrolments.level, enrolments.period, enrolments.status,
    cohorts.name, enrolments.attempts, enrolments.placeState, enrolments.roleDescription, enrolments.contracts, enrolments.nominatedOn,
    enrolments.approvedOn, enrolments.registeredOn, enrolments.lastEventOn,
  ],
  sql`, `,
);

/** A batch row as the driver gives it (an array, `exportSelectList`'s order) made into an object literal. */
function exportRow(r: unknown[]): EnrolmentExportRow {
  const [id, personName, personEmail, jobTitle, councilName, level, period, status, cohortName, attempts, placeState, roleDescription, contracts,
    nominatedOn, approvedOn, registeredOn, lastEventOn] = r as [string, string, string, string | null, string, Level, string, Status, string | null,
    number, EnrolmentExportRow['placeState'], string | null, string | null, string, string | null, string | null, string];
  return { id, personName, personEmail, jobTitle, councilName, level, period, status, cohortName, attempts, placeState, roleDescription, contracts,
    nominatedOn, approvedOn, registeredOn, lastEventOn };
}

const baseQuery = (db: DbOrTx) =>
  db
    .select(rowFields)
    .from(enrolments)
    .innerJoin(people, eq(people.id, enrolments.personId))
    .innerJoin(organisations, eq(organisations.id, enrolments.councilId))
    .leftJoin(cohorts, eq(cohorts.id, enrolments.cohortId));

/** Enrolments matching the filters, counted (the people join only when searching by name or email). */
const countMatching = (db: DbOrTx, where: SQL | undefined, searching: boolean) => {
  const query = db.select({ total: count() }).from(enrolments).$dynamic();
  return (searching ? query.innerJoin(people, eq(people.id, enrolments.personId)) : query).where(where);
};

/**
 * The tables a list's ids are chosen from: the enrolments alone where it can — every order ends with the person's
 * name, which the enrolment carries; people are joined only to search their names and email addresses, councils only
 * for the council sort.
 */
const keyTables = (sort: EnrolmentSortKey, searching: boolean): SQL =>
  sql`${enrolments}${searching ? sql` join ${people} on ${people.id} = ${enrolments.personId}` : sql``}${
    sort === 'council' ? sql` join ${organisations} on ${organisations.id} = ${enrolments.councilId}` : sql``}`;

/** What a list row reads beside its enrolment: the person, the council and the cohort. */
const rowJoins = sql`join ${people} on ${people.id} = ${enrolments.personId}
  join ${organisations} on ${organisations.id} = ${enrolments.councilId}
  left join ${cohorts} on ${cohorts.id} = ${enrolments.cohortId}`;

/**
 * One page of the enrolments in scope that match the filters (every match when `page` is null), and how many
 * match. `dates` holds today's cutoffs (queries.ts `listDates`).
 *
 * A page is one statement in two steps: the page's ids are chosen from narrow rows (the enrolment, the person's
 * name and, for the sorts that need it, the council's name), then only those rows are joined to everything the
 * list shows, in the same order. Sorting and skipping thousands of full rows to keep fifty cost more than the rest
 * of the page together. The count is kept between changes (db/read-cache.ts; it read every match, more than the page
 * did); a caller that has it already (the learners page's status counts) gives it as `total`. Past the first page
 * the count comes first: a page past the middle is read from the list's end (db/paging.ts).
 */
export async function listEnrolments(
  db: DbOrTx,
  scope: CouncilScope,
  filters: EnrolmentFilters,
  dates: ListDates,
  page: { limit: number; offset: number } | null,
  total?: Promise<number>,
): Promise<{ rows: EnrolmentListRow[]; total: number }> {
  const where = listWhere(scope, filters, dates);
  if (!page) {
    const rows = (await baseQuery(db).where(where).orderBy(...listOrder(filters.sort, filters.order))) as EnrolmentListRow[];
    return { rows, total: rows.length };
  }
  const counted = total ?? keptTotal(db, 'enrolments', scope, { ...filters, dates }, () => countMatching(db, where, Boolean(filters.q))).then(([r]) => r.total);
  return readFromNearerEnd(page, counted, (from) => pageRows(db, filters, where, page.limit, from));
}

/** The list's columns with their keys (`rowFields`), for a page read as raw rows (db/select-list.ts). */
const listColumns = selectList(rowFields);

/** The page's rows in the list's order: its ids chosen from narrow rows (from the list's end when `from.reversed`), then joined. */
async function pageRows(db: DbOrTx, filters: EnrolmentFilters, where: SQL | undefined, limit: number, from: PageFrom) {
  return queryRows<EnrolmentListRow>(
    db,
    sql`select ${listColumns} from ${enrolments}
        join (select ${enrolments.id} from ${keyTables(filters.sort, Boolean(filters.q))}
              where ${where ?? sql`true`} order by ${orderByKeys(listOrder(filters.sort, filters.order, from.reversed))}${pageClause(limit, from.offset)}) page_keys
          on page_keys.id = ${enrolments.id}
        ${rowJoins}
        order by ${orderByKeys(listOrder(filters.sort, filters.order))}`,
  );
}

/**
 * Every enrolment in scope that matches the filters, in the list's order, read `batchSize` at a time (the downloads):
 * the ids first, from narrow rows, then the full rows of each batch by id (see `readInBatches`), only the columns a
 * download shows, as arrays (`queryArrays`).
 */
export async function exportEnrolments(
  db: Db,
  scope: CouncilScope,
  filters: EnrolmentFilters,
  dates: ListDates,
  batchSize = exportBatchSize,
): Promise<RowBatches<EnrolmentExportRow>> {
  const where = listWhere(scope, filters, dates);
  const ids = await queryRows<{ id: string }>(
    db,
    sql`select ${enrolments.id} from ${keyTables(filters.sort, Boolean(filters.q))} where ${where ?? sql`true`} order by ${orderByKeys(listOrder(filters.sort, filters.order))}`,
  );
  return readInBatches(ids.map((r) => r.id), batchSize, async (batch) => {
    const rows = await queryArrays(
      db,
      batchStatement(
        {
          columns: exportSelectList,
          table: sql`${enrolments}`,
          alias: sql`${enrolments}`,
          joins: rowJoins,
          where: where ?? sql`true`,
        },
        batch,
      ),
    );
    return rows.map(exportRow);
  });
}

/**
 * Enrolments matching the filters other than status, overdue and attention (so the counts can narrow the list
 * further), by status, with how many of each are overdue and need attention — by the list filters' own conditions.
 */
function statusCountsQuery(scope: CouncilScope, filters: Omit<EnrolmentFilters, 'sort' | 'order'>, dates: ListDates): SQL {
  const where = listWhere(scope, filters, dates, false) ?? sql`true`;
  const join = filters.q ? sql` join ${people} on ${people.id} = ${enrolments.personId}` : sql``;
  return sql`select ${enrolments.status} as status, count(*)::int as n,
      (count(*) filter (where ${overdueCondition(dates.cutoffs.overdue)}))::int as overdue,
      (count(*) filter (where ${attentionCondition(dates.cutoffs)}))::int as attention
    from ${enrolments}${join} where ${where} group by ${enrolments.status}`;
}

type StatusCountRow = { status: string; n: number; overdue: number; attention: number };

function tallyStatuses(rows: StatusCountRow[]) {
  const byStatus = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<Status, number>;
  let overdue = 0;
  let attention = 0;
  let total = 0;
  for (const r of rows) {
    if (r.status in byStatus) byStatus[r.status as Status] = r.n;
    overdue += r.overdue;
    attention += r.attention;
    total += r.n;
  }
  return { byStatus, overdue, attention, total };
}

/**
 * What the learners page shows beside its rows: the status counts and overdue, and the filters' options — the
 * councils in scope that have at least one enrolment, by name (none when `withCouncils` is false), and every cohort
 * by level, newest first. Both are kept between changes (db/read-cache.ts): together they cost more than the rows.
 */
export async function listPageSummary(
  db: DbOrTx,
  scope: CouncilScope,
  filters: Omit<EnrolmentFilters, 'sort' | 'order'>,
  dates: ListDates,
  withCouncils: boolean,
) {
  // The counts change only with the records, so they are kept between changes like the options: a count of every
  // enrolment in scope cost more database time than the page's rows. The key holds everything the count depends on.
  const { status: _status, overdue: _overdue, attention: _attention, sort: _sort, order: _order, ...counted } = filters as EnrolmentFilters;
  const [counts, options] = await Promise.all([
    cachedRead(db, `enrolments.counts:${JSON.stringify([scope, counted, dates])}`, () => queryRows<StatusCountRow>(db, statusCountsQuery(scope, filters, dates))),
    cachedRead(db, `enrolments.filters:${withCouncils}:${JSON.stringify(scope)}`, () => filterOptions(db, scope, withCouncils)),
  ]);
  return { counts: tallyStatuses(counts), ...options };
}

/** Every enrolment in scope by status, with how many are overdue and need attention, in one statement (the council page). */
export function statusCounts(db: DbOrTx, scope: CouncilScope, dates: ListDates): Promise<StatusCountRow[]> {
  return queryRows<StatusCountRow>(db, statusCountsQuery(scope, {}, dates));
}

/** How many enrolments in scope need attention (for any reason) on the day `dates` were made for. */
export function attentionCount(db: DbOrTx, scope: CouncilScope, dates: ListDates): Promise<number> {
  // Kept between changes (db/read-cache.ts): the councils list shows it on every page, and it counts every enrolment.
  return cachedRead(db, `enrolments.attention:${JSON.stringify([scope, dates.cutoffs])}`, async () => {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from ${enrolments} where ${councilInScope(scope, sql`${enrolments.councilId}`)} and ${attentionCondition(dates.cutoffs)}`,
    );
    return row.n;
  });
}

/** The learners list's council and cohort options, in one statement. */
async function filterOptions(db: DbOrTx, scope: CouncilScope, withCouncils: boolean) {
  const councils = withCouncils
    ? sql`(select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name) order by o.name), '[]'::json)
        from organisations o
        where o.kind = 'council' and ${councilInScope(scope, sql`o.id`)} and exists (select 1 from enrolments e where e.council_id = o.id))`
    : sql`'[]'::json`;
  const [row] = await queryRows<{ councils: { id: string; name: string }[]; cohorts: { id: string; name: string; level: string }[] }>(
    db,
    sql`select ${councils} as councils,
        (select coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'level', c.level) order by c.level, c.start_date desc, c.name), '[]'::json)
          from cohorts c) as cohorts`,
  );
  return row;
}

/** One enrolment in scope, as lists show it, with the extra details of its page (null: unknown or out of scope). */
export async function findEnrolment(db: DbOrTx, scope: CouncilScope, id: string) {
  const [row] = await baseQuery(db)
    .where(and(eq(enrolments.id, id), councilInScope(scope, sql`${enrolments.councilId}`)))
    .limit(1);
  if (!row) return null;
  const [accreditation] = await db
    .select({ certificateNumber: accreditations.certificateNumber, awardedOn: accreditations.awardedOn, renewedOn: accreditations.renewedOn })
    .from(accreditations)
    .where(eq(accreditations.enrolmentId, id));
  return { ...(row as EnrolmentListRow), accreditation: accreditation ?? null };
}
export type EnrolmentDetail = NonNullable<Awaited<ReturnType<typeof findEnrolment>>>;

export type HistoryRow = {
  type: string;
  fromStatus: Status | null;
  toStatus: Status;
  occurredOn: string;
  recordedAt: Date;
  reason: string | null;
  certificateNumber: string | null;
  cohortId: string | null;
  cohortName: string | null;
  actorId: string | null;
  actorName: string | null;
};

/**
 * Puts history rows in the order they happened. Events of one day recorded in one transaction (an upload) share
 * a timestamp, so among equals the one that continues the chain (its `from` is the status reached so far) goes
 * first.
 */
export function chainOrder(rows: HistoryRow[]): HistoryRow[] {
  const key = (r: HistoryRow) => `${r.occurredOn}|${r.recordedAt.toISOString()}`;
  const left = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const out: HistoryRow[] = [];
  let status: Status | null = null;
  while (left.length) {
    const firstKey = key(left[0]);
    let i = left.findIndex((r) => key(r) === firstKey && r.fromStatus === status);
    if (i === -1) i = 0;
    const [next] = left.splice(i, 1);
    out.push(next);
    status = next.toStatus;
  }
  return out;
}

/** The history of an enrolment, oldest first, with who recorded each step. */
export async function enrolmentHistory(db: DbOrTx, enrolmentId: string): Promise<HistoryRow[]> {
  const rows = await db
    .select({
      type: enrolmentEvents.type,
      fromStatus: enrolmentEvents.fromStatus,
      toStatus: enrolmentEvents.toStatus,
      occurredOn: enrolmentEvents.occurredOn,
      recordedAt: enrolmentEvents.recordedAt,
      reason: enrolmentEvents.reason,
      certificateNumber: enrolmentEvents.certificateNumber,
      cohortId: enrolmentEvents.cohortId,
      cohortName: cohorts.name,
      actorId: enrolmentEvents.actorId,
      actorName: people.name,
    })
    .from(enrolmentEvents)
    .leftJoin(people, eq(people.id, enrolmentEvents.actorId))
    .leftJoin(cohorts, eq(cohorts.id, enrolmentEvents.cohortId))
    .where(eq(enrolmentEvents.enrolmentId, enrolmentId))
    .orderBy(asc(enrolmentEvents.occurredOn), asc(enrolmentEvents.recordedAt));
  return chainOrder(rows as HistoryRow[]);
}

/** Councils in scope whose officers may be nominated (onboarding or active), by name. */
export async function nominatingCouncils(db: DbOrTx, scope: CouncilScope) {
  return db
    .select({ id: organisations.id, name: organisations.name })
    .from(organisations)
    .innerJoin(participations, eq(participations.councilId, organisations.id))
    .where(and(eq(organisations.kind, 'council'), councilInScope(scope, sql`${organisations.id}`), inArray(participations.status, ['onboarding', 'active'])))
    .orderBy(asc(organisations.name));
}

/** A council's people who may be nominated (not deactivated, not erased), by name. */
export async function nominatablePeople(db: DbOrTx, councilId: string) {
  return db
    .select({ id: people.id, name: people.name, email: people.email, jobTitle: people.jobTitle })
    .from(people)
    .where(and(eq(people.organisationId, councilId), ne(people.status, 'deactivated'), isNull(people.erasedAt)))
    .orderBy(asc(people.name), asc(people.id));
}
