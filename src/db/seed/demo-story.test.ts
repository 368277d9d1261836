/**
 * The demo data tells a true story (issue 10 item 14): what was nominated fits the funded places, the "needs
 * attention" flag picks out a few stuck enrolments and not a crowd, the latest cohort is still running, due dates
 * appear only where an assessment is owed, and the accredited demo learner keeps up their CPD.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testNow } from '../../../test/helpers.ts';
import { queryRows, type Database } from '../client.ts';
import { learnerListRules, settingDefaults } from '../../settings/service.ts';
import { attentionOf, attentionReasons, type AttentionReason } from '../../enrolments/attention.ts';
import { addDays, assessmentDueOn, type Status } from '../../enrolments/journey.ts';
import { demoAccounts } from './demo.ts';
import { contractFlags } from '../../contracts/rules.ts';

const today = testNow.slice(0, 10);

describe.each(backends)('the demo story (%s)', (backend) => {
  let database: Database;
  const rows = <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => queryRows<T>(database.db, q);
  type Enrolment = { status: Status; level: string; lastEventOn: string; registeredOn: string | null };
  let enrolments: Enrolment[];

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    enrolments = await rows<Enrolment>(sql`
      select status, level, last_event_on::text as "lastEventOn", registered_on::text as "registeredOn" from enrolments`);
  });
  afterAll(async () => database?.close());

  it('never has more nominations or approvals at a council, level and year than it has funded places', async () => {
    const over = await rows<{ councilId: string; level: string; period: string; places: number; nominations: number; taken: number }>(sql`
      select e.council_id as "councilId", e.level, e.period, coalesce(f.places, 0) as places, count(*)::int as nominations, coalesce(f.taken, 0) as taken
      from enrolments e left join funded_places f using (council_id, level, period)
      where e.status not in ('declined', 'withdrawn')
      group by e.council_id, e.level, e.period, f.places, f.taken
      having count(*) > coalesce(f.places, 0) or coalesce(f.taken, 0) > coalesce(f.places, 0)`);
    expect(over).toEqual([]);
  });

  it('has a few Expert nominations, not dozens', async () => {
    const expert = enrolments.filter((e) => e.level === 'expert');
    expect(expert.length).toBeGreaterThan(0);
    expect(expert.length).toBeLessThanOrEqual(8);
  });

  it('flags a few enrolments for each reason, so the flag means something', async () => {
    const { attention } = await learnerListRules(database.db);
    const flagged = Object.fromEntries(attentionReasons.map((r) => [r, 0])) as Record<AttentionReason, number>;
    for (const e of enrolments) {
      const reason = attentionOf(e, attention, today)?.reason;
      if (reason) flagged[reason]++;
    }
    for (const reason of attentionReasons) {
      expect(flagged[reason], reason).toBeGreaterThan(0);
      expect(flagged[reason], reason).toBeLessThanOrEqual(6);
    }
  });

  it('keeps waiting nominations and booked assessments mostly recent', async () => {
    const share = (status: Status, days: number) => {
      const waiting = enrolments.filter((e) => e.status === status);
      return waiting.filter((e) => e.lastEventOn >= addDays(today, -days)).length / waiting.length;
    };
    expect(share('nominated', 28)).toBeGreaterThanOrEqual(0.75);
    expect(share('assessment_booked', 60)).toBeGreaterThanOrEqual(0.75);
  });

  it('has a cohort that started this year and runs into the next', async () => {
    const running = await rows<{ name: string }>(sql`select name from cohorts where start_date <= ${today}::date and end_date > ${today}::date`);
    expect(running.length).toBeGreaterThan(0);
    const [latest] = await rows<{ end: string }>(sql`select max(end_date)::text as end from cohorts`);
    expect(latest.end.slice(0, 4) > today.slice(0, 4)).toBe(true);
  });

  it('shows a due date only on enrolments that still owe an assessment', async () => {
    const rules = (await learnerListRules(database.db)).journey;
    const ended = enrolments.filter((e) => ['accredited', 'withdrawn', 'declined'].includes(e.status));
    expect(ended.length).toBeGreaterThan(0);
    for (const e of ended) expect(assessmentDueOn(e, rules)).toBeNull();
    const owing = enrolments.filter((e) => e.registeredOn && ['registered', 'in_learning', 'assessment_booked', 'not_passed'].includes(e.status));
    for (const e of owing) expect(assessmentDueOn(e, rules)).not.toBeNull();
  });

  it('gives the demo learners a journey under way and an accredited one logging CPD', async () => {
    const journey = (email: string) =>
      rows<{ status: string; cpd: number; hours: number }>(sql`
        select e.status,
          (select count(*)::int from cpd_records c where c.person_id = p.id) as cpd,
          (select coalesce(sum(hours), 0)::float from cpd_records c where c.person_id = p.id and c.activity_date > ${addDays(today, -365)}::date) as hours
        from people p join enrolments e on e.person_id = p.id where p.email = ${email}`);
    expect(await journey(demoAccounts.learner.email)).toMatchObject([{ status: 'in_learning' }]);
    const [accredited] = await journey(demoAccounts.accreditedLearner.email);
    expect(accredited.status).toBe('accredited');
    expect(accredited.cpd).toBeGreaterThanOrEqual(5);
    expect(accredited.hours).toBeGreaterThanOrEqual(30);
    const [{ same }] = await rows<{ same: boolean }>(sql`
      select count(distinct organisation_id) = 1 as same from people where email in (${demoAccounts.learner.email}, ${demoAccounts.sro.email}, ${demoAccounts.accreditedLearner.email})`);
    expect(same).toBe(true);
    const [{ holders }] = await rows<{ holders: number }>(sql`
      select count(*)::int as holders from accreditations a join people p on p.id = a.person_id
      where a.level = 'foundation' and p.organisation_id = (select organisation_id from people where email = ${demoAccounts.sro.email})`);
    expect(holders, 'a Foundation holder in the demo council').toBeGreaterThan(0);
  });

  it('gives the demo council key contracts with every flag, and a few other councils some too', async () => {
    const contracts = await rows<{ demo: boolean; totalValuePence: number; endDate: string; kpiCount: number; latestAssessedOn: string | null }>(sql`
      select o.id = (select organisation_id from people where email = ${demoAccounts.sro.email}) as demo, c.total_value_pence::float8 as "totalValuePence",
        c.end_date::text as "endDate", (select count(*)::int from contract_kpis k where k.contract_id = c.id) as "kpiCount",
        (select max(k.assessed_on)::text from contract_kpis k where k.contract_id = c.id) as "latestAssessedOn"
      from contracts c join organisations o on o.id = c.council_id`);
    const flags = contracts.filter((c) => c.demo).map((c) => contractFlags(c, today, { procurementActThresholdPence: settingDefaults.procurementActThresholdPounds * 100, reprocurementWindowMonths: settingDefaults.reprocurementWindowMonths }));
    expect(flags.length).toBeGreaterThanOrEqual(5);
    for (const flag of ['procurementAct', 'assessmentOverdue', 'tooFewKpis', 'reprocure'] as const) expect(flags.some((f) => f[flag]), flag).toBe(true);
    expect(flags.some((f) => f.procurementAct && !f.assessmentOverdue)).toBe(true);
    expect(contracts.filter((c) => !c.demo).length).toBeGreaterThan(5);
  });

  it('has about 150 improvements with values in every status, and one waiting for the demo specialist at the demo council', async () => {
    const byStatus = await rows<{ status: string; n: number; valued: number }>(sql`
      select status, count(*)::int as n, count(value_pence)::int as valued from improvements group by status order by status`);
    expect(byStatus.map((r) => r.status)).toEqual(['queried', 'submitted', 'verified']);
    const total = byStatus.reduce((n, r) => n + r.n, 0);
    expect(total).toBeGreaterThanOrEqual(140);
    expect(total).toBeLessThanOrEqual(160);
    expect(byStatus.reduce((n, r) => n + r.valued, 0)).toBeGreaterThan(total / 3);
    const [{ waiting }] = await rows<{ waiting: number }>(sql`
      select count(*)::int as waiting from improvements i
      where i.status = 'submitted' and i.council_id = (select organisation_id from people where email = ${demoAccounts.sro.email})
        and exists (select 1 from specialist_assignments a join people s on s.id = a.person_id where a.council_id = i.council_id and s.email = ${demoAccounts.specialist.email})`);
    expect(waiting).toBeGreaterThan(0);
    const [{ future }] = await rows<{ future: number }>(sql`select count(*)::int as future from improvements where improved_on > ${today}::date or reviewed_at::date > ${today}::date`);
    expect(future).toBe(0);
  });

  it('points some improvements at key contracts of their own council, the demo council’s among them', async () => {
    const links = await rows<{ demo: boolean; sameCouncil: boolean; name: string }>(sql`
      select i.council_id = (select organisation_id from people where email = ${demoAccounts.sro.email}) as demo, c.council_id = i.council_id as "sameCouncil", c.name
      from improvement_contracts l join improvements i on i.id = l.improvement_id join contracts c on c.id = l.contract_id`);
    expect(links.every((l) => l.sameCouncil)).toBe(true);
    const demoNames = [...new Set(links.filter((l) => l.demo).map((l) => l.name))].sort();
    expect(demoNames).toEqual(['Facilities management', 'Home care for adults', 'IT service desk']);
    expect(links.filter((l) => !l.demo).length).toBeGreaterThan(0);
    // The tests' contracts to link and delete are left free.
    expect(links.filter((l) => l.demo && ['Highways maintenance', 'Waste collection and recycling'].includes(l.name))).toEqual([]);
  });
});
