/**
 * Demo transformation engagements (issue 12): most active councils have one, led by the specialist assigned to
 * them, with time logged, milestones and an action plan whose actions are in every status (some overdue). The
 * council of the demo sign-ins has an active one led by the demo specialist, its plan not yet signed off, so the
 * demo can log time, add actions and sign off. Deterministic for a given seed and clock.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../client.ts';
import type { Clock } from '../../clock.ts';
import { todayIso } from '../../clock.ts';
import { engagementActionNotes, engagementActions, engagementMilestones, engagements, engagementTimeEntries } from '../schema.ts';
import { activityTypes, minutesPerDay, type ActionStatus, type EngagementStatus, type Rag } from '../../engagements/rules.ts';
import type { prng } from './demo.ts';

type Rand = ReturnType<typeof prng>;
const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

const actionTitles = [
  ['Create a single contract register', 'administration'],
  ['Adopt contract management plans for gold contracts', 'planning-and-governance'],
  ['Introduce KPIs in the top ten contracts', 'managing-performance'],
  ['Run quarterly reviews with strategic suppliers', 'supplier-relationship-management'],
  ['Set up a contract risk register', 'risk'],
  ['Train contract managers in change control', 'contract-development'],
  ['Agree payment mechanisms linked to performance', 'payment-and-incentives'],
  ['Map the local market for adult social care', 'market-management'],
  ['Name a contract manager for every gold contract', 'people'],
] as const;
const milestoneTitles = ['Diagnostic complete', 'Action plan agreed', 'Mid-point review', 'Contract register live', 'Closing review'];

export async function seedEngagements(tx: DbOrTx, clock: Clock, rand: Rand, demoSroEmail: string, demoSpecialistEmail: string) {
  const today = todayIso(clock);
  const councils = await queryRows<{ id: string; name: string; specialist: string; sro: string | null; demo: boolean }>(
    tx,
    sql`select p.council_id as id, o.name,
          (select a.person_id from specialist_assignments a join people s on s.id = a.person_id
            where a.council_id = p.council_id order by (s.email = ${demoSpecialistEmail}) desc, a.person_id limit 1) as specialist,
          p.sro_person_id as sro,
          exists (select 1 from people d where d.email = ${demoSroEmail} and d.organisation_id = p.council_id) as demo
        from participations p join organisations o on o.id = p.council_id
        where p.status = 'active' order by demo desc, o.code`,
  );
  let count = 0;
  for (const [index, c] of councils.entries()) {
    if (!c.specialist || (!c.demo && rand.next() < 0.25)) continue;
    const owners = (await queryRows<{ id: string }>(tx, sql`select id from people where organisation_id = ${c.id} and status = 'active' order by email`)).map((r) => r.id);
    // The demo council: active, started four months ago, plan not signed off. The others: a spread of statuses.
    const kind: EngagementStatus = c.demo ? 'active' : (['active', 'active', 'active', 'closing', 'closed', 'planned', 'paused'] as const)[index % 7];
    const startDate = kind === 'planned' ? addDays(today, rand.int(10, 60)) : kind === 'closed' ? addDays(today, -rand.int(400, 500)) : addDays(today, -rand.int(90, 240));
    const endDate = kind === 'closed' ? addDays(startDate, rand.int(300, 360)) : kind === 'closing' ? addDays(today, rand.int(5, 30)) : addDays(startDate, rand.int(300, 420));
    const plannedDays = rand.int(12, 30);
    const [{ id }] = await tx
      .insert(engagements)
      .values({
        councilId: c.id,
        title: `Contract management transformation with ${c.name}`,
        leadSpecialistId: c.specialist,
        scope: 'Contract management across the council’s gold and silver contracts: the register, plans, KPIs and supplier reviews.',
        objectives: 'A complete contract register, a plan for every gold contract, KPIs reported quarterly, and named contract managers.',
        startDate,
        endDate,
        plannedMinutes: plannedDays * minutesPerDay,
        status: kind,
        planSignedOffAt: !c.demo && kind !== 'planned' && c.sro ? new Date(`${addDays(startDate, 30)}T10:00:00Z`) : null,
        planSignedOffById: !c.demo && kind !== 'planned' ? c.sro : null,
        completionSignedOffAt: kind === 'closed' && c.sro ? new Date(`${addDays(endDate, -5)}T10:00:00Z`) : null,
        completionSignedOffById: kind === 'closed' ? c.sro : null,
        createdAt: new Date(`${addDays(startDate, -14)}T10:00:00Z`),
      })
      .returning({ id: engagements.id });
    count++;
    if (kind === 'planned') continue;
    // Time: about a day a fortnight up to today (or the end), some near or over the plan.
    const last = endDate < today ? endDate : today;
    const entries: (typeof engagementTimeEntries.$inferInsert)[] = [];
    for (let d = addDays(startDate, rand.int(0, 6)); d <= last; d = addDays(d, rand.int(7, 16))) {
      const hours = rand.next() < 0.4;
      entries.push({
        engagementId: id,
        personId: c.specialist,
        workDate: d,
        minutes: hours ? rand.int(2, 7) * 60 : rand.pick([225, 450]),
        unit: hours ? 'hours' : 'days',
        activity: rand.pick(activityTypes),
        note: rand.next() < 0.5 ? 'Worked with the commercial team on the register and plans.' : null,
        createdAt: new Date(`${d}T17:00:00Z`),
      });
    }
    if (entries.length) await tx.insert(engagementTimeEntries).values(entries);
    await tx.insert(engagementMilestones).values(
      milestoneTitles.slice(0, rand.int(3, 5)).map((title, k) => {
        const dueDate = addDays(startDate, 30 + k * 60);
        return { engagementId: id, title, dueDate, doneOn: dueDate < today && (kind === 'closed' || rand.next() < 0.7) ? addDays(dueDate, -rand.int(0, 5)) : null };
      }),
    );
    const actions = rand.shuffle(actionTitles).slice(0, rand.int(4, 7));
    const rows = actions.map(([title, area], k) => {
      const dueDate = addDays(startDate, 45 + k * 40);
      const status: ActionStatus = kind === 'closed' ? 'done' : dueDate < addDays(today, -60) ? rand.pick(['done', 'done', 'in_progress', 'blocked']) : rand.pick(['not_started', 'in_progress', 'in_progress', 'done', 'blocked']);
      const rag: Rag = status === 'blocked' ? 'red' : status === 'done' ? 'green' : dueDate < today ? 'amber' : rand.pick(['green', 'green', 'amber']);
      return { engagementId: id, title, maturityAreaKey: area, ownerId: owners[k % owners.length], dueDate, status, rag, createdAt: new Date(`${addDays(startDate, 20)}T10:00:00Z`) };
    });
    const inserted = await tx.insert(engagementActions).values(rows).returning({ id: engagementActions.id, status: engagementActions.status });
    const notes = inserted
      .filter((a) => a.status !== 'not_started')
      .map((a) => ({ actionId: a.id, authorId: c.specialist, text: a.status === 'blocked' ? 'Waiting for the supplier to share its data.' : 'Good progress at the last review.', writtenAt: new Date(`${addDays(startDate, 60)}T10:00:00Z`) }));
    if (notes.length) await tx.insert(engagementActionNotes).values(notes);
  }
  return { engagements: count };
}
