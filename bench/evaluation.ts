/**
 * Indicator recomputation and the quarterly report at national scale (issue 13's performance targets,
 * `npm run bench:evaluation`). For each backend — PGlite always (unless BENCH_BACKEND=postgres), PostgreSQL too when
 * BENCH_DATABASE_URL is set (in a fresh database it creates beside that one and drops) — it generates the national
 * data (bench/generate.ts: 317 councils, 20,000 learners, ~214,000 journey events, 2,000 network events with 40,000
 * registrations, every council's baseline and three follow-ups, 20,000 improvements), then, in this process, with the
 * injected clock fixed at noon of the day the data was generated (BENCH_AS_OF=yyyy-mm-dd to choose another), times
 * each step `runs` times:
 *   (a) every indicator of the catalogue as at that day, for an admin: `currentIndicators`, what the evaluation page
 *       and the API call, with the read cache emptied first (recordsChanged), so every run reads the records;
 *   (b) this month's snapshot: `snapshotCommand` (what `pioneer evaluation snapshot` and the periodic job run), with
 *       the month's snapshot rows deleted first so each run works out and writes every indicator and its council
 *       parts; the largest managing partner's 12-month trend of every indicator (what a CSF's page reads for them);
 *       and, as the demo seed does, twelve months of snapshots (`backfillSnapshots`, rolled back);
 *   (c) the quarterly report for the last complete quarter: its figures (`buildReport`), its XLSX, its PDF, and the
 *       admin's "generate" action end to end (`generateReport`: figures, both files and the archive with its audit
 *       event, one transaction).
 * The steps run in a child process that only opens the generated database (as the CLI or the app would), so its memory
 * is theirs and not the generator's. It prints each step's median and max seconds, the child's RSS before the step and
 * how far its peak rose during it (VmHWM, reset before each step; PGlite's database runs in that process, so its
 * memory is counted too), and the targets missed (recompute under 2 s on PostgreSQL; the report under 5 s on both).
 * Not part of the test suite; figures go in docs/performance.md.
 *
 *   npm run bench:evaluation                                                                # PGlite
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:evaluation  # PGlite, then PostgreSQL
 *   BENCH_BACKEND=postgres BENCH_DATABASE_URL=… npm run bench:evaluation                    # PostgreSQL only
 */
import os from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Db } from '../src/db/client.ts';
import { recordsChanged } from '../src/db/read-cache.ts';
import { fixedClock, systemClock, todayIso } from '../src/clock.ts';
import type { Actor, Role } from '../src/auth/policy.ts';
import type { RequestContext } from '../src/audit/record.ts';
import { currentIndicators } from '../src/evaluation/service.ts';
import { backfillSnapshots, indicatorTrend, monthOf } from '../src/evaluation/snapshots.ts';
import { snapshotCommand } from '../src/evaluation/cli.ts';
import { indicatorKeys, indicators } from '../src/evaluation/catalogue.ts';
import { buildReport, chooseQuarter, generateReport } from '../src/reports/service.ts';
import { reportPdf, reportXlsx } from '../src/reports/render.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';
import { procMb, resetPeak } from './server.ts';

/** How many times each step runs. */
const runs = 3;
/** Issue 13: every indicator recomputed in under 2 s on PostgreSQL; the quarterly report (XLSX and PDF) in under 5 s. */
const recomputeTargetSeconds = 2;
const reportTargetSeconds = 5;

type Row = { backend: string; step: string; seconds: number[]; rssMb: number; peakMb: number; target: number | null; note?: string };

/** What the child process is told: which database to open and the day to fix the clock at. */
type Job = { backend: Backend['name']; databaseUrl?: string; dataDir: string | null; asOf: string };
const jobVariable = 'BENCH_EVALUATION_JOB';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `step` `runs` times (after `before`, untimed, each time), with the process's RSS before and its peak's rise. */
async function timed(name: string, step: () => Promise<unknown>, before: () => Promise<unknown> = async () => {}) {
  const seconds: number[] = [];
  const rssMb = procMb(process.pid, 'VmRSS');
  resetPeak(process.pid);
  for (let k = 0; k < runs; k++) {
    await before();
    const started = performance.now();
    await step();
    seconds.push((performance.now() - started) / 1000);
  }
  console.error(`  ${name}: ${seconds.map((s) => s.toFixed(2)).join(', ')} s`);
  return { step: name, seconds, rssMb, peakMb: procMb(process.pid, 'VmHWM') - rssMb };
}

