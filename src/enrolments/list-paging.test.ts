import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.ts';
import { backends, createTestApp, demoActor, type TestApp } from '../../test/helpers.ts';
import { withdrawNomination } from './service.ts';
import { enrolmentSortKeys, listEnrolments, listPageSummary, type EnrolmentFilters, type ListDates } from './list-repository.ts';
import { learnerListRules } from '../settings/service.ts';
import { listDates } from './queries.ts';

const all = { kind: 'all' } as const;

// A page is chosen from narrow rows and then joined to the rest: the pages, read one after another, must be the
// whole list in the list's order, with nothing repeated or left out, and each page must carry the whole count.
describe.each(backends)('learners list pages (%s)', (backend) => {
  let t: TestApp;
  let dates: ListDates;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    dates = listDates(await learnerListRules(t.db), '2026-11-26');
  });
  afterAll(async () => t?.close());

  const pagesOf = async (filters: EnrolmentFilters, limit: number) => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += limit) {
      const { rows, total } = await listEnrolments(t.db, all, filters, dates, { limit, offset });
      if (!rows.length) return { ids, total };
      expect(rows.length).toBeLessThanOrEqual(limit);
      ids.push(...rows.map((r) => r.id));
    }
  };

  it.each(enrolmentSortKeys.flatMap((sort) => (['asc', 'desc'] as const).map((order) => [sort, order] as const)))(
    'by %s %s, pages put together are the whole list in order',
    async (sort, order) => {
      const filters: EnrolmentFilters = { sort, order };
      const whole = await listEnrolments(t.db, all, filters, dates, null);
      expect(whole.rows.length).toBeGreaterThan(7);
      const paged = await pagesOf(filters, 7);
      expect(paged.ids).toEqual(whole.rows.map((r) => r.id));
      expect(paged.total).toBe(whole.total);
    },
  );

  it.each(['asc', 'desc'] as const)('filtered by level and status, by name %s, pages put together are the whole list in order', async (order) => {
    const filters: EnrolmentFilters = { level: 'practitioner', status: 'nominated', sort: 'name', order };
    const whole = await listEnrolments(t.db, all, filters, dates, null);
    expect(whole.rows.length).toBeGreaterThan(3);
    expect(whole.rows.every((r) => r.level === 'practitioner' && r.status === 'nominated')).toBe(true);
    const paged = await pagesOf(filters, 3);
    expect(paged.ids).toEqual(whole.rows.map((r) => r.id));
    expect(paged.total).toBe(whole.total);
  });

  it('reads the same pages, the back half from the list\'s end, when the caller gives the count (the learners page\'s status counts)', async () => {
    const filters: EnrolmentFilters = { sort: 'dueDate', order: 'desc' };
    const whole = await listEnrolments(t.db, all, filters, dates, null);
    const ids: string[] = [];
    for (let offset = 0; offset < whole.total; offset += 7) {
      const page = await listEnrolments(t.db, all, filters, dates, { limit: 7, offset }, Promise.resolve(whole.total));
      expect(page.total).toBe(whole.total);
      ids.push(...page.rows.map((r) => r.id));
    }
    expect(ids).toEqual(whole.rows.map((r) => r.id));
  });

  it('counts again once an enrolment has moved out of a filter (the count is kept between changes)', async () => {
    const nominated: EnrolmentFilters = { level: 'practitioner', status: 'nominated', sort: 'name', order: 'asc' };
    const before = await listEnrolments(t.db, all, nominated, dates, { limit: 2, offset: 0 });
    const admin = await demoActor(t.db, 'admin');
    const [first] = before.rows;
    await withdrawNomination(t.db, { actor: admin, clock: t.clock }, all, first.id, { reason: 'Left the council', version: first.version });
    const after = await listEnrolments(t.db, all, nominated, dates, { limit: 2, offset: 0 });
    expect(after.total).toBe(before.total - 1);
    expect(after.rows.map((r) => r.id)).not.toContain(first.id);
  });

  it('counts a page past the end and a search, and agrees with the status counts', async () => {
    const filters: EnrolmentFilters = { sort: 'name', order: 'asc' };
    const whole = await listEnrolments(t.db, all, filters, dates, null);
    const past = await listEnrolments(t.db, all, filters, dates, { limit: 50, offset: whole.total + 50 });
    expect(past).toEqual({ rows: [], total: whole.total });

    const name = whole.rows[0].personName.split(' ')[0];
    const searched = await listEnrolments(t.db, all, { ...filters, q: name }, dates, null);
    expect((await pagesOf({ ...filters, q: name }, 2)).ids).toEqual(searched.rows.map((r) => r.id));

    const summary = await listPageSummary(t.db, all, {}, dates, true);
    expect(summary.counts.total).toBe(whole.total);
    const overdue = await listEnrolments(t.db, all, { ...filters, overdue: true }, dates, null);
    expect(summary.counts.overdue).toBe(overdue.total);
    expect(Object.values(summary.counts.byStatus).reduce((a, b) => a + b, 0)).toBe(whole.total);
    expect(summary.councils.length).toBeGreaterThan(0);
    expect(summary.cohorts.length).toBeGreaterThan(0);
  });

  it('answers its first page from one plan kept for every request, and later pages planned for their offset', async () => {
    // One transaction holds one connection (PostgreSQL's pool); PGlite has one anyway. The page's size is written into
    // the statement (db/paging.ts): with it as a parameter PostgreSQL planned the page afresh on every request.
    const plans = await t.db.transaction(async (tx) => {
      const filters: EnrolmentFilters = { level: 'practitioner', sort: 'name', order: 'asc' };
      const first = await listEnrolments(tx, all, filters, dates, { limit: 3, offset: 0 });
      for (let i = 0; i < 7; i++) expect((await listEnrolments(tx, all, filters, dates, { limit: 3, offset: 0 })).rows).toEqual(first.rows);
      const pages = [];
      for (let i = 1; i <= 3; i++) pages.push(...(await listEnrolments(tx, all, filters, dates, { limit: 3, offset: 3 * i })).rows);
      expect(pages.map((r) => r.id)).toEqual((await listEnrolments(tx, all, filters, dates, { limit: 9, offset: 3 })).rows.map((r) => r.id));
      return queryRows<{ statement: string; generic: number; custom: number }>(
        tx,
        sql`select statement, generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
          where statement like '%page_keys%' and statement like '%"enrolments"."level" = $1) order by%' and not from_sql order by statement`,
      );
    });
    const pageStatements = plans.filter((p) => p.statement.startsWith('select "enrolments"'));
    const [firstPage, ...others] = pageStatements.filter((p) => !p.statement.includes(' offset '));
    expect(others).toEqual([]);
    // The limit in the text: with so few rows here PostgreSQL would keep a plan either way; at national scale it
    // did not while the limit was a parameter (docs/performance.md, eighteenth slice).
    expect(firstPage.statement).toMatch(/ limit 3\) "?page_keys/);
    expect(firstPage.generic).toBeGreaterThan(0);
    // Later pages of three: one statement, its offset a parameter.
    expect(pageStatements.filter((p) => / limit 3 offset \$\d+\) "?page_keys/.test(p.statement))).toHaveLength(1);
  });

  it('keeps the name the list sorts by equal to the person’s, whoever writes the enrolment or renames the person', async () => {
    const drift = async () =>
      (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from enrolments e join people p on p.id = e.person_id where e.person_name <> p.name`))[0].n;
    expect(await drift()).toBe(0);
    const [learner] = await queryRows<{ id: string; person_id: string }>(t.db, sql`select id, person_id from enrolments order by id limit 1`);
    await queryRows(t.db, sql`update people set name = 'Aaaron Renamed' where id = ${learner.person_id}::uuid`);
    expect(await drift()).toBe(0);
    const first = await listEnrolments(t.db, all, { sort: 'name', order: 'asc' }, dates, { limit: 1, offset: 0 });
    expect(first.rows[0]).toMatchObject({ personId: learner.person_id, personName: 'Aaaron Renamed' });
    // An enrolment inserted without the name (as a hand-written statement would) gets it from the person.
    const [{ id }] = await queryRows<{ id: string }>(
      t.db,
      sql`insert into enrolments (person_id, council_id, level, period, status, nominated_on, last_event_on)
        select person_id, council_id, 'expert', '2030-31', 'nominated', '2026-11-26', '2026-11-26' from enrolments where id = ${learner.id}::uuid returning id`,
    );
    expect((await queryRows<{ person_name: string }>(t.db, sql`select person_name from enrolments where id = ${id}::uuid`))[0].person_name).toBe('Aaaron Renamed');
  });
});
