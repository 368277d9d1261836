import { describe, expect, it } from 'vitest';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin archives the quarterly report and a funder reads it', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('generates from the reports page, then a funder finds it under Reports, reads it, prints it without the navigation and downloads the PDF, all passing axe', async () => {
    const adminContext = await env.browser.newContext({ baseURL: env.running.baseUrl });
    let reportPath: string;
    try {
      const page = await adminContext.newPage();
      await signIn(page, 'admin');
      await page.goto(paths.admin());
      await page.getByRole('link', { name: 'Reports', exact: true }).first().click();
      expect(new URL(page.url()).pathname).toBe(paths.reports());
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Generate and archive the report' }).click();
      await expect(page.locator('.govuk-notification-banner').innerText()).resolves.toContain('Report generated and archived');
      reportPath = new URL(page.url()).pathname;
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toMatch(/^Quarterly report to funders: \d{4}-Q[1-4]$/);
      await expectNoAxeViolations(page);
    } finally {
      await adminContext.close();
    }

    const context = await env.browser.newContext({ baseURL: env.running.baseUrl });
    try {
      const page = await context.newPage();
      await signIn(page, 'funder');
      await page.locator('.govuk-service-navigation').getByRole('link', { name: 'Reports', exact: true }).click();
      expect(new URL(page.url()).pathname).toBe(paths.reports());
      await expectNoAxeViolations(page);
      await page.locator(`a[href="${reportPath}"]`).click();
      expect(new URL(page.url()).pathname).toBe(reportPath);
      // The URL changes when the navigation commits; counting rows straight away could count a page still arriving
      // (it did once in CI, under load), so wait for it to load before counting.
      await page.waitForLoadState();
      await expect(page.locator('#table-headline tbody tr').count()).resolves.toBeGreaterThan(5);
      await expect(page.locator('#table-funding').count()).resolves.toBe(1);
      // The headline figures by managing partner, region and council type, each a captioned table of its own.
      for (const id of ['partner', 'region', 'type']) await expect(page.locator(`#table-headline-by-${id} caption`).innerText()).resolves.toMatch(/^Headline figures by .+ as at /);
      await expectNoAxeViolations(page);

      // Printed: the content only, without the header, navigation, footer or download links.
      await page.emulateMedia({ media: 'print' });
      await expect(page.locator('.govuk-service-navigation').isVisible()).resolves.toBe(false);
      await expect(page.locator('.govuk-footer').isVisible()).resolves.toBe(false);
      await expect(page.locator('#download-pdf').isVisible()).resolves.toBe(false);
      await expect(page.locator('#table-headline').isVisible()).resolves.toBe(true);
      await expect(page.locator('#table-headline-by-type').isVisible()).resolves.toBe(true);
      await page.emulateMedia({ media: 'screen' });

      const pdf = await page.request.get((await page.locator('#download-pdf').getAttribute('href'))!);
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await context.close();
    }
  });
});