/** The generated admin, as the services see a signed-in person. */
async function adminActor(db: Db): Promise<Actor> {
  const [p] = await queryRows<{ id: string; name: string; email: string; organisationId: string; roles: Role[] }>(
    db,
    sql`select id, name, email, organisation_id as "organisationId", roles from people where email = ${benchAdmin.email}`,
  );
  return { personId: p.id, name: p.name, email: p.email, organisationId: p.organisationId, organisationKind: 'partner', roles: p.roles };
}

/** What the data holds that the indicators and the report read: the scale, checked rather than assumed. */
async function dataScale(db: Db) {
  const [r] = await queryRows<Record<string, number>>(
    db,
    sql`select (select count(*)::int from organisations where kind = 'council') as councils,
               (select count(*)::int from people where 'learner' = any(roles)) as learners,
               (select count(*)::int from enrolment_events) as "journeyEvents",
               (select count(*)::int from network_events) as events,
               (select count(distinct r.event_id)::int from network_event_registrations r where r.attended) as "eventsWithAttendance",
               (select count(*)::int from network_event_registrations where attended) as attendances,
               (select count(*)::int from improvements) as improvements,
               (select count(*)::int from maturity_assessments where kind = 'baseline' and status = 'submitted') as baselines,
               (select count(*)::int from maturity_assessments where kind = 'follow_up' and status = 'submitted') as "followUps"`,
  );
  return r;
}

/** Every step on a generated database, in this process. */
async function measure(db: Db, backend: string, asOf: string): Promise<Row[]> {
  const clock = fixedClock(`${asOf}T12:00:00Z`);
  const actor = await adminActor(db);
  const ctx: RequestContext = { actor, clock };
  const month = monthOf(asOf);
  const quarter = chooseQuarter(undefined, asOf);
  const rows: Row[] = [];
  const add = (r: Awaited<ReturnType<typeof timed>>, target: number | null, note?: string) => rows.push({ backend, ...r, target, note });

  // (a) The evaluation page's and the API's call, read afresh each time.
  let indicatorText = '';
  add(
    await timed('(a) every indicator as at the day (currentIndicators, uncached)', async () => {
      const r = await currentIndicators(db, actor, clock);
      indicatorText = r.rows.map((i) => `${i.key}=${i.text}`).join(', ');
    }, async () => recordsChanged()),
    backend === 'PostgreSQL' ? recomputeTargetSeconds : null,
  );
  console.error(`  indicators as at ${asOf}: ${indicatorText}`);

  // (b) The CLI's and the periodic job's snapshot, with the month's rows gone so each run writes them all.
  const clearMonth = () => db.execute(sql`delete from indicator_snapshots where month = ${month}::date`);
  let said = '';
  add(
    await timed('(b) this month\'s snapshot (pioneer evaluation snapshot)', async () => {
      said = await snapshotCommand(db, { actor: null, systemLabel: 'bench', clock }, false);
    }, clearMonth),
    backend === 'PostgreSQL' ? recomputeTargetSeconds : null,
  );
  console.error(`  ${said}`);
  // What a CSF's page reads for partner staff: each indicator's 12 months from their councils' parts.
  const [partner] = await queryRows<{ id: string; councils: number }>(
    db,
    sql`select managing_partner_id as id, count(*)::int as councils from participations where managing_partner_id is not null group by 1 order by 2 desc limit 1`,
  );
  add(
    await timed('(b) a managing partner\'s 12-month trend of every indicator (indicatorTrend)', async () => {
      for (const i of indicators) await indicatorTrend(db, i, { kind: 'managedBy', partnerId: partner.id }, asOf, { suppress: false });
    }),
    null,
    `${partner.councils} councils`,
  );
  // Twelve months as the demo seed backfills them: twelve recomputations as at each month's last day, rolled back.
  const rollback = new Error('rollback');
  add(
    await timed('(b) twelve months of snapshots (backfillSnapshots, rolled back)', async () => {
      await db
        .transaction(async (tx) => {
          await tx.execute(sql`delete from indicator_snapshots`);
          const written = await backfillSnapshots(tx, clock, 12);
          if (written !== 12 * indicatorKeys.length) throw new Error(`Backfill wrote ${written} rows.`);
          throw rollback;
        })
        .catch((e) => {
          if (e !== rollback) throw e;
        });
    }),
    null,
    'twelve recomputations',
  );

  // (c) The quarterly report: its parts, then the admin's "generate" action end to end.
  let data: Awaited<ReturnType<typeof buildReport>> | undefined;
  add(await timed(`(c) the ${quarter.key} report's figures (buildReport)`, async () => (data = await buildReport(db, clock, quarter)), async () => recordsChanged()), null);
  let xlsxBytes = 0;
  let pdfBytes = 0;
  add(await timed('(c) its XLSX (reportXlsx)', async () => (xlsxBytes = (await reportXlsx(data!, clock.now())).length)), null, `${Math.round(xlsxBytes / 1024)} kB`);
  add(await timed('(c) its PDF (reportPdf)', async () => (pdfBytes = (await reportPdf(data!, clock.now())).length)), null, `${Math.round(pdfBytes / 1024)} kB`);
  add(
    await timed('(c) generate and archive (generateReport: figures, XLSX, PDF, archive, audit)', () => generateReport(db, ctx, undefined), async () => recordsChanged()),
    reportTargetSeconds,
  );
  return rows;
}

