/**
 * The set-based write path for many journey events at once (a training provider's results upload): the same
 * database state as applying the events one by one with applyEventInTx, in a handful of `unnest()` statements
 * instead of several queries per event.
 *
 * planEvents replays the events in order through the state machine from the locked enrolments (no I/O);
 * applyEventsInTx writes the plan: funded places (one conditional UPDATE per council × level × period, in one
 * statement), cohort seats freed, the enrolments' final rows, the history, accreditations, audit events and the
 * approval/decline emails. The per-event pieces (refusals, the outcome of a move, the email text) come from
 * service.ts, so both paths write the same rows.
 */
import { recordsChanged } from '../db/read-cache.ts';
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { CouncilScope } from '../auth/policy.ts';
import { jsonArray, pgArray, queryRows, type DbOrTx } from '../db/client.ts';
import { mapInSlices, nextTurn, orderedWrites, sliceRows, type OrderedWrites } from '../db/batches.ts';
import { mailPriority } from '../notifications/outbox.ts';
import { newPasswordLink } from '../auth/service.ts';
import { actorLabel, type AuditEntry, type RequestContext } from '../audit/record.ts';
import type { JourneyRules, Level, Move } from './journey.ts';
import type { JourneyEventInput } from './schemas.ts';
import type { EnrolmentRow } from './repository.ts';
import * as repo from './repository.ts';
import {
  decisionEmail,
  invitedAudit,
  moveOf,
  moveOutcome,
  nominatedEnrolment,
  nominationRecords,
  nominationRefusal,
  nominatorOf,
  noPlacesLeft,
  stepRefusal,
  type StepRefusal,
} from './service.ts';

/** An event the bulk path applies: no cohort placement (that stays with applyEventInTx, one at a time). */
export type BulkEvent = Omit<JourneyEventInput, 'cohortId' | 'version'>;

/** One event of the plan: the row it came from (for error reports), the event and the move the machine makes. */
export type PlannedMove = { row: number; event: BulkEvent; move: Move };

/** An enrolment the plan moves: its row as locked at the start of the transaction, and its moves in order. */
export type EnrolmentPlan = { enrolment: EnrolmentRow; moves: PlannedMove[] };

export type EventPlan = EnrolmentPlan[];

/** A row that cannot be applied, with the field (as in applyEventInTx's errors) and a message for the user. */
export type RowRefusal = StepRefusal & { row: number };

/** Raised by applyEventsInTx when rows cannot be applied (no place left, a certificate number taken); roll back. */
export class BulkRefusal extends Error {
  constructor(readonly refusals: RowRefusal[]) {
    super(`${refusals.length} row(s) refused`);
  }
}

/**
 * Replays events in order from the locked enrolments. A refused event leaves its enrolment where it was (as a
 * refused applyEventInTx would), so later events are checked against the same state. Every enrolment id must be
 * in `locked`.
 */
export async function planEvents(
  locked: ReadonlyMap<string, EnrolmentRow>,
  rows: readonly { row: number; enrolmentId: string; event: BulkEvent }[],
  rules: JourneyRules,
): Promise<{ plan: EventPlan; refusals: RowRefusal[] }> {
  const plans = new Map<string, EnrolmentPlan & { current: EnrolmentRow }>();
  const refusals: RowRefusal[] = [];
  for (const [index, r] of rows.entries()) {
    if (index && index % sliceRows === 0) await nextTurn(); // 20,000 rows take ~0.1 s: others' requests go between
    const start = locked.get(r.enrolmentId);
    if (!start) throw new Error(`Enrolment ${r.enrolmentId} is not locked`);
    const plan = plans.get(r.enrolmentId) ?? { enrolment: start, moves: [], current: start };
    const refused = stepRefusal(plan.current, r.event, rules);
    if (refused) {
      refusals.push({ ...refused, row: r.row });
      continue;
    }
    const move = moveOf(plan.current, r.event, rules);
    plan.moves.push({ row: r.row, event: r.event, move });
    plan.current = moveOutcome(plan.current, r.event, move, plan.current.cohortId, null, new Date(0)).next;
    plans.set(r.enrolmentId, plan);
  }
  return { plan: [...plans.values()].map(({ enrolment, moves }) => ({ enrolment, moves })), refusals };
}

