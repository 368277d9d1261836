/**
 * The service under benchmark runs as a child process started the way `npm start` starts it (production
 * configuration, a random loopback port), so the load generator never shares its event loop or its CPU accounting.
 * Helpers to start it, sign in through the real form, and read its memory and CPU time from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createApiToken } from '../src/auth/service.ts';
import { systemClock } from '../src/clock.ts';
import { queryRows } from '../src/db/client.ts';
import { benchAdmin, generateNationalData, openBenchDatabase } from './generate.ts';
import type { Backend } from './backends.ts';

/** No step may take longer than this: a benchmark always stops by itself. */
export const stepTimeoutMs = 120_000;

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** A line of /proc/<pid>/status in MB (VmRSS: now; VmHWM: the peak since start or since resetPeak). */
export const procMb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
};

/** Sets the process's peak RSS (VmHWM) back to its current RSS, so the next peak read is of what follows. */
export const resetPeak = (pid: number) => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');

/**
 * User + system CPU a /proc/<pid>/stat line says its process has used, in milliseconds (fields 14 and 15, in ticks of
 * 10 ms), and with `reaped` its ended children's too (fields 16 and 17).
 */
const statCpuMs = (stat: string, reaped = false) => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11] + fields[12] + (reaped ? fields[13] + fields[14] : 0)) * 10;
};

/** User + system CPU the process has used, in milliseconds. */
export const cpuMs = (pid: number) => statCpuMs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));

/**
 * User + system CPU of PostgreSQL on this machine, in milliseconds: every `postgres` process (the server, its backends
 * and background workers) and the backends that have ended, whose time the server took over when it reaped them (the
 * app's pool closes idle connections once a busy run is over). With PostgreSQL on the same machine, the database's
 * share of what a request costs.
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended since the folder was listed
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') total += statCpuMs(stat, true);
  }
  return total;
}

export type Server = { child: ChildProcess; url: string; stop: () => Promise<void> };

/**
 * Starts `node <args>` (a script and its flags) on a free port with the given environment, in the folder `cwd`, and
 * waits until `readyPath` answers 200.
 */
export async function startProcess(args: string[], env: Record<string, string>, readyPath: string, cwd = process.cwd()): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + stepTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} stopped (exit ${child.exitCode}).`);
    try {
      if ((await fetch(url + readyPath, { signal: AbortSignal.timeout(1000) })).ok) return { child, url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`node ${args.join(' ')} did not start in time.`);
}

/** The arguments `npm start` gives node (its Node and V8 flags and the bundle), read from the checkout's package.json. */
export function startArgs(root = process.cwd()): string[] {
  const script: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start;
  const command = /exec node (.+)$/.exec(script);
  if (!command) throw new Error(`package.json's start script has no "exec node …": ${script}`);
  return command[1].trim().split(/\s+/);
}

/**
 * The app as `npm start` runs it (the bundle scripts/build.mjs writes, built afresh here, with the start script's
 * flags), in production mode with the log off and the sign-in limit out of the way. `root` is the checkout to run:
 * this one, or another commit's worktree (bench/compare.ts) — the bundle reads its templates from its own src/.
 */
export const startApp = (backend: Backend, root = process.cwd()) => {
  const built = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`${root}/scripts/build.mjs failed.`);
  return startProcess(
    startArgs(root),
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      // Production requires a mail transport; the benchmarks send no email that anyone reads.
      MAIL_TRANSPORT: 'log',
      SIGN_IN_RATE_PER_MINUTE: '1000',
      // A benchmark token makes thousands of API calls a minute; the limit itself is not what is measured.
      API_RATE_PER_MINUTE: '10000000',
      // The periodic jobs' first run starts with the app: on generated data it sends thousands of reminders and
      // takes snapshots while the first targets are measured. The jobs have their own measurements
      // (bench:evaluation; docs/performance.md, the reminders job at national scale); the pages are measured alone.
      REMINDER_CHECK_MINUTES: '0',
      RETENTION_CHECK_MINUTES: '0',
      SNAPSHOT_CHECK_MINUTES: '0',
      SURVEY_SCHEDULE_MINUTES: '0',
      // PGlite's upkeep (src/db/upkeep.ts) would find nothing due: the generator ends with `vacuum analyze`.
      VACUUM_CHECK_MINUTES: '0',
      ...(backend.databaseUrl ? { DATABASE_URL: backend.databaseUrl } : { DATA_DIR: backend.dataDir! }),
    },
    '/sign-in',
    root,
  );
};

/**
 * Migrates the backend's empty database, generates national data at `scale` into it and makes an API token for the
 * generated admin, then closes it: PGlite lets one process hold its folder, so this comes before the app starts.
 */
export async function prepareBenchData(backend: Backend, scale: number) {
  console.error(`\n[${backend.name}] preparing the database and generating ${scale}× national data…`);
  const database = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  try {
    const generated = await generateNationalData(database.db, { scale });
    console.error(`[${backend.name}] ${generated.councils} councils, ${generated.people} people, ${generated.enrolments} enrolments, ${generated.events} journey events in ${(generated.ms / 1000).toFixed(1)} s`);
    const [admin] = await queryRows<{ id: string }>(database.db, sql`select id from people where email = ${benchAdmin.email}`);
    const { token } = await createApiToken(database.db, { actor: null, systemLabel: 'bench', clock: systemClock }, admin.id, 'bench');
    return { token };
  } finally {
    await database.close();
  }
}

/** The headers each kind of target sends: none, the signed-in session's cookie, or the API token. */
export const authHeaders = (cookie: string, token: string) => ({ none: {}, cookie: { cookie }, token: { authorization: `Bearer ${token}` } });

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`));

/** Signs in through the real form (CSRF cookie and token included) and returns the session cookie. */
export async function signIn(url: string): Promise<string> {
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
