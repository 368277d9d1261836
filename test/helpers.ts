import fs from 'node:fs';
import { multipartBody } from './uploads.ts';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../src/config.ts';
import { openDatabase, queryRows, type Database } from '../src/db/client.ts';
import { buildApp } from '../src/app.ts';
import { fixedClock } from '../src/clock.ts';
import { memoryMailer } from '../src/notifications/mailer.ts';
import { demoAccounts, demoPassword } from '../src/db/seed/demo.ts';
import { loadActor } from '../src/auth/repository.ts';
import type { Actor } from '../src/auth/policy.ts';
import { testNow } from './now.ts';
import type { RowBatches } from '../src/db/batches.ts';

export { testNow };

export type Backend = 'pglite' | 'postgres';

/** The backends a suite should run on: PGlite always, PostgreSQL too when TEST_DATABASE_URL is set. */
export const backends: Backend[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A fresh database with the council register and demo data: a PGlite copy of the snapshot, or a PostgreSQL clone of the template. */
export async function openTestDatabase(backend: Backend = 'pglite'): Promise<Database> {
  if (backend === 'pglite') {
    const snapshot = new Blob([fs.readFileSync(inject('pgliteSnapshot'))]);
    return openDatabase({ dataDir: null, loadDataDir: snapshot });
  }
  const url = process.env.TEST_DATABASE_URL!;
  const name = `pioneer_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('postgresTemplate')}`);
  await admin.end();
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: dbUrl.toString(), dataDir: null });
  return {
    ...database,
    close: async () => {
      await database.close();
      const cleanup = new pg.Client({ connectionString: url });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * Configuration for tests: quiet, a sign-in rate limit high enough not to trip by accident, and none of the periodic
 * jobs (tests run them themselves, with their clock, so demo data's reminders never land in other tests' outboxes, no
 * test's records are removed behind its back, and no vacuum runs beside a test's statements).
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SIGN_IN_RATE_PER_MINUTE: '1000', REMINDER_CHECK_MINUTES: '0', RETENTION_CHECK_MINUTES: '0', SNAPSHOT_CHECK_MINUTES: '0', SURVEY_SCHEDULE_MINUTES: '0', VACUUM_CHECK_MINUTES: '0' }), ...overrides };
}


/** An app on a fresh database, with a fixed clock and a mailer that keeps what it sends. */
export async function createTestApp(opts: { backend?: Backend; config?: Partial<Config> } = {}) {
  const database = await openTestDatabase(opts.backend);
  // Resource files go to a folder of this app's own, removed on close, never the working copy's ./data.
  const resourcesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-resources-'));
  const config = testConfig({ resourcesDir, ...opts.config });
  const clock = fixedClock(testNow);
  const mailer = memoryMailer();
  const app = await buildApp({ config, db: database.db, clock, mailer, logger: false });
  await app.ready();
  return {
    app,
    db: database.db,
    backend: database.kind,
    config,
    clock,
    mailer,
    agent: () => new Agent(app),
    /** A browser-like agent signed in as a demo account. */
    signIn: async (who: keyof typeof demoAccounts | string, password = demoPassword) => {
      const email = who in demoAccounts ? demoAccounts[who as keyof typeof demoAccounts].email : who;
      const agent = new Agent(app);
      const res = await agent.submit('/sign-in', { email, password });
      if (res.statusCode !== 302) throw new Error(`sign-in as ${email} failed: ${res.statusCode}`);
      return agent;
    },
    close: async () => {
      await app.close();
      await database.close();
      fs.rmSync(resourcesDir, { recursive: true, force: true });
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;

/** Follows the cookies and CSRF token a browser would, over app.inject(). */
export class Agent {
  cookies = new Map<string, string>();
  constructor(readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse) {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  private get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader, ...headers } }));
  }

  /** The CSRF token the page at `from` carries (what a browser form would send). */
  async csrf(from = '/account'): Promise<string> {
    const page = await this.get(from);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no CSRF token on ${from} (status ${page.statusCode})`);
    return match[1];
  }

  /** Posts a form as a browser would, with the CSRF token unless `_csrf` is given. */
  async submit(url: string, form: Record<string, string | string[]>, opts: { csrfFrom?: string } = {}) {
    const body = new URLSearchParams();
    const token = '_csrf' in form ? undefined : await this.csrf(opts.csrfFrom ?? (this.cookies.has('pioneer_session') ? '/account' : '/sign-in'));
    if (token) body.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body.toString(),
        headers: { cookie: this.cookieHeader, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }

  /** Posts a form with one file as a browser would (multipart), with the CSRF token unless `csrf` is false. */
  async upload(url: string, fields: Record<string, string | string[]>, file: { name: string; content: Buffer } | null, opts: { csrf?: boolean } = {}) {
    const { payload, contentType } = multipartBody(opts.csrf === false ? fields : { _csrf: await this.csrf('/account'), ...fields }, file);
    return this.remember(await this.app.inject({ method: 'POST', url, payload, headers: { cookie: this.cookieHeader, 'content-type': contentType } }));
  }
}

/** A GOV.UK date input's three boxes as a form sends them: `<prefix>-day`, `<prefix>-month`, `<prefix>-year`. */
export const dateFields = (prefix: string, day: string, month: string, year: string) => ({ [`${prefix}-day`]: day, [`${prefix}-month`]: month, [`${prefix}-year`]: year });

/** The actor of a demo account, as the session would load it: for calling services directly. */
export async function demoActor(db: Database['db'], who: keyof typeof demoAccounts): Promise<Actor> {
  const [row] = await queryRows<{ id: string }>(db, sql`select id from people where email = ${demoAccounts[who].email}`);
  const actor = row && (await loadActor(db, row.id));
  if (!actor) throw new Error(`The demo ${who} is missing or not active.`);
  return actor;
}

/** The version a page's form carries in its hidden `version` field: what the browser sends back with the form. */
export const formVersion = (html: string): string | undefined => /name="version" value="([^"]*)"/.exec(html)?.[1];

const entities: Record<string, string> = { amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>', '#92': '\\' };

/** The budget warnings a held form sends back with "Save anyway" / "Upload anyway" (its hidden confirmedWarnings), as a browser sends them. */
export const confirmedWarningsOn = (html: string): string[] =>
  [...html.matchAll(/<input type="hidden" name="confirmedWarnings" value="([^"]*)">/g)].map((m) => m[1].replace(/&(amp|quot|#39|lt|gt|#92);/g, (_, e: string) => entities[e]));

/** The text of the GOV.UK error summary on a page, or '' when there is none. */
export function errorSummary(html: string): string {
  const m = /<div class="govuk-error-summary"[\s\S]*?<\/div>\s*<\/div>/.exec(html);
  return m ? m[0].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() : '';
}

/**
 * Adds a test's own email domain to every council's allowed domains, so a suite that nominates made-up officers
 * (officer.1@api-test.example.gov.uk) is not refused by the domain rule it is not about.
 */
export async function allowEmailDomain(db: Database['db'], domain: string) {
  await db.execute(sql`update participations set email_domains = array_append(email_domains, ${domain}) where not (${domain} = any(email_domains))`);
}

/** Every row of a download's batches, in order. */
export async function rowsOf<T>(rows: RowBatches<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of rows.batches) all.push(...batch);
  return all;
}
