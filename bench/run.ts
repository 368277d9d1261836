/**
 * Pages and API at national scale (`npm run bench`), against the targets of issue 9. For each backend — PGlite always,
 * PostgreSQL too when BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it generates the
 * national data (bench/generate.ts), starts the app as a child process the way `npm start` does (production
 * configuration, log off), signs in as the generated admin through the real form, and measures with autocannon from
 * this process (never inside the app's):
 *   - the ceiling: the app's static page (`/sign-in`, no database) against a bare Fastify + Nunjucks server rendering
 *     the same kind of GOV.UK page (bench/bare.ts) through @fastify/view and compiled once;
 *   - every signed-in list page (councils, people, learners filtered and paged deep, overdue, unfiltered, places,
 *     cohorts, audit) and the same lists through the API;
 * each at 20, 5 and 1 connections, with the app's CPU time per request (from /proc, at 1 connection), the app's
 * RSS idle and its peak under the list load. It prints one table per backend with every target and which are missed.
 * With BENCH_GROWTH=1 it then generates five times the learners (100,000, ~1 M journey events) and prints how each
 * list's one-user time grows. Not part of the test suite: figures go in docs/performance.md.
 *
 *   npm run bench
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_DURATION=10 npm run bench          # seconds per measurement (1–60, default 5)
 *   BENCH_ONLY=learners npm run bench        # the static pages and the targets whose name contains "learners"
 *   BENCH_ONLY=transformation,evaluation …   # … containing either word (the issue 12 and 13 pages are named so)
 *   BENCH_GROWTH=1 npm run bench             # also the 5× data set
 *   BENCH_BACKEND=postgres BENCH_DATABASE_URL=… npm run bench   # PostgreSQL only
 */
import os from 'node:os';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { createApiToken } from '../src/auth/service.ts';
import { systemClock } from '../src/clock.ts';
import { queryRows } from '../src/db/client.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';
import { cpuMs, procMb, resetPeak, signIn, startApp, startProcess, type Server } from './server.ts';

const duration = Math.min(60, Math.max(1, Number(process.env.BENCH_DURATION ?? 5)));
const only = process.env.BENCH_ONLY;
const growthScale = process.env.BENCH_GROWTH ? 5 : 0;
const concurrencies = [20, 5, 1] as const;

/** Issue 9's targets, by backend where they differ. */
const goals = {
  ceilingRatio: 0.5, // the app's static page ÷ the bare page compiled once
  pageRatio: { PostgreSQL: 0.5, PGlite: 0.35 }, // a list page ÷ the app's static page, at 20 connections
  apiRatio: 0.7, // an API list ÷ the app's static page (PostgreSQL)
  p99At5: 100, // ms, PostgreSQL, every list page
  p99At20: 250,
  medianAt1: 12, // ms, PostgreSQL, one user at a time
  idleRssMb: 250,
  loadRssMb: 350,
};

type Kind = 'static' | 'bare' | 'page' | 'api';
type Target = { name: string; path: string; kind: Kind; auth: 'none' | 'cookie' | 'token' };

