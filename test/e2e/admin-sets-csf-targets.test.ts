import { describe, expect, it } from 'vitest';
import { expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin sets a critical success factor’s targets; a funder reads its trends on a phone', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('adds a CSF from the evaluation page, is told a target is impossible, and sees its status and trend, all passing axe', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.goto('/evaluation');
      await page.getByRole('link', { name: 'Critical success factors' }).click();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Critical success factors');
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Add a CSF' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Learners stay the course');
      await page.getByLabel('Order').fill('5');
      await page.getByLabel('Judge this CSF by Learners retained').check();
      await page.getByLabel('Target for Learners retained').fill('150');
      await page.getByLabel('Amber threshold for Learners retained').fill('80');
      await page.getByRole('button', { name: 'Add CSF' }).click();
      await expect(page.locator('.govuk-error-summary').innerText()).resolves.toContain('Target for Learners retained must be between 0% and 100%');
      await expectNoAxeViolations(page);
      await page.getByLabel('Target for Learners retained').fill('90');
      await page.getByRole('button', { name: 'Add CSF' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Learners stay the course');
      await expect(page.locator('[data-csf-indicator="learners_retained"] .govuk-tag').innerText()).resolves.toMatch(/^(Green: on target|Amber: close to target|Red: off target)$/);
      await expect(page.locator('#trend-learners_retained tbody tr').count()).resolves.toBe(12);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });

  it('shows a funder a CSF’s status and 12-month trend at 320 px without sideways scrolling', async () => {
    const context = await env.browser.newContext({ baseURL: env.running.baseUrl, viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'funder');
      await page.goto('/evaluation/csfs');
      await expect(page.locator('#primary-action').count()).resolves.toBe(0);
      await page.getByRole('link', { name: 'Improvements are made, verified and valued' }).click();
      await page.waitForLoadState();
      await expect(page.locator('svg.app-chart').count()).resolves.toBe(2);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
