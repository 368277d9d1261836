import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, demoActor, openTestDatabase, type TestApp } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { councilScope, seesExactCounts, type Actor, type Role } from '../auth/policy.ts';
import { indicatorByKey, indicatorKeys, type IndicatorKey } from './catalogue.ts';
import { indicatorTrend, takeSnapshot } from './snapshots.ts';
import { indicatorValues } from './repository.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { addDays, addMonths } from '../enrolments/journey.ts';
import { paths } from '../web/paths.ts';

/**
 * Three councils of their own, with figures worked out by hand for January and February 2027: A and B managed by
 * partner P, C by partner Q. December 2026 holds a whole-programme snapshot taken before snapshots by council existed.
 *
 *                    January (as at 31 Jan)          February (as at 15 Feb)
 *   A  places        4 of 10 taken                   5 of 10
 *      learners      4 registered, 1 withdrawn        2 withdrawn
 *      attendance    3 at an event on 5 Jan (active)  the same
 *      verified      1, £1,000                        the same
 *   B  places        1 of 5                          the same
 *      learners      1 registered                    the same
 *      verified      none                            2 made 3 Feb, £500 each
 *   C  places        100 of 100; 3 verified (£90 each) in January
 */
const byHand: Record<'A' | 'B' | 'P', Record<'2027-01' | '2027-02', Partial<Record<IndicatorKey, number | null>>>> = {
  A: {
    '2027-01': { funded_places_used: 40, learners_retained: 75, network_attendance_per_council: 3, verified_improvements: 1, verified_improvement_value: 100000, councils_baseline_and_follow_up: 0 },
    '2027-02': { funded_places_used: 50, learners_retained: 50, network_attendance_per_council: 3, verified_improvements: 1, verified_improvement_value: 100000, councils_baseline_and_follow_up: 0 },
  },
  B: {
    '2027-01': { funded_places_used: 20, learners_retained: 100, network_attendance_per_council: 0, verified_improvements: 0, verified_improvement_value: 0 },
    '2027-02': { funded_places_used: 20, learners_retained: 100, network_attendance_per_council: 0, verified_improvements: 2, verified_improvement_value: 100000 },
  },
  // A and B together, from their numerators and denominators: 5 of 15 places (33.3, not the mean 30), 4 of 5 retained
  // (80, not 87.5), 3 attendances over 2 active councils.
  P: {
    '2027-01': { funded_places_used: 33.3, learners_retained: 80, network_attendance_per_council: 1.5, verified_improvements: 1, verified_improvement_value: 100000 },
    '2027-02': { funded_places_used: 40, learners_retained: 60, network_attendance_per_council: 1.5, verified_improvements: 3, verified_improvement_value: 200000 },
  },
};