type Step = { row: number; before: EnrolmentRow; event: BulkEvent; move: Move; outcome: ReturnType<typeof moveOutcome> };

/** The funded-place changes of one council × level × period, in row order: +1 take, -1 release. */
type PlaceChanges = { councilId: string; level: string; period: string; deltas: { row: number; delta: 1 | -1 }[] };

const col = <T>(rows: readonly T[], value: (r: T) => string | number | null | undefined) => pgArray(rows.map(value));

/**
 * Applies a plan inside the caller's transaction: the same rows as applyEventInTx once per move, in order.
 * Raises BulkRefusal naming the rows that cannot be applied (the first row of each council, level and period that
 * finds no place left; a certificate number already recorded); the caller rolls back.
 */
export async function applyEventsInTx(tx: DbOrTx, ctx: RequestContext, plan: EventPlan): Promise<{ enrolments: EnrolmentRow[]; events: number }> {
  const now = ctx.clock.now();
  const actorId = ctx.actor?.personId ?? null;
  const steps: Step[] = [];
  const finals: { row: EnrolmentRow; moves: number }[] = [];
  for (const p of plan) {
    let current = p.enrolment;
    for (const m of p.moves) {
      const outcome = moveOutcome(current, m.event, m.move, current.cohortId, actorId, now);
      steps.push({ row: m.row, before: current, event: m.event, move: m.move, outcome });
      current = outcome.next;
    }
    if (p.moves.length) finals.push({ row: current, moves: p.moves.length });
  }
  steps.sort((a, b) => a.row - b.row);
  if (!steps.length) return { enrolments: [], events: 0 };
  await nextTurn(); // as between the slices below: a 20,000-row file's steps take a while to work out

  const refusals = [...(await certificateRefusals(tx, steps)), ...(await changePlaces(tx, steps, now))];
  if (refusals.length) throw new BulkRefusal(refusals.sort((a, b) => a.row - b.row));

  const emails = await decisionEmails(tx, steps);
  const nowIso = now.toISOString();
  const writes = orderedWrites();
  const freed = new Map<string, number>();
  for (const s of steps) if (s.outcome.freedSeat) freed.set(s.outcome.freedSeat, (freed.get(s.outcome.freedSeat) ?? 0) + 1);
  if (freed.size) {
    const seats = [...freed];
    await writes.add(tx.execute(sql`
      update cohorts c set placed = greatest(c.placed - t.n, 0)
      from unnest(${col(seats, ([id]) => id)}::uuid[], ${col(seats, ([, n]) => n)}::int[]) as t(id, n)
      where c.id = t.id`));
  }

  const rows = finals.map((f) => f.row);
  await writes.slices(finals, (slice) => {
    const next = slice.map((f) => f.row);
    return tx.execute(sql`
    update enrolments e set status = t.status, resume_status = t.resume, attempts = t.attempts, place_state = t.place,
      registered_on = t.registered, approved_on = t.approved, cohort_id = t.cohort, last_event_on = t.last,
      version = e.version + t.moves, updated_at = ${nowIso}::timestamptz
    from unnest(${col(next, (r) => r.id)}::uuid[], ${col(next, (r) => r.status)}::text[], ${col(next, (r) => r.resumeStatus)}::text[],
      ${col(next, (r) => r.attempts)}::int[], ${col(next, (r) => r.placeState)}::text[], ${col(next, (r) => r.registeredOn)}::date[],
      ${col(next, (r) => r.approvedOn)}::date[], ${col(next, (r) => r.cohortId)}::uuid[], ${col(next, (r) => r.lastEventOn)}::date[],
      ${col(slice, (f) => f.moves)}::int[]) as t(id, status, resume, attempts, place, registered, approved, cohort, last, moves)
    where e.id = t.id`);
  });

  await insertHistory(writes, tx, steps.map((s) => s.outcome.history), nowIso);

  const accreditations = steps.flatMap((s) => (s.outcome.accreditation ? [s.outcome.accreditation] : []));
  await writes.slices(accreditations, (slice) =>
    tx.execute(sql`
      insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
      select * from unnest(${col(slice, (a) => a.personId)}::uuid[], ${col(slice, (a) => a.enrolmentId)}::uuid[],
        ${col(slice, (a) => a.level)}::text[], ${col(slice, (a) => a.awardedOn)}::date[], ${col(slice, (a) => a.certificateNumber)}::text[])`),
  );

  await insertAudits(writes, tx, ctx, steps.map((s) => s.outcome.audit), nowIso);
  await enqueueBulkEmails(writes, tx, emails);
  await writes.done();
  return { enrolments: rows, events: steps.length };
}

