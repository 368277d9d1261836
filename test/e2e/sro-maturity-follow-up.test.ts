import { describe, expect, it } from 'vitest';
import { currentPath, expectNoAxeViolations, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an SRO completes a follow-up maturity assessment and sees the change chart', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('starts from the last assessment, is told what is missing, submits, and reads the change as a chart and a table, on a phone too', async () => {
    const context = await env.browser.newContext({ baseURL: env.running.baseUrl, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await signIn(page, 'sro');
      // The SRO lands on their council's page, which links to its maturity.
      await page.getByRole('link', { name: /Maturity assessments and the change since the baseline/ }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toMatch(/^\/councils\/[0-9a-f-]{36}\/maturity$/);
      await expect(page.getByRole('img', { name: /contract management maturity, baseline and latest assessment by area/ }).count()).resolves.toBe(1);
      await expectNoAxeViolations(page);

      await page.getByRole('button', { name: 'Start a follow-up assessment' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toMatch(/\/maturity\/[0-9a-f-]{36}\/edit$/);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Follow-up assessment');
      // Pre-filled from the last submitted assessment: every area has a score already.
      await expect(page.locator('input[type="radio"][name^="score-"]:checked').count()).resolves.toBe(11);

      // Risk goes up to 5; the People evidence is cleared, so the submission is refused and says why.
      await page.locator('input[name="score-risk"][value="5"]').check();
      await page.getByLabel('Evidence for Risk').fill('Risk registers for every gold contract, reviewed monthly with suppliers.');
      await page.getByLabel('Evidence for People').fill('');
      await page.getByRole('button', { name: 'Submit assessment' }).click();
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Enter the evidence for People');
      await expectNoAxeViolations(page);
      await page.getByRole('link', { name: 'Enter the evidence for People' }).click();
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('evidence-people');
      await page.getByLabel('Evidence for People').fill('Two accredited contract managers; workload planned quarterly.');
      await page.getByRole('button', { name: 'Submit assessment' }).click();

      // Back on the maturity page: submitted, the chart and the table agree, and Risk is at 5.
      expect(currentPath(page)).toMatch(/\/maturity\?done=submitted$/);
      await expect(page.locator('.govuk-notification-banner').innerText()).resolves.toContain('Assessment submitted');
      const risk = page.locator('#change-table tr[data-area="risk"] td');
      await expect(risk.nth(1).innerText()).resolves.toBe('5');
      const baseline = Number(await risk.nth(0).innerText());
      await expect(risk.nth(2).innerText()).resolves.toBe(baseline === 5 ? '0' : `+${5 - baseline}`);
      await expect(page.locator('svg[role="img"] desc').textContent()).resolves.toContain('The same figures, with the change, are in the table');
      await expectNoAxeViolations(page);

      // On a 320 px phone the chart fits its column and nothing scrolls sideways.
      await page.setViewportSize({ width: 320, height: 640 });
      const box = await page.getByRole('img', { name: /baseline and latest assessment by area/ }).boundingBox();
      expect(box!.width).toBeLessThanOrEqual(320);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('main *')]
          // A stacked table's header row is visually hidden (clipped), so it does not count.
          .filter((e) => !e.closest('thead') && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .map((e) => `${e.tagName}#${e.id}.${e.className}`)
          .slice(0, 5),
      );
      expect(wide).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
