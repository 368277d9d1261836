import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type DbOrTx } from '../client.ts';
import { addDays, apply, periodOf, refusal, type EventType, type JourneyState, type Level } from '../../enrolments/journey.ts';
import { settingDefaults } from '../../settings/service.ts';
import { todayIso, type Clock } from '../../clock.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;

type Cohort = { name: string; level: Level; startDate: string; workshops: number };

/**
 * How long a demo cohort runs: 48 weeks, from the first workshop to the assessments most learners book, so the
 * latest demo cohort (April 2026) is still running into the next year.
 */
const cohortDays = 48 * 7;

/** The six demo cohorts since the programme began in November 2021 (mostly Practitioner, which the programme funds). */
export const demoCohorts: Cohort[] = [
  { name: 'Practitioner cohort 1 (March 2022)', level: 'practitioner', startDate: '2022-03-07', workshops: 6 },
  { name: 'Practitioner cohort 2 (November 2022)', level: 'practitioner', startDate: '2022-11-07', workshops: 6 },
  { name: 'Practitioner cohort 3 (September 2023)', level: 'practitioner', startDate: '2023-09-11', workshops: 6 },
  { name: 'Foundation cohort 1 (May 2024)', level: 'foundation', startDate: '2024-05-13', workshops: 3 },
  { name: 'Practitioner cohort 4 (January 2025)', level: 'practitioner', startDate: '2025-01-20', workshops: 6 },
  { name: 'Practitioner cohort 5 (April 2026)', level: 'practitioner', startDate: '2026-04-20', workshops: 6 },
];

const rules = {
  maxAttempts: settingDefaults.maxAssessmentAttempts,
  assessmentDeadlineMonths: settingDefaults.assessmentDeadlineMonths,
  placeReleaseDays: settingDefaults.placeReleaseDays,
};

const cpdActivities = ['training_course', 'workshop_or_webinar', 'network_event', 'reading_or_research', 'mentoring_or_coaching', 'project_work'];
const cpdReflections = [
  'Applied the contract review checklist to our waste collection contract and agreed new KPIs with the supplier.',
  'Learned how other councils run supplier relationship meetings; we now hold quarterly reviews.',
  'Read the Procurement Act 2023 guidance on contract performance notices and briefed my team.',
  'Mentored a colleague new to contract management through their first annual review.',
  'Mapped the risks in our highways term contract and added mitigations to the register.',
];

export type Learner = { email: string; councilId: string; onboardingDate: string; demo: boolean };

type Step = { type: EventType; date: string; reason?: string; certificateNumber?: string };
type Planned = {
  learner: Learner;
  level: Level;
  cohort: number | null;
  nominatedOn: string;
  /** The moves after nomination. */
  steps: Step[];
};

/** The story a learner in a cohort that started on `start` has had, by how long ago it started. */
function storyFor(rand: Rand, level: Level, start: string, today: string, demo: boolean): Step[] {
  const nominated = addDays(start, -rand.int(25, 55));
  const approved = addDays(nominated, rand.int(3, 14));
  const steps: Step[] = [
    { type: 'approved', date: approved },
    { type: 'registered', date: start },
    { type: 'learning_started', date: addDays(start, rand.int(0, 7)) },
  ];
  if (demo) return steps;
  const ageDays = (Date.parse(today) - Date.parse(start)) / 86_400_000;
  const roll = rand.next();
  if (roll < 0.06) return [steps[0], { type: 'withdrawn', date: addDays(approved, rand.int(5, 20)), reason: 'Moved to a role without contract-management duties' }];
  if (roll < 0.1) return [...steps, { type: 'withdrawn', date: addDays(start, rand.int(60, 200)), reason: 'Left the council' }];
  if (roll < 0.15) return [...steps, { type: 'deferred', date: addDays(start, rand.int(40, 120)), reason: 'Parental leave' }];
  if (ageDays > 420 && roll < 0.25) return steps; // still in learning long after the deadline: overdue
  const booked = addDays(start, rand.int(150, 300));
  const sat = addDays(booked, rand.int(14, 40));
  const withBooking: Step[] = [...steps, { type: 'assessment_booked', date: booked }];
  if (ageDays < 200 || roll < 0.35) return ageDays < 150 ? steps : withBooking;
  const certificate = () => `CMP-${level[0].toUpperCase()}-${start.slice(0, 4)}-${String(rand.int(10000, 99999))}`;
  if (roll < 0.52) {
    // Not passed first time; some resit and pass, some wait to rebook, some are booked again.
    const failed: Step[] = [...withBooking, { type: 'not_passed', date: sat }];
    const rebooked = addDays(sat, rand.int(30, 60));
    const resat = addDays(rebooked, rand.int(14, 40));
    const branch = rand.next();
    if (branch < 0.35) return failed;
    if (branch < 0.6) return [...failed, { type: 'assessment_booked', date: rebooked }];
    return [...failed, { type: 'assessment_booked', date: rebooked }, { type: 'passed', date: resat, certificateNumber: certificate() }];
  }
  return [...withBooking, { type: 'passed', date: sat, certificateNumber: certificate() }];
}