type HistoryRow = {
  enrolmentId: string;
  type: string;
  fromStatus: string | null;
  toStatus: string;
  occurredOn: string;
  reason: string | null;
  certificateNumber: string | null;
  cohortId: string | null;
  actorId: string | null;
};

/** History rows in order, in bulk inserts (recorded at the transaction's `now`, as the per-row path records them). */
async function insertHistory(writes: OrderedWrites, tx: DbOrTx, history: HistoryRow[], nowIso: string) {
  await writes.slices(history, (slice) =>
    tx.execute(sql`
    insert into enrolment_events (enrolment_id, type, from_status, to_status, occurred_on, reason, certificate_number, cohort_id, actor_id, recorded_at)
    select t.enrolment, t.type, t.from_status, t.to_status, t.occurred, t.reason, t.cert, t.cohort, t.actor, ${nowIso}::timestamptz
    from unnest(${col(slice, (h) => h.enrolmentId)}::uuid[], ${col(slice, (h) => h.type)}::text[], ${col(slice, (h) => h.fromStatus)}::text[],
      ${col(slice, (h) => h.toStatus)}::text[], ${col(slice, (h) => h.occurredOn)}::date[], ${col(slice, (h) => h.reason)}::text[],
      ${col(slice, (h) => h.certificateNumber)}::text[], ${col(slice, (h) => h.cohortId)}::uuid[], ${col(slice, (h) => h.actorId)}::uuid[])
      with ordinality as t(enrolment, type, from_status, to_status, occurred, reason, cert, cohort, actor, n)
    order by t.n`),
  );
}

/** Audit events in order, in bulk inserts: the rows recordAudit would write one by one (no before/after: SQL NULL). */
async function insertAudits(writes: OrderedWrites, tx: DbOrTx, ctx: RequestContext, audits: AuditEntry[], nowIso: string) {
  if (!audits.length) return;
  await writes.slices(audits, (slice) =>
    tx.execute(sql`
    insert into audit_events (occurred_at, actor_id, actor_label, action, record_type, record_id, before, after, request_id, ip)
    select ${nowIso}::timestamptz, ${ctx.actor?.personId ?? null}::uuid, ${actorLabel(ctx)}, t.action, t.record_type, t.record_id,
      nullif(t.before, 'null'::jsonb), nullif(t.after, 'null'::jsonb), ${ctx.requestId ?? null}::text, ${ctx.ip ?? null}::text
    from rows from (
      unnest(${col(slice, (a) => a.action)}::text[], ${col(slice, (a) => a.recordType)}::text[], ${col(slice, (a) => a.recordId)}::text[]),
      jsonb_array_elements(${jsonArray(slice.map((a) => a.before))}), jsonb_array_elements(${jsonArray(slice.map((a) => a.after))})
    ) with ordinality as t(action, record_type, record_id, before, after, n)
    order by t.n`),
  );
  recordsChanged();
}

/** Certificate numbers already recorded, or twice in the plan: refused as applyEventInTx refuses them. */
async function certificateRefusals(tx: DbOrTx, steps: Step[]): Promise<RowRefusal[]> {
  const passes = steps.filter((s) => s.outcome.accreditation);
  if (!passes.length) return [];
  const numbers = passes.map((s) => s.outcome.accreditation!.certificateNumber.toUpperCase());
  const taken = new Set(
    (await queryRows<{ n: string }>(tx, sql`select upper(certificate_number) as n from accreditations where upper(certificate_number) = any(${pgArray(numbers)}::text[])`)).map((r) => r.n),
  );
  const refusals: RowRefusal[] = [];
  for (const s of passes) {
    const n = s.outcome.accreditation!.certificateNumber;
    if (taken.has(n.toUpperCase())) {
      refusals.push({ row: s.row, kind: 'input', field: 'certificateNumber', message: `Certificate number ${n} is already recorded for another accreditation` });
    }
    taken.add(n.toUpperCase());
  }
  return refusals;
}

