/**
 * The results upload at national scale (`npm run bench:import`). For each backend — PGlite always, PostgreSQL too
 * when BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it generates the national data
 * (bench/generate.ts), writes a 20,000-row results file that moves learners along their journeys (several steps for
 * some learners, as a training provider's file does), and times:
 *   - the upload through the same service the page and the API use (parse, check every row, write all or nothing),
 *     with the process's peak memory while it runs;
 *   - the same file again (every row unchanged: the idempotent path);
 *   - a raw bulk insert of the same number of journey-event rows (one `insert … select from unnest`): the issue's
 *     floor ("within 3× of the raw insert") read as one row per file row;
 *   - a raw bulk insert of the rows the upload actually wrote (its journey events, the enrolments' new state,
 *     accreditations and audit events, read back and written again by plain statements): the floor read as "the
 *     same rows", so the ratio shows what checking every row costs over writing the result.
 * Then the nominations upload of `nominationRows` new people (each becomes a person, an enrolment with its first
 * history row, an invitation link and its email, and two audit events), timed the same way against its floor: a raw
 * bulk insert of the rows it wrote (read back, given fresh ids and email addresses, and written again by plain
 * statements, rolled back).
 * Not part of the test suite; figures go in docs/performance.md.
 *
 *   npm run bench:import
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:import
 *   BENCH_BACKEND=postgres BENCH_DATABASE_URL=… npm run bench:import       # PostgreSQL only
 *   BENCH_ONLY=nominations npm run bench:import                           # the nominations upload only
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.ts';
import { jsonArray, pgArray, queryRows, type Db } from '../src/db/client.ts';
import { runImport, type ImportProgress } from '../src/imports/service.ts';
import { fixedClock, todayIso } from '../src/clock.ts';
import { periodOf } from '../src/enrolments/journey.ts';
import type { Actor } from '../src/auth/policy.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';

export const resultRows = 20_000;
export const nominationRows = 20_000;

/** BENCH_ONLY=nominations skips the results upload (and its file): the nominations upload alone, on the same data. */
const onlyNominations = process.env.BENCH_ONLY === 'nominations';

/** The steps a results file records for an enrolment, by where it is now. */
const stepsFrom: Record<string, string[]> = {
  approved: ['registered', 'learning_started', 'assessment_booked', 'passed'],
  in_learning: ['assessment_booked', 'passed'],
  assessment_booked: ['passed'],
  not_passed: ['assessment_booked', 'not_passed'],
  deferred: ['resumed'],
  nominated: ['declined'],
};

/** A results CSV of `resultRows` rows for learners of the generated data, dated today. */
async function resultsFile(db: Db, today: string): Promise<Buffer> {
  const candidates = await queryRows<{ email: string; level: string; status: string }>(
    db,
    sql`select p.email, e.level, e.status from enrolments e join people p on p.id = e.person_id
        where e.status in ('approved', 'in_learning', 'assessment_booked', 'not_passed', 'deferred', 'nominated')
          and e.attempts < 2 and e.last_event_on <= ${today}::date
        order by e.id`,
  );
  const lines = ['email,level,event,date,certificate_number'];
  let certificate = 0;
  for (const c of candidates) {
    for (const event of stepsFrom[c.status]) {
      if (lines.length > resultRows) break;
      lines.push([c.email, c.level, event, today, event === 'passed' ? `BENCH-${String(++certificate).padStart(6, '0')}` : ''].join(','));
    }
    if (lines.length > resultRows) break;
  }
  if (lines.length <= resultRows) throw new Error(`Only ${lines.length - 1} result rows could be made from the generated data.`);
  return Buffer.from(lines.join('\r\n'));
}

/** Runs `work`, sampling the process's resident memory (PGlite's database lives in it too); returns the time and the peak. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - t0, peakMb: Math.max(peak, process.memoryUsage().rss) / 1_048_576 };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Another user's small read, due every 50 ms while `work` runs: the longest from when a read was due until it was
 * answered shows how long the upload kept others out. That includes the time the read could not even start because
 * the event loop was busy — on PGlite the database runs in this thread, so its statements block everything, and its
 * one connection is held by the write transaction — not only the time it queued for the database.
 */
