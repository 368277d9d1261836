/**
 * The results upload at national scale (`npm run bench:import`). For each backend — PGlite always, PostgreSQL too
 * when BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it generates the national data
 * (bench/generate.ts), writes a 20,000-row results file that moves learners along their journeys (several steps for
 * some learners, as a training provider's file does), and times:
 *   - the upload through the same service the page and the API use (parse, check every row, write all or nothing),
 *     with the process's peak memory while it runs;
 *   - the same file again (every row unchanged: the idempotent path);
 *   - a raw bulk insert of the same number of journey-event rows (one `insert … select from unnest`), the floor
 *     the issue compares against ("within 3× of the raw insert").
 * Not part of the test suite; figures go in docs/performance.md.
 *
 *   npm run bench:import
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:import
 */
import os from 'node:os';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.ts';
import { pgArray, queryRows, type Db } from '../src/db/client.ts';
import { runImport } from '../src/imports/service.ts';
import { todayIso, systemClock } from '../src/clock.ts';
import type { Actor } from '../src/auth/policy.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';

export const resultRows = 20_000;

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

/** The floor: the same number of journey-event rows in one bulk insert (rolled back, so the data stays as it was). */
async function rawInsertMs(db: Db, rows: number, today: string): Promise<number> {
  const ids = (await queryRows<{ id: string }>(db, sql`select id from enrolments order by id limit ${rows}`)).map((r) => r.id);
  const ids20k = Array.from({ length: rows }, (_, i) => ids[i % ids.length]);
  const t0 = performance.now();
  await db
    .transaction(async (tx) => {
      await tx.execute(sql`
        insert into enrolment_events (enrolment_id, type, from_status, to_status, occurred_on, recorded_at)
        select e, 'passed', 'assessment_booked', 'accredited', ${today}::date, now() from unnest(${pgArray(ids20k)}::uuid[]) as t(e)`);
      throw new RolledBack();
    })
    .catch((err) => {
      if (!(err instanceof RolledBack)) throw err;
    });
  return performance.now() - t0;
}
class RolledBack extends Error {}

async function benchBackend(backend: Backend) {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const database = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  try {
    const generated = await generateNationalData(database.db);
    console.error(`[${backend.name}] ${generated.enrolments} enrolments, ${generated.events} journey events in ${(generated.ms / 1000).toFixed(1)} s`);
    const today = todayIso(systemClock);
    const file = await resultsFile(database.db, today);
    const [admin] = await queryRows<{ id: string; name: string; organisation_id: string }>(
      database.db,
      sql`select id, name, organisation_id from people where email = ${benchAdmin.email}`,
    );
    const actor: Actor = { personId: admin.id, name: admin.name, email: benchAdmin.email, organisationId: admin.organisation_id, organisationKind: 'partner', roles: ['programme_admin'] };
    const config = loadConfig({ ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : { DATA_DIR: backend.dataDir! }), LOG_LEVEL: 'silent' });
    const ctx = { actor, clock: systemClock };
    const upload = { buffer: file, fileName: 'results.csv' };

    console.error(`[${backend.name}] uploading ${resultRows} result rows (${(file.length / 1024).toFixed(0)} KB)…`);
    const first = await measured(() => runImport(database.db, config, ctx, 'results', upload));
    if (!first.result.ok) throw new Error(`The upload was refused: ${JSON.stringify(first.result.rowErrors?.slice(0, 3) ?? first.result.fileErrors)}`);
    console.error(`[${backend.name}] the same file again…`);
    const again = await measured(() => runImport(database.db, config, ctx, 'results', upload));
    if (!again.result.ok || again.result.unchanged !== resultRows) throw new Error('The second upload was not a no-op.');
    const raw = await rawInsertMs(database.db, resultRows, today);
    return { backend: backend.name, first, again, raw, created: first.result.created };
  } finally {
    await database.close();
    await backend.cleanup();
  }
}

async function main() {
  const makers: (() => Promise<Backend>)[] = [async () => pgliteBackend()];
  if (process.env.BENCH_DATABASE_URL) makers.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));
  console.log(`\nPioneer results-upload benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${resultRows} rows\n`);
  console.log('| backend | upload s | peak process memory MB | same file again s | raw bulk insert s | upload ÷ raw |');
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const make of makers) {
    const r = await benchBackend(await make());
    const s = (ms: number) => (ms / 1000).toFixed(2);
    console.log(`| ${r.backend} | ${s(r.first.ms)} | ${r.first.peakMb.toFixed(0)} | ${s(r.again.ms)} | ${s(r.raw)} | ${(r.first.ms / r.raw).toFixed(1)}× |`);
  }
}

await main();
