/**
 * Demo improvements (issue 12, item 5): about 150 across the active councils, most with a financial value, in every
 * status — older ones mostly verified by the council's specialist, some queried with a note, recent ones waiting.
 * The council of the demo sign-ins has a few in each status, so the demo specialist has one to verify and the demo
 * SRO one to answer. Deterministic for a given seed and clock.
 */
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db, type DbOrTx } from '../client.ts';
import { detectFile } from '../../files/detect.ts';
import { newStorageKey, type FileStorage } from '../../files/storage.ts';
import { storeWhile } from '../../files/upload.ts';
import { simplePdf } from './simple-pdf.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import { evidenceFiles, improvementContracts, improvementLearners, improvements } from '../schema.ts';
import type { ImprovementStatus, ImprovementType } from '../../improvements/rules.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;
const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** What each type of improvement says, and the range of its value in pounds (none when it rarely has one). */
const kinds: Record<ImprovementType, { texts: readonly string[]; value: [number, number] | null; cashable: number }> = {
  contract_register: { texts: ['A single contract register now covers every contract over £25,000, with owners and end dates', 'The contract register is published quarterly and checked against payments'], value: null, cashable: 0 },
  management_plans: { texts: ['Every gold contract has a contract management plan agreed with the supplier', 'Silver contracts now have light-touch management plans reviewed each year'], value: null, cashable: 0 },
  kpis: { texts: ['KPIs introduced in the top ten contracts and reported to the board each quarter', 'Published KPIs for the waste collection contract, assessed every six months'], value: null, cashable: 0 },
  savings: { texts: ['Renegotiated the facilities management contract at renewal', 'Ended duplicate software licences found through the contract register', 'Consolidated agency staffing onto one framework'], value: [5_000, 400_000], cashable: 1 },
  cost_avoidance: { texts: ['Refused an unsupported price increase using the contract’s indexation clause', 'Avoided a re-procurement by extending on better terms'], value: [10_000, 900_000], cashable: 0 },
  risk_mitigated: { texts: ['Found and replaced a supplier at risk of failure before services were affected', 'Added step-in rights and exit plans to the home care contracts'], value: [20_000, 250_000], cashable: 0.2 },
  supplier_performance: { texts: ['Missed bin collections fell by half after monthly performance reviews', 'Repairs completed on time rose from 70% to 92% after a performance improvement plan'], value: [5_000, 120_000], cashable: 0.3 },
  other: { texts: ['Contract managers trained in change control and variations', 'A contract management community of practice meets monthly'], value: null, cashable: 0 },
};
const types = Object.keys(kinds) as ImprovementType[];
const queries = ['Please add the signed variation that shows the saving.', 'How was the baseline for this figure worked out?', 'Is this saving cashable? The budget has not changed.'];