/**
 * Takes and releases the plan's funded places, one conditional UPDATE per council × level × period in a single
 * statement. Replaying the rows one by one, each take needs `taken < places` and each release `taken > 0`; so a
 * key's update is allowed when the highest running total after a take fits (`taken + peak <= places`) and the lowest
 * after a release is not negative. Returns the first row of each key that finds no place left.
 */
async function changePlaces(tx: DbOrTx, steps: Step[], now: Date): Promise<RowRefusal[]> {
  const byKey = new Map<string, PlaceChanges>();
  for (const s of steps) {
    if (s.move.place !== 'take' && s.move.place !== 'release') continue;
    const { councilId, level, period } = s.before;
    const k = `${councilId}|${level}|${period}`;
    const changes = byKey.get(k) ?? { councilId, level, period, deltas: [] };
    changes.deltas.push({ row: s.row, delta: s.move.place === 'take' ? 1 : -1 });
    byKey.set(k, changes);
  }
  if (!byKey.size) return [];
  const keys = [...byKey.values()].map((c) => {
    let sum = 0;
    let peak: number | null = null;
    let low = 0;
    for (const d of c.deltas) {
      sum += d.delta;
      if (d.delta === 1) peak = Math.max(peak ?? sum, sum);
      else low = Math.min(low, sum);
    }
    return { ...c, net: sum, released: c.deltas.filter((d) => d.delta === -1).length, peak, low };
  });
  const changed = await queryRows<{ councilId: string; level: string; period: string }>(
    tx,
    sql`update funded_places f set taken = f.taken + t.net, released = f.released + t.released, updated_at = ${now.toISOString()}::timestamptz
        from unnest(${col(keys, (k) => k.councilId)}::uuid[], ${col(keys, (k) => k.level)}::text[], ${col(keys, (k) => k.period)}::text[],
          ${col(keys, (k) => k.net)}::int[], ${col(keys, (k) => k.released)}::int[], ${col(keys, (k) => k.peak)}::int[], ${col(keys, (k) => k.low)}::int[])
          as t(council, level, period, net, released, peak, low)
        where f.council_id = t.council and f.level = t.level and f.period = t.period
          and (t.peak is null or f.taken + t.peak <= f.places) and f.taken + t.low >= 0
        returning f.council_id as "councilId", f.level, f.period`,
  );
  if (changed.length === keys.length) return [];
  const done = new Set(changed.map((c) => `${c.councilId}|${c.level}|${c.period}`));
  const refusals: RowRefusal[] = [];
  for (const k of keys.filter((k) => !done.has(`${k.councilId}|${k.level}|${k.period}`))) {
    // Unchanged by the failed update: the allocation as it was, to find the row that ran out.
    const [place] = await queryRows<{ taken: number; places: number }>(
      tx,
      sql`select taken, places from funded_places where council_id = ${k.councilId} and level = ${k.level} and period = ${k.period}`,
    );
    let taken = place?.taken ?? 0;
    let failed: number | null = null;
    for (const d of k.deltas) {
      if (d.delta === 1 && (!place || taken >= place.places)) {
        failed = d.row;
        break;
      }
      if (d.delta === -1 && (!place || taken <= 0)) throw new Error(`No taken place to release for ${k.councilId} ${k.level} ${k.period}`);
      taken += d.delta;
    }
    if (failed === null) throw new Error(`Funded places for ${k.councilId} ${k.level} ${k.period} changed unexpectedly`);
    const council = await repo.findCouncil(tx, { kind: 'all' }, k.councilId);
    refusals.push({ row: failed, kind: 'state', field: 'type', message: noPlacesLeft(council?.name, k.level, k.period) });
  }
  return refusals;
}

/** The approval and decline emails of the plan, in row order (read before the plan's writes: they change no one's name or email). */
async function decisionEmails(tx: DbOrTx, steps: Step[]) {
  const decisions = steps.filter((s) => s.event.type === 'approved' || s.event.type === 'declined');
  if (!decisions.length) return [];
  const personIds = [...new Set(decisions.map((s) => s.before.personId))];
  const people = new Map(
    (await queryRows<{ id: string; name: string; email: string }>(tx, sql`select id, name, email from people where id = any(${pgArray(personIds)}::uuid[])`)).map((p) => [p.id, p]),
  );
  return decisions.flatMap((s) => {
    const person = people.get(s.before.personId);
    const email = person && decisionEmail(person, s.before, s.event);
    return email ? [email] : [];
  });
}