describe.each(backends)('trends for a scope from the councils’ snapshot parts (%s)', (backend) => {
  let database: Database;
  const clock = fixedClock('2027-01-31T12:00:00Z');
  const ctx = () => ({ actor: null, systemLabel: 'pioneer CLI', clock });
  const ids: Record<string, string> = {};
  const enrolmentsOfA: string[] = [];
  const actor = (roles: Role[], organisationId: string, organisationKind: 'council' | 'partner'): Actor => ({ personId: '00000000-0000-4000-8000-000000000001', name: 'Test', email: 'test@example.gov.uk', organisationId, organisationKind, roles });
  const sroOf = (council: string) => actor(['council_sro'], ids[council], 'council');
  const partner = (p: string) => actor(['partner_staff'], ids[p], 'partner');
  /** The trend of each indicator as the actor may see it, month → text and value. */
  const trendOf = async (who: Actor, key: IndicatorKey) => indicatorTrend(database.db, indicatorByKey.get(key)!, councilScope(who), clock.now().toISOString().slice(0, 10), { suppress: !seesExactCounts(who), months: 3 });
  const stored = () =>
    queryRows<{ key: string; month: string; value: number | null; asOf: string; computedAt: string; parts: boolean }>(
      database.db,
      sql`select indicator_key as key, to_char(month, 'YYYY-MM') as month, value, to_char(as_of, 'YYYY-MM-DD') as "asOf", computed_at::text as "computedAt", council_parts as parts
          from indicator_snapshots order by month, indicator_key`,
    );
  const storedParts = () =>
    queryRows<{ key: string; month: string; council: string; num: number; den: number }>(
      database.db,
      sql`select s.indicator_key as key, to_char(s.month, 'YYYY-MM') as month, p.council_id::text as council, p.numerator::int as num, p.denominator::int as den
          from indicator_snapshot_parts p join indicator_snapshots s on s.id = p.snapshot_id order by 2, 1, 3`,
    );

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const db = database.db;
    const org = async (kind: string, code: string) => (await queryRows<{ id: string }>(db, sql`insert into organisations (kind, code, name) values (${kind}, ${code}, ${`Scoped ${code}`}) returning id`))[0].id;
    ids.P = await org('partner', 'SCOPED-P');
    ids.Q = await org('partner', 'SCOPED-Q');
    for (const [c, p] of [['A', 'P'], ['B', 'P'], ['C', 'Q']]) {
      ids[c] = await org('council', `SCOPED-${c}`);
      await db.execute(sql`insert into participations (council_id, status, managing_partner_id) values (${ids[c]}, 'active', ${ids[p]})`);
    }
    await db.execute(sql`insert into funded_places (council_id, level, period, places, taken) values (${ids.A}, 'foundation', '2026-27', 10, 4), (${ids.B}, 'foundation', '2026-27', 5, 1), (${ids.C}, 'foundation', '2026-27', 100, 100)`);
    const learner = async (council: string, n: number, status: string) => {
      const [p] = await queryRows<{ id: string }>(db, sql`insert into people (name, email, organisation_id) values (${`Scoped ${council}${n}`}, ${`scoped.${council}${n}@scoped.example.gov.uk`}, ${ids[council]}) returning id`);
      const [e] = await queryRows<{ id: string }>(
        db,
        sql`insert into enrolments (person_id, council_id, level, period, status, nominated_on, registered_on, last_event_on)
            values (${p.id}, ${ids[council]}, 'foundation', '2026-27', ${status}, '2026-06-01', '2026-06-01', '2026-06-01') returning id`,
      );
      return { personId: p.id, enrolmentId: e.id };
    };
    const a = [await learner('A', 1, 'withdrawn'), await learner('A', 2, 'registered'), await learner('A', 3, 'registered'), await learner('A', 4, 'registered')];
    enrolmentsOfA.push(...a.map((l) => l.enrolmentId));
    await learner('B', 1, 'registered');
    const [ev] = await queryRows<{ id: string }>(
      db,
      sql`insert into network_events (title, description, starts_at, ends_at, format, capacity, audience) values ('Scoped meet-up', 'Test', '2027-01-05T10:00:00Z', '2027-01-05T11:00:00Z', 'online', 50, array['learners']) returning id`,
    );
    for (const l of a.slice(0, 3))
      await db.execute(sql`insert into network_event_registrations (event_id, person_id, status, attended, registered_at, updated_at) values (${ev.id}, ${l.personId}, 'registered', true, '2027-01-01', '2027-01-05')`);
    await db.execute(sql`insert into improvements (council_id, type, description, improved_on, value_pence, cashable, status) values
      (${ids.A}, 'savings', 'A saving', '2027-01-10', 100000, true, 'verified'),
      (${ids.B}, 'savings', 'B saving 1', '2027-02-03', 50000, true, 'verified'),
      (${ids.B}, 'savings', 'B saving 2', '2027-02-03', 50000, true, 'verified'),
      (${ids.C}, 'savings', 'C saving 1', '2027-01-02', 9000, true, 'verified'),
      (${ids.C}, 'savings', 'C saving 2', '2027-01-02', 9000, true, 'verified'),
      (${ids.C}, 'savings', 'C saving 3', '2027-01-02', 9000, true, 'verified')`);
    // December 2026, as a snapshot taken before snapshots by council existed would have left it: programme values only.
    await db.execute(sql`insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at)
      select k, '2026-12-01', 42, '2026-12-31', '2026-12-31T12:00:00Z' from unnest(${`{${indicatorKeys.join(',')}}`}::text[]) k`);

    // January's snapshot, then February's after the month's changes.
    expect(await takeSnapshot(db, ctx(), { replace: false })).toEqual({ month: '2027-01-01', written: indicatorKeys.length });
    clock.set('2027-02-15T12:00:00Z');
    await db.execute(sql`update funded_places set taken = 5 where council_id = ${ids.A}`);
    await db.execute(sql`update enrolments set status = 'withdrawn' where id = ${enrolmentsOfA[1]}`);
    expect(await takeSnapshot(db, ctx(), { replace: false })).toEqual({ month: '2027-02-01', written: indicatorKeys.length });
  });
  afterAll(async () => database?.close());

  const valuesOf = async (who: Actor, month: '2027-01' | '2027-02', keys: IndicatorKey[]) =>
    Object.fromEntries(await Promise.all(keys.map(async (k) => [k, (await trendOf(who, k)).months.find((m) => m.month === month)!.value])));

  it('gives an SRO their own council’s value each month, as worked out by hand', async () => {
    for (const month of ['2027-01', '2027-02'] as const) {
      // An SRO may not see exact counts from 1 to 4 (as funders): A's one improvement reads "fewer than 5".
      const { verified_improvements: one, ...expected } = byHand.A[month];
      expect(await valuesOf(sroOf('A'), month, Object.keys(expected) as IndicatorKey[]), month).toEqual(expected);
      expect(one).toBe(1);
      expect((await trendOf(sroOf('A'), 'verified_improvements')).months.find((m) => m.month === month)).toMatchObject({ value: null, text: 'fewer than 5' });
    }
    const feb = (await trendOf(sroOf('A'), 'funded_places_used')).months.at(-1)!;
    expect(feb).toMatchObject({ month: '2027-02', text: '50.0%', asOf: '2027-02-15', gap: null });
  });

  it('gives a partner the sums over their councils, ratios from the summed numerators and denominators', async () => {
    for (const month of ['2027-01', '2027-02'] as const) {
      const expected = byHand.P[month];
      expect(await valuesOf(partner('P'), month, Object.keys(expected) as IndicatorKey[]), month).toEqual(expected);
    }
    const improvements = await trendOf(partner('P'), 'verified_improvements');
    expect(improvements.wholeProgramme).toBe(false);
    expect(improvements.months.map((m) => m.text)).toEqual(['Not recorded for your councils', '1', '3']);
  });

  it('never lets an SRO’s trend include another council’s figures', async () => {
    // B's February improvements and C's January ones are not A's; C's full take-up does not lift A's rate.
    expect(await valuesOf(sroOf('A'), '2027-02', ['verified_improvement_value', 'funded_places_used'])).toEqual({ verified_improvement_value: 100000, funded_places_used: 50 });
    expect(await valuesOf(sroOf('B'), '2027-01', ['verified_improvement_value', 'learners_retained'])).toEqual({ verified_improvement_value: 0, learners_retained: 100 });
    // Q's council C alone, though the programme's January value counts all three.
    expect(await valuesOf(partner('Q'), '2027-01', ['verified_improvement_value', 'funded_places_used'])).toEqual({ verified_improvement_value: 27000, funded_places_used: 100 });
  });

  it('applies the disclosure rule of the current values to the trend: an SRO sees a count from 1 to 4 as “fewer than 5”', async () => {
    const sro = (await trendOf(sroOf('B'), 'verified_improvements')).months;
    expect(sro.map((m) => [m.value, m.text, m.suppressed])).toEqual([
      [null, 'Not recorded for your councils', null],
      [0, '0', null],
      [null, 'fewer than 5', 'small'],
    ]);
    const programmeStaff = (await trendOf(partner('P'), 'verified_improvements')).months.at(-1)!;
    expect(programmeStaff).toMatchObject({ value: 3, suppressed: null });
  });

  it('shows no value for a narrower scope in months taken before snapshots by council, and says when its trend starts', async () => {
    for (const who of [sroOf('A'), partner('P')]) {
      const trend = await trendOf(who, 'funded_places_used');
      expect(trend.months[0]).toMatchObject({ month: '2026-12', value: null, text: 'Not recorded for your councils', gap: 'programme-only', asOf: null });
      expect(trend.scopedFrom).toBe('2027-01');
    }
    // The whole programme's trend still shows December's stored value.
    const programme = await trendOf(actor(['programme_admin'], ids.P, 'partner'), 'funded_places_used');
    expect(programme.months[0]).toMatchObject({ value: 42, gap: null, asOf: '2026-12-31' });
    expect(programme.scopedFrom).toBeNull();
  });

  it('keeps the programme value equal to the sum of every council’s parts', async () => {
    const rows = await stored();
    const parts = await storedParts();
    const feb = rows.find((r) => r.month === '2027-02' && r.key === 'verified_improvement_value')!;
    expect(feb.parts).toBe(true);
    expect(parts.filter((p) => p.month === '2027-02' && p.key === 'verified_improvement_value').reduce((n, p) => n + p.num, 0)).toBe(feb.value);
    expect(parts.filter((p) => p.month === '2027-02' && p.key === 'funded_places_used' && p.council === ids.A)).toEqual([{ key: 'funded_places_used', month: '2027-02', council: ids.A, num: 5, den: 10 }]);
  });

  it('writes once however often it runs; --replace retakes this month’s parts only, never a past month’s', async () => {
    const [rowsBefore, partsBefore] = [await stored(), await storedParts()];
    expect(await takeSnapshot(database.db, ctx(), { replace: false })).toEqual({ month: '2027-02-01', written: 0 });
    expect(await stored()).toEqual(rowsBefore);
    expect(await storedParts()).toEqual(partsBefore);

    // A's only improvement is rejected after verification; B takes another place: February moves, January must not.
    await database.db.execute(sql`update improvements set status = 'submitted' where council_id = ${ids.A}`);
    await database.db.execute(sql`update funded_places set taken = 2 where council_id = ${ids.B}`);
    clock.set('2027-02-20T12:00:00Z');
    expect(await takeSnapshot(database.db, ctx(), { replace: true })).toEqual({ month: '2027-02-01', written: indicatorKeys.length });
    const [rowsAfter, partsAfter] = [await stored(), await storedParts()];
    const past = <T extends { month: string }>(rs: T[]) => rs.filter((r) => r.month < '2027-02');
    expect(past(rowsAfter)).toEqual(past(rowsBefore));
    expect(past(partsAfter)).toEqual(past(partsBefore));
    // A has nothing verified any more: its part is gone, not left at its old value.
    expect(partsAfter.filter((p) => p.month === '2027-02' && p.key === 'verified_improvements' && p.council === ids.A)).toEqual([]);
    expect(await valuesOf(partner('P'), '2027-02', ['verified_improvements', 'funded_places_used'])).toEqual({ verified_improvements: 2, funded_places_used: 46.7 });
    expect(await valuesOf(partner('P'), '2027-01', ['verified_improvements', 'funded_places_used'])).toEqual({ verified_improvements: 1, funded_places_used: 33.3 });
    const [audit] = await queryRows<{ after: Record<string, unknown> }>(database.db, sql`select after from audit_events where action = 'evaluation.snapshot_taken' order by occurred_at desc limit 1`);
    expect(audit.after).toMatchObject({ month: '2027-02', asOf: '2027-02-20', indicators: indicatorKeys.length, replaced: true });
  });

  it('completes this month’s snapshot taken before snapshots by council, once, and leaves past months alone', async () => {
    // March's values taken the old way (no parts), as on the day of the upgrade; December stays as it was.
    clock.set('2027-03-02T12:00:00Z');
    await database.db.execute(sql`insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at)
      select k, '2027-03-01', 7, '2027-03-01', '2027-03-01T12:00:00Z' from unnest(${`{${indicatorKeys.join(',')}}`}::text[]) k`);
    const december = (await stored()).filter((r) => r.month === '2026-12');
    expect(await takeSnapshot(database.db, ctx(), { replace: false })).toEqual({ month: '2027-03-01', written: indicatorKeys.length });
    expect(await takeSnapshot(database.db, ctx(), { replace: false })).toEqual({ month: '2027-03-01', written: 0 });
    const march = (await stored()).filter((r) => r.month === '2027-03');
    expect(march.every((r) => r.parts && r.asOf === '2027-03-02')).toBe(true);
    expect((await stored()).filter((r) => r.month === '2026-12')).toEqual(december);
    expect((await trendOf(partner('P'), 'funded_places_used')).months.at(-1)).toMatchObject({ month: '2027-03', value: 46.7 });
  });
});

