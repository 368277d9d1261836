import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testNow, allowEmailDomain } from '../../test/helpers.ts';
import { pgArray, queryRows, type Database, type DbOrTx } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import type { RequestContext } from '../audit/record.ts';
import { journeyRules } from '../settings/service.ts';
import { ConflictError } from '../web/errors.ts';
import { addDays, apply, availableEvents, type EventType, type JourneyRules, type JourneyState } from './journey.ts';
import { applyEventInTx, nominateInTx } from './service.ts';
import { applyEventsInTx, BulkRefusal, nominateManyInTx, planEvents, type BulkEvent } from './bulk.ts';
import { testConfig } from '../../test/helpers.ts';
import type { EnrolmentRow } from './repository.ts';
import { lockEnrolments } from '../imports/repository.ts';
import { hashSecret } from '../auth/secrets.ts';
import { findUsableLink } from '../auth/service.ts';

/** Where an enrolment starts: a point of the journey, with its funded place and cohort seat as they would be. */
const starts: { state: JourneyState; cohort: boolean }[] = [
  { state: { status: 'nominated', resumeStatus: null, attempts: 0, placeState: 'none', registeredOn: null }, cohort: false },
  { state: { status: 'approved', resumeStatus: null, attempts: 0, placeState: 'taken', registeredOn: null }, cohort: true },
  { state: { status: 'registered', resumeStatus: null, attempts: 0, placeState: 'taken', registeredOn: '2026-01-05' }, cohort: true },
  { state: { status: 'in_learning', resumeStatus: null, attempts: 0, placeState: 'taken', registeredOn: '2026-01-05' }, cohort: false },
  { state: { status: 'assessment_booked', resumeStatus: null, attempts: 1, placeState: 'taken', registeredOn: '2026-01-05' }, cohort: true },
];
const firstDay = '2026-01-05';
const today = testNow.slice(0, 10);
const level = 'foundation';

type Scenario = {
  tag: string;
  period: string;
  spare: number;
  enrolments: { id: string; personId: string; start: number }[];
  cohortId: string;
  events: { row: number; enrolmentId: string; event: BulkEvent }[];
};

/** Legal event sequences over a few enrolments, in the order a file would list them (rows from 2, as in uploads). */
function scenario(rules: JourneyRules, period: string) {
  return fc
    .record({
      // Mostly nominations, so approvals compete for the few places and withdrawals give some back.
      starts: fc.array(fc.constantFrom(0, 0, 0, 1, 2, 3, 4), { minLength: 1, maxLength: 4 }),
      spare: fc.integer({ min: 0, max: 2 }),
      steps: fc.array(fc.record({ who: fc.nat(), pick: fc.nat(), gap: fc.constantFrom(0, 1, 20, 100) }), { maxLength: 14 }),
    })
    .map(({ starts: picks, spare, steps }): Scenario => {
      const tag = crypto.randomBytes(4).toString('hex');
      const enrolments = picks.map((start) => ({ id: crypto.randomUUID(), personId: crypto.randomUUID(), start }));
      const states = enrolments.map((e) => ({ state: starts[e.start].state, last: firstDay }));
      const events: Scenario['events'] = [];
      for (const s of steps) {
        const i = s.who % enrolments.length;
        const available = availableEvents(states[i].state, rules);
        if (!available.length) continue;
        const type: EventType = available[s.pick % available.length];
        const date = addDays(states[i].last, s.gap) > today ? today : addDays(states[i].last, s.gap);
        const event: BulkEvent = {
          type,
          date,
          reason: ['declined', 'deferred', 'withdrawn'].includes(type) ? `Reason ${events.length}` : null,
          certificateNumber: type === 'passed' ? `PROP-${tag}-${events.length}` : undefined,
        };
        states[i] = { state: apply(states[i].state, event, rules).next, last: date };
        events.push({ row: events.length + 2, enrolmentId: enrolments[i].id, event });
      }
      return { tag, period, spare, enrolments, cohortId: crypto.randomUUID(), events };
    });
}