async function benchBackend(backend: Backend): Promise<{ rows: Row[]; scale: Record<string, number>; asOf: string; generatedSeconds: number }> {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const database = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const asOf = process.env.BENCH_AS_OF ?? todayIso(systemClock);
  let generated: Awaited<ReturnType<typeof generateNationalData>>;
  let scale: Record<string, number>;
  try {
    generated = await generateNationalData(database.db);
    scale = await dataScale(database.db);
  } finally {
    // PGlite lets one process hold its folder: the measuring process opens it next.
    await database.close();
  }
  console.error(`[${backend.name}] generated in ${(generated.ms / 1000).toFixed(1)} s: ${JSON.stringify(scale)}; as at ${asOf}`);
  const rows = await measureInChild({ backend: backend.name, databaseUrl: backend.databaseUrl, dataDir: backend.dataDir, asOf });
  return { rows, scale, asOf, generatedSeconds: generated.ms / 1000 };
}

/** Runs `measure` in a child process on the database the job names; its rows come back as the last line of its output. */
function measureInChild(job: Job): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, [jobVariable]: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`The measuring process ended with ${code}.`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Row[]);
    });
  });
}

/** The child: opens the database as the app or the CLI would (no generator in memory), measures, prints its rows. */
async function child(job: Job) {
  const database = await openDatabase({ databaseUrl: job.databaseUrl, dataDir: job.dataDir });
  try {
    console.log(JSON.stringify(await measure(database.db, job.backend, job.asOf)));
  } finally {
    await database.close();
  }
}

async function main() {
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const makers: (() => Promise<Backend>)[] = [];
  if (process.env.BENCH_BACKEND !== 'postgres') makers.push(async () => pgliteBackend());
  if (process.env.BENCH_DATABASE_URL) makers.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));
  const results: Awaited<ReturnType<typeof benchBackend>>[] = [];
  for (const make of makers) {
    const backend = await make();
    try {
      results.push(await benchBackend(backend));
    } finally {
      await backend.cleanup();
    }
  }
  console.log(`\nPioneer indicators and the quarterly report: ${os.cpus().length} CPUs, Node ${process.version}, load average ${loadAtStart} at the start, ` +
    `${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; ${runs} runs of each step`);
  for (const r of results) {
    const s = r.scale;
    console.log(`\n${r.rows[0]?.backend}: generated in ${r.generatedSeconds.toFixed(1)} s; ${s.councils} councils, ${s.learners} learners, ${s.journeyEvents} journey events, ` +
      `${s.events} network events (${s.eventsWithAttendance} with attendance, ${s.attendances} attendances), ${s.improvements} improvements, ` +
      `${s.baselines} baselines and ${s.followUps} follow-ups; clock at noon on ${r.asOf}`);
  }
  console.log('\n| backend | step | median s | max s | RSS before | peak RSS rise | note | target |');
  console.log('|---|---|--:|--:|--:|--:|---|---|');
  let missed = 0;
  for (const r of results.flatMap((x) => x.rows)) {
    const max = Math.max(...r.seconds);
    const verdict = r.target === null ? '' : max < r.target ? `< ${r.target} s: met` : `< ${r.target} s: **missed**`;
    if (r.target !== null && max >= r.target) missed++;
    console.log(`| ${r.backend} | ${r.step} | ${median(r.seconds).toFixed(2)} | ${max.toFixed(2)} | ${Math.round(r.rssMb)} MB | +${Math.round(r.peakMb)} MB | ${r.note ?? ''} | ${verdict} |`);
  }
  if (missed) console.log(`\n${missed} step(s) missed a target (max of ${runs} runs).`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env[jobVariable]) await child(JSON.parse(process.env[jobVariable]) as Job);
  else await main();
}
