/**
 * National-scale data for benchmarks: every English council in the programme at a spread of statuses,
 * 20,000 learners across them (and their SROs, leads and partner staff), status histories, specialist assignments,
 * and the learner journey at national scale: a Foundation and a Practitioner enrolment per learner through twelve
 * cohorts, about 200,000 journey events, funded places, accreditations and CPD logs, 5,000 network resources,
 * 2,000 network events with 40,000 registrations and 50,000 discussion posts, and transformation support (every
 * council's baseline and three follow-ups, 20,000 improvements, 30,000 key contracts). Deterministic for a given seed;
 * written with raw `unnest()` bulk inserts in one transaction (the query builder costs ~1.5 s per 100k rows).
 *
 *   npx tsx bench/generate.ts                          # PGlite in DATA_DIR (default ./data/bench)
 *   DATABASE_URL=postgres://… npx tsx bench/generate.ts
 *   BENCH_SCALE=5 npx tsx bench/generate.ts            # five times the learners
 *
 * Expects an empty programme (no people): it refuses to add to demo or real data.
 */
import { sql } from 'drizzle-orm';
import { pgArray, queryRows, openDatabase, type Db, type Database } from '../src/db/client.ts';
import { prepareDatabase } from '../src/db/prepare.ts';
import { firstNames, hasPeople, lastNames, prng } from '../src/db/seed/demo.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import type { Role } from '../src/auth/policy.ts';
import type { Level } from '../src/enrolments/journey.ts';
import { managingPartnerCodeFor, usualPathTo, type ProgrammeStatus } from '../src/councils/rules.ts';
import { settingDefaults } from '../src/settings/service.ts';
import { recordAudit } from '../src/audit/record.ts';
import { systemClock, type Clock } from '../src/clock.ts';
import { seedJourneys, type Learner } from '../src/db/seed/journeys.ts';
import { generateResources } from './resources.ts';
import { generateDiscussions } from './discussions.ts';
import { generateEvents } from './events.ts';
import { generateTransformation } from './transformation.ts';

/** The benchmark's programme admin; bench/run.ts signs in as them. */
export const benchAdmin = { email: 'bench.admin@pioneer.example.gov.uk', password: 'bench-national-scale-2026' };

/** Learners at national scale; `scale` multiplies them (the growth run uses 5: 100,000 learners, ~1 M journey events). */
export const totalLearners = 20_000;

/** How many councils sit at each status (317 in all, the whole English register). */
const statusMix: [ProgrammeStatus, number][] = [
  ['active', 180], ['onboarding', 25], ['completed', 30], ['withdrawn', 20], ['eligibility_review', 20], ['interested', 30], ['declined', 12],
];

const jobTitles = ['Contract Manager', 'Commercial Officer', 'Procurement and Contracts Officer', 'Senior Contract Manager',
  'Commissioning Officer', 'Category Manager', 'Facilities Contract Officer', 'Highways Contract Manager'];

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const day = 86_400_000;

/** Six cohorts of a level, one every eight months from the programme's first spring. */
const benchCohorts = (level: Level) =>
  Array.from({ length: 6 }, (_, k) => {
    const start = new Date(Date.UTC(2022, 2 + k * 8 + (level === 'foundation' ? 0 : 3), 7)).toISOString().slice(0, 10);
    return { name: `Bench ${level} cohort ${k + 1}`, level, startDate: start, workshops: 6 };
  });

type Person = { name: string; email: string; org: string; title: string; roles: Role[]; status: 'active' | 'invited' | 'deactivated' };