/** Writes the scenario's people, enrolments, cohort and funded places (the same ids every time). */
async function setUp(tx: DbOrTx, councilId: string, s: Scenario) {
  const rows = s.enrolments.map((e, i) => ({ ...e, ...starts[e.start], email: `prop.${s.tag}.${i}@bulk-test.example.gov.uk` }));
  const col = <T,>(f: (r: (typeof rows)[number]) => T) => pgArray(rows.map(f) as (string | number | null)[]);
  await tx.execute(sql`insert into cohorts (id, level, name, start_date, end_date, capacity, placed)
    values (${s.cohortId}, ${level}, ${`Bulk property cohort ${s.tag}`}, ${firstDay}, ${firstDay}::date + 365, 20, ${rows.filter((r) => r.cohort).length})`);
  await tx.execute(sql`insert into funded_places (council_id, level, period, places, taken, updated_at)
    values (${councilId}, ${level}, ${s.period}, ${rows.filter((r) => r.state.placeState === 'taken').length + s.spare}, ${rows.filter((r) => r.state.placeState === 'taken').length}, ${firstDay}::timestamptz)`);
  await tx.execute(sql`insert into people (id, name, email, organisation_id, roles, status)
    select t.id, t.name, t.email, ${councilId}, '{learner}', 'active'
    from unnest(${col((r) => r.personId)}::uuid[], ${col((r) => `Prop Learner ${r.email.split('@')[0]}`)}::text[], ${col((r) => r.email)}::text[]) as t(id, name, email)`);
  await tx.execute(sql`insert into enrolments (id, person_id, council_id, level, period, status, attempts, place_state, cohort_id, nominated_on, approved_on, registered_on, last_event_on, updated_at)
    select t.id, t.person, ${councilId}, ${level}, ${s.period}, t.status, t.attempts, t.place, t.cohort, ${firstDay}::date, t.approved, t.registered, ${firstDay}::date, ${firstDay}::timestamptz
    from unnest(${col((r) => r.id)}::uuid[], ${col((r) => r.personId)}::uuid[], ${col((r) => r.state.status)}::text[], ${col((r) => r.state.attempts)}::int[],
      ${col((r) => r.state.placeState)}::text[], ${col((r) => (r.cohort ? s.cohortId : null))}::uuid[], ${col((r) => (r.state.placeState === 'taken' ? firstDay : null))}::date[],
      ${col((r) => r.state.registeredOn)}::date[]) as t(id, person, status, attempts, place, cohort, approved, registered)`);
}

const lockAll = async (tx: DbOrTx, ids: string[]): Promise<Map<string, EnrolmentRow>> => new Map((await lockEnrolments(tx, ids)).map((e) => [e.id, e]));

/** Everything the moves write, without generated ids: what both paths must agree on. */
async function snapshot(tx: DbOrTx, councilId: string, s: Scenario) {
  const ids = pgArray(s.enrolments.map((e) => e.id));
  const sorted = <T,>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    enrolments: await queryRows(tx, sql`select id, status, resume_status, attempts, place_state, registered_on::text, approved_on::text, cohort_id, last_event_on::text,
      version, updated_at from enrolments where id = any(${ids}::uuid[]) order by id`),
    events: sorted(
      await queryRows(tx, sql`select enrolment_id, type, from_status, to_status, occurred_on::text, reason, certificate_number, cohort_id, actor_id, recorded_at
        from enrolment_events where enrolment_id = any(${ids}::uuid[])`),
    ),
    accreditations: sorted(await queryRows(tx, sql`select person_id, enrolment_id, level, awarded_on::text, certificate_number from accreditations where enrolment_id = any(${ids}::uuid[])`)),
    places: await queryRows(tx, sql`select places, taken, released, updated_at from funded_places where council_id = ${councilId} and level = ${level} and period = ${s.period}`),
    cohort: await queryRows(tx, sql`select placed from cohorts where id = ${s.cohortId}`),
    audit: await queryRows(tx, sql`select occurred_at, actor_id, actor_label, action, record_type, record_id, before, after, request_id, ip
      from audit_events where record_id = any(${ids}::text[]) order by id`),
    emails: sorted(await queryRows(tx, sql`select to_email, template, subject, body, status from notifications where to_email like ${`prop.${s.tag}.%`}`)),
  };
}

/** Thrown to roll a transaction back once its result is read. */
class Rollback<T> {
  constructor(readonly value: T) {}
}