async function othersWait<T>(db: Db, work: () => Promise<T>): Promise<{ result: T; longestMs: number }> {
  const everyMs = 50;
  let longest = 0;
  let running = true;
  const other = (async () => {
    while (running) {
      const due = performance.now() + everyMs;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      await queryRows(db, sql`select count(*) from organisations where kind = 'council'`);
      longest = Math.max(longest, performance.now() - due);
    }
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    // A read still queued behind the upload's last statement counts too: wait for it before reading the longest.
    running = false;
    await other;
  }
  return { result, longestMs: longest };
}

/** Runs `work` in a transaction that is rolled back, so the data stays as it was; returns how long the work took. */
async function rolledBackMs(db: Db, work: (tx: Db) => Promise<void>, untimedSetup?: (tx: Db) => Promise<void>): Promise<number> {
  let ms = 0;
  await db
    .transaction(async (tx) => {
      await untimedSetup?.(tx as unknown as Db);
      const t0 = performance.now();
      await work(tx as unknown as Db);
      ms = performance.now() - t0;
      throw new RolledBack();
    })
    .catch((err) => {
      if (!(err instanceof RolledBack)) throw err;
    });
  return ms;
}

/** The issue's floor: the same number of journey-event rows as the file has, in one bulk insert. */
async function rawInsertMs(db: Db, rows: number, today: string): Promise<number> {
  const ids = (await queryRows<{ id: string }>(db, sql`select id from enrolments order by id limit ${rows}`)).map((r) => r.id);
  const ids20k = Array.from({ length: rows }, (_, i) => ids[i % ids.length]);
  return rolledBackMs(db, async (tx) => {
    await tx.execute(sql`
      insert into enrolment_events (enrolment_id, type, from_status, to_status, occurred_on, recorded_at)
      select e, 'passed', 'assessment_booked', 'accredited', ${today}::date, now() from unnest(${pgArray(ids20k)}::uuid[]) as t(e)`);
  });
}

type Written = {
  events: Record<string, string | null>[];
  enrolments: Record<string, string | number | null>[];
  accreditations: Record<string, string>[];
  audits: { action: string; record_type: string; record_id: string; before: unknown; after: unknown }[];
};

/** What the upload wrote (everything recorded since it started), read back to be inserted again raw. */
async function writtenSince(db: Db, since: Date): Promise<Written> {
  const at = since.toISOString();
  return {
    events: await queryRows(db, sql`select enrolment_id, type, from_status, to_status, occurred_on::text, reason, certificate_number, cohort_id::text, actor_id::text
      from enrolment_events where recorded_at >= ${at}::timestamptz order by id`),
    enrolments: await queryRows(db, sql`select id, status, resume_status, attempts, place_state, registered_on::text, approved_on::text, cohort_id::text, last_event_on::text
      from enrolments where updated_at >= ${at}::timestamptz`),
    accreditations: await queryRows(db, sql`select person_id, enrolment_id, level, awarded_on::text, certificate_number from accreditations where certificate_number like 'BENCH-%'`),
    audits: await queryRows(db, sql`select action, record_type, record_id, before, after from audit_events where occurred_at >= ${at}::timestamptz and record_type = 'enrolment' order by id`),
  };
}

/**
 * The other floor: the rows the upload wrote — journey events, the enrolments' new state, accreditations and audit
 * events — written again by plain bulk statements with no reading, checking or replaying (rolled back; the upload's
 * accreditations are removed first, untimed, as they are unique per enrolment). The upload's cost over this is what
 * checking every row costs.
 */
async function rawSameWritesMs(db: Db, w: Written): Promise<number> {
  const a = <T>(rows: T[], f: (r: T) => unknown) => pgArray(rows.map((r) => f(r) as string | number | null));
  return rolledBackMs(db, async (tx) => {
    await tx.execute(sql`
      insert into enrolment_events (enrolment_id, type, from_status, to_status, occurred_on, reason, certificate_number, cohort_id, actor_id, recorded_at)
      select t.*, now() from unnest(${a(w.events, (e) => e.enrolment_id)}::uuid[], ${a(w.events, (e) => e.type)}::text[], ${a(w.events, (e) => e.from_status)}::text[],
        ${a(w.events, (e) => e.to_status)}::text[], ${a(w.events, (e) => e.occurred_on)}::date[], ${a(w.events, (e) => e.reason)}::text[],
        ${a(w.events, (e) => e.certificate_number)}::text[], ${a(w.events, (e) => e.cohort_id)}::uuid[], ${a(w.events, (e) => e.actor_id)}::uuid[]) as t`);
    await tx.execute(sql`
      update enrolments e set status = t.status, resume_status = t.resume, attempts = t.attempts, place_state = t.place, registered_on = t.registered,
        approved_on = t.approved, cohort_id = t.cohort, last_event_on = t.last, version = e.version + 1, updated_at = now()
      from unnest(${a(w.enrolments, (e) => e.id)}::uuid[], ${a(w.enrolments, (e) => e.status)}::text[], ${a(w.enrolments, (e) => e.resume_status)}::text[],
        ${a(w.enrolments, (e) => e.attempts)}::int[], ${a(w.enrolments, (e) => e.place_state)}::text[], ${a(w.enrolments, (e) => e.registered_on)}::date[],
        ${a(w.enrolments, (e) => e.approved_on)}::date[], ${a(w.enrolments, (e) => e.cohort_id)}::uuid[], ${a(w.enrolments, (e) => e.last_event_on)}::date[])
        as t(id, status, resume, attempts, place, registered, approved, cohort, last)
      where e.id = t.id`);
    await tx.execute(sql`
      insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
      select * from unnest(${a(w.accreditations, (r) => r.person_id)}::uuid[], ${a(w.accreditations, (r) => r.enrolment_id)}::uuid[], ${a(w.accreditations, (r) => r.level)}::text[],
        ${a(w.accreditations, (r) => r.awarded_on)}::date[], ${a(w.accreditations, (r) => r.certificate_number)}::text[])`);
    await tx.execute(sql`
      insert into audit_events (occurred_at, actor_label, action, record_type, record_id, before, after)
      select now(), 'bench', t.action, t.record_type, t.record_id, t.before, t.after
      from rows from (unnest(${a(w.audits, (r) => r.action)}::text[], ${a(w.audits, (r) => r.record_type)}::text[], ${a(w.audits, (r) => r.record_id)}::text[]),
        jsonb_array_elements(${jsonArray(w.audits.map((r) => r.before))}), jsonb_array_elements(${jsonArray(w.audits.map((r) => r.after))}))
        as t(action, record_type, record_id, before, after)`);
  }, async (tx) => {
    await tx.execute(sql`delete from accreditations where certificate_number like 'BENCH-%'`);
  });
}
/** A nominations CSV of `nominationRows` new officers for this period, spread over the councils that may nominate, on their email domains. */
async function nominationsFile(db: Db, period: string): Promise<Buffer> {
  const councils = await queryRows<{ code: string; domain: string }>(
    db,
    // A council without email domains yet takes any address from the programme team: a made-up domain of its own then.
    sql`select o.gss_code as code, coalesce(p.email_domains[1], lower(o.gss_code) || '.bench.example.gov.uk') as domain
        from organisations o join participations p on p.council_id = o.id
        where p.status in ('onboarding', 'active') order by o.gss_code`,
  );
  if (!councils.length) throw new Error('No council of the generated data may nominate.');
  const levels = ['foundation', 'practitioner', 'expert'];
  const lines = ['council_code,name,email,job_title,level,period'];
  for (let i = 0; i < nominationRows; i++) {
    const c = councils[i % councils.length];
    lines.push([c.code, `Bench Officer ${i}`, `bench.officer.${i}@${c.domain}`, 'Contract manager', levels[i % 3], period].join(','));
  }
  return Buffer.from(lines.join('\r\n'));
}

/**
 * The nominations upload's floor: the rows it wrote (people, enrolments, history, invitation links, emails, audit
 * events), read back and inserted again by plain bulk statements with fresh ids, email addresses and link hashes
 * (the originals are unique), in a transaction rolled back. Returns the time and how many rows that is.
 */
async function rawNominationWritesMs(db: Db, since: Date): Promise<{ ms: number; rows: number }> {
  const at = since.toISOString();
  const people = await queryRows<{ id: string; name: string; email: string; organisation_id: string; job_title: string | null }>(
    db,
    sql`select id, name, email, organisation_id, job_title from people where created_at >= ${at}::timestamptz`,
  );
  const ids = pgArray(people.map((p) => p.id));
  const enrolments = await queryRows<{ id: string; person_id: string; person_name: string; council_id: string; level: string; period: string; nominated_by_id: string; nominated_on: string }>(
    db,
    sql`select id, person_id, person_name, council_id, level, period, nominated_by_id, nominated_on::text from enrolments where person_id = any(${ids}::uuid[])`,
  );
  const tokens = await queryRows<{ person_id: string; token_hash: string; expires_at: string }>(
    db,
    sql`select person_id, token_hash, expires_at::text from one_time_tokens where person_id = any(${ids}::uuid[])`,
  );
  const mail = await queryRows<{ to_email: string; template: string; subject: string; body: string }>(
    db,
    sql`select to_email, template, subject, body from notifications where created_at >= ${at}::timestamptz and template = 'invite'`,
  );
  const audits = await queryRows<{ action: string; record_type: string; record_id: string; after: unknown }>(
    db,
    sql`select action, record_type, record_id, after from audit_events where occurred_at >= ${at}::timestamptz and action in ('person.invited', 'enrolment.nominated')`,
  );
  const fresh = new Map([...people.map((p) => p.id), ...enrolments.map((e) => e.id)].map((id) => [id, crypto.randomUUID()]));
  const a = <T>(rows: T[], f: (r: T) => unknown) => pgArray(rows.map((r) => f(r) as string | number | null));
  const ms = await rolledBackMs(db, async (tx) => {
    await tx.execute(sql`
      insert into people (id, name, email, organisation_id, job_title, roles, status)
      select t.*, '{learner}', 'invited' from unnest(${a(people, (p) => fresh.get(p.id))}::uuid[], ${a(people, (p) => p.name)}::text[],
        ${a(people, (p) => `raw.${p.email}`)}::text[], ${a(people, (p) => p.organisation_id)}::uuid[], ${a(people, (p) => p.job_title)}::text[]) as t`);
    await tx.execute(sql`
      insert into enrolments (id, person_id, person_name, council_id, level, period, status, nominated_by_id, nominated_on, last_event_on)
      select t.id, t.person, t.name, t.council, t.level, t.period, 'nominated', t.actor, t.day, t.day
      from unnest(${a(enrolments, (e) => fresh.get(e.id))}::uuid[], ${a(enrolments, (e) => fresh.get(e.person_id))}::uuid[], ${a(enrolments, (e) => e.person_name)}::text[],
        ${a(enrolments, (e) => e.council_id)}::uuid[], ${a(enrolments, (e) => e.level)}::text[], ${a(enrolments, (e) => e.period)}::text[],
        ${a(enrolments, (e) => e.nominated_by_id)}::uuid[], ${a(enrolments, (e) => e.nominated_on)}::date[]) as t(id, person, name, council, level, period, actor, day)`);
    await tx.execute(sql`
      insert into enrolment_events (enrolment_id, type, to_status, occurred_on, actor_id, recorded_at)
      select t.id, 'nominated', 'nominated', t.day, t.actor, now()
      from unnest(${a(enrolments, (e) => fresh.get(e.id))}::uuid[], ${a(enrolments, (e) => e.nominated_on)}::date[], ${a(enrolments, (e) => e.nominated_by_id)}::uuid[]) as t(id, day, actor)`);
    await tx.execute(sql`
      insert into one_time_tokens (person_id, purpose, token_hash, expires_at)
      select t.person, 'invite', t.hash, t.expires from unnest(${a(tokens, (k) => fresh.get(k.person_id))}::uuid[],
        ${a(tokens, (k) => [...k.token_hash].reverse().join(''))}::text[], ${a(tokens, (k) => k.expires_at)}::timestamptz[]) as t(person, hash, expires)`);
    await tx.execute(sql`
      insert into notifications (to_email, template, subject, body, priority)
      select t.*, 1 from unnest(${a(mail, (m) => `raw.${m.to_email}`)}::text[], ${a(mail, (m) => m.template)}::text[], ${a(mail, (m) => m.subject)}::text[],
        ${a(mail, (m) => m.body)}::text[]) as t`);
    await tx.execute(sql`
      insert into audit_events (occurred_at, actor_label, action, record_type, record_id, after)
      select now(), 'bench', t.action, t.record_type, t.record_id, t.after
      from rows from (unnest(${a(audits, (r) => r.action)}::text[], ${a(audits, (r) => r.record_type)}::text[], ${a(audits, (r) => fresh.get(r.record_id) ?? r.record_id)}::text[]),
        jsonb_array_elements(${jsonArray(audits.map((r) => r.after))})) as t(action, record_type, record_id, after)`);
  });
  return { ms, rows: people.length + 2 * enrolments.length + tokens.length + mail.length + audits.length };
}

/** Times the nominations upload of new people (and the same file again), and its floor. */
async function benchNominations(db: Db, config: Parameters<typeof runImport>[1], ctx: Parameters<typeof runImport>[2]) {
  const upload = { buffer: await nominationsFile(db, periodOf(todayIso(ctx.clock))), fileName: 'nominations.csv' };
  const started = new Date();
  let othersLongestMs = 0;
  const first = await measured(async () => {
    const { result, longestMs } = await othersWait(db, () => runImport(db, config, ctx, 'nominations', upload));
    othersLongestMs = longestMs;
    return result;
  });
  if (!first.result.ok || first.result.invited !== nominationRows) {
    throw new Error(`The nominations upload did not invite every row: ${JSON.stringify(first.result.ok ? first.result : (first.result.rowErrors?.slice(0, 3) ?? first.result.fileErrors))}`);
  }
  const again = await measured(() => runImport(db, config, ctx, 'nominations', upload));
  if (!again.result.ok || again.result.unchanged !== nominationRows) throw new Error('The second nominations upload was not a no-op.');
  const raw = await rawNominationWritesMs(db, started);
  return { first, again, raw, othersLongestMs };
}

class RolledBack extends Error {}

/**
 * The day the uploads are measured on. The generated journeys move on with the clock: generated as of late 2026, most
 * learners are accredited and too few are left for a 20,000-row results file. Generating and uploading as of one day
 * mid-programme makes the same file whatever day the bench runs.
 */
const clock = fixedClock('2025-06-02T10:00:00Z');

async function benchBackend(backend: Backend) {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const database = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  try {
    const generated = await generateNationalData(database.db, { clock });
    console.error(`[${backend.name}] ${generated.enrolments} enrolments, ${generated.events} journey events in ${(generated.ms / 1000).toFixed(1)} s`);
    const [admin] = await queryRows<{ id: string; name: string; organisation_id: string }>(
      database.db,
      sql`select id, name, organisation_id from people where email = ${benchAdmin.email}`,
    );
    const actor: Actor = { personId: admin.id, name: admin.name, email: benchAdmin.email, organisationId: admin.organisation_id, organisationKind: 'partner', roles: ['programme_admin'] };
    const config = loadConfig({ ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : { DATA_DIR: backend.dataDir! }), LOG_LEVEL: 'silent' });
    const ctx = { actor, clock };
    if (onlyNominations) {
      console.error(`[${backend.name}] uploading ${nominationRows} nominations of new people…`);
      return { backend: backend.name, results: null, nominations: await benchNominations(database.db, config, ctx) };
    }
    const today = todayIso(clock);
    const file = await resultsFile(database.db, today);
    const upload = { buffer: file, fileName: 'results.csv' };

    console.error(`[${backend.name}] uploading ${resultRows} result rows (${(file.length / 1024).toFixed(0)} KB)…`);
    // The upload's phases, timed from its progress reports: reading (the file and the lookups), checking, writing.
    const phases: Record<string, number> = {};
    let phase = { name: 'start', at: performance.now() };
    const progress = async (p: ImportProgress) => {
      if (p.phase === phase.name) return;
      phases[phase.name] = performance.now() - phase.at;
      phase = { name: p.phase, at: performance.now() };
    };
    const started = new Date();
    let othersLongestMs = 0;
    const first = await measured(async () => {
      const { result, longestMs } = await othersWait(database.db, () => runImport(database.db, config, ctx, 'results', upload, { progress }));
      othersLongestMs = longestMs;
      return result;
    });
    phases[phase.name] = performance.now() - phase.at;
    if (!first.result.ok) throw new Error(`The upload was refused: ${JSON.stringify(first.result.rowErrors?.slice(0, 3) ?? first.result.fileErrors)}`);
    console.error(`[${backend.name}] the same file again…`);
    const again = await measured(() => runImport(database.db, config, ctx, 'results', upload));
    if (!again.result.ok || again.result.unchanged !== resultRows) throw new Error('The second upload was not a no-op.');
    const raw = await rawInsertMs(database.db, resultRows, today);
    const written = await writtenSince(database.db, started);
    const rawSame = await rawSameWritesMs(database.db, written);
    const rowsWritten = written.events.length + written.enrolments.length + written.accreditations.length + written.audits.length;
    console.error(`[${backend.name}] uploading ${nominationRows} nominations of new people…`);
    const nominations = await benchNominations(database.db, config, ctx);
    return { backend: backend.name, results: { first, again, raw, rawSame, rowsWritten, phases, othersLongestMs }, nominations };
  } finally {
    await database.close();
    await backend.cleanup();
  }
}

