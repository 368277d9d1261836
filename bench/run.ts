/**
 * Throughput and cold start at national scale (`npm run bench`). For each backend — PGlite always,
 * PostgreSQL too when BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it prepares
 * the database, generates the national data (bench/generate.ts), starts the app in-process with a
 * production configuration and no logger, signs in as the admin, creates an API token, and runs
 * autocannon (20 connections, 5 s per target, loopback only) against:
 *   - GET /sign-in             a page that needs no database: the app's ceiling on this machine
 *   - GET /councils            the signed-in council list (317 councils, page 1)
 *   - GET /people              the signed-in people list (20,000 people, page 1)
 *   - GET /api/v1/councils     the JSON API with a bearer token
 *   - GET /learners?…          the learners list (41,583 enrolments of 20,000 learners, 213,857 journey events),
 *                              filtered by level and status and on page 20, and filtered to the overdue
 *   - GET /api/v1/enrolments?… the same list through the API
 *   - the learners page and API again with one connection: the latency one user sees
 * and prints req/s, p50, p99 and each target's ratio to the ceiling. Not part of the test suite.
 *
 *   npm run bench
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench
 *   BENCH_DURATION=10 npm run bench          # seconds per target (1–60)
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../src/config.ts';
import { openPreparedDatabase } from '../src/server.ts';
import { buildApp } from '../src/app.ts';
import { createApiToken } from '../src/auth/service.ts';
import { systemClock } from '../src/clock.ts';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '../src/db/client.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';

const connections = 20;
const duration = Math.min(60, Math.max(1, Number(process.env.BENCH_DURATION ?? 5)));
const coldStarts = 3;

type Row = { backend: string; target: string; rps: number; p50: number; p99: number; ratio: number; non2xx: number };

/** A production configuration (templates cached, no demo data) on a random loopback port; sign-in limit out of the way. */
function benchConfig(backend: Backend): Config {
  return loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SIGN_IN_RATE_PER_MINUTE: '1000',
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : { DATA_DIR: backend.dataDir! }),
  });
}

/** What `npm start` does, minus printing: open and prepare the database, build the app, listen. */
async function start(config: Config): Promise<{ database: Database; app: FastifyInstance; url: string; ms: number }> {
  const t0 = performance.now();
  const { database } = await openPreparedDatabase(config);
  const app = await buildApp({ config, db: database.db, logger: false });
  await app.listen({ host: config.host, port: config.port });
  const ms = performance.now() - t0;
  return { database, app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, ms };
}