const allTargets: Target[] = [
  { name: 'GET /sign-in (the app\'s static page)', path: '/sign-in', kind: 'static', auth: 'none' },
  { name: 'GET /councils', path: '/councils', kind: 'page', auth: 'cookie' },
  { name: 'GET /people', path: '/people', kind: 'page', auth: 'cookie' },
  { name: 'GET /people (page 300)', path: '/people?page=300', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (practitioner, accredited, page 20)', path: '/learners?level=practitioner&status=accredited&page=20', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (overdue)', path: '/learners?overdue=yes', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (first page)', path: '/learners', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (page 800)', path: '/learners?page=800', kind: 'page', auth: 'cookie' },
  { name: 'GET /places', path: '/places', kind: 'page', auth: 'cookie' },
  { name: 'GET /cohorts', path: '/cohorts', kind: 'page', auth: 'cookie' },
  { name: 'GET /audit', path: '/audit', kind: 'page', auth: 'cookie' },
  { name: 'GET /networks/learners/resources (search "supplier", most downloaded)', path: '/networks/learners/resources?q=supplier&sort=downloads', kind: 'page', auth: 'cookie' },
  { name: 'GET /networks/sro/resources (tag, page 20)', path: '/networks/sro/resources?tag=kpis&page=20', kind: 'page', auth: 'cookie' },
  { name: 'GET /networks/learners (home: events, resources, latest discussions, members)', path: '/networks/learners', kind: 'page', auth: 'cookie' },
  { name: 'GET /networks/learners/discussions (page 50)', path: '/networks/learners/discussions?page=50', kind: 'page', auth: 'cookie' },
  { name: 'GET /networks/learners/events (past, page 20)', path: '/networks/learners/events?when=past&page=20', kind: 'page', auth: 'cookie' },
  { name: 'GET /maturity (programme view: every area across 317 councils) · transformation', path: '/maturity', kind: 'page', auth: 'cookie' },
  { name: 'GET /improvements (first page of 20,000) · transformation', path: '/improvements', kind: 'page', auth: 'cookie' },
  { name: 'GET /improvements (verified, cashable, by value, page 40) · transformation', path: '/improvements?status=verified&cashable=cashable&sort=value&page=40', kind: 'page', auth: 'cookie' },
  { name: 'GET /dashboard (programme dashboard) · evaluation', path: '/dashboard', kind: 'page', auth: 'cookie' },
  { name: 'GET /evaluation (indicators) · evaluation', path: '/evaluation', kind: 'page', auth: 'cookie' },
  { name: 'GET /reports/quarterly (the live quarterly report) · evaluation', path: '/reports/quarterly', kind: 'page', auth: 'cookie' },
  { name: 'GET /api/v1/councils', path: '/api/v1/councils', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/people', path: '/api/v1/people', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/enrolments (practitioner, accredited, page 10)', path: '/api/v1/enrolments?level=practitioner&status=accredited&page=10', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/places', path: '/api/v1/places', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/cohorts', path: '/api/v1/cohorts', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/audit-events', path: '/api/v1/audit-events', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/network-resources (search "risk register")', path: '/api/v1/network-resources?q=risk+register', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/network-events (past, page 10)', path: '/api/v1/network-events?when=past&page=10', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/improvements (search "renewal", page 5) · transformation', path: '/api/v1/improvements?q=renewal&page=5', kind: 'api', auth: 'token' },
  { name: 'GET /api/v1/contracts (page 100 of 30,000) · transformation', path: '/api/v1/contracts?page=100', kind: 'api', auth: 'token' },
];
const targets = allTargets.filter((t) => !only || t.kind === 'static' || only.split(',').some((word) => t.name.includes(word)));

const bareTargets: Target[] = [
  { name: 'bare page through @fastify/view', path: '/view', kind: 'bare', auth: 'none' },
  { name: 'bare page compiled once', path: '/compiled', kind: 'bare', auth: 'none' },
];

type Run = { rps: number; p50: number; p99: number; failed: number };
type Row = { target: Target; runs: Record<(typeof concurrencies)[number], Run>; cpuMsPerRequest: number };

/** autocannon at one concurrency for `duration` seconds; the app's CPU per request when `pid` is given. */
async function measure(url: string, headers: Record<string, string>, connections: number, pid?: number) {
  const cpuBefore = pid ? cpuMs(pid) : 0;
  const r = await autocannon({ url, connections, duration, headers });
  const cpu = pid ? (cpuMs(pid) - cpuBefore) / Math.max(1, r.requests.total) : NaN;
  return { run: { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts }, cpu };
}

/** Each target after a one-second warm-up (templates compiled, plans cached), at every concurrency. */
async function measureAll(server: Server, list: Target[], auth: Record<Target['auth'], Record<string, string>>, label: string, levels: readonly (typeof concurrencies)[number][] = concurrencies) {
  const rows: Row[] = [];
  for (const target of list) {
    const url = server.url + target.path;
    const headers = auth[target.auth];
    await autocannon({ url, connections: 5, duration: 1, headers });
    const runs = {} as Row['runs'];
    let cpuMsPerRequest = NaN;
    for (const connections of levels) {
      console.error(`[${label}] ${target.name}: ${connections} connections for ${duration} s…`);
      const { run, cpu } = await measure(url, headers, connections, server.child.pid);
      runs[connections] = run;
      if (connections === 1) cpuMsPerRequest = cpu;
    }
    rows.push({ target, runs, cpuMsPerRequest });
  }
  return rows;
}

