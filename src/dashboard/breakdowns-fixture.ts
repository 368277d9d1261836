/**
 * A small fixture added to the demo data for the tests of the headline figures' breakdowns (the dashboard's and the
 * quarterly report's): two partners, two regions and two council types of its own, so that their rows hold the
 * fixture's councils only and can be worked out by hand.
 */
import { sql } from 'drizzle-orm';
import type { TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { recordsChanged } from '../db/read-cache.ts';

/**
 * The fixture's councils (today is 26 November 2026):
 *
 *   council  region   partner  type    status      learners (enrolments)                                 maturity
 *   C1       North    A        Alpha   active      P1: foundation accredited 2024-12-01, practitioner    baseline 2 → follow-up 3 (improved)
 *                                                      accredited 2025-09-01; P2: practitioner in learning
 *   C2       North    B        Beta    onboarding  P3: nominated (not started); P4: practitioner          baseline 2 → follow-up 2 (not improved)
 *                                                      registered 2026-02-01
 *   C3       South    A        Beta    completed   P4: foundation registered 2024-03-01, accredited 2024-10-01   baseline only
 *   C4       South    B        Alpha   withdrawn   P5: registered 2026-12-01 (after today); P6: expert     none
 *                                                      accredited 2026-11-20
 *
 * P4 started at C3 and later enrolled at C2: counted once, under C3, the council of the first enrolment started.
 */
export const fixture = {
  partners: ['Fixture Partner A', 'Fixture Partner B'],
  regions: ['Fixture North', 'Fixture South'],
  types: ['Fixture Alpha', 'Fixture Beta'],
};

/** What the fixture adds, worked out by hand from the table above. */
export const expected: Record<string, number[]> = {
  // engaged, started, practitioner, any level, with a follow-up, improved
  'Fixture Partner A': [2, 3, 1, 3, 1, 1], // C1 (P1, P2), C3 (P4)
  'Fixture Partner B': [2, 1, 0, 1, 1, 0], // C2 (P4 is C3's), C4 (P6)
  'Fixture North': [2, 2, 1, 2, 2, 1], // C1, C2
  'Fixture South': [2, 2, 0, 2, 0, 0], // C3, C4
  'Fixture Alpha': [2, 3, 1, 3, 1, 1], // C1, C4
  'Fixture Beta': [2, 1, 0, 1, 1, 0], // C2, C3
};

export async function addFixture(t: TestApp) {
  const one = async (q: ReturnType<typeof sql>) => (await queryRows<{ id: string }>(t.db, q))[0].id;
  const partner = async (code: string, name: string) => one(sql`insert into organisations (kind, code, name) values ('partner', ${code}, ${name}) returning id`);
  const [pa, pb] = [await partner('FXA', fixture.partners[0]), await partner('FXB', fixture.partners[1])];
  const council = async (code: string, region: string, partnerId: string, type: string, status: string) => {
    const id = await one(
      sql`insert into organisations (kind, code, name, la_type, la_type_name, region, nation) values ('council', ${code}, ${`Fixture council ${code}`}, 'NMD', ${type}, ${region}, 'England') returning id`,
    );
    await t.db.execute(sql`insert into participations (council_id, status, managing_partner_id, onboarding_date) values (${id}, ${status}, ${partnerId}, '2024-01-15')`);
    return id;
  };
  const [north, south] = fixture.regions;
  const [alpha, beta] = fixture.types;
  const c1 = await council('FX1', north, pa, alpha, 'active');
  const c2 = await council('FX2', north, pb, beta, 'onboarding');
  const c3 = await council('FX3', south, pa, beta, 'completed');
  const c4 = await council('FX4', south, pb, alpha, 'withdrawn');
  const person = async (n: number, councilId: string) =>
    one(sql`insert into people (name, email, organisation_id, roles, status) values (${`Fixture learner ${n}`}, ${`fixture.learner${n}@example.org`}, ${councilId}, '{learner}', 'active') returning id`);
  const enrolment = async (personId: string, councilId: string, level: string, status: string, registeredOn: string | null, awardedOn?: string) => {
    const id = await one(
      sql`insert into enrolments (person_id, council_id, level, period, status, nominated_on, approved_on, registered_on, last_event_on)
          values (${personId}, ${councilId}, ${level}, '2024-25', ${status}, '2024-01-20', ${registeredOn ? '2024-01-25' : null}, ${registeredOn}, ${awardedOn ?? registeredOn ?? '2024-01-20'}) returning id`,
    );
    if (awardedOn) {
      await t.db.execute(
        sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number) values (${personId}, ${id}, ${level}, ${awardedOn}, ${`FIXTURE-${id}`})`,
      );
    }
  };
  const [p1, p2, p3, p4, p5, p6] = [await person(1, c1), await person(2, c1), await person(3, c2), await person(4, c2), await person(5, c4), await person(6, c4)];
  await enrolment(p1, c1, 'foundation', 'accredited', '2024-06-01', '2024-12-01');
  await enrolment(p1, c1, 'practitioner', 'accredited', '2025-01-10', '2025-09-01');
  await enrolment(p2, c1, 'practitioner', 'in_learning', '2025-03-01');
  await enrolment(p3, c2, 'practitioner', 'nominated', null);
  await enrolment(p4, c3, 'foundation', 'accredited', '2024-03-01', '2024-10-01');
  await enrolment(p4, c2, 'practitioner', 'in_learning', '2026-02-01');
  await enrolment(p5, c4, 'practitioner', 'registered', '2026-12-01');
  await enrolment(p6, c4, 'expert', 'accredited', '2026-05-01', '2026-11-20');
  const [framework] = await queryRows<{ id: string }>(t.db, sql`select id from maturity_frameworks order by key limit 1`);
  const [area] = await queryRows<{ id: string }>(t.db, sql`select id from maturity_areas where framework_id = ${framework.id} order by position limit 1`);
  const assess = async (councilId: string, kind: string, day: string, score: number) => {
    const id = await one(
      sql`insert into maturity_assessments (council_id, framework_id, kind, status, created_at, updated_at, submitted_at)
          values (${councilId}, ${framework.id}, ${kind}, 'submitted', ${day}::timestamptz, ${day}::timestamptz, ${day}::timestamptz) returning id`,
    );
    await t.db.execute(sql`insert into maturity_scores (assessment_id, area_id, score, target) values (${id}, ${area.id}, ${score}, 4)`);
  };
  await assess(c1, 'baseline', '2025-01-10T10:00:00Z', 2);
  await assess(c1, 'follow_up', '2026-06-10T10:00:00Z', 3);
  await assess(c2, 'baseline', '2025-02-10T10:00:00Z', 2);
  await assess(c2, 'follow_up', '2026-07-10T10:00:00Z', 2);
  await assess(c3, 'baseline', '2025-03-10T10:00:00Z', 2);
  // Written behind the services' back (no audit), so the figures kept between changes must be told.
  recordsChanged();
}

