import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { currentPath, expectNoAxeViolations, launchBrowser, newPage, signIn, skipBrowserTests, startApp, type RunningApp } from './browser.ts';

type Who = keyof typeof demoAccounts;

describe.skipIf(skipBrowserTests)('browser: every demo role signs in, lands on their home page and signs out', { timeout: 90_000 }, () => {
  let browser: Browser;
  let running: RunningApp;
  let demoCouncil: { path: string; name: string };

  beforeAll(async () => {
    [browser, running] = await Promise.all([launchBrowser(), startApp()]);
    const [row] = await queryRows<{ id: string; name: string }>(
      running.db,
      sql`select o.id, o.name from people p join organisations o on o.id = p.organisation_id where p.email = ${demoAccounts.sro.email}`,
    );
    demoCouncil = { path: `/councils/${row.id}`, name: row.name };
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  // Each role's home page, and the heading that shows it is the real page.
  const homes: [Who, () => { path: string; heading: string }][] = [
    ['admin', () => ({ path: '/councils', heading: 'Councils' })],
    ['partnerLp', () => ({ path: '/councils', heading: 'Councils' })],
    ['partnerMhclg', () => ({ path: '/councils', heading: 'Councils' })],
    ['specialist', () => ({ path: '/councils', heading: 'Councils' })],
    ['sro', () => ({ path: demoCouncil.path, heading: demoCouncil.name })],
    ['lead', () => ({ path: demoCouncil.path, heading: demoCouncil.name })],
    ['funder', () => ({ path: '/dashboard', heading: 'Programme dashboard' })],
    ['learner', () => ({ path: '/my-journey', heading: 'Your learning' })],
  ];

  it.each(homes)('%s', async (who, home) => {
    const { context, page } = await newPage(browser, running.baseUrl);
    try {
      await signIn(page, who);
      expect(currentPath(page)).toBe(home().path);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(home().heading);
      const signOut = page.getByRole('button', { name: 'Sign out' });
      await expect(signOut.isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(page);

      await signOut.click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe('/signed-out');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You have signed out');
      await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);

      // Signed out means signed out: a signed-in page now asks to sign in again.
      await page.goto('/account');
      expect(currentPath(page)).toBe('/sign-in?next=%2Faccount');
    } finally {
      await context.close();
    }
  });

  it('a wrong password shows the GOV.UK error summary, keeping the email address', async () => {
    const { context, page } = await newPage(browser, running.baseUrl);
    try {
      await page.goto('/sign-in');
      await expectNoAxeViolations(page);
      await signIn(page, 'partnerLp', 'not-the-right-password');
      expect(currentPath(page)).toBe('/sign-in');
      await expect(page.title()).resolves.toMatch(/^Error: /);
      const summary = page.getByRole('alert');
      await expect(summary.getByRole('heading', { name: 'There is a problem' }).isVisible()).resolves.toBe(true);
      await expect(summary.getByRole('link', { name: /Enter a correct email address and password/ }).isVisible()).resolves.toBe(true);
      // GOV.UK Frontend's JavaScript runs (the CSP nonce lets its inline script through) and moves focus to the summary.
      await expect(page.evaluate(() => document.body.classList.contains('govuk-frontend-supported'))).resolves.toBe(true);
      await expect(page.evaluate(() => document.activeElement?.classList.contains('govuk-error-summary'))).resolves.toBe(true);
      // The email address is kept; the password is not.
      await expect(page.getByLabel('Email address').inputValue()).resolves.toBe(demoAccounts.partnerLp.email);
      await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