async function main() {
  const makers: (() => Promise<Backend>)[] = [];
  if (process.env.BENCH_BACKEND !== 'postgres') makers.push(async () => pgliteBackend());
  if (process.env.BENCH_DATABASE_URL) makers.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));
  console.log(`\nPioneer results-upload benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${resultRows} rows\n`);
  if (!onlyNominations) {
    console.log('| backend | upload s | reading s | checking s | writing s | longest wait of another user’s read ms | peak process memory MB | same file again s | raw insert of 20,000 events s | upload ÷ that | raw insert of the rows it wrote s (rows) | upload ÷ that |');
    console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  }
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const results = [];
  for (const make of makers) {
    const { results: r, ...both } = await benchBackend(await make());
    results.push(both);
    if (!r) continue;
    console.log(
      `| ${both.backend} | ${s(r.first.ms)} | ${s(r.phases.reading)} | ${s(r.phases.checking)} | ${s(r.phases.writing)} | ${r.othersLongestMs.toFixed(0)} | ${r.first.peakMb.toFixed(0)} | ${s(r.again.ms)} | ` +
        `${s(r.raw)} | ${(r.first.ms / r.raw).toFixed(1)}× | ${s(r.rawSame)} (${r.rowsWritten.toLocaleString('en-GB')}) | ${(r.first.ms / r.rawSame).toFixed(1)}× |`,
    );
  }
  console.log(`\nNominations upload of ${nominationRows} new people (target: under 2.2 s on PostgreSQL, 4 s on PGlite, within 3× of the raw insert)\n`);
  console.log('| backend | upload s | rows a second | longest wait of another user’s read ms | peak process memory MB | same file again s | raw insert of the rows it wrote s (rows) | upload ÷ that |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const { backend, nominations: n } of results) {
    console.log(
      `| ${backend} | ${s(n.first.ms)} | ${Math.round(nominationRows / (n.first.ms / 1000)).toLocaleString('en-GB')} | ${n.othersLongestMs.toFixed(0)} | ${n.first.peakMb.toFixed(0)} | ` +
        `${s(n.again.ms)} | ${s(n.raw.ms)} (${n.raw.rows.toLocaleString('en-GB')}) | ${(n.first.ms / n.raw.ms).toFixed(1)}× |`,
    );
  }
}

await main();