/**
 * Plans each demo learner's journey: most join the first or a later cohort after their council onboarded;
 * learners of councils onboarded after the last cohort, and some others, are still waiting on a nomination.
 */
function plan(rand: Rand, learners: Learner[], cohorts: Cohort[], today: string): Planned[] {
  const planned: Planned[] = [];
  for (const learner of learners) {
    const eligible = cohorts.map((c, i) => ({ ...c, i })).filter((c) => c.startDate >= addDays(learner.onboardingDate, 45) && c.startDate <= today);
    const waiting = !learner.demo && (eligible.length === 0 || rand.next() < 0.08);
    if (waiting) {
      const decline = rand.next() < 0.15;
      const nominatedOn = addDays(today, -rand.int(5, 60));
      const steps: Step[] = decline
        ? [{ type: 'declined', date: addDays(nominatedOn, 3), reason: 'Not yet managing contracts: nominate again next year' }]
        : rand.next() < 0.5
          ? [{ type: 'approved', date: addDays(nominatedOn, 2) }]
          : [];
      planned.push({ learner, level: cohorts.at(-1)!.level, cohort: null, nominatedOn, steps });
      continue;
    }
    const cohort = learner.demo ? cohorts.length - 1 : rand.next() < 0.3 ? eligible[0].i : rand.pick(eligible).i;
    const { startDate, level } = cohorts[cohort];
    const story = storyFor(rand, level, startDate, today, learner.demo);
    planned.push({ learner, level, cohort, nominatedOn: addDays(story[0].date, -rand.int(3, 14)), steps: story });
    // Some accredited practitioners have gone on to be nominated for Expert.
    if (story.at(-1)?.type === 'passed' && level === 'practitioner' && rand.next() < 0.15) {
      planned.push({ learner, level: 'expert', cohort: null, nominatedOn: addDays(today, -rand.int(10, 90)), steps: [] });
    }
  }
  return planned;
}

