import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { enrolments } from '../db/schema.ts';
import { addDays } from '../enrolments/journey.ts';
import { upkeepCondition, upkeepFilters } from './upkeep-sql.ts';
import { upkeepOf, type UpkeepRules } from './upkeep.ts';

const rules: UpkeepRules = { foundationRenewalYears: 2, cpdHoursPerYear: 30, dueSoonDays: 60 };

type Accreditation = { enrolmentId: string; personId: string; level: 'foundation' | 'practitioner' | 'expert'; awardedOn: string; renewedOn: string | null };

// The learners list's upkeep filters are SQL; the learner's page uses upkeepOf. Over four years of days, with awards
// on 29 February, renewals and CPD logged in every pattern, the two must name the same accreditations.
describe.each(backends)('the upkeep filters agree with upkeepOf (%s)', (backend) => {
  let t: TestApp;
  let accreditations: Accreditation[];
  let cpd: Map<string, { activityDate: string; hours: number }[]>;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    const holders = await rows<{ id: string; person_id: string }>(sql`select enrolment_id as id, person_id from accreditations order by enrolment_id limit 24`);
    expect(holders.length).toBe(24);
    const awards = ['2024-02-29', '2023-12-03', '2024-11-26', '2025-01-31', '2022-06-15', '2025-11-27'];
    for (const [i, h] of holders.entries()) {
      const level = (['foundation', 'practitioner', 'expert'] as const)[i % 3];
      const awardedOn = awards[i % awards.length];
      const renewedOn = level === 'foundation' && i % 2 ? addDays(awardedOn, 700 + i) : null;
      await rows(sql`update accreditations set level = ${level}, awarded_on = ${awardedOn}::date, renewed_on = ${renewedOn}::date where enrolment_id = ${h.id}::uuid`);
      // CPD in every pattern: none, a little each year, exactly enough, enough only in the first year.
      await rows(sql`delete from cpd_records where person_id = ${h.person_id}::uuid`);
      const pattern = i % 4;
      for (let year = 0; year < 5 && pattern > 0; year++) {
        if (pattern === 3 && year > 0) break;
        const hours = pattern === 1 ? 12 : 30;
        for (const part of [0, 1]) {
          await rows(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
            values (${h.person_id}::uuid, (${awardedOn}::date + make_interval(years => ${year}::int))::date + ${part * 120}::int, ${hours / 2}::numeric, 'workshop_or_webinar', 'Test')`);
        }
      }
    }
    accreditations = (
      await rows<{ enrolment_id: string; person_id: string; level: Accreditation['level']; awarded_on: string; renewed_on: string | null }>(
        sql`select enrolment_id, person_id, level, awarded_on::text, renewed_on::text from accreditations`,
      )
    ).map((a) => ({ enrolmentId: a.enrolment_id, personId: a.person_id, level: a.level, awardedOn: a.awarded_on, renewedOn: a.renewed_on }));
    cpd = new Map();
    for (const c of await rows<{ person_id: string; activity_date: string; hours: number }>(sql`select person_id, activity_date::text, hours::float8 as hours from cpd_records`)) {
      cpd.set(c.person_id, [...(cpd.get(c.person_id) ?? []), { activityDate: c.activity_date, hours: c.hours }]);
    }
  });
  afterAll(async () => t?.close());

  it('on every 9th day from 2023 to 2027, each filter names exactly the accreditations upkeepOf calls due soon or lapsed', async () => {
    let seen = { cpd: 0, renewal: 0 };
    for (let day = 0; day < 4 * 365; day += 9) {
      const today = addDays('2023-06-01', day);
      for (const kind of upkeepFilters) {
        const found = await rows<{ id: string }>(sql`select ${enrolments.id} as id from ${enrolments} where ${upkeepCondition(kind, rules, today)} order by 1`);
        const expected = accreditations
          .filter((a) => (kind === 'renewal' ? a.level === 'foundation' : a.level !== 'foundation'))
          .filter((a) => a.awardedOn <= today && upkeepOf(a, cpd.get(a.personId) ?? [], rules, today).status !== 'current')
          .map((a) => a.enrolmentId)
          .sort();
        expect(found.map((f) => f.id), `${kind} on ${today}`).toEqual(expected);
        seen = { ...seen, [kind]: seen[kind] + expected.length };
      }
    }
    expect(seen.cpd).toBeGreaterThan(100);
    expect(seen.renewal).toBeGreaterThan(100);
  });
});
