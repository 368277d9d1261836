import { describe, expect, it } from 'vitest';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a funder reads the evaluation indicators on a phone', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('reaches Evaluation from the navigation, reads every indicator with how it is worked out, fits 320 px and passes axe', async () => {
    const context = await env.browser.newContext({ baseURL: env.running.baseUrl, viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'funder');
      // At 320 px the service navigation is behind its Menu button.
      const menu = page.locator('.govuk-service-navigation__toggle');
      if (await menu.isVisible()) await menu.click();
      await page.locator('.govuk-service-navigation').getByRole('link', { name: 'Evaluation', exact: true }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).pathname).toBe(paths.evaluation());
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Evaluation');
      await expect(page.locator('#indicators tbody tr').count()).resolves.toBe(8);
      await expect(page.locator('[data-indicator="funded_places_used"]').innerText()).resolves.toMatch(/^\d+\.\d%$|^No data yet$/);
      await expect(page.locator('#disclosure-rule').count()).resolves.toBe(1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await expectNoAxeViolations(page);
      const href = await page.getByRole('link', { name: 'Download the indicators as CSV' }).getAttribute('href');
      const csv = await (await page.request.get(href!)).text();
      expect(csv).toContain('Funded places used,Percent,');
    } finally {
      await context.close();
    }
  });
});
