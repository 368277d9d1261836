import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { indicatorKeys, indicatorByKey } from './catalogue.ts';
import { indicatorValues } from './repository.ts';

/**
 * A council of its own with a small, known dataset, so every indicator can be checked to the number a reader sees:
 * 10 places allocated and 4 taken; 5 learners registered (2 over a year ago, one accredited in time, one late;
 * one withdrawn); a baseline and follow-up with one area a level up; 3 improvements (2 verified, £1,500 and £250).
 */
describe.each(backends)('indicator computations (%s)', (backend) => {
  let database: Database;
  let councilId: string;
  const asOf = '2026-11-30';
  const scope = () => ({ kind: 'own' as const, councilId });

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const db = database.db;
    const [c] = await queryRows<{ id: string }>(db, sql`insert into organisations (kind, code, name) values ('council', 'EVALTEST', 'Evaluation Test Council') returning id`);
    councilId = c.id;
    await db.execute(sql`insert into participations (council_id, status) values (${councilId}, 'active')`);
    await db.execute(sql`insert into funded_places (council_id, level, period, places, taken) values (${councilId}, 'foundation', '2026-27', 6, 3), (${councilId}, 'practitioner', '2026-27', 4, 1)`);
    const learners: [string, string, string | null][] = [
      // registered on, status, accreditation awarded on
      ['2025-01-10', 'accredited', '2025-12-01'], // within 12 months
      ['2025-02-01', 'accredited', '2026-03-01'], // 13 months: late
      ['2026-01-05', 'registered', null],
      ['2026-02-05', 'withdrawn', null],
      ['2026-03-05', 'registered', null],
    ];
    let n = 0;
    for (const [registeredOn, status, awardedOn] of learners) {
      n += 1;
      const [p] = await queryRows<{ id: string }>(db, sql`insert into people (name, email, organisation_id) values (${`Eval Learner ${n}`}, ${`eval.${n}@evaltest.example.gov.uk`}, ${councilId}) returning id`);
      const [e] = await queryRows<{ id: string }>(
        db,
        sql`insert into enrolments (person_id, council_id, level, period, status, nominated_on, registered_on, last_event_on)
            values (${p.id}, ${councilId}, 'foundation', '2024-25', ${status}, ${registeredOn}, ${registeredOn}, ${registeredOn}) returning id`,
      );
      if (awardedOn)
        await db.execute(sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number) values (${p.id}, ${e.id}, 'foundation', ${awardedOn}, ${`EVAL-${n}`})`);
    }
    const [fw] = await queryRows<{ id: string }>(db, sql`select id from maturity_frameworks limit 1`);
    const areas = await queryRows<{ id: string }>(db, sql`select a.id from maturity_areas a join maturity_blocks b on b.id = a.block_id where b.framework_id = ${fw.id} order by a.position limit 2`);
    const assess = async (kind: string, submittedAt: string, scores: number[]) => {
      const [a] = await queryRows<{ id: string }>(
        db,
        sql`insert into maturity_assessments (council_id, framework_id, kind, status, created_at, updated_at, submitted_at)
            values (${councilId}, ${fw.id}, ${kind}, 'submitted', ${submittedAt}, ${submittedAt}, ${submittedAt}) returning id`,
      );
      for (const [i, s] of scores.entries()) await db.execute(sql`insert into maturity_scores (assessment_id, area_id, score) values (${a.id}, ${areas[i].id}, ${s})`);
    };
    await assess('baseline', '2025-06-01T10:00:00Z', [2, 3]);
    await assess('follow_up', '2026-06-01T10:00:00Z', [3, 3]);
    await db.execute(sql`insert into improvements (council_id, type, description, improved_on, value_pence, cashable, status) values
      (${councilId}, 'savings', 'Re-let cleaning', '2026-05-01', 150000, true, 'verified'),
      (${councilId}, 'cost_avoidance', 'Avoided overrun', '2026-06-01', 25000, false, 'verified'),
      (${councilId}, 'kpis', 'New KPIs', '2026-07-01', null, null, 'submitted')`);
  });
  afterAll(async () => database?.close());

  it('gives each indicator the exact value a reader would see', async () => {
    const values = await indicatorValues(database.db, indicatorKeys, scope(), asOf);
    expect(Object.fromEntries(values)).toEqual({
      funded_places_used: 40, // 4 of 10
      accredited_within_12_months: 50, // 1 of the 2 registered by 2025-11-30
      learners_retained: 80, // 4 of 5
      network_attendance_per_council: 0,
      councils_baseline_and_follow_up: 1,
      councils_improved_maturity: 1,
      verified_improvements: 2,
      verified_improvement_value: 175000,
    });
  });

  it('works as of an earlier date: nothing after it counts', async () => {
    const values = await indicatorValues(database.db, indicatorKeys, scope(), '2026-01-31');
    expect(values.get('accredited_within_12_months')).toBe(100); // only the first learner was registered 12 months before
    expect(values.get('learners_retained')).toBe(100); // 3 registered, none withdrawn
    expect(values.get('councils_baseline_and_follow_up')).toBe(0);
    expect(values.get('councils_improved_maturity')).toBe(0);
    expect(values.get('verified_improvement_value')).toBe(0);
  });

  it('gives nothing to divide by as no value rather than 0 %', async () => {
    const values = await indicatorValues(database.db, ['learners_retained', 'funded_places_used'], { kind: 'none' }, asOf);
    expect(values.get('learners_retained')).toBeNull();
    expect(values.get('funded_places_used')).toBeNull();
  });

  it('describes every indicator with a possible range', () => {
    for (const k of indicatorKeys) expect(indicatorByKey.get(k)?.range.min).toBe(0);
  });
});