/** Queues emails as bulk mail in bulk inserts, in order: the rows enqueueEmail(…, 'bulk') writes one by one. */
async function enqueueBulkEmails(writes: OrderedWrites, tx: DbOrTx, emails: readonly { to: string; template: string; subject: string; body: string }[]) {
  await writes.slices(emails, (slice) =>
    tx.execute(sql`
    insert into notifications (to_email, template, subject, body, priority)
    select t.to_email, t.template, t.subject, t.body, ${mailPriority.bulk}
    from unnest(${col(slice, (e) => e.to)}::text[], ${col(slice, (e) => e.template)}::text[], ${col(slice, (e) => e.subject)}::text[],
      ${col(slice, (e) => e.body)}::text[]) with ordinality as t(to_email, template, subject, body, n)
    order by t.n`),
  );
}

// ---------------------------------------------------------------------------------------------- nominations

/** One officer to nominate (a nominations upload's row): by email, a new person when the email is unknown. */
export type BulkNomination = { row: number; councilId: string; level: string; period: string; name: string; email: string; jobTitle: string | null };

/**
 * Nominates many officers inside the caller's transaction: what nominateInTx with `skipExisting` writes row by row.
 * New people are invited as inviteLearner invites one (the person, their invitation link and bulk email, the audit),
 * all of them in one statement each (inviteManyInTx); so are the learner role, enrolments, their history and audit.
 * A person who already has a live enrolment on the level is unchanged. Raises BulkRefusal naming every row that cannot be nominated.
 */
export async function nominateManyInTx(tx: DbOrTx, config: Config, ctx: RequestContext, scope: CouncilScope, rows: readonly BulkNomination[]) {
  const now = ctx.clock.now();
  const who = nominatorOf(ctx, false, true);
  const councils = new Map((await repo.findCouncils(tx, scope, [...new Set(rows.map((r) => r.councilId))])).map((c) => [c.id, c]));
  const emails = [...new Set(rows.map((r) => r.email.toLowerCase()))];
  const people = new Map(
    (
      await queryRows<{ id: string; name: string; email: string; organisationId: string; status: string }>(
        tx,
        sql`select id, name, email, organisation_id as "organisationId", status from people where lower(email) = any(${pgArray(emails)}::text[])`,
      )
    ).map((p) => [p.email.toLowerCase(), p]),
  );
  const refusals: RowRefusal[] = [];
  const known = new Set<string>();
  const accepted: (BulkNomination & { personId: string; personName: string })[] = [];
  const invited: NewLearner[] = [];
  for (const [index, r] of rows.entries()) {
    if (index && index % sliceRows === 0) await nextTurn();
    let person = people.get(r.email.toLowerCase()) ?? null;
    const refused = nominationRefusal(councils.get(r.councilId) ?? null, person, { email: r.email }, who);
    if (refused) {
      for (const [field, message] of Object.entries(refused)) refusals.push({ row: r.row, kind: 'input', field, message });
      continue;
    }
    if (!person) {
      // Its id is chosen here so that later rows with the same email (another level) nominate the same person.
      person = { id: crypto.randomUUID(), name: r.name, email: r.email, organisationId: r.councilId, status: 'invited' };
      people.set(r.email.toLowerCase(), person);
      invited.push({ ...person, jobTitle: r.jobTitle });
    } else {
      known.add(person.id);
    }
    accepted.push({ ...r, personId: person.id, personName: person.name });
  }
  if (refusals.length) throw new BulkRefusal(refusals);
  // Read before the writes below, which only add people and their links: the writes then go one after another.
  const live = new Set(
    (
      await queryRows<{ key: string }>(
        tx,
        sql`select person_id || '|' || level as key from enrolments
            where person_id = any(${pgArray(accepted.map((a) => a.personId))}::uuid[]) and status not in ('declined', 'withdrawn')`,
      )
    ).map((e) => e.key),
  );
  const writes = orderedWrites();
  await inviteManyInTx(writes, tx, config, ctx, invited);
  if (known.size) {
    await writes.add(tx.execute(sql`
      update people set roles = array_append(roles, 'learner'), version = version + 1, updated_at = ${now.toISOString()}::timestamptz
      where id = any(${pgArray([...known])}::uuid[]) and not ('learner' = any(roles))`));
  }
  const created = await mapInSlices(
    accepted.filter((a) => !live.has(`${a.personId}|${a.level}`)),
    (a) => {
      const nomination = { personId: a.personId, councilId: a.councilId, level: a.level as Level, period: a.period, roleDescription: null, contracts: null };
      const id = crypto.randomUUID();
      return { id, personName: a.personName, enrolment: nominatedEnrolment(nomination, ctx), ...nominationRecords(id, nomination, ctx, now) };
    },
  );
  if (created.length) {
    const e = created.map((c) => ({ id: c.id, personName: c.personName, ...c.enrolment }));
    // The person's name is passed, as the enrolments_fill_person_name trigger would copy it (migration 0011): reading
    // it there is one lookup of people per row.
    await writes.slices(e, (slice) =>
      tx.execute(sql`
      insert into enrolments (id, person_id, person_name, council_id, level, period, status, role_description, contracts, nominated_by_id, nominated_on, last_event_on)
      select * from unnest(${col(slice, (r) => r.id)}::uuid[], ${col(slice, (r) => r.personId)}::uuid[], ${col(slice, (r) => r.personName)}::text[],
        ${col(slice, (r) => r.councilId)}::uuid[], ${col(slice, (r) => r.level)}::text[],
        ${col(slice, (r) => r.period)}::text[], ${col(slice, (r) => r.status)}::text[], ${col(slice, (r) => r.roleDescription)}::text[], ${col(slice, (r) => r.contracts)}::text[],
        ${col(slice, (r) => r.nominatedById)}::uuid[], ${col(slice, (r) => r.nominatedOn)}::date[], ${col(slice, (r) => r.lastEventOn)}::date[])`),
    );
    await insertHistory(writes, tx, created.map((c) => c.history), now.toISOString());
    await insertAudits(writes, tx, ctx, created.map((c) => c.audit), now.toISOString());
  }
  await writes.done();
  return { created: created.length, unchanged: accepted.length - created.length, invited: invited.length };
}