export async function seedImprovements(tx: DbOrTx, clock: Clock, rand: Rand, demoSroEmail: string, demoSpecialistEmail: string) {
  const today = todayIso(clock);
  const councils = await queryRows<{ id: string; specialist: string | null; recorder: string | null; demo: boolean }>(
    tx,
    sql`select p.council_id as id,
          (select a.person_id from specialist_assignments a join people s on s.id = a.person_id
            where a.council_id = p.council_id order by (s.email = ${demoSpecialistEmail}) desc, a.person_id limit 1) as specialist,
          coalesce(p.sro_person_id, (select r.id from people r where r.organisation_id = p.council_id and r.roles && array['council_sro', 'council_lead'] order by r.email limit 1)) as recorder,
          exists (select 1 from people d where d.email = ${demoSroEmail} and d.organisation_id = p.council_id) as demo
        from participations p join organisations o on o.id = p.council_id
        where p.status = 'active' order by demo desc, o.code`,
  );
  const withSpecialist = councils.filter((c) => c.specialist);
  if (!withSpecialist.length) return { improvements: 0 };
  const learners = new Map<string, string[]>();
  for (const r of await queryRows<{ council: string; id: string }>(tx, sql`select organisation_id as council, id from people where 'learner' = any(roles) and status = 'active' order by email`)) {
    learners.set(r.council, [...(learners.get(r.council) ?? []), r.id]);
  }
  const target = 150;
  const seen = new Set<string>();
  const rows: (typeof improvements.$inferInsert)[] = [];
  const credits: { index: number; personIds: string[] }[] = [];
  for (let n = 0; rows.length < target && n < target * 3; n++) {
    // The demo council first, eight times (two of each status and then some); the rest in turn.
    const c = n < 8 ? withSpecialist[0] : withSpecialist[(n - 8) % withSpecialist.length];
    const type = c.demo && n < 8 ? (['savings', 'cost_avoidance', 'kpis', 'supplier_performance', 'contract_register', 'risk_mitigated', 'savings', 'management_plans'] as const)[n] : rand.pick(types);
    const kind = kinds[type];
    const description = rand.pick(kind.texts);
    const improvedOn = addDays(today, -(c.demo && n < 3 ? rand.int(3, 20) : rand.int(10, 540)));
    const key = `${c.id}|${type}|${improvedOn}|${description}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const valued = kind.value && rand.next() < 0.9;
    // Whole pounds mostly; some to the penny, as invoices are.
    const valuePence = valued ? rand.int(kind.value![0], kind.value![1]) * 100 + (rand.next() < 0.3 ? rand.int(1, 99) : 0) : null;
    const age = Date.parse(today) - Date.parse(improvedOn);
    const status: ImprovementStatus =
      c.demo && n < 8 ? (['submitted', 'submitted', 'queried', 'verified', 'verified', 'submitted', 'verified', 'queried'] as const)[n]
      : age < 30 * 86_400_000 ? 'submitted'
      : rand.next() < 0.75 ? 'verified'
      : rand.next() < 0.5 ? 'queried'
      : 'submitted';
    const reviewedOn = status === 'submitted' ? null : addDays(improvedOn, Math.min(rand.int(5, 25), Math.floor(age / 86_400_000)));
    rows.push({
      councilId: c.id,
      type,
      description,
      improvedOn,
      valuePence,
      cashable: valuePence === null ? null : rand.next() < kind.cashable,
      status,
      reviewNote: status === 'queried' ? rand.pick(queries) : null,
      reviewedById: status === 'submitted' ? null : c.specialist,
      reviewedAt: reviewedOn ? new Date(`${reviewedOn}T11:00:00Z`) : null,
      recordedById: c.recorder,
      createdAt: new Date(`${improvedOn}T09:00:00Z`),
      updatedAt: new Date(`${reviewedOn ?? improvedOn}T11:00:00Z`),
    });
    const own = learners.get(c.id) ?? [];
    if (own.length && rand.next() < 0.6) credits.push({ index: rows.length - 1, personIds: rand.shuffle(own).slice(0, rand.int(1, Math.min(3, own.length))) });
  }
  const inserted = await tx.insert(improvements).values(rows).returning({ id: improvements.id });
  const links = credits.flatMap((c) => c.personIds.map((personId) => ({ improvementId: inserted[c.index].id, personId })));
  if (links.length) await tx.insert(improvementLearners).values(links);
  await linkDemoContracts(tx, rows, inserted);
  return { improvements: inserted.length };
}

/**
 * Points some improvements at their council's key contracts (seeded before them): the demo council's by name, so its
 * contract pages show what improved them, and one in three of the contract-shaped improvements of the other councils
 * with contracts, at a contract chosen by position. Highways maintenance and Waste collection and recycling are left
 * free in the demo council (the tests link and try to delete them).
 */
async function linkDemoContracts(tx: DbOrTx, rows: readonly (typeof improvements.$inferInsert)[], inserted: readonly { id: string }[]) {
  const byCouncil = new Map<string, { id: string; name: string }[]>();
  for (const c of await queryRows<{ councilId: string; id: string; name: string }>(tx, sql`select council_id as "councilId", id, name from contracts order by council_id, name, id`)) {
    byCouncil.set(c.councilId, [...(byCouncil.get(c.councilId) ?? []), c]);
  }
  const demoContracts: Partial<Record<ImprovementType, readonly string[]>> = {
    savings: ['Facilities management'],
    kpis: ['IT service desk', 'Home care for adults'],
    supplier_performance: ['Home care for adults'],
    risk_mitigated: ['Home care for adults'],
    management_plans: ['IT service desk'],
  };
  const contractShaped = new Set<ImprovementType>(['savings', 'cost_avoidance', 'kpis', 'supplier_performance', 'risk_mitigated', 'management_plans']);
  const demoCouncil = rows[0]?.councilId;
  const values: { improvementId: string; contractId: string }[] = [];
  let nth = 0;
  rows.forEach((row, i) => {
    const contracts = byCouncil.get(row.councilId) ?? [];
    const type = row.type as ImprovementType;
    if (!contracts.length || !contractShaped.has(type)) return;
    const chosen =
      row.councilId === demoCouncil ? contracts.filter((c) => demoContracts[type]?.includes(c.name))
      : nth++ % 3 === 0 ? [contracts[i % contracts.length]]
      : [];
    for (const c of chosen) values.push({ improvementId: inserted[i].id, contractId: c.id });
  });
  if (values.length) await tx.insert(improvementContracts).values(values);
}

/** The demo's evidence files: small real files, as a council would upload them (a signed variation, figures by month). */
const demoEvidence: { type: ImprovementType; name: string; bytes: () => Buffer }[] = [
  {
    type: 'savings',
    name: 'Signed contract variation.pdf',
    bytes: () => simplePdf('Contract variation: facilities management', ['Variation 4, signed by both parties.', 'Annual charge reduced at renewal; service levels unchanged.']),
  },
  {
    type: 'supplier_performance',
    name: 'Performance by month.csv',
    bytes: () => Buffer.from('Month,Target met (%),Missed visits\r\n2026-05,71,48\r\n2026-06,78,35\r\n2026-07,85,22\r\n2026-08,90,14\r\n2026-09,92,11\r\n'),
  },
  {
    type: 'kpis',
    name: 'KPI report to the board.pdf',
    bytes: () => simplePdf('KPI report to the board', ['Quarter 2: every KPI reported, two below target with plans agreed.']),
  },
];

/**
 * Adds the demo's evidence files to a few of the demo council's improvements, through the storage interface. Like the
 * resource library's files, only when a storage is given (the server, the CLI; not the tests' shared snapshot).
 */
export async function seedDemoEvidenceFiles(db: Db, storage: FileStorage | null, demoSroEmail: string) {
  if (!storage) return { files: 0 };
  let files = 0;
  for (const e of demoEvidence) {
    const [target] = await queryRows<{ id: string; addedById: string | null; addedAt: Date }>(
      db,
      sql`select i.id, i.recorded_by_id as "addedById", i.created_at + interval '1 hour' as "addedAt" from improvements i
        where i.council_id = (select organisation_id from people where email = ${demoSroEmail}) and i.type = ${e.type}
        order by i.improved_on desc, i.description, i.id limit 1`,
    );
    if (!target) continue;
    const bytes = e.bytes();
    const detected = await detectFile(bytes, e.name);
    if (!detected.ok) throw new Error(`Demo evidence file ${e.name}: ${detected.message}`);
    const stored = { storageKey: newStorageKey(), fileName: e.name, contentType: detected.type.contentType, sizeBytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
    await storeWhile(storage, stored, bytes, () => db.insert(evidenceFiles).values({ improvementId: target.id, ...stored, addedById: target.addedById, addedAt: new Date(target.addedAt) }));
    files++;
  }
  return { files };
}