/** Generates the data, creates the API token while the database is still ours (PGlite allows one process), starts the app. */
async function prepare(backend: Backend, scale: number) {
  console.error(`\n[${backend.name}] preparing the database and generating ${scale}× national data…`);
  const database = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  let token: string;
  try {
    const generated = await generateNationalData(database.db, { scale });
    console.error(`[${backend.name}] ${generated.councils} councils, ${generated.people} people, ${generated.enrolments} enrolments, ${generated.events} journey events in ${(generated.ms / 1000).toFixed(1)} s`);
    const [admin] = await queryRows<{ id: string }>(database.db, sql`select id from people where email = ${benchAdmin.email}`);
    ({ token } = await createApiToken(database.db, { actor: null, systemLabel: 'bench', clock: systemClock }, admin.id, 'bench'));
  } finally {
    await database.close();
  }
  const started = performance.now();
  const app = await startApp(backend);
  const startMs = performance.now() - started;
  const cookie = await signIn(app.url);
  return { app, startMs, auth: { none: {}, cookie: { cookie }, token: { authorization: `Bearer ${token}` } } };
}

type Result = { backend: Backend['name']; rows: Row[]; startMs: number; idleRssMb: number; loadPeakMb: number };

async function benchBackend(backend: Backend): Promise<Result> {
  const { app, startMs, auth } = await prepare(backend, 1);
  try {
    const idleRssMb = procMb(app.child.pid!, 'VmRSS');
    resetPeak(app.child.pid!);
    const rows = await measureAll(app, targets, auth, backend.name);
    return { backend: backend.name, rows, startMs, idleRssMb, loadPeakMb: procMb(app.child.pid!, 'VmHWM') };
  } finally {
    await app.stop();
  }
}

