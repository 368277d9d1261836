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
 *   - on PostgreSQL, the stack's own ceiling for a list page: the bare server's people list (bench/bare.ts `/list`,
 *     page 1 and page 300) on the same data, after the app has stopped, so each list page also prints ÷ that; and
 *     the same for the API lists: the bare server's people list as JSON (`/api/people`), each API list ÷ that;
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
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';
import { authHeaders, prepareBenchData, procMb, resetPeak, signIn, startApp, startProcess, type Server } from './server.ts';
import { fmt, measure, printTable, selectTargets, warmUp, type Run, type Target } from './targets.ts';

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

const targets = selectTargets(only);

const bareTargets: Target[] = [
  { name: 'bare page through @fastify/view', path: '/view', kind: 'bare', auth: 'none' },
  { name: 'bare page compiled once', path: '/compiled', kind: 'bare', auth: 'none' },
];

/**
 * The bare server's people list (PostgreSQL only: it reads the generated data through `pg`), with its static page
 * measured again beside it: the two compared minutes apart would compare the minutes. Then the same people as JSON,
 * the yardstick of the API lists.
 */
const bareListTargets: Target[] = [
  { name: 'bare page compiled once, again beside the list', path: '/compiled', kind: 'bare', auth: 'none' },
  { name: 'bare people list (the stack alone)', path: '/list', kind: 'bare', auth: 'none' },
  { name: 'bare people list, page 300', path: '/list?page=300', kind: 'bare', auth: 'none' },
  { name: 'bare people API list (the stack alone, JSON)', path: '/api/people', kind: 'bare', auth: 'none' },
];

/** A target's runs, and at each concurrency the app's and PostgreSQL's CPU milliseconds per request (NaN where not read). */
type Row = { target: Target; runs: Record<(typeof concurrencies)[number], Run>; cpu: Record<(typeof concurrencies)[number], { app: number; database: number }> };

/**
 * Each target after a one-second warm-up (templates compiled, plans cached), at every concurrency; with `onPostgres`,
 * PostgreSQL's CPU per request beside the app's.
 */
async function measureAll(server: Server, list: Target[], auth: Record<Target['auth'], Record<string, string>>, label: string, onPostgres: boolean, levels: readonly (typeof concurrencies)[number][] = concurrencies) {
  const rows: Row[] = [];
  for (const target of list) {
    const url = server.url + target.path;
    const headers = auth[target.auth];
    await warmUp(url, headers);
    const runs = {} as Row['runs'];
    const cpu = {} as Row['cpu'];
    for (const connections of levels) {
      console.error(`[${label}] ${target.name}: ${connections} connections for ${duration} s…`);
      const measured = await measure(url, headers, connections, duration, server.child.pid, onPostgres);
      runs[connections] = measured.run;
      cpu[connections] = { app: measured.cpu, database: measured.databaseCpu };
    }
    rows.push({ target, runs, cpu });
  }
  return rows;
}

/** Generates the data and the API token, starts the app and signs in. */
async function prepare(backend: Backend, scale: number) {
  const { token } = await prepareBenchData(backend, scale);
  const started = performance.now();
  const app = await startApp(backend);
  const startMs = performance.now() - started;
  const cookie = await signIn(app.url);
  return { app, startMs, auth: authHeaders(cookie, token) };
}

type Result = { backend: Backend['name']; rows: Row[]; bareList: Row[]; startMs: number; idleRssMb: number; loadPeakMb: number };

async function benchBackend(backend: Backend): Promise<Result> {
  const { app, startMs, auth } = await prepare(backend, 1);
  let measured: Omit<Result, 'bareList'>;
  try {
    const idleRssMb = procMb(app.child.pid!, 'VmRSS');
    resetPeak(app.child.pid!);
    const rows = await measureAll(app, targets, auth, backend.name, Boolean(backend.databaseUrl));
    measured = { backend: backend.name, rows, startMs, idleRssMb, loadPeakMb: procMb(app.child.pid!, 'VmHWM') };
  } finally {
    await app.stop();
  }
  // Only the yardsticks of the kinds of list measured (page 300 goes with the page list), beside the static page.
  const kinds = new Set(targets.map((t) => t.kind));
  const wanted = bareListTargets.filter((b) => b.path === '/compiled' || kinds.has(b.path.startsWith('/list') ? 'page' : 'api'));
  return { ...measured, bareList: backend.databaseUrl && wanted.length > 1 ? await measureBareList(backend.databaseUrl, wanted) : [] };
}