/** Writes the national data set (`scale` times the learners) into a prepared database that has no people yet. Returns what it wrote. */
export async function generateNationalData(db: Db, { seed = 317, scale = 1, clock = systemClock }: { seed?: number; scale?: number; clock?: Clock } = {}) {
  const started = performance.now();
  if (await hasPeople(db)) throw new Error('The database already has people; generate into an empty, prepared database.');
  const rand = prng(seed);
  const councils = await queryRows<{ id: string; code: string }>(db, sql`select id, code from organisations where kind = 'council' order by code`);
  const plannedCouncils = statusMix.reduce((n, [, k]) => n + k, 0);
  if (councils.length !== plannedCouncils) throw new Error(`Expected ${plannedCouncils} councils in the register, found ${councils.length}.`);
  const partnerRows = await queryRows<{ id: string; code: string }>(db, sql`select id, code from organisations where kind = 'partner'`);
  const partner = Object.fromEntries(partnerRows.map((p) => [p.code, p.id])) as Record<string, string>;
  const passwordHash = await hashPassword(benchAdmin.password);

  const people: Person[] = [];
  let serial = 0;
  const add = (org: string, domain: string, roles: Role[], title: string, email?: string) => {
    const name = `${rand.pick(firstNames)} ${rand.pick(lastNames)}`;
    serial++;
    const slug = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]+/g, '.');
    const roll = rand.next();
    const status = email || roll < 0.9 ? 'active' : roll < 0.97 ? 'invited' : 'deactivated';
    const person: Person = { name, email: email ?? `${slug}.${serial}@${domain}`, org, title, roles, status };
    people.push(person);
    return person;
  };

  // Partner staff: admins, managing-partner officers, commercial specialists and funders.
  const partnerDomain = 'pioneer.example.gov.uk';
  add(partner.LP, partnerDomain, ['programme_admin'], 'Programme Manager', benchAdmin.email);
  for (let k = 0; k < 9; k++) add(partner.LP, partnerDomain, ['programme_admin'], 'Programme Coordinator');
  for (let k = 0; k < 80; k++) add(k % 2 ? partner.LP : partner.MHCLG, partnerDomain, ['partner_staff'], 'Programme Officer');
  const specialists = Array.from({ length: 60 }, () => add(partner.LP, partnerDomain, ['specialist'], 'Commercial Specialist'));
  for (let k = 0; k < 50; k++) add(rand.pick([partner.CCS, partner.LGA, partner.MHCLG]), partnerDomain, ['funder'], 'Analyst');

  // Councils: a status each; an SRO everywhere, a lead where the council got past the pipeline.
  const plan = rand.shuffle(councils).map((council, i) => {
    let k = i;
    const status = statusMix.find(([, n]) => (k -= n) < 0)![0];
    return { council, status, pipelineOnly: ['interested', 'eligibility_review', 'declined'].includes(status) };
  });
  const programmeStart = Date.parse('2021-11-15T12:00:00Z');
  const span = Date.parse('2025-10-31T12:00:00Z') - programmeStart;
  const participation: Record<string, string | null>[] = [];
  const history: { council: string; from: string; to: string; at: string; reason: string | null }[] = [];
  const assignments: { specialist: string; council: string }[] = [];
  const staffed: { id: string; domain: string; weight: number }[] = [];

  for (const [index, { council, status, pipelineOnly }] of plan.entries()) {
    const domain = `${council.code.toLowerCase()}.example.gov.uk`;
    const onboarding = pipelineOnly ? null : isoDate(programmeStart + (span * index) / plan.length + rand.int(0, 20) * day);
    const sro = add(council.id, domain, ['council_sro'], rand.pick(['Director of Finance', 'Head of Procurement', 'Assistant Director, Commercial']));
    const lead = pipelineOnly ? null : add(council.id, domain, ['council_lead'], 'Commercial Lead');
    if (!pipelineOnly) {
      staffed.push({ id: council.id, domain, weight: status === 'active' ? 3 : 1 });
      assignments.push({ specialist: specialists[index % specialists.length].email, council: council.id });
    }
    let at = onboarding ? Date.parse(`${onboarding}T10:00:00Z`) - 60 * day : Date.parse('2025-06-01T10:00:00Z') + rand.int(0, 120) * day;
    let from: ProgrammeStatus = 'not_engaged';
    for (const to of usualPathTo[status]) {
      const reason = to === 'withdrawn' ? 'Capacity pressures in the commercial team' : to === 'declined' ? 'Not eligible: no contract-management lead in post' : null;
      history.push({ council: council.id, from, to, at: new Date(at).toISOString(), reason });
      from = to;
      at = to === 'onboarding' && onboarding ? Date.parse(`${onboarding}T10:00:00Z`) : at + rand.int(10, 30) * day;
    }
    const partnerCode = onboarding
      ? managingPartnerCodeFor(onboarding, settingDefaults.managingPartnerCutover, settingDefaults.managingPartnerBefore, settingDefaults.managingPartnerAfter)
      : null;
    participation.push({
      council: council.id,
      status,
      changed: history[history.length - 1].at,
      onboarded: onboarding,
      partner: partnerCode ? partner[partnerCode] : null,
      agreed: onboarding && status !== 'onboarding' ? isoDate(Date.parse(onboarding) + rand.int(5, 25) * day) : null,
      baseline: onboarding && status !== 'onboarding' ? isoDate(Date.parse(onboarding) + rand.int(20, 50) * day) : null,
      sro: sro.email,
      lead: lead?.email ?? null,
    });
  }

  // Learners, more of them in active councils.
  const weights = staffed.reduce((n, c) => n + c.weight, 0);
  const learners: Learner[] = [];
  const onboarded = new Map(participation.map((p) => [p.council!, p.onboarded]));
  while (learners.length < totalLearners * scale) {
    let r = rand.next() * weights;
    const council = staffed.find((c) => (r -= c.weight) < 0) ?? staffed[staffed.length - 1];
    const learner = add(council.id, council.domain, ['learner'], rand.pick(jobTitles));
    learners.push({ email: learner.email, councilId: council.id, onboardingDate: onboarded.get(council.id)!, demo: false });
  }

  let enrolments = 0;
  let events = 0;
  await db.transaction(async (tx) => {
    const col = <K extends keyof Person>(k: K) => people.map((p) => (Array.isArray(p[k]) ? (p[k] as Role[]).join(',') : (p[k] as string)));
    await tx.execute(sql`
      insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      select n, e, o, j, string_to_array(r, ','), s, case when s = 'active' then ${passwordHash} end
      from unnest(${pgArray(col('name'))}::text[], ${pgArray(col('email'))}::text[], ${pgArray(col('org'))}::uuid[],
        ${pgArray(col('title'))}::text[], ${pgArray(col('roles'))}::text[], ${pgArray(col('status'))}::text[]) as t(n, e, o, j, r, s)`);
    const pc = (k: string) => participation.map((p) => p[k]);
    await tx.execute(sql`
      update participations p set status = t.status, status_changed_at = t.changed::timestamptz, onboarding_date = t.onboarded::date,
        managing_partner_id = t.partner::uuid, agreement_signed_date = t.agreed::date, baseline_booked_date = t.baseline::date,
        sro_person_id = s.id, lead_person_id = l.id
      from unnest(${pgArray(pc('council'))}::uuid[], ${pgArray(pc('status'))}::text[], ${pgArray(pc('changed'))}::text[],
        ${pgArray(pc('onboarded'))}::text[], ${pgArray(pc('partner'))}::text[], ${pgArray(pc('agreed'))}::text[],
        ${pgArray(pc('baseline'))}::text[], ${pgArray(pc('sro'))}::text[], ${pgArray(pc('lead'))}::text[])
        as t(council, status, changed, onboarded, partner, agreed, baseline, sro, lead)
      join people s on s.email = t.sro
      left join people l on l.email = t.lead
      where p.council_id = t.council`);
    const hc = <K extends keyof (typeof history)[number]>(k: K) => history.map((h) => h[k]);
    await tx.execute(sql`
      insert into participation_status_history (council_id, from_status, to_status, reason, changed_at)
      select * from unnest(${pgArray(hc('council'))}::uuid[], ${pgArray(hc('from'))}::text[], ${pgArray(hc('to'))}::text[],
        ${pgArray(hc('reason'))}::text[], ${pgArray(hc('at'))}::timestamptz[])`);
    await tx.execute(sql`
      insert into specialist_assignments (person_id, council_id)
      select p.id, t.council from unnest(${pgArray(assignments.map((a) => a.specialist))}::text[], ${pgArray(assignments.map((a) => a.council))}::uuid[])
        as t(email, council)
      join people p on p.email = t.email`);
    // Every learner takes Foundation, then Practitioner: two journeys each, through cohorts of each level.
    for (const cohorts of [benchCohorts('foundation'), benchCohorts('practitioner')]) {
      const written = await seedJourneys(tx, clock, rand, learners, cohorts, 10_000 * scale);
      enrolments += written.enrolments;
      events += written.events;
    }
    // The audit log as the journeys would have written it (one event a step, src/enrolments/service.ts), so the audit
    // page is measured over a log of national size rather than an empty one.
    await tx.execute(sql`
      insert into audit_events (occurred_at, actor_label, action, record_type, record_id, before, after)
      select ev.recorded_at, 'bench generator', 'enrolment.' || ev.type, 'enrolment', ev.enrolment_id::text,
        jsonb_build_object('status', ev.from_status),
        jsonb_build_object('status', ev.to_status, 'date', ev.occurred_on, 'reason', ev.reason, 'certificateNumber', ev.certificate_number)
      from enrolment_events ev`);
    await generateResources(tx, prng(seed + 11), scale);
    await generateDiscussions(tx, scale);
    await generateEvents(tx, scale);
    await generateTransformation(tx, scale);
    await recordAudit(tx, { actor: null, systemLabel: 'bench generator', clock }, {
      action: 'seed.bench',
      recordType: 'programme',
      recordId: 'bench',
      after: { seed, scale, people: people.length, councils: plan.length, enrolments, events },
    });
  });
  // Refresh the planner's statistics and the visibility map, as autovacuum would soon after a load this size: without
  // statistics PostgreSQL plans the first minutes of queries on empty-table estimates, and without the visibility map
  // an index-only scan (the lists' counts and pages) still reads every table page.
  await db.execute(sql`vacuum analyze`);
  return { councils: plan.length, people: people.length, history: history.length, enrolments, events, ms: performance.now() - started };
}

/** Opens the database named by DATABASE_URL (or PGlite in `dataDir`), migrates it and loads the register, without demo data. */
export async function openBenchDatabase(opts: { databaseUrl?: string; dataDir: string | null }): Promise<Database> {
  const database = await openDatabase(opts);
  await prepareDatabase(database, { demo: false, clock: systemClock });
  return database;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const databaseUrl = process.env.DATABASE_URL;
  const dataDir = process.env.DATA_DIR ?? './data/bench';
  const database = await openBenchDatabase({ databaseUrl, dataDir });
  try {
    const r = await generateNationalData(database.db, { scale: Number(process.env.BENCH_SCALE ?? 1) });
    console.log(`Generated ${r.councils} councils, ${r.people} people, ${r.history} status changes, ${r.enrolments} enrolments and ${r.events} journey events in ${(r.ms / 1000).toFixed(2)} s ` +
      `(${databaseUrl ? 'PostgreSQL' : `PGlite in ${dataDir}`}). Sign in as ${benchAdmin.email} / ${benchAdmin.password}.`);
  } finally {
    await database.close();
  }
}