/** One user's time on every list at 1× and `growthScale`× the data. */
async function growth(backend: Backend, scale: number): Promise<Row[]> {
  const { app, auth } = await prepare(backend, scale);
  try {
    return await measureAll(app, targets.filter((t) => t.kind !== 'static'), auth, `${backend.name} ${scale}×`, [1]);
  } finally {
    await app.stop();
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** What a row misses of the issue's targets, in words. */
function misses(backend: Backend['name'], row: Row, staticRps: number): string[] {
  const out: string[] = [];
  const at20 = row.runs[20];
  const ratio = at20.rps / staticRps;
  if (row.target.kind === 'page' && ratio < goals.pageRatio[backend]) out.push(`${fmt(ratio, 2)} of the static page (goal ${goals.pageRatio[backend]})`);
  if (row.target.kind === 'api' && backend === 'PostgreSQL' && ratio < goals.apiRatio) out.push(`${fmt(ratio, 2)} of the static page (goal ${goals.apiRatio})`);
  if (row.target.kind === 'page' && backend === 'PostgreSQL') {
    if (row.runs[5].p99 >= goals.p99At5) out.push(`p99 ${fmt(row.runs[5].p99)} ms at 5 (goal < ${goals.p99At5})`);
    if (at20.p99 >= goals.p99At20) out.push(`p99 ${fmt(at20.p99)} ms at 20 (goal < ${goals.p99At20})`);
    if (row.runs[1].p50 >= goals.medianAt1) out.push(`median ${fmt(row.runs[1].p50)} ms alone (goal < ${goals.medianAt1})`);
  }
  return out;
}

function report(result: Result, bare: Row[]) {
  const staticRow = result.rows.find((r) => r.target.kind === 'static')!;
  const staticRps = staticRow.runs[20].rps;
  const compiledRps = bare[1].runs[20].rps;
  console.log(`\n### ${result.backend}\n`);
  const header = ['target', 'conns', 'req/s', 'p50 ms', 'p99 ms', '÷ static', '÷ bare', 'app CPU ms/req', 'failed'];
  const lines: string[][] = [];
  for (const row of [...bare, ...result.rows]) {
    for (const c of concurrencies) {
      const run = row.runs[c];
      if (!run) continue;
      lines.push([
        c === 20 ? row.target.name : '',
        String(c),
        fmt(run.rps),
        fmt(run.p50),
        fmt(run.p99),
        row.target.kind === 'bare' ? '' : fmt(run.rps / staticRow.runs[c].rps, 2),
        fmt(run.rps / bare[1].runs[c].rps, 2),
        c === 1 ? fmt(row.cpuMsPerRequest, 1) : '',
        String(run.failed),
      ]);
    }
  }
  printTable(header, lines);
  const missed: string[] = [];
  const ceiling = staticRps / compiledRps;
  if (ceiling < goals.ceilingRatio) missed.push(`ceiling: the static page is ${fmt(ceiling, 2)} of the bare page (goal ${goals.ceilingRatio})`);
  for (const row of result.rows) for (const m of misses(result.backend, row, staticRps)) missed.push(`${row.target.name}: ${m}`);
  if (result.backend === 'PostgreSQL') {
    if (result.idleRssMb >= goals.idleRssMb) missed.push(`RSS idle ${fmt(result.idleRssMb)} MB (goal < ${goals.idleRssMb})`);
    if (result.loadPeakMb >= goals.loadRssMb) missed.push(`RSS under list load ${fmt(result.loadPeakMb)} MB (goal < ${goals.loadRssMb})`);
  }
  console.log(`\nThe app: npm start to first answer ${fmt(result.startMs)} ms; RSS idle (signed in, before any load) ${fmt(result.idleRssMb)} MB, peak under the load above ${fmt(result.loadPeakMb)} MB.`);
  console.log(`Static page ÷ bare page through @fastify/view ${fmt(staticRps / bare[0].runs[20].rps, 2)}, ÷ compiled once ${fmt(ceiling, 2)} (req/s at 20 connections); ` +
    `by CPU per request (steadier on a busy machine): ${fmt(bare[0].cpuMsPerRequest / staticRow.cpuMsPerRequest, 2)} and ${fmt(bare[1].cpuMsPerRequest / staticRow.cpuMsPerRequest, 2)}.`);
  console.log(missed.length ? `\nMissed (${missed.length}):\n${missed.map((m) => `- ${m}`).join('\n')}` : '\nEvery target met.');
  return missed.length;
}

function reportGrowth(name: string, base: Row[], grown: Row[]) {
  console.log(`\n### ${name}: one user at a time, 1× and ${growthScale}× the data\n`);
  printTable(
    ['target', '1× p50 ms', `${growthScale}× p50 ms`, '1× CPU ms', `${growthScale}× CPU ms`, 'growth (p50)'],
    base.map((b, i) => {
      const g = grown[i];
      return [b.target.name, fmt(b.runs[1].p50, 1), fmt(g.runs[1].p50, 1), fmt(b.cpuMsPerRequest, 1), fmt(g.cpuMsPerRequest, 1), `${fmt(g.runs[1].p50 / b.runs[1].p50, 2)}×`];
    }),
  );
}

async function main() {
  // Other work on the same cores moves every figure: say how busy the machine was before the benchmark added to it.
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const backends: (() => Promise<Backend>)[] = [];
  if (process.env.BENCH_BACKEND !== 'postgres') backends.push(async () => pgliteBackend());
  if (process.env.BENCH_DATABASE_URL) backends.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));

  const bareServer = await startProcess(['--import', 'tsx', 'bench/bare.ts'], {}, '/view');
  let bare: Row[];
  try {
    bare = await measureAll(bareServer, bareTargets, { none: {}, cookie: {}, token: {} }, 'bare');
  } finally {
    await bareServer.stop();
  }

  console.log(`\nPioneer benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ` +
    `${loadAtStart} at the start; autocannon from the benchmark's process, ${duration} s per measurement after a 1 s warm-up; ` +
    `"÷ static" and "÷ bare" compare req/s at the same concurrency.`);
  // Each backend's table is printed as soon as it is measured, so a failure later loses nothing.
  let missed = 0;
  let failed = bare.some((r) => Object.values(r.runs).some((run) => run.failed > 0));
  for (const make of backends) {
    const backend = await make();
    let result: Result;
    try {
      result = await benchBackend(backend);
    } finally {
      await backend.cleanup();
    }
    missed += report(result, bare);
    failed ||= result.rows.some((r) => Object.values(r.runs).some((run) => run.failed > 0));
    if (growthScale) {
      const again = await make();
      try {
        reportGrowth(again.name, result.rows.filter((r) => r.target.kind !== 'static'), await growth(again, growthScale));
      } finally {
        await again.cleanup();
      }
    }
  }
  console.log(`\nLoad average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${missed} target${missed === 1 ? '' : 's'} missed in all.`);
  if (failed) {
    console.error('\nSome requests did not answer 2xx: the figures above measure errors, not pages.');
    process.exitCode = 1;
  }
}

await main();
