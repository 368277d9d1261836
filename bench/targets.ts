/**
 * What `npm run bench` and `npm run bench:compare` measure, and how: the issue 9 targets (the app's static page, every
 * list page and API list at national scale), autocannon at one concurrency with the app's CPU time per request, and
 * the tables they print. Shared so the two scripts measure the same pages the same way.
 */
import autocannon from 'autocannon';
import { cpuMs, postgresCpuMs } from './server.ts';

export type Kind = 'static' | 'bare' | 'page' | 'api';
export type Target = { name: string; path: string; kind: Kind; auth: 'none' | 'cookie' | 'token' };

const allTargets: Target[] = [
  { name: 'GET /sign-in (the app\'s static page)', path: '/sign-in', kind: 'static', auth: 'none' },
  { name: 'GET /councils', path: '/councils', kind: 'page', auth: 'cookie' },
  { name: 'GET /people', path: '/people', kind: 'page', auth: 'cookie' },
  { name: 'GET /people (page 300)', path: '/people?page=300', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (practitioner, accredited, page 20)', path: '/learners?level=practitioner&status=accredited&page=20', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (overdue)', path: '/learners?overdue=yes', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (first page)', path: '/learners', kind: 'page', auth: 'cookie' },
  { name: 'GET /learners (page 800)', path: '/learners?page=800', kind: 'page', auth: 'cookie' },
  // Page 800 of 804 is read from the list's end (db/paging.ts); the middle page steps over the most rows either way.
  { name: 'GET /learners (page 400, the middle)', path: '/learners?page=400', kind: 'page', auth: 'cookie' },
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

/**
 * The targets whose name contains any of BENCH_ONLY's comma-separated words, and always the static page (every ratio
 * is to it). The issue 12 and 13 pages are named "· transformation" and "· evaluation".
 */
export const selectTargets = (only: string | undefined) =>
  allTargets.filter((t) => !only || t.kind === 'static' || only.split(',').some((word) => t.name.includes(word)));

export type Run = { rps: number; p50: number; p99: number; failed: number };

/**
 * autocannon against `url` with `connections` for `duration` seconds; with `pid`, the app's CPU time per request over
 * the same seconds (from /proc), and with `database` PostgreSQL's too (every `postgres` process on this machine).
 * Any answer that is not 2xx, an error or a timeout counts as failed.
 */
export async function measure(url: string, headers: Record<string, string>, connections: number, duration: number, pid?: number, database = false) {
  const cpuBefore = pid ? cpuMs(pid) : 0;
  const databaseBefore = database ? postgresCpuMs() : 0;
  const r = await autocannon({ url, connections, duration, headers });
  const requests = Math.max(1, r.requests.total);
  const cpu = pid ? (cpuMs(pid) - cpuBefore) / requests : NaN;
  const databaseCpu = database ? (postgresCpuMs() - databaseBefore) / requests : NaN;
  return { run: { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed: r.non2xx + r.errors + r.timeouts } as Run, cpu, databaseCpu };
}

/** One second at 5 connections before a target is measured: templates compiled, statements planned and cached. */
export const warmUp = (url: string, headers: Record<string, string>) => autocannon({ url, connections: 5, duration: 1, headers });

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');

/** A Markdown table, the first column left-aligned and the rest right-aligned, ready for docs/performance.md. */
export function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