/** A random but reproducible v4-shaped UUID, so enrolments can be linked to their events before they are inserted. */
const uuidFrom = (rand: Rand) => {
  const hex = (n: number) => Array.from({ length: n }, () => rand.int(0, 15).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${rand.pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
};

/**
 * Seeds learner journeys: the cohorts, an enrolment for every learner (run through the real state machine, so every
 * stored status is reachable), funded places that cover what was taken, accreditations and CPD logs. Written in bulk
 * inside the caller's transaction. The demo uses its six cohorts; the benchmark generator passes its own.
 */
export async function seedJourneys(
  tx: DbOrTx,
  clock: Clock,
  rand: Rand,
  learners: Learner[],
  cohorts: Cohort[] = demoCohorts,
  capacity = 120,
): Promise<{ enrolments: number; events: number }> {
  const today = todayIso(clock);
  const cohortIds: string[] = [];
  for (const c of cohorts) {
    const workshops = Array.from({ length: c.workshops }, (_, k) => addDays(c.startDate, k * 28));
    const [row] = await queryRows<{ id: string }>(
      tx,
      sql`insert into cohorts (level, name, start_date, end_date, workshop_dates, capacity)
          values (${c.level}, ${c.name}, ${c.startDate}, ${addDays(c.startDate, cohortDays)}, ${pgArray(workshops)}::date[], ${capacity}) returning id`,
    );
    cohortIds.push(row.id);
  }

  const enrolmentRows: Record<string, string | number | null>[] = [];
  const eventRows: Record<string, string | null>[] = [];
  const accreditationRows: Record<string, string>[] = [];
  const places = new Map<string, { councilId: string; level: string; period: string; taken: number; released: number }>();
  const placeFor = (councilId: string, level: string, period: string) => {
    const key = `${councilId}|${level}|${period}`;
    if (!places.has(key)) places.set(key, { councilId, level, period, taken: 0, released: 0 });
    return places.get(key)!;
  };
  const usedCertificates = new Set<string>();

  for (const p of plan(rand, learners, cohorts, today)) {
    const id = uuidFrom(rand);
    const nominatedOn = p.nominatedOn;
    const period = periodOf(nominatedOn);
    let state: JourneyState = { status: 'nominated', resumeStatus: null, attempts: 0, placeState: 'none', registeredOn: null };
    let approvedOn: string | null = null;
    let lastEventOn = nominatedOn;
    let cohortId: string | null = null;
    eventRows.push({ enrolmentId: id, type: 'nominated', from: null, to: 'nominated', on: nominatedOn, reason: null, certificate: null });
    for (const step of p.steps) {
      if (step.date > today) break;
      if (step.certificateNumber) while (usedCertificates.has(step.certificateNumber)) step.certificateNumber += '1';
      if (refusal(state, step, rules)) break;
      const move = apply(state, step, rules);
      if (move.place === 'take') placeFor(p.learner.councilId, p.level, period).taken++;
      if (move.place === 'release') {
        placeFor(p.learner.councilId, p.level, period).taken--;
        placeFor(p.learner.councilId, p.level, period).released++;
      }
      if (step.type === 'approved') approvedOn = step.date;
      if (step.type === 'registered' && p.cohort !== null) cohortId = cohortIds[p.cohort];
      if (move.accredit) {
        usedCertificates.add(step.certificateNumber!);
        accreditationRows.push({ email: p.learner.email, enrolmentId: id, level: p.level, awardedOn: step.date, certificate: step.certificateNumber! });
      }
      eventRows.push({ enrolmentId: id, type: step.type, from: state.status, to: move.next.status, on: step.date, reason: step.reason ?? null, certificate: step.certificateNumber ?? null });
      state = move.next;
      lastEventOn = step.date;
    }
    if (state.status === 'withdrawn' || state.status === 'declined') cohortId = null;
    enrolmentRows.push({
      id,
      email: p.learner.email,
      councilId: p.learner.councilId,
      level: p.level,
      period,
      status: state.status,
      resumeStatus: state.resumeStatus,
      cohortId,
      attempts: state.attempts,
      placeState: state.placeState,
      nominatedOn,
      approvedOn,
      registeredOn: state.registeredOn,
      lastEventOn,
    });
  }

  // Allocations cover what was taken with a little to spare; active councils also have places for this year and next.
  const currentPeriod = periodOf(today);
  const cohortLevels = new Set(cohorts.map((c) => c.level));
  for (const councilId of new Set(learners.map((l) => l.councilId))) for (const level of cohortLevels) placeFor(councilId, level, currentPeriod);
  const demoCouncil = learners.find((l) => l.demo)?.councilId;
  if (demoCouncil) for (const level of ['foundation', 'practitioner', 'expert']) placeFor(demoCouncil, level, currentPeriod);
  const placeRows = [...places.values()].map((p) => ({ ...p, places: p.taken + (p.period === currentPeriod ? rand.int(2, 4) : rand.int(0, 2)) }));

  const col = <T extends Record<string, unknown>>(rows: T[], k: keyof T) => pgArray(rows.map((r) => r[k] as string | number | null));
  await tx.execute(sql`
    insert into funded_places (council_id, level, period, places, taken, released)
    select * from unnest(${col(placeRows, 'councilId')}::uuid[], ${col(placeRows, 'level')}::text[], ${col(placeRows, 'period')}::text[],
      ${col(placeRows, 'places')}::int[], ${col(placeRows, 'taken')}::int[], ${col(placeRows, 'released')}::int[])`);
  await tx.execute(sql`
    insert into enrolments (id, person_id, council_id, level, period, status, resume_status, cohort_id, attempts, place_state,
      nominated_on, approved_on, registered_on, last_event_on)
    select t.id, p.id, t.council, t.level, t.period, t.status, t.resume, t.cohort, t.attempts, t.place, t.nominated, t.approved, t.registered, t.last
    from unnest(${col(enrolmentRows, 'id')}::uuid[], ${col(enrolmentRows, 'email')}::text[], ${col(enrolmentRows, 'councilId')}::uuid[],
      ${col(enrolmentRows, 'level')}::text[], ${col(enrolmentRows, 'period')}::text[], ${col(enrolmentRows, 'status')}::text[],
      ${col(enrolmentRows, 'resumeStatus')}::text[], ${col(enrolmentRows, 'cohortId')}::uuid[], ${col(enrolmentRows, 'attempts')}::int[],
      ${col(enrolmentRows, 'placeState')}::text[], ${col(enrolmentRows, 'nominatedOn')}::date[], ${col(enrolmentRows, 'approvedOn')}::date[],
      ${col(enrolmentRows, 'registeredOn')}::date[], ${col(enrolmentRows, 'lastEventOn')}::date[])
      as t(id, email, council, level, period, status, resume, cohort, attempts, place, nominated, approved, registered, last)
    join people p on p.email = t.email`);
  await tx.execute(sql`
    update cohorts c set placed = (select count(*) from enrolments e where e.cohort_id = c.id)`);
  await tx.execute(sql`
    insert into enrolment_events (enrolment_id, type, from_status, to_status, occurred_on, reason, certificate_number, recorded_at)
    select e, ty, f, t, o::date, r, c, (o || 'T17:00:00Z')::timestamptz
    from unnest(${col(eventRows, 'enrolmentId')}::uuid[], ${col(eventRows, 'type')}::text[], ${col(eventRows, 'from')}::text[], ${col(eventRows, 'to')}::text[],
      ${col(eventRows, 'on')}::text[], ${col(eventRows, 'reason')}::text[], ${col(eventRows, 'certificate')}::text[]) as t(e, ty, f, t, o, r, c)`);
  await tx.execute(sql`
    insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
    select p.id, t.enrolment, t.level, t.awarded, t.certificate
    from unnest(${col(accreditationRows, 'email')}::text[], ${col(accreditationRows, 'enrolmentId')}::uuid[], ${col(accreditationRows, 'level')}::text[],
      ${col(accreditationRows, 'awardedOn')}::date[], ${col(accreditationRows, 'certificate')}::text[]) as t(email, enrolment, level, awarded, certificate)
    join people p on p.email = t.email`);

  // CPD: most holders log enough each year; some fall short, so the demo shows "due soon" and "lapsed".
  const cpdRows: Record<string, string | number>[] = [];
  for (const a of accreditationRows) {
    const diligence = rand.next();
    for (let day = addDays(a.awardedOn, rand.int(10, 40)); day <= today; day = addDays(day, rand.int(30, 75))) {
      if (diligence < 0.15 && rand.next() < 0.7) continue;
      cpdRows.push({ email: a.email, date: day, hours: rand.pick([1, 1.5, 2, 3, 3.5, 4, 6, 7]), activity: rand.pick(cpdActivities), reflection: rand.pick(cpdReflections) });
    }
  }
  await tx.execute(sql`
    insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
    select p.id, t.d, t.h, t.a, t.r
    from unnest(${col(cpdRows, 'email')}::text[], ${col(cpdRows, 'date')}::date[], ${col(cpdRows, 'hours')}::numeric[], ${col(cpdRows, 'activity')}::text[],
      ${col(cpdRows, 'reflection')}::text[]) as t(email, d, h, a, r)
    join people p on p.email = t.email`);
  return { enrolments: enrolmentRows.length, events: eventRows.length };
}
