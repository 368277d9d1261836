import { describe, expect, it } from 'vitest';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an SRO reads their council’s dashboard', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from the council page to the dashboard: figures by section with the accreditations chart and how the council has changed, dated, passing axe, also on a phone', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'sro');
      // An SRO lands on their council's page, which links to its dashboard.
      const councilPath = currentPath(page);
      expect(councilPath).toMatch(/^\/councils\/[0-9a-f-]{36}$/);
      await page.getByRole('link', { name: /^Dashboard: / }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`${councilPath}/dashboard`);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Dashboard');
      await expect(page.getByRole('img', { name: /Accreditations awarded to learners of .* by level, as at 26 November 2026/ }).count()).resolves.toBe(1);
      for (const section of ['Learners', 'Funded places', 'Improvements', 'Transformation support', 'SRO Network', 'Learners Network']) {
        await expect(page.getByRole('table', { name: section, exact: true }).count(), section).resolves.toBe(1);
      }
      await expect(page.getByRole('heading', { name: 'Contract management maturity' }).count()).resolves.toBe(1);
      // How the council has changed: each indicator's last 12 months, a chart and the same numbers in a table.
      await expect(page.getByRole('heading', { level: 2, name: 'How your council has changed' }).count()).resolves.toBe(1);
      await expect(page.getByRole('img', { name: 'Bar chart: Verified improvement value (£) each month, December 2025 to November 2026' }).count()).resolves.toBe(1);
      const improvements = page.getByRole('table', { name: /^Verified improvements each month, / });
      await expect(improvements.getByRole('row').count()).resolves.toBe(13);
      await expect(improvements.getByRole('rowheader', { name: 'November 2026' }).count()).resolves.toBe(1);
      await expectNoAxeViolations(page);
      await page.setViewportSize({ width: 320, height: 640 });
      await expectNoAxeViolations(page);
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download these figures as CSV' }).click();
      expect((await download).suggestedFilename()).toBe('council-dashboard-2026-11-26.csv');
      const trends = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download these trends as CSV' }).click();
      expect((await trends).suggestedFilename()).toBe('council-trends-2026-11-26.csv');
    } finally {
      await context.close();
    }
  });
});