type NewLearner = { id: string; name: string; email: string; organisationId: string; jobTitle: string | null };

/**
 * Invites new learners in the caller's transaction, in one statement per table queued on `writes`: the rows
 * inviteLearner writes for each (the person, their invitation link with a random token of its own and only its hash
 * stored, the invitation email queued as bulk mail, the audit), in the given order. The people are new, so no earlier
 * link is expired.
 */
async function inviteManyInTx(writes: OrderedWrites, tx: DbOrTx, config: Config, ctx: RequestContext, learners: readonly NewLearner[]) {
  if (!learners.length) return;
  const nowIso = ctx.clock.now().toISOString();
  await writes.slices(learners, (slice) =>
    tx.execute(sql`
    insert into people (id, name, email, organisation_id, job_title, roles, status)
    select t.id, t.name, t.email, t.organisation, t.job_title, '{learner}'::text[], 'invited'
    from unnest(${col(slice, (l) => l.id)}::uuid[], ${col(slice, (l) => l.name)}::text[], ${col(slice, (l) => l.email)}::text[],
      ${col(slice, (l) => l.organisationId)}::uuid[], ${col(slice, (l) => l.jobTitle)}::text[]) with ordinality as t(id, name, email, organisation, job_title, n)
    order by t.n`),
  );
  const links = await mapInSlices(learners, (l) => newPasswordLink(config, ctx, l, 'invite'));
  await writes.slices(links, (slice) =>
    tx.execute(sql`
    insert into one_time_tokens (person_id, purpose, token_hash, expires_at)
    select t.person, 'invite', t.hash, t.expires
    from unnest(${col(slice, (k) => k.row.personId)}::uuid[], ${col(slice, (k) => k.row.tokenHash)}::text[], ${col(slice, (k) => k.row.expiresAt.toISOString())}::timestamptz[])
      with ordinality as t(person, hash, expires, n)
    order by t.n`),
  );
  await enqueueBulkEmails(writes, tx, links.map((k) => k.email));
  await insertAudits(writes, tx, ctx, learners.map((l) => invitedAudit(l.id, l)), nowIso);
}
