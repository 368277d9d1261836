/**
 * The downloads at national scale (`npm run bench:export`). For each backend — PGlite always, PostgreSQL too when
 * BENCH_DATABASE_URL is set (in a fresh database it creates and drops) — it generates the national data
 * (bench/generate.ts), starts the app as a child process (`npm start`'s command, production configuration, on a
 * random loopback port), signs in as the admin through the real form, and downloads through the real routes:
 *   - GET /people/export.csv     every person (about 20,000)
 *   - GET /learners/export.csv   every enrolment (about 41,600)
 *   - GET /learners/export.xlsx  the same as a workbook
 * each once to warm up and three times measured, read as a stream and thrown away as it comes (the client keeps
 * nothing). It prints the rows, the median seconds to the last byte, rows a second and the server's largest peak RSS
 * over its RSS before a download (VmHWM from /proc/<pid>/status, reset before each download through
 * /proc/<pid>/clear_refs). A browser's `accept-encoding` is sent, so the CSV comes compressed (brotli) as a browser
 * gets it. Not part of the test suite.
 *
 *   npm run bench:export
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:export
 */
import os from 'node:os';
import { generateNationalData, openBenchDatabase } from './generate.ts';
import { pgliteBackend, postgresBackend, type Backend } from './backends.ts';
import { procMb, resetPeak, signIn, startApp, stepTimeoutMs } from './server.ts';

/** The floor (issue 9, target 4): rows a second, and what a download may add to the process's memory. */
const rowsPerSecondTarget = 100_000;
const memoryTargetMb = 100;

type Row = { backend: string; target: string; rows: number; seconds: number; rps: number; rssMb: number; peakMb: number };

/**
 * Downloads measured after the first (which compiles and warms up): one alone moved by a quarter from run to run on
 * this two-core machine, so the table gives the median time and the largest memory increase of these.
 */
const measuredDownloads = 3;

/** What Chrome and Firefox ask for: the service answers with brotli, as they get it. (Node's fetch alone asks for gzip.) */
const browserEncodings = 'gzip, deflate, br, zstd';

/** One download read as a stream and thrown away: its seconds to the last byte, its lines (CSV) and the server's memory. */
async function download(url: string, cookie: string, pid: number) {
  // Reset the peak (VmHWM) to the current RSS, so the peak read afterwards is this download's.
  resetPeak(pid);
  const rssMb = procMb(pid, 'VmRSS');
  const started = performance.now();
  const res = await fetch(url, { headers: { cookie, 'accept-encoding': browserEncodings }, signal: AbortSignal.timeout(stepTimeoutMs) });
  if (res.status !== 200 || !res.body) throw new Error(`${url} answered ${res.status}.`);
  let lines = 0;
  // Counted with indexOf (native): a JavaScript loop over the 9 MB of a learners CSV cost the client ~40 ms of CPU
  // a download, taken from the two cores the service and the database share.
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, lines, rssMb, peakMb: procMb(pid, 'VmHWM') - rssMb };
}

async function benchBackend(backend: Backend): Promise<Row[]> {
  console.error(`\n[${backend.name}] preparing the database and generating national data…`);
  const prepared = await openBenchDatabase({ databaseUrl: backend.databaseUrl, dataDir: backend.dataDir });
  const generated = await generateNationalData(prepared.db);
  await prepared.close();
  console.error(`[${backend.name}] ${generated.people} people, ${generated.enrolments} enrolments`);
  const { child, url, stop } = await startApp(backend);
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
      const measured = [];
      for (let i = 0; i < measuredDownloads; i++) measured.push(await download(url + path, cookie, child.pid!));
      const r = [...measured].sort((a, b) => a.seconds - b.seconds)[Math.floor(measuredDownloads / 2)];
      // A CSV's data rows are its lines less the header (no generated field holds a line break); a workbook is
      // zipped, so its rows are the learners CSV's.
      const count = path.endsWith('.csv') ? r.lines - 1 : learners;
      if (target === 'learners CSV') learners = count;
      const peakMb = Math.max(...measured.map((m) => m.peakMb));
      rows.push({ backend: backend.name, target, rows: count, seconds: r.seconds, rps: count / r.seconds, rssMb: r.rssMb, peakMb });
    }
    return rows;
  } finally {
    await stop();
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
    `${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; the median of ${measuredDownloads} downloads after one to warm up ` +
    `(memory: the largest of them), admin, no filter\n`);
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
