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

/**
 * A demo learner: `demo` marks the two demo sign-ins, one in learning in the latest cohort and one accredited in an
 * earlier cohort and logging CPD; everyone else's story is drawn at random.
 */
export type Learner = { email: string; councilId: string; onboardingDate: string; demo: false | 'learning' | 'accredited' };

type Step = { type: EventType; date: string; reason?: string; certificateNumber?: string };
type Planned = {
  learner: Learner;
  level: Level;
  cohort: number | null;
  nominatedOn: string;
  /** The moves after nomination. */
  steps: Step[];
};

/** The steps at which "needs attention" flags an enrolment (see src/enrolments/attention.ts). */
type StuckAt = 'decision' | 'registration' | 'learning' | 'result' | 'assessment';

/**
 * How many enrolments the seed leaves stuck at each step: a few (about one learner in 120, at least two), so the
 * flag means something. Everyone else moves on in good time: waiting nominations are recent, booked assessments
 * get their results, and learners sit their assessment before it is due.
 */
function stuckQuota(learners: number) {
  const n = Math.max(2, Math.round(learners / 120));
  const left: Record<StuckAt, number> = { decision: n, registration: n, learning: n, result: n, assessment: n };
  return (at: StuckAt) => (left[at] > 0 ? (left[at]--, true) : false);
}
type Stuck = ReturnType<typeof stuckQuota>;

/** A learner who sits until they pass (by the last attempt); each resit is booked a month or two after the last sitting. */
function attempts(rand: Rand, level: Level, start: string, firstBooking: string, passRate = 0.78): Step[] {
  const steps: Step[] = [];
  let booked = firstBooking;
  for (let attempt = 1; attempt <= rules.maxAttempts; attempt++) {
    const sat = addDays(booked, rand.int(14, 40));
    steps.push({ type: 'assessment_booked', date: booked });
    if (attempt === rules.maxAttempts || rand.next() < passRate) {
      const certificateNumber = `CMP-${level[0].toUpperCase()}-${start.slice(0, 4)}-${String(rand.int(10000, 99999))}`;
      return [...steps, { type: 'passed', date: sat, certificateNumber }];
    }
    steps.push({ type: 'not_passed', date: sat });
    booked = addDays(sat, rand.int(30, 60));
  }
  return steps;
}

/**
 * The story of a learner in a cohort that started on `start`. Steps dated after today are dropped when the story
 * is applied, so a learner in a recent cohort is part-way through it; one stuck on purpose stops early.
 */
function storyFor(rand: Rand, level: Level, start: string, today: string, demo: Learner['demo'], stuck: Stuck): Step[] {
  const nominated = addDays(start, -rand.int(25, 55));
  const approved = addDays(nominated, rand.int(3, 14));
  const learning: Step[] = [
    { type: 'approved', date: approved },
    { type: 'registered', date: start },
    { type: 'learning_started', date: addDays(start, rand.int(0, 7)) },
  ];
  if (demo === 'learning') return learning;
  if (demo === 'accredited') return [...learning, ...attempts(rand, level, start, addDays(start, 200), 1)];
  const ageDays = (Date.parse(today) - Date.parse(start)) / 86_400_000;
  const roll = rand.next();
  if (roll < 0.05) return [learning[0], { type: 'withdrawn', date: addDays(approved, rand.int(5, 20)), reason: 'Moved to a role without contract-management duties' }];
  if (roll < 0.09) return [...learning, { type: 'withdrawn', date: addDays(start, rand.int(60, 200)), reason: 'Left the council' }];
  if (roll < 0.12) return [...learning, { type: 'deferred', date: addDays(start, rand.int(40, 120)), reason: 'Parental leave' }];
  if (ageDays > 60 && ageDays < 300 && stuck('learning')) return learning.slice(0, 2);
  if (ageDays > 400 && stuck('assessment')) return learning;
  const journey = [...learning, ...attempts(rand, level, start, addDays(start, rand.int(150, 300)))];
  const firstBooking = journey.findIndex((s) => s.type === 'assessment_booked');
  if (Date.parse(today) - Date.parse(journey[firstBooking].date) > 90 * 86_400_000 && stuck('result')) return journey.slice(0, firstBooking + 1);
  return journey;
}

/**
 * Plans each demo learner's journey: most join the first or a later cohort after their council onboarded;
 * learners of councils onboarded after the last cohort, and some others, are waiting on a nomination or a cohort.
 */
