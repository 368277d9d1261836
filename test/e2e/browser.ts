import { afterAll, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { openTestDatabase, testConfig, testNow } from '../helpers.ts';
import { buildApp } from '../../src/app.ts';
import { memoryMailer } from '../../src/notifications/mailer.ts';
import { fixedClock } from '../../src/clock.ts';
import { demoAccounts, demoPassword } from '../../src/db/seed/demo.ts';
import type { Db } from '../../src/db/client.ts';

/** Debian's Chromium; never `npx playwright install`. */
export const chromiumPath = '/usr/bin/chromium';
const browserPresent = fs.existsSync(chromiumPath);
const required = process.env.E2E === '1';

/**
 * Browser journeys run whenever Chromium is present and are required with E2E=1. They are skipped only
 * when there is no browser and E2E is unset; with E2E=1 and no browser, `launchBrowser` fails loudly.
 */
export const skipBrowserTests = !browserPresent && !required;

/** Starts headless Chromium with the flags that work in this container. */
export async function launchBrowser(): Promise<Browser> {
  if (!browserPresent) {
    throw new Error(`E2E=1 but there is no Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or unset E2E.`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Which database the journeys run on: PGlite (the default deployment), or PostgreSQL with E2E_BACKEND=postgres
 * (and TEST_DATABASE_URL), which CI runs as a second pass so every journey is walked on both.
 */
const e2eBackend = process.env.E2E_BACKEND === 'postgres' ? 'postgres' : 'pglite';
if (e2eBackend === 'postgres' && !process.env.TEST_DATABASE_URL) throw new Error('E2E_BACKEND=postgres needs TEST_DATABASE_URL');

/** The app on a fresh seeded database, listening on a random loopback port, with a mailer that keeps what it sends. */
export async function startApp() {
  const database = await openTestDatabase(e2eBackend);
  const mailer = memoryMailer();
  // The same "now" the demo data was seeded at, so no journey depends on the calendar the suite runs on.
  const clock = fixedClock(testNow);
  // Resource files in a folder of this app's own, removed on close, never the working copy's ./data.
  const resourcesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-e2e-resources-'));
  const app: FastifyInstance = await buildApp({ config: testConfig({ resourcesDir }), db: database.db, clock, mailer, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    db: database.db as Db,
    clock,
    mailer,
    baseUrl,
    close: async () => {
      await app.close();
      await database.close();
      fs.rmSync(resourcesDir, { recursive: true, force: true });
    },
  };
}

export type RunningApp = Awaited<ReturnType<typeof startApp>>;

/** Starts a browser and a fresh app before a suite's tests and stops both afterwards. */
export function withBrowserAndApp(): { browser: Browser; running: RunningApp } {
  const env = {} as { browser: Browser; running: RunningApp };
  beforeAll(async () => {
    [env.browser, env.running] = await Promise.all([launchBrowser(), startApp()]);
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.running?.close();
  });
  return env;
}

/** A page in its own context (cookies start empty); axe needs context pages, not `browser.newPage()`. */
export async function newPage(browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl });
  const page = await context.newPage();
  return { context, page };
}

/**
 * Fails listing every WCAG 2.2 AA violation axe finds on the page, with the elements at fault. A click that navigates
 * returns once the new page has begun to arrive: the scan waits for it to finish loading, or it would scan half a page.
 */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  await page.waitForLoadState();
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  if (results.violations.length === 0) return;
  const report = results.violations
    .map((v) => {
      const nodes = v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.html}`).join('\n');
      return `  ${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n${nodes}`;
    })
    .join('\n');
  throw new Error(`axe found ${results.violations.length} accessibility violation(s) on ${page.url()}:\n${report}`);
}

/** The path (and query) of the page the browser is on. */
export const currentPath = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

/**
 * Signs in through the form, as a person would. The sign-in page itself is scanned by the sign-in journey,
 * so other journeys do not pay for the same scan again.
 */
export async function signIn(page: Page, who: keyof typeof demoAccounts | string, password = demoPassword): Promise<void> {
  const email = who in demoAccounts ? demoAccounts[who as keyof typeof demoAccounts].email : who;
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}
