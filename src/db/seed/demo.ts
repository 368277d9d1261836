import { sql } from 'drizzle-orm';
import { pgArray, queryRows, type Db, type DbOrTx } from '../client.ts';
import { hashPassword } from '../../auth/passwords.ts';
import type { Role } from '../../auth/policy.ts';
import { managingPartnerCodeFor, usualPathTo, type ProgrammeStatus } from '../../councils/rules.ts';
import { settingDefaults } from '../../settings/service.ts';
import { recordAudit } from '../../audit/record.ts';
import type { Clock } from '../../clock.ts';
import { seedJourneys, type Learner } from './journeys.ts';
import { seedNetworkEvents } from './network-events.ts';
import { seedMaturity } from './maturity.ts';
import { seedDiscussions } from './discussions.ts';
import { seedEngagements } from './engagements.ts';
import { seedContracts } from './contracts.ts';
import { seedSurveys } from './surveys.ts';
import { seedFunding } from './funding.ts';
import { seedImprovements } from './improvements.ts';
import { seedEvaluation } from './evaluation.ts';

/** The one password every demo account shares. Only ever set in demo mode; printed by `npm start`. */
export const demoPassword = 'pioneer-demo-2026';

/** A small deterministic PRNG (mulberry32): the same seed always gives the same demo data. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    shuffle: <T>(items: readonly T[]): T[] => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
}

// Fictional names, with apostrophes, accents and Welsh spellings so they are exercised everywhere.
export const firstNames = ['Amira', 'Ben', 'Catrin', 'Dafydd', 'Eilidh', 'Femi', 'Grace', 'Harpreet', 'Ioan', 'Jessica', 'Kwame', 'Lowri',
  'Mohammed', 'Niamh', 'Oluwaseun', 'Priya', 'Rhys', 'Siân', 'Tomasz', 'Zoë', 'Aled', 'Chloé', 'Deepa', 'Gethin', 'Hannah', 'Joseph',
  'Mairéad', 'Owen', 'Rachel', 'Samuel', 'Tegan', 'Yusuf'];
export const lastNames = ['Ahmed', 'Bennett', 'Chowdhury', 'Davies', 'Evans', "O'Brien", 'Fletcher', 'Gill', 'Hughes', 'Iqbal', 'Jones', 'Kowalski',
  'Lloyd', "D'Souza", 'Morgan', 'Nowak', 'Okafor', 'Patel', 'Pritchard', 'Quinn', 'Roberts', 'Smith', 'Thomas', 'Vaughan', 'Williams',
  'Müller', 'Ní Bhriain', 'Ellis-Jones', 'Zając', 'Ward'];
const officerTitles = ['Contract Manager', 'Commercial Officer', 'Procurement and Contracts Officer', 'Senior Contract Manager',
  'Commissioning Officer', 'Category Manager', 'Facilities Contract Officer', 'Highways Contract Manager'];

const slug = (s: string) =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '');

type PersonSeed = { name: string; email: string; organisationId: string; jobTitle: string; roles: Role[]; password: boolean };

/** The demo sign-ins printed by `npm start`, one per role; all share `demoPassword`. */
export const demoAccounts = {
  admin: { role: 'Programme admin', email: 'admin@pioneer.example.gov.uk' },
  partnerLp: { role: 'Managing partner staff (Local Partnerships)', email: 'partner@localpartnerships.example.gov.uk' },
  partnerMhclg: { role: 'Managing partner staff (MHCLG)', email: 'partner@mhclg.example.gov.uk' },
  specialist: { role: 'Commercial specialist', email: 'specialist@localpartnerships.example.gov.uk' },
  sro: { role: 'Council SRO', email: 'sro@demo-council.example.gov.uk' },
  lead: { role: 'Council lead', email: 'lead@demo-council.example.gov.uk' },
  learner: { role: 'Learner', email: 'learner@demo-council.example.gov.uk' },
  accreditedLearner: { role: 'Learner (accredited, logging CPD)', email: 'accredited.learner@demo-council.example.gov.uk' },
  funder: { role: 'Funder or observer', email: 'funder@ccs.example.gov.uk' },
} as const;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (iso: string, days: number) => isoDate(new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000));

