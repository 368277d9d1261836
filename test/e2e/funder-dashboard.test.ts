import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/**
 * Whether the page is wider than the window (a phone would scroll sideways), and if so the elements that stick out
 * past its right edge, so a failure says what to fix.
 */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const { scrollWidth, clientWidth } = document.documentElement;
    if (scrollWidth <= clientWidth) return [];
    return [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > clientWidth + 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')} (right edge ${Math.round(e.getBoundingClientRect().right)})`)
      .slice(0, 20);
  });

describe.skipIf(skipBrowserTests)('browser: a funder reads the dashboard, suppressed, on a phone', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('fits a 320 px screen, draws its charts beside their tables, hides small counts and those a total would give away, states the rule, and passes axe', async () => {
    const context = await env.browser.newContext({ baseURL: env.running.baseUrl, viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'funder');
      // A funder lands on the dashboard.
      expect(new URL(page.url()).pathname).toBe(paths.dashboard());
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Programme dashboard');
      await expect(page.getByRole('heading', { name: 'Headline figures as at 26 November 2026' }).count()).resolves.toBe(1);

      // Each trend is a chart (an image with a name) and a table of the same months.
      const charts = page.getByRole('img', { name: /^Bar chart: / });
      await expect(charts.count()).resolves.toBe(4);
      const chart = await charts.first().boundingBox();
      expect(chart!.width).toBeLessThanOrEqual(320);
      await expect(page.locator('#trend-nominations tbody tr').count()).resolves.toBe(12);
      // Small counts are hidden from a funder, and so are counts a total shown beside them would give away: few
      // councils are onboarding, and “taking part” (onboarding + active) is shown, so the active count is hidden too.
      const rule = await page.locator('#disclosure-rule').innerText();
      expect(rule).toContain('Counts from 1 to 4 are shown as “fewer than 5”');
      expect(rule).toContain('Some other counts are shown as “hidden”, so that a count under 5 cannot be worked out from the totals');
      const statusCount = (label: string) => page.locator('#councils-by-status tbody tr').filter({ has: page.getByRole('rowheader', { name: label, exact: true }) }).locator('td');
      await expect(statusCount('Onboarding').innerText()).resolves.toBe('fewer than 5');
      await expect(statusCount('Active').innerText()).resolves.toBe('hidden');
      await expect(page.locator('#headline dd [data-figure]').first().innerText()).resolves.toMatch(/^\d+$/);

      expect(await overflow(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await expectNoAxeViolations(page);

      // The download holds the same figures, small ones hidden alike.
      const href = await page.getByRole('link', { name: 'Download these figures as CSV' }).getAttribute('href');
      expect(href).toBe(paths.dashboardExport('csv'));
      const csv = await (await page.request.get(href!)).text();
      const taking = await page.locator('#headline dd [data-figure]').first().innerText();
      expect(csv).toContain(`Headline figures,Councils taking part,Count,${taking},26 November 2026,\r\n`);
      expect(csv).toContain('Councils by programme status,Active,Councils,hidden,26 November 2026,Hidden so that a count under 5 cannot be worked out from the totals');
      expect(csv).toContain(',<5,');
    } finally {
      await context.close();
    }
  });
});
