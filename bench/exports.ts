/**
 * The downloads at national scale (`npm run bench:export`). For each backend — PGlite always, PostgreSQL too when
 * BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it generates the national data
 * (bench/generate.ts), starts the app as a child process (`npm start`'s command, production configuration, on a
 * random loopback port), signs in as the admin through the real form, and downloads through the real routes:
 *   - GET /people/export.csv     every person (about 20,000)
 *   - GET /learners/export.csv   every enrolment (about 41,600)
 *   - GET /learners/export.xlsx  the same as a workbook
 * each once to warm up and once measured, read as a stream and thrown away as it comes (the client keeps nothing).
 * It prints the rows, seconds to the last byte, rows a second and the server's peak RSS over its RSS before the
 * download (VmHWM from /proc/<pid>/status, reset before each download through /proc/<pid>/clear_refs). The
 * browser's `accept-encoding` is sent, so the CSV comes gzipped as a browser would get it. Not part of the test suite.
 *
 *   npm run bench:export
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:export
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';

/** The floor (issue 9, target 4): rows a second, and what a download may add to the process's memory. */
const rowsPerSecondTarget = 100_000;
const memoryTargetMb = 100;
/** No step may take longer than this: the benchmark always stops by itself. */
const stepTimeoutMs = 120_000;

type Row = { backend: string; target: string; rows: number; seconds: number; rps: number; rssMb: number; peakMb: number };

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** A line of /proc/<pid>/status in MB (VmRSS, VmHWM). */
const procMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
};

/** Starts the server as `npm start` does and waits until it answers. */
async function startServer(backend: Backend): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'silent',
    SIGN_IN_RATE_PER_MINUTE: '1000',
    // Production wants a real mail transport; a benchmark sends nothing, so e-mail only goes to the (silent) log.
    MAIL_TRANSPORT: 'log',
    ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : { DATA_DIR: backend.dataDir! }),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + stepTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server stopped (exit ${child.exitCode}).`);
    try {
      if ((await fetch(`${url}/sign-in`, { signal: AbortSignal.timeout(1000) })).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error('The server did not start in time.');
}

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`));

/** Signs in through the real form (CSRF cookie and token included) and returns the session cookie. */
async function signIn(url: string): Promise<string> {
  const page = await fetch(`${url}/sign-in`);
  const csrf = cookieOf(page, 'pioneer_csrf');
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf || !token) throw new Error('The sign-in page did not give a CSRF token.');
  const res = await fetch(`${url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: csrf, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email: benchAdmin.email, password: benchAdmin.password }).toString(),
  });
  const session = cookieOf(res, 'pioneer_session');
  if (res.status !== 302 || !session) throw new Error(`Signing in as ${benchAdmin.email} failed (${res.status}).`);
  return session;
}

/** One download read as a stream and thrown away: its seconds to the last byte, its lines (CSV) and the server's memory. */
async function download(url: string, cookie: string, pid: number) {
  // Reset the peak (VmHWM) to the current RSS, so the peak read afterwards is this download's.
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const rssMb = procMb(pid, 'VmRSS');
  const started = performance.now();
  const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(stepTimeoutMs) });
  if (res.status !== 200 || !res.body) throw new Error(`${url} answered ${res.status}.`);
  let lines = 0;
  for await (const chunk of res.body) for (const byte of chunk as Uint8Array) if (byte === 10) lines++;
  const seconds = (performance.now() - started) / 1000;
  return { seconds, lines, rssMb, peakMb: procMb(pid, 'VmHWM') - rssMb };
}

async function benchBackend(backend: Backend): Promise<Row[]> {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const prepared = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const generated = await generateNationalData(prepared.db);
  await prepared.close();
  console.error(`[${backend.name}] ${generated.people} people, ${generated.enrolments} enrolments`);
  const { child, url } = await startServer(backend);
  try {
    const cookie = await signIn(url);
    const rows: Row[] = [];
    let learners = 0;
    for (const [target, path] of [
      ['people CSV', '/people/export.csv'],
      ['learners CSV', '/learners/export.csv'],
      ['learners XLSX', '/learners/export.xlsx'],
    ] as const) {
      console.error(`[${backend.name}] ${target}…`);
      await download(url + path, cookie, child.pid!);
      const r = await download(url + path, cookie, child.pid!);
      // A CSV's data rows are its lines less the header (no generated field holds a line break); a workbook is
      // zipped, so its rows are the learners CSV's.
      const count = path.endsWith('.csv') ? r.lines - 1 : learners;
      if (target === 'learners CSV') learners = count;
      rows.push({ backend: backend.name, target, rows: count, seconds: r.seconds, rps: count / r.seconds, rssMb: r.rssMb, peakMb: r.peakMb });
    }
    return rows;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  }
}

async function main() {
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const backends: (() => Promise<Backend>)[] = [async () => pgliteBackend()];
  if (process.env.BENCH_DATABASE_URL) backends.push(() => postgresBackend(process.env.BENCH_DATABASE_URL!));
  const rows: Row[] = [];
  for (const make of backends) {
    const backend = await make();
    try {
      rows.push(...(await benchBackend(backend)));
    } finally {
      await backend.cleanup();
    }
  }
  console.log(`\nPioneer exports: ${os.cpus().length} CPUs, Node ${process.version}, load average ${loadAtStart} at the start, ` +
    `${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; second of two downloads each, admin, no filter\n`);
  console.log('| backend | export | rows | seconds | rows/s | server RSS before | peak RSS increase | targets |');
  console.log('|---|---|--:|--:|--:|--:|--:|---|');
  for (const r of rows) {
    const misses = [r.target.endsWith('CSV') && r.rps < rowsPerSecondTarget ? `rows/s < ${rowsPerSecondTarget}` : '', r.peakMb > memoryTargetMb ? `memory > ${memoryTargetMb} MB` : '']
      .filter(Boolean)
      .join(', ');
    console.log(`| ${r.backend} | ${r.target} | ${r.rows} | ${r.seconds.toFixed(2)} | ${Math.round(r.rps)} | ${Math.round(r.rssMb)} MB | +${Math.round(r.peakMb)} MB | ${misses || 'met'} |`);
  }
}

await main();
