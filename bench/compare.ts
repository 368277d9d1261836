/**
 * Two builds side by side (`npm run bench:compare`): this checkout and another commit, on the same national data, one
 * backend, their runs alternated. On a shared two-core machine a page's figures move by half between minutes, so two
 * builds measured one after the other compare the minutes, not the builds; alternated rounds (A B, then B A) and the
 * app's CPU time per request (the figure least moved by other work) make a difference of 10–20 % visible.
 *
 * The other commit runs from a git worktree of its own (under the system's temporary folder, removed afterwards) with
 * this checkout's node_modules, or its own installed by `npm ci` when its package-lock.json differs (a dependency
 * added or dropped between the two), built by its own scripts/build.mjs: the bundle reads its templates from its own src/,
 * so copying an old dist/ beside the new templates would compare the new templates twice. Both builds run on the
 * database this checkout's generator writes: a commit whose schema differs may fail to start (compare builds whose
 * migrations are the same, or newer against older where the older only lacks tables it never reads).
 *
 *   BENCH_COMPARE=HEAD~1 npm run bench:compare                                    # PGlite
 *   BENCH_COMPARE=c13c2a1 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:compare
 *   BENCH_ONLY=learners,dashboard BENCH_ROUNDS=3 BENCH_DURATION=5 …               # targets, rounds, seconds each
 *
 * For each target, each round and each build: req/s at 20 connections and the app's CPU ms per request at 1
 * connection. It prints both builds' figures round by round and this build's median ÷ the other's.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';
import { authHeaders, prepareBenchData, signIn, startApp } from './server.ts';
import { fmt, measure, printTable, selectTargets, warmUp, type Target } from './targets.ts';

const base = process.env.BENCH_COMPARE;
const duration = Math.min(60, Math.max(1, Number(process.env.BENCH_DURATION ?? 5)));
const rounds = Math.min(10, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2)));
const targets = selectTargets(process.env.BENCH_ONLY);

type Build = { label: string; root: string };
type Sample = { rps: number; cpu: number; failed: number };

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

/** A detached worktree of `ref` with its packages (this checkout's when the lock files match), and how to remove it. */
function worktreeOf(ref: string) {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-compare-'));
  git('worktree', 'add', '--detach', root, commit);
  const lock = (dir: string) => fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
  if (lock(root) === lock('.')) fs.symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
  else {
    console.error(`[compare] ${commit.slice(0, 7)} locks other packages than this checkout: npm ci in its worktree…`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return { commit, root, remove: () => git('worktree', 'remove', '--force', root) };
}

/** Starts `build` on the backend, signs in, and measures every target: req/s at 20 connections, CPU ms at 1. */
async function measureBuild(build: Build, backend: Backend, token: string, round: number) {
  const app = await startApp(backend, build.root);
  const samples = new Map<Target, Sample>();
  try {
    const auth = authHeaders(await signIn(app.url), token);
    for (const target of targets) {
      const url = app.url + target.path;
      const headers = auth[target.auth];
      console.error(`[round ${round}, ${build.label}] ${target.name}…`);
      await warmUp(url, headers);
      const loaded = await measure(url, headers, 20, duration);
      const alone = await measure(url, headers, 1, duration, app.child.pid);
      samples.set(target, { rps: loaded.run.rps, cpu: alone.cpu, failed: loaded.run.failed + alone.run.failed });
    }
  } finally {
    await app.stop();
  }
  return samples;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  if (!base) throw new Error('Set BENCH_COMPARE to the commit to compare this checkout with (e.g. BENCH_COMPARE=HEAD~1).');
  // The worktree first: a commit that does not exist stops the run before a database is made.
  const other = worktreeOf(base);
  const builds: Build[] = [
    { label: `${base} (${other.commit.slice(0, 7)})`, root: other.root },
    { label: `this checkout (${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ', with changes' : ''})`, root: process.cwd() },
  ];
  const samples = new Map<Build, Map<Target, Sample>[]>(builds.map((b) => [b, []]));
  const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  let backend: Backend | undefined;
  try {
    backend = process.env.BENCH_DATABASE_URL ? await postgresBackend(process.env.BENCH_DATABASE_URL) : pgliteBackend();
    const { token } = await prepareBenchData(backend, 1);
    for (let round = 1; round <= rounds; round++) {
      // A B, B A, …: neither build always runs first, when the machine may be quieter or busier.
      const order = round % 2 ? builds : [...builds].reverse();
      for (const build of order) samples.get(build)!.push(await measureBuild(build, backend, token, round));
    }
  } finally {
    other.remove();
    await backend?.cleanup();
  }

  const [a, b] = builds;
  console.log(`\nTwo builds on ${backend.name}: A = ${a.label}, B = ${b.label}. ${rounds} alternated rounds, ${duration} s a measurement; ` +
    `load average ${loadAtStart} at the start, ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.\n`);
  const series = (build: Build, target: Target, pick: (s: Sample) => number) => samples.get(build)!.map((round) => pick(round.get(target)!));
  printTable(
    ['target', 'A req/s at 20', 'B req/s at 20', 'B ÷ A (median)', 'A CPU ms/req', 'B CPU ms/req', 'B ÷ A (median)'],
    targets.map((t) => {
      const [rpsA, rpsB] = [series(a, t, (s) => s.rps), series(b, t, (s) => s.rps)];
      const [cpuA, cpuB] = [series(a, t, (s) => s.cpu), series(b, t, (s) => s.cpu)];
      const list = (values: number[], digits: number) => values.map((v) => fmt(v, digits)).join(', ');
      return [t.name, list(rpsA, 0), list(rpsB, 0), fmt(median(rpsB) / median(rpsA), 2), list(cpuA, 2), list(cpuB, 2), fmt(median(cpuB) / median(cpuA), 2)];
    }),
  );
  const failed = [...samples.values()].flat().some((round) => [...round.values()].some((s) => s.failed > 0));
  if (failed) {
    console.error('\nSome requests did not answer 2xx: the figures above measure errors, not pages.');
    process.exitCode = 1;
  }
}

await main();