async function inRolledBack<T>(db: Database['db'], work: (tx: DbOrTx) => Promise<T>): Promise<T> {
  try {
    await db.transaction(async (tx) => {
      throw new Rollback(await work(tx));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.value as T;
    throw err;
  }
  throw new Error('unreachable');
}

describe.each(backends)('applyEventsInTx (%s)', (backend) => {
  let database: Database;
  let rules: JourneyRules;
  let councilId: string;
  let ctx: RequestContext;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await allowEmailDomain(database.db, 'bulk-test.example.gov.uk');
    rules = await journeyRules(database.db);
    [{ id: councilId }] = await queryRows<{ id: string }>(database.db, sql`select id from organisations where kind = 'council' order by gss_code limit 1`);
    const [admin] = await queryRows<{ id: string; name: string; email: string; organisationId: string }>(
      database.db,
      sql`select id, name, email, organisation_id as "organisationId" from people where email = ${demoAccounts.admin.email}`,
    );
    ctx = {
      actor: { personId: admin.id, name: admin.name, email: admin.email, organisationId: admin.organisationId, organisationKind: 'partner', roles: ['programme_admin'] },
      clock: fixedClock(testNow),
      requestId: 'bulk-test',
      ip: '192.0.2.1',
    };
  });
  afterAll(async () => database?.close());

  it('writes exactly what applying the events one by one writes (or refuses the same row)', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(rules, '2031-32'), async (s) => {
        const oneByOne = await inRolledBack(database.db, async (tx) => {
          await setUp(tx, councilId, s);
          const current = await lockAll(tx, s.enrolments.map((e) => e.id));
          for (const r of s.events) {
            try {
              current.set(r.enrolmentId, await applyEventInTx(tx, ctx, current.get(r.enrolmentId)!, r.event, rules));
            } catch (err) {
              if (err instanceof ConflictError) return { refused: { row: r.row, message: err.message } };
              throw err;
            }
          }
          return { written: await snapshot(tx, councilId, s) };
        });
        const inBulk = await inRolledBack(database.db, async (tx) => {
          await setUp(tx, councilId, s);
          const { plan, refusals } = await planEvents(await lockAll(tx, s.enrolments.map((e) => e.id)), s.events, rules);
          expect(refusals).toEqual([]);
          try {
            await applyEventsInTx(tx, ctx, plan);
          } catch (err) {
            if (err instanceof BulkRefusal) return { refused: { row: err.refusals[0].row, message: err.refusals[0].message } };
            throw err;
          }
          return { written: await snapshot(tx, councilId, s) };
        });
        expect(inBulk).toEqual(oneByOne);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a plan that needs more places than are left, naming the first row without one, and writes nothing', async () => {
    const s: Scenario = {
      tag: crypto.randomBytes(4).toString('hex'),
      period: '2032-33',
      spare: 1,
      cohortId: crypto.randomUUID(),
      enrolments: [0, 0, 0].map((start) => ({ id: crypto.randomUUID(), personId: crypto.randomUUID(), start })),
      events: [],
    };
    s.events = [
      { row: 2, enrolmentId: s.enrolments[0].id, event: { type: 'approved', date: today, reason: null } },
      { row: 3, enrolmentId: s.enrolments[0].id, event: { type: 'withdrawn', date: today, reason: 'Moved on' } },
      { row: 4, enrolmentId: s.enrolments[1].id, event: { type: 'approved', date: today, reason: null } },
      { row: 5, enrolmentId: s.enrolments[2].id, event: { type: 'approved', date: today, reason: null } },
    ];
    await database.db.transaction((tx) => setUp(tx, councilId, s));
    const before = await snapshot(database.db, councilId, s);
    const attempt = database.db.transaction(async (tx) => {
      const { plan } = await planEvents(await lockAll(tx, s.enrolments.map((e) => e.id)), s.events, rules);
      await applyEventsInTx(tx, ctx, plan);
    });
    const refused = await attempt.catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(BulkRefusal);
    const [council] = await queryRows<{ name: string }>(database.db, sql`select name from organisations where id = ${councilId}`);
    expect((refused as BulkRefusal).refusals).toEqual([
      { row: 5, kind: 'state', field: 'type', message: `${council.name} has no Foundation places left for 2032-33. Allocate more places, request them (Funded places, Request places), or decline the nomination.` },
    ]);
    expect(await snapshot(database.db, councilId, s)).toEqual(before);
    expect(before.places).toMatchObject([{ places: 1, taken: 0, released: 0 }]);
    expect(before.events).toEqual([]);
  });
  it('nominates in bulk as nominateInTx does row by row: people invited once, the learner role, enrolments, history, audit, emails', async () => {
    const [sro] = await queryRows<{ councilId: string }>(database.db, sql`select organisation_id as "councilId" from people where email = ${demoAccounts.sro.email}`);
    const [learner] = await queryRows<{ email: string; name: string }>(database.db, sql`select email, name from people where email = ${demoAccounts.learner.email}`);
    const tag = crypto.randomBytes(4).toString('hex');
    const rows = [
      { row: 2, name: 'Siân Bulk', email: `sian.${tag}@bulk-test.example.gov.uk`, level: 'foundation' },
      { row: 3, name: 'Siân Bulk', email: `SIAN.${tag}@bulk-test.example.gov.uk`, level: 'practitioner' },
      { row: 4, name: learner.name, email: learner.email, level: 'foundation' },
      { row: 5, name: learner.name, email: learner.email, level: 'expert' },
    ].map((r) => ({ ...r, councilId: sro.councilId, period: '2031-32', jobTitle: 'Buyer' }));
    const config = testConfig();
    const emails = pgArray(rows.map((r) => r.email.toLowerCase()));
    const written = async (tx: DbOrTx) => ({
      people: await queryRows(tx, sql`select name, lower(email) as email, roles, status, version from people where lower(email) = any(${emails}::text[]) order by 2`),
      enrolments: await queryRows(tx, sql`select lower(p.email) as email, e.level, e.period, e.status, e.nominated_on::text, e.last_event_on::text, e.nominated_by_id, e.version,
        (select json_agg(json_build_object('type', v.type, 'to', v.to_status, 'on', v.occurred_on, 'actor', v.actor_id)) from enrolment_events v where v.enrolment_id = e.id) as events
        from enrolments e join people p on p.id = e.person_id where lower(p.email) = any(${emails}::text[]) and e.period = '2031-32' order by 1, 2`),
      audit: (await queryRows<{ action: string; level: string | null }>(tx, sql`select action, after->>'level' as level from audit_events where request_id = 'bulk-test' and occurred_at = ${testNow}::timestamptz`))
        .map((a) => `${a.action} ${a.level ?? ''}`)
        .sort(),
      emails: await queryRows(tx, sql`select lower(to_email) as to, template, subject from notifications where lower(to_email) = any(${emails}::text[]) and status = 'pending' order by 1, 2`),
    });
    const oneByOne = await inRolledBack(database.db, async (tx) => {
      const counts = { created: 0, unchanged: 0, invited: 0 };
      for (const r of rows) {
        const data = { councilId: r.councilId, level: r.level as 'foundation', period: r.period, person: { name: r.name, email: r.email, jobTitle: r.jobTitle }, roleDescription: null, contracts: null };
        const result = await nominateInTx(tx, config, ctx, { kind: 'all' }, data, { skipExisting: true });
        counts[result.enrolment ? 'created' : 'unchanged']++;
        if (result.invited) counts.invited++;
      }
      return { counts, written: await written(tx) };
    });
    const inBulk = await inRolledBack(database.db, async (tx) => ({ counts: await nominateManyInTx(tx, config, ctx, { kind: 'all' }, rows), written: await written(tx) }));
    expect(inBulk).toEqual(oneByOne);
    expect(inBulk.counts).toEqual({ created: 4, unchanged: 0, invited: 1 });
  });

  it('invites 300 new people in bulk with every row nominateInTx writes one by one, each with a link of its own that works', async () => {
    const [sro] = await queryRows<{ councilId: string }>(database.db, sql`select organisation_id as "councilId" from people where email = ${demoAccounts.sro.email}`);
    const tag = crypto.randomBytes(4).toString('hex');
    // Names and job titles that need quoting in an array literal, and some without a job title.
    const rows = Array.from({ length: 300 }, (_, i) => ({
      row: i + 2,
      name: i % 7 === 0 ? `O'Brien, "Jo" {${i}} \\ Ní Bhriain` : `New Learner ${i}`,
      email: `new.${i}.${tag}@bulk-test.example.gov.uk`,
      level: i % 3 === 0 ? 'practitioner' : 'foundation',
      councilId: sro.councilId,
      period: '2031-32',
      jobTitle: i % 5 === 0 ? null : `Buyer, grade ${i}`,
    }));
    const config = testConfig();
    const like = `new.%.${tag}@bulk-test.example.gov.uk`;
    const tokenOf = (body: string) => decodeURIComponent(/\/set-password\/([^\s]+)/.exec(body)![1]);
    const written = async (tx: DbOrTx) => {
      const people = await queryRows<{ id: string; email: string }>(
        tx,
        sql`select id, name, email, organisation_id, job_title, roles, status, version, password_hash, failed_sign_ins, locked_until from people where email like ${like} order by email`,
      );
      const emailOf = new Map(people.map((p) => [p.id, p.email]));
      const ids = pgArray(people.map((p) => p.id));
      const tokens = await queryRows<{ person_id: string; purpose: string; token_hash: string; expires_at: Date; used_at: Date | null }>(
        tx,
        sql`select person_id, purpose, token_hash, expires_at, used_at from one_time_tokens where person_id = any(${ids}::uuid[])`,
      );
      const mail = await queryRows<{ to_email: string; body: string }>(
        tx,
        sql`select to_email, template, subject, body, status, priority, attempts from notifications where to_email like ${like} order by to_email`,
      );
      // Each email carries the token whose hash is stored for its person, and no other.
      const hashOf = new Map(tokens.map((t) => [emailOf.get(t.person_id), t.token_hash]));
      for (const m of mail) expect(hashSecret(tokenOf(m.body))).toBe(hashOf.get(m.to_email));
      const enrolmentIds = await queryRows<{ id: string; email: string }>(tx, sql`select e.id, p.email from enrolments e join people p on p.id = e.person_id where p.id = any(${ids}::uuid[])`);
      const named = new Map([...emailOf, ...enrolmentIds.map((e) => [e.id, e.email] as const)]);
      const audit = await queryRows<{ record_id: string; after: { personId?: string } }>(
        tx,
        sql`select occurred_at, actor_id, actor_label, action, record_type, record_id, before, after, request_id, ip from audit_events
            where record_id = any(${pgArray([...named.keys()])}::text[]) order by id`,
      );
      return {
        people: people.map(({ id: _, ...p }) => p),
        tokens: tokens.map(({ person_id, token_hash, ...t }) => ({ ...t, person: emailOf.get(person_id), hash: /^[0-9a-f]{64}$/.test(token_hash) })).sort((a, b) => a.person!.localeCompare(b.person!)),
        distinctHashes: new Set(tokens.map((t) => t.token_hash)).size,
        mail: mail.map((m) => ({ ...m, body: m.body.replace(/\/set-password\/[^\s]+/, '/set-password/TOKEN') })),
        enrolments: await queryRows(tx, sql`select p.email, e.council_id, e.level, e.period, e.status, e.role_description, e.contracts, e.nominated_by_id, e.nominated_on::text,
            e.last_event_on::text, e.version from enrolments e join people p on p.id = e.person_id where p.id = any(${ids}::uuid[]) order by 1, 3`),
        audit: audit
          .map((a) => ({ ...a, record_id: named.get(a.record_id), after: { ...a.after, ...(a.after.personId ? { personId: emailOf.get(a.after.personId) } : {}) } }))
          .map((a) => JSON.stringify(a)),
      };
    };
    const oneByOne = await inRolledBack(database.db, async (tx) => {
      for (const r of rows) {
        const data = { councilId: r.councilId, level: r.level as 'foundation', period: r.period, person: { name: r.name, email: r.email, jobTitle: r.jobTitle }, roleDescription: null, contracts: null };
        await nominateInTx(tx, config, ctx, { kind: 'all' }, data, { skipExisting: true });
      }
      return written(tx);
    });
    await database.db.transaction((tx) => nominateManyInTx(tx, config, ctx, { kind: 'all' }, rows));
    const inBulk = await written(database.db);
    expect(inBulk.people).toHaveLength(300);
    expect(inBulk.distinctHashes).toBe(300);
    expect(inBulk.audit).toHaveLength(600);
    // A single nomination's invitation is personal mail; an upload's are bulk, so personal mail is not held up behind them.
    const asBulk = oneByOne.mail.map((m) => ({ ...m, priority: 1 }));
    // One by one, each row's invitation and enrolment are audited together; the upload audits every invitation first.
    expect({ ...inBulk, audit: [...inBulk.audit].sort() }).toEqual({ ...oneByOne, mail: asBulk, audit: [...oneByOne.audit].sort() });
    expect(inBulk.audit.slice(0, 300).every((a) => a.includes('"person.invited"'))).toBe(true);

    // Every link opens its person's set-password form, once the upload has committed.
    const mail = await queryRows<{ to_email: string; body: string }>(database.db, sql`select to_email, body from notifications where to_email like ${like}`);
    for (const m of mail) expect(await findUsableLink(database.db, ctx, tokenOf(m.body))).toMatchObject({ email: m.to_email, purpose: 'invite', status: 'invited' });
  });
});