/** True when the database already holds people (so demo data is not seeded twice). */
export async function hasPeople(db: DbOrTx): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from people`);
  return row.n > 0;
}

/**
 * Seeds the demo programme: 56 active councils drawn from the real register (some onboarded before
 * July 2023 and so managed by MHCLG, the rest by Local Partnerships), a pipeline of others, partner staff,
 * and about 400 people. Deterministic for a given seed. Expects the reference data to be loaded.
 */
export async function seedDemo(db: Db, clock: Clock, seed = 2021): Promise<void> {
  const rand = prng(seed);
  const councils = await queryRows<{ id: string; code: string; name: string }>(
    db,
    sql`select id, code, name from organisations where kind = 'council' order by code`,
  );
  const partnerRows = await queryRows<{ id: string; code: string }>(db, sql`select id, code from organisations where kind = 'partner'`);
  const partner = Object.fromEntries(partnerRows.map((p) => [p.code, p.id])) as Record<string, string>;
  const passwordHash = await hashPassword(demoPassword);

  const shuffled = rand.shuffle(councils);
  const plan: { council: (typeof councils)[number]; status: ProgrammeStatus }[] = [];
  const counts: [ProgrammeStatus, number][] = [
    ['active', 56], ['onboarding', 4], ['eligibility_review', 3], ['interested', 5], ['completed', 2], ['withdrawn', 2], ['declined', 1],
  ];
  let i = 0;
  for (const [status, n] of counts) for (let k = 0; k < n; k++) plan.push({ council: shuffled[i++], status });

  const people: PersonSeed[] = [];
  const usedEmails = new Set<string>();
  const person = (organisationId: string, domain: string, roles: Role[], jobTitle: string, fixedEmail?: string): PersonSeed => {
    const name = `${rand.pick(firstNames)} ${rand.pick(lastNames)}`;
    let email = fixedEmail ?? `${slug(name)}@${domain}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${slug(name)}${n}@${domain}`;
    usedEmails.add(email);
    const p = { name, email, organisationId, jobTitle, roles, password: Boolean(fixedEmail) };
    people.push(p);
    return p;
  };

  const partnerDomain = 'pioneer.example.gov.uk';
  person(partner.LP, partnerDomain, ['programme_admin'], 'Programme Manager', demoAccounts.admin.email);
  person(partner.LP, partnerDomain, ['partner_staff'], 'Programme Officer', demoAccounts.partnerLp.email);
  person(partner.MHCLG, partnerDomain, ['partner_staff'], 'Policy Adviser', demoAccounts.partnerMhclg.email);
  const specialist = person(partner.LP, partnerDomain, ['specialist'], 'Commercial Specialist', demoAccounts.specialist.email);
  person(partner.CCS, partnerDomain, ['funder'], 'Analyst', demoAccounts.funder.email);
  for (let k = 0; k < 2; k++) person(partner.LP, partnerDomain, ['programme_admin'], 'Programme Coordinator');
  for (let k = 0; k < 4; k++) person(partner.LP, partnerDomain, ['partner_staff'], 'Programme Officer');
  for (let k = 0; k < 2; k++) person(partner.MHCLG, partnerDomain, ['partner_staff'], 'Policy Adviser');
  const specialists = [specialist, ...Array.from({ length: 5 }, () => person(partner.LP, partnerDomain, ['specialist'], 'Commercial Specialist'))];
  person(partner.LGA, partnerDomain, ['funder'], 'Improvement Adviser');
  person(partner.MHCLG, partnerDomain, ['funder'], 'Analyst');

  const cutover = settingDefaults.managingPartnerCutover;
  const participationRows: Record<string, unknown>[] = [];
  const history: Record<string, unknown>[] = [];
  const assignments: { specialist: PersonSeed; councilId: string }[] = [];
  // The first onboardings come a couple of months after the November 2021 launch, so that no history
  // (interest is recorded about 60 days before onboarding) predates the programme.
  const programmeStart = Date.parse('2022-01-17T12:00:00Z');
  const span = Date.parse('2025-10-31T12:00:00Z') - programmeStart;
  let firstActive = true;

  for (const [index, { council, status }] of plan.entries()) {
    const domain = `${slug(council.name.replace(/ (council|borough|district|city|county|metropolitan)\b.*$/i, ''))}.example.gov.uk`;
    const pipelineOnly = ['interested', 'eligibility_review', 'declined'].includes(status);
    // The council's own domain, and for the council of the demo sign-ins, theirs too: every demo officer's address is on one.
    const emailDomains = status === 'active' && firstActive ? [domain, demoAccounts.sro.email.split('@')[1]] : [domain];
    // Earlier councils in the plan onboarded earlier, so roughly the first 40% fall before the cut-over.
    const onboardingDate = pipelineOnly ? null : isoDate(new Date(programmeStart + (span * index) / plan.length + rand.int(0, 20) * 86_400_000));
    const sro = person(council.id, domain, ['council_sro'], rand.pick(['Director of Finance', 'Head of Procurement', 'Assistant Director, Commercial']),
      status === 'active' && firstActive ? demoAccounts.sro.email : undefined);
    let leadId: string | undefined;
    if (!pipelineOnly) {
      const lead = person(council.id, domain, ['council_lead'], 'Commercial Lead', status === 'active' && firstActive ? demoAccounts.lead.email : undefined);
      leadId = lead.email;
      const learners = status === 'active' ? rand.int(6, 8) : rand.int(2, 4);
      for (let k = 0; k < learners; k++) {
        const demoLearner = status === 'active' && firstActive && k < 2;
        const fixed = demoLearner ? (k === 0 ? demoAccounts.learner.email : demoAccounts.accreditedLearner.email) : undefined;
        person(council.id, domain, ['learner'], rand.pick(officerTitles), fixed);
      }
      if (status === 'active') firstActive = false;
      assignments.push({ specialist: specialists[index % specialists.length], councilId: council.id });
    }
    const path = usualPathTo[status];
    let at = onboardingDate ? addDays(onboardingDate, -60) : isoDate(new Date(Date.parse('2025-06-01') + rand.int(0, 120) * 86_400_000));
    let from: ProgrammeStatus = 'not_engaged';
    for (const to of path) {
      history.push({
        councilId: council.id,
        from,
        to,
        at: `${at}T10:00:00Z`,
        reason: to === 'withdrawn' ? 'Capacity pressures in the commercial team' : to === 'declined' ? 'Not eligible: no contract-management lead in post' : null,
      });
      from = to;
      at = to === 'onboarding' && onboardingDate ? onboardingDate : addDays(at, rand.int(10, 30));
    }
    const managingPartnerId = onboardingDate
      ? partner[managingPartnerCodeFor(onboardingDate, cutover, settingDefaults.managingPartnerBefore, settingDefaults.managingPartnerAfter)]
      : null;
    participationRows.push({
      councilId: council.id,
      status,
      statusChangedAt: history[history.length - 1].at,
      onboardingDate,
      managingPartnerId,
      sroEmail: sro.email,
      leadEmail: leadId ?? null,
      emailDomains: emailDomains.join(','),
      agreementSignedDate: onboardingDate && status !== 'onboarding' ? addDays(onboardingDate, rand.int(5, 25)) : null,
      baselineBookedDate: onboardingDate && (status !== 'onboarding' || rand.next() < 0.5) ? addDays(onboardingDate, rand.int(20, 50)) : null,
    });
  }

  await db.transaction(async (tx) => {
    const col = <K extends keyof PersonSeed>(k: K) => people.map((p) => p[k]);
    await tx.execute(sql`
      insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      select n, e, o, j, string_to_array(r, ','), 'active', case when pw then ${passwordHash} end
      from unnest(${pgArray(col('name'))}::text[], ${pgArray(col('email'))}::text[], ${pgArray(col('organisationId'))}::uuid[], ${pgArray(col('jobTitle'))}::text[],
        ${pgArray(people.map((p) => p.roles.join(',')))}::text[], ${pgArray(col('password'))}::boolean[]) as t(n, e, o, j, r, pw)`);
    const pc = (k: string) => participationRows.map((r) => r[k] as string | null);
    await tx.execute(sql`
      update participations p set status = t.status, status_changed_at = t.changed::timestamptz, onboarding_date = t.onboarded::date,
        managing_partner_id = t.partner::uuid, agreement_signed_date = t.agreed::date, baseline_booked_date = t.baseline::date,
        sro_person_id = (select id from people where email = t.sro), lead_person_id = (select id from people where email = t.lead),
        email_domains = string_to_array(t.domains, ',')
      from unnest(${pgArray(pc('councilId'))}::uuid[], ${pgArray(pc('status'))}::text[], ${pgArray(pc('statusChangedAt'))}::text[], ${pgArray(pc('onboardingDate'))}::text[],
        ${pgArray(pc('managingPartnerId'))}::text[], ${pgArray(pc('agreementSignedDate'))}::text[], ${pgArray(pc('baselineBookedDate'))}::text[],
        ${pgArray(pc('sroEmail'))}::text[], ${pgArray(pc('leadEmail'))}::text[], ${pgArray(pc('emailDomains'))}::text[])
        as t(council, status, changed, onboarded, partner, agreed, baseline, sro, lead, domains)
      where p.council_id = t.council`);
    const hc = (k: string) => history.map((h) => h[k] as string | null);
    await tx.execute(sql`
      insert into participation_status_history (council_id, from_status, to_status, reason, changed_at)
      select * from unnest(${pgArray(hc('councilId'))}::uuid[], ${pgArray(hc('from'))}::text[], ${pgArray(hc('to'))}::text[], ${pgArray(hc('reason'))}::text[], ${pgArray(hc('at'))}::timestamptz[])`);
    await tx.execute(sql`
      insert into specialist_assignments (person_id, council_id)
      select p.id, t.council from unnest(${pgArray(assignments.map((a) => a.specialist.email))}::text[], ${pgArray(assignments.map((a) => a.councilId))}::uuid[]) as t(email, council)
      join people p on p.email = t.email`);
    const onboarded = new Map(participationRows.map((r) => [r.councilId as string, r.onboardingDate as string | null]));
    const learners: Learner[] = people
      .filter((p) => p.roles.includes('learner') && onboarded.get(p.organisationId))
      .map((p) => ({
        email: p.email,
        councilId: p.organisationId,
        onboardingDate: onboarded.get(p.organisationId)!,
        demo: p.email === demoAccounts.learner.email ? 'learning' : p.email === demoAccounts.accreditedLearner.email ? 'accredited' : false,
      }));
    const { enrolments } = await seedJourneys(tx, clock, prng(seed + 1), learners);
    const networkEvents = await seedNetworkEvents(tx, clock, prng(seed + 2));
    const maturity = await seedMaturity(tx, clock, prng(seed + 3), demoAccounts.sro.email);
    const discussions = await seedDiscussions(tx, clock, Object.values(demoAccounts).map((a) => a.email));
    const engagementCount = await seedEngagements(tx, clock, prng(seed + 3), demoAccounts.sro.email, demoAccounts.specialist.email);
    const contractCount = await seedContracts(tx, clock, prng(seed + 4), demoAccounts.sro.email);
    const improvementCount = await seedImprovements(tx, clock, prng(seed + 4), demoAccounts.sro.email, demoAccounts.specialist.email);
    await seedSurveys(tx, clock, prng(seed + 5));
    await seedFunding(tx, clock, prng(seed + 6));
    // After everything the indicators count, so the snapshots are worked out from the whole demo.
    await seedEvaluation(tx, clock);
    await recordAudit(tx, { actor: null, systemLabel: 'demo seed', clock }, {
      action: 'seed.demo',
      recordType: 'programme',
      recordId: 'demo',
      after: { seed, people: people.length, councils: plan.length, enrolments, networkEvents: networkEvents.events, maturityAssessments: maturity.assessments, discussions: discussions.threads, engagements: engagementCount.engagements, contracts: contractCount.contracts, improvements: improvementCount.improvements },
    });
  });
}