/** Signs in through the real form (CSRF cookie and token included) and returns the session cookie. */
async function signInCookie(app: FastifyInstance): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  const csrfCookie = page.cookies.find((c) => c.name === 'pioneer_csrf');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrfCookie || !token) throw new Error('The sign-in page did not give a CSRF token.');
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { cookie: `pioneer_csrf=${csrfCookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, email: benchAdmin.email, password: benchAdmin.password }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'pioneer_session');
  if (res.statusCode !== 302 || !session) throw new Error(`Signing in as ${benchAdmin.email} failed (${res.statusCode}).`);
  return `pioneer_session=${session.value}`;
}

/** One measured autocannon run against a URL, the load generator in a worker thread so it does not share the app's event loop. */
async function load(url: string, headers: Record<string, string>, clients = connections) {
  // A short warm-up (template compile, query plans, JIT) that is not counted.
  await autocannon({ url, connections: 5, duration: 1, headers, workers: 1 });
  return autocannon({ url, connections: clients, duration, headers, workers: 1 });
}

async function benchBackend(backend: Backend): Promise<{ rows: Row[]; generateMs: number; coldStartMs: number[] }> {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const prepared = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const generated = await generateNationalData(prepared.db);
  await prepared.close();
  console.error(`[${backend.name}] ${generated.councils} councils, ${generated.people} people, ${generated.enrolments} enrolments, ${generated.events} journey events in ${(generated.ms / 1000).toFixed(2)} s`);

  const config = benchConfig(backend);
  const coldStartMs: number[] = [];
  let running = await start(config);
  coldStartMs.push(running.ms);
  for (let i = 1; i < coldStarts; i++) {
    await running.app.close();
    await running.database.close();
    running = await start(config);
    coldStartMs.push(running.ms);
  }
  const { app, database, url } = running;
  try {
    const cookie = await signInCookie(app);
    const [admin] = await queryRows<{ id: string }>(database.db, sql`select id from people where email = ${benchAdmin.email}`);
    const { token } = await createApiToken(database.db, { actor: null, systemLabel: 'bench', clock: systemClock }, admin.id, 'bench');
    const targets: { target: string; path: string; headers: Record<string, string>; clients?: number }[] = [
      { target: 'GET /sign-in (ceiling)', path: '/sign-in', headers: {} },
      { target: 'GET /councils (signed in)', path: '/councils', headers: { cookie } },
      { target: 'GET /people (signed in)', path: '/people', headers: { cookie } },
      { target: 'GET /api/v1/councils (token)', path: '/api/v1/councils', headers: { authorization: `Bearer ${token}` } },
      { target: 'GET /learners (practitioner, assessment booked, page 20)', path: '/learners?level=practitioner&status=assessment_booked&page=20', headers: { cookie } },
      { target: 'GET /learners (overdue)', path: '/learners?overdue=yes', headers: { cookie } },
      {
        target: 'GET /api/v1/enrolments (practitioner, in learning, page 10)',
        path: '/api/v1/enrolments?level=practitioner&status=in_learning&page=10',
        headers: { authorization: `Bearer ${token}` },
      },
      // One person at a time: the latency a user sees when the machine is not queueing 20 requests on 2 cores.
      { target: 'GET /learners (practitioner, assessment booked, page 20), 1 connection', path: '/learners?level=practitioner&status=assessment_booked&page=20', headers: { cookie }, clients: 1 },
      {
        target: 'GET /api/v1/enrolments (practitioner, in learning, page 10), 1 connection',
        path: '/api/v1/enrolments?level=practitioner&status=in_learning&page=10',
        headers: { authorization: `Bearer ${token}` },
        clients: 1,
      },
    ];
    const rows: Row[] = [];
    for (const t of targets) {
      console.error(`[${backend.name}] ${t.target}: ${t.clients ?? connections} connections for ${duration} s…`);
      const r = await load(url + t.path, t.headers, t.clients);
      rows.push({ backend: backend.name, target: t.target, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ratio: 0, non2xx: r.non2xx + r.errors + r.timeouts });
    }
    const ceiling = rows[0].rps;
    for (const row of rows) row.ratio = row.rps / ceiling;
    return { rows, generateMs: generated.ms, coldStartMs };
  } finally {
    await app.close();
    await database.close();
  }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main() {
  const backends: (() => Promise<Backend>)[] = [async () => pgliteBackend()];
  if (process.env.BENCH_DATABASE_URL) backends.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));
  const rows: Row[] = [];
  const summary: string[] = [];
  for (const make of backends) {
    const backend = await make();
    try {
      const result = await benchBackend(backend);
      rows.push(...result.rows);
      const starts = result.coldStartMs.map((ms) => `${fmt(ms)} ms`).join(', ');
      summary.push(`${backend.name}: national data generated in ${fmt(result.generateMs)} ms; cold start (open + prepare + build + listen) ${starts}`);
    } finally {
      await backend.cleanup();
    }
  }
  const header = ['backend', 'target', 'req/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'non-2xx'];
  const table = rows.map((r) => [r.backend, r.target, fmt(r.rps), fmt(r.p50), fmt(r.p99), `${fmt(r.ratio * 100)} %`, String(r.non2xx)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(`\nPioneer benchmark: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; autocannon -c ${connections} -d ${duration} per target\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log('');
  for (const s of summary) console.log(s);
  if (rows.some((r) => r.non2xx > 0)) {
    console.error('\nSome requests did not answer 2xx: the figures above measure errors, not pages.');
    process.exitCode = 1;
  }
}

await main();