describe.each(backends)('a managing partner’s trends on the pages and the API (%s)', (backend) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    // The months before September 2026 as snapshots taken before snapshots by council existed left them.
    await t.db.execute(sql`delete from indicator_snapshot_parts where snapshot_id in (select id from indicator_snapshots where month < '2026-09-01')`);
    await t.db.execute(sql`update indicator_snapshots set council_parts = false where month < '2026-09-01'`);
  });
  afterAll(async () => t?.close());

  const snapshots = async (who: string, key: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/indicators/${key}/snapshots`, headers: { authorization: `Bearer ${tokens[who]}` } })).json();

  it('gives partner staff their managed councils’ values each month from September, and none before', async () => {
    const scope = councilScope(await demoActor(t.db, 'partnerLp'));
    for (const key of ['learners_retained', 'funded_places_used', 'verified_improvement_value'] as const) {
      const mine = await snapshots('partnerLp', key);
      expect(mine).toMatchObject({ scope: 'managed-councils', councilsFrom: '2026-09' });
      const before = mine.items.filter((m: { month: string }) => m.month < '2026-09');
      expect(before).toHaveLength(9);
      for (const m of before) expect(m).toMatchObject({ value: null, gap: 'programme-only', asOf: null, text: 'Not recorded for your councils' });
      for (const m of mine.items.filter((i: { month: string }) => i.month >= '2026-09')) {
        const asOf = m.month === '2026-11' ? '2026-11-26' : addDays(addMonths(`${m.month}-01`, 1), -1);
        expect(m.asOf).toBe(asOf);
        expect(m.value, `${key} ${m.month}`).toBe((await indicatorValues(t.db, [key], scope, asOf)).get(key));
      }
      const programme = await snapshots('admin', key);
      expect(programme).toMatchObject({ scope: 'programme', councilsFrom: null });
      expect(programme.items.every((m: { gap: string | null }) => m.gap === null)).toBe(true);
    }
    // Their councils' figures, not the programme's.
    const [mine, all] = [await snapshots('partnerLp', 'verified_improvement_value'), await snapshots('admin', 'verified_improvement_value')];
    expect(mine.items.at(-1).value).toBeLessThan(all.items.at(-1).value);
  });

  it('says on a CSF’s page and in its trends download when the partner’s trends start', async () => {
    const [csf] = (await t.app.inject({ method: 'GET', url: '/api/v1/csfs', headers: { authorization: `Bearer ${tokens.admin}` } })).json().items;
    const partner = await t.signIn('partnerLp');
    const page = (await partner.get(paths.csf(csf.id))).body;
    expect(page).toContain('Trends for your councils start in September 2026: earlier months were recorded for the whole programme only.');
    expect(page).toContain('for the councils your organisation manages, from the snapshot taken that month');
    expect(page).toMatch(/data-month="2026-08">Not recorded for your councils</);
    const adminPage = (await (await t.signIn('admin')).get(paths.csf(csf.id))).body;
    expect(adminPage).not.toContain('Trends for your councils');
    expect(adminPage).not.toContain('Not recorded for your councils');

    const rows = parse((await partner.get(paths.csfTrendsExport(csf.id, 'csv', csf.indicators[0].key))).body, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.find((r) => r.Month === 'August 2026')).toMatchObject({ Value: '', 'As at': '', Note: 'Recorded for the whole programme only: trends for your councils start later' });
    expect(rows.find((r) => r.Month === 'September 2026')).toMatchObject({ 'As at': '30 September 2026', Note: '' });
  });
});