/** The bare server's list pages on the backend's data, with the app stopped (the two never share the cores). */
async function measureBareList(databaseUrl: string, wanted: Target[]) {
  const server = await startProcess(['--import', 'tsx', 'bench/bare.ts'], { DATABASE_URL: databaseUrl }, '/list');
  try {
    return await measureAll(server, wanted, { none: {}, cookie: {}, token: {} }, 'bare list', true);
  } finally {
    await server.stop();
  }
}

/** One user's time on every list at 1× and `growthScale`× the data. */
async function growth(backend: Backend, scale: number): Promise<Row[]> {
  const { app, auth } = await prepare(backend, scale);
  try {
    return await measureAll(app, targets.filter((t) => t.kind !== 'static'), auth, `${backend.name} ${scale}×`, Boolean(backend.databaseUrl), [1]);
  } finally {
    await app.stop();
  }
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
  const bareOf = (path: string) => result.bareList.find((r) => r.target.path === path);
  const bareStatic = bareOf('/compiled');
  const bareList = bareOf('/list');
  const bareApiList = bareOf('/api/people');
  const yardstick = (kind: Target['kind']) => (kind === 'page' ? bareList : kind === 'api' ? bareApiList : undefined);
  console.log(`\n### ${result.backend}\n`);
  const header = ['target', 'conns', 'req/s', 'p50 ms', 'p99 ms', '÷ static', '÷ bare', '÷ bare list', 'app CPU ms/req', 'PostgreSQL CPU ms/req', 'failed'];
  const lines: string[][] = [];
  for (const row of [...bare, ...result.bareList, ...result.rows]) {
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
        yardstick(row.target.kind) ? fmt(run.rps / yardstick(row.target.kind)!.runs[c].rps, 2) : '',
        fmt(row.cpu[c].app, 1),
        fmt(row.cpu[c].database, 1),
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
    `by CPU per request (steadier on a busy machine): ${fmt(bare[0].cpu[1].app / staticRow.cpu[1].app, 2)} and ${fmt(bare[1].cpu[1].app / staticRow.cpu[1].app, 2)}.`);
  if (bareStatic && bareList) {
    console.log(`The stack alone: the bare people list ÷ the bare page compiled once ${fmt(bareList.runs[20].rps / bareStatic.runs[20].rps, 2)} (req/s at 20 connections), ` +
      `${fmt(bareStatic.cpu[1].app / bareList.cpu[1].app, 2)} by CPU per request — the list ratio the stack itself reaches; "÷ bare list" is each list page against it.`);
  }
  if (bareStatic && bareApiList) {
    console.log(`The stack alone, as JSON: the bare people API list ÷ the bare page compiled once ${fmt(bareApiList.runs[20].rps / bareStatic.runs[20].rps, 2)} (req/s at 20 connections), ` +
      `${fmt(bareStatic.cpu[1].app / bareApiList.cpu[1].app, 2)} by CPU per request; each API list's "÷ bare list" is against it.`);
  }
  console.log(missed.length ? `\nMissed (${missed.length}):\n${missed.map((m) => `- ${m}`).join('\n')}` : '\nEvery target met.');
  return missed.length;
}

function reportGrowth(name: string, base: Row[], grown: Row[]) {
  console.log(`\n### ${name}: one user at a time, 1× and ${growthScale}× the data\n`);
  printTable(
    ['target', '1× p50 ms', `${growthScale}× p50 ms`, '1× CPU ms', `${growthScale}× CPU ms`, 'growth (p50)'],
    base.map((b, i) => {
      const g = grown[i];
      return [b.target.name, fmt(b.runs[1].p50, 1), fmt(g.runs[1].p50, 1), fmt(b.cpu[1].app, 1), fmt(g.cpu[1].app, 1), `${fmt(g.runs[1].p50 / b.runs[1].p50, 2)}×`];
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
    bare = await measureAll(bareServer, bareTargets, { none: {}, cookie: {}, token: {} }, 'bare', false);
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