function plan(rand: Rand, learners: Learner[], cohorts: Cohort[], today: string): Planned[] {
  const planned: Planned[] = [];
  const stuck = stuckQuota(learners.length);
  // A few accredited practitioners have gone on to be nominated for Expert (the programme funds few Expert places).
  let expertNominations = Math.max(2, Math.round(learners.length / 100));
  const started = cohorts.map((c, i) => ({ ...c, i })).filter((c) => c.startDate <= today);
  // The demo sign-ins' council shows a Foundation holder too (whose accreditation staff can renew), not only Practitioners.
  const demoCouncil = learners.find((l) => l.demo)?.councilId;
  let demoFoundationHolder = !started.some((c) => c.level === 'foundation');
  for (const learner of learners) {
    const eligible = started.filter((c) => c.startDate >= addDays(learner.onboardingDate, 45));
    const foundation = !learner.demo && !demoFoundationHolder && learner.councilId === demoCouncil ? eligible.find((c) => c.level === 'foundation') : undefined;
    if (foundation) {
      demoFoundationHolder = true;
      const story = storyFor(rand, 'foundation', foundation.startDate, today, 'accredited', stuck);
      planned.push({ learner, level: 'foundation', cohort: foundation.i, nominatedOn: addDays(story[0].date, -rand.int(3, 14)), steps: story });
      continue;
    }
    const waiting = !learner.demo && (eligible.length === 0 || rand.next() < 0.08);
    if (waiting) {
      const decision = rand.next();
      const steps = (nominatedOn: string): Step[] =>
        decision < 0.15
          ? [{ type: 'declined', date: addDays(nominatedOn, 3), reason: 'Not yet managing contracts: nominate again next year' }]
          : decision < 0.6
            ? [{ type: 'approved', date: addDays(nominatedOn, 2) }]
            : [];
      const longAgo = decision >= 0.15 && stuck(decision < 0.6 ? 'registration' : 'decision');
      const nominatedOn = addDays(today, longAgo ? -rand.int(70, 100) : -rand.int(1, 25));
      planned.push({ learner, level: started.at(-1)!.level, cohort: null, nominatedOn, steps: steps(nominatedOn) });
      continue;
    }
    const accreditedDemoCohort = started.filter((c) => c.level === 'practitioner' && c.startDate <= addDays(today, -400)).at(-1);
    const cohort =
      learner.demo === 'learning' ? started.at(-1)!.i
      : learner.demo === 'accredited' ? (accreditedDemoCohort ?? started[0]).i
      : rand.next() < 0.3 ? eligible[0].i : rand.pick(eligible).i;
    const { startDate, level } = cohorts[cohort];
    const story = storyFor(rand, level, startDate, today, learner.demo, stuck);
    planned.push({ learner, level, cohort, nominatedOn: addDays(story[0].date, -rand.int(3, 14)), steps: story });
    const accredited = story.some((s) => s.type === 'passed' && s.date <= addDays(today, -60));
    if (!learner.demo && accredited && level === 'practitioner' && expertNominations > 0 && rand.next() < 0.15) {
      expertNominations--;
      planned.push({ learner, level: 'expert', cohort: null, nominatedOn: addDays(today, -rand.int(2, 25)), steps: [] });
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
  const accreditationRows: (Record<'email' | 'enrolmentId' | 'level' | 'awardedOn' | 'certificate', string> & { diligent: boolean })[] = [];
  const places = new Map<string, { councilId: string; level: string; period: string; taken: number; released: number; waiting: number }>();
  const placeFor = (councilId: string, level: string, period: string) => {
    const key = `${councilId}|${level}|${period}`;
    if (!places.has(key)) places.set(key, { councilId, level, period, taken: 0, released: 0, waiting: 0 });
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
        accreditationRows.push({ email: p.learner.email, enrolmentId: id, level: p.level, awardedOn: step.date, certificate: step.certificateNumber!, diligent: Boolean(p.learner.demo) });
      }
      eventRows.push({ enrolmentId: id, type: step.type, from: state.status, to: move.next.status, on: step.date, reason: step.reason ?? null, certificate: step.certificateNumber ?? null });
      state = move.next;
      lastEventOn = step.date;
    }
    if (state.status === 'withdrawn' || state.status === 'declined') cohortId = null;
    if (state.status === 'nominated') placeFor(p.learner.councilId, p.level, period).waiting++;
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

  // Allocations cover what was taken and what waits for a decision, with a little to spare; every council with
  // learners also has places for this year.
  const currentPeriod = periodOf(today);
  const cohortLevels = new Set(cohorts.map((c) => c.level));
  for (const councilId of new Set(learners.map((l) => l.councilId))) for (const level of cohortLevels) placeFor(councilId, level, currentPeriod);
  const demoCouncil = learners.find((l) => l.demo)?.councilId;
  if (demoCouncil) for (const level of ['foundation', 'practitioner', 'expert']) placeFor(demoCouncil, level, currentPeriod);
  // Expert places are few: a council has one spare at most, except the demo sign-ins' council, which can nominate at every level.
  const spare = (p: { councilId: string; level: string; period: string }) =>
    p.period !== currentPeriod ? rand.int(0, 2) : p.level === 'expert' && p.councilId !== demoCouncil ? rand.int(0, 1) : rand.int(2, 4);
  const placeRows = [...places.values()].map((p) => ({ ...p, places: p.taken + p.waiting + spare(p) }));

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

  // CPD: most holders (the accredited demo learner among them) log enough each year; some fall short, so the demo
  // shows "due soon" and "lapsed".
  const cpdRows: Record<string, string | number>[] = [];
  for (const a of accreditationRows) {
    const diligence = a.diligent ? 1 : rand.next();
    for (let day = addDays(a.awardedOn, rand.int(10, 40)); day <= today; day = addDays(day, a.diligent ? rand.int(28, 40) : rand.int(30, 75))) {
      if (diligence < 0.15 && rand.next() < 0.7) continue;
      const hours = a.diligent ? rand.pick([3, 3.5, 4, 6]) : rand.pick([1, 1.5, 2, 3, 3.5, 4, 6, 7]);
      cpdRows.push({ email: a.email, date: day, hours, activity: rand.pick(cpdActivities), reflection: rand.pick(cpdReflections) });
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
