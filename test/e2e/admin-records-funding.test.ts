import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin records a fund, a budget line and spend from a spreadsheet, and reads the figures', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('adds the fund and line, refuses a bad file, uploads the fixed one and shows the spend to the penny', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.goto(paths.funding());
      // The demo's fund is listed.
      await expect(page.locator('#funds').innerText()).resolves.toContain('CCS contract management capability');
      await expectNoAxeViolations(page);

      await page.getByRole('button', { name: 'Add a fund' }).click();
      await page.getByLabel('Source organisation').fill('Department for Levelling Up');
      await page.getByLabel('Fund name').fill('E2E capability grant');
      await page.getByLabel('Amount').fill('250,000');
      for (const [legend, [d, m, y]] of [['Start date', ['1', '4', '2025']], ['End date', ['31', '3', '2026']]] as const) {
        const group = page.getByRole('group', { name: legend });
        await group.getByLabel('Day').fill(d);
        await group.getByLabel('Month').fill(m);
        await group.getByLabel('Year').fill(y);
      }
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Add fund' }).click();
      await page.waitForURL(/\/funding\/[0-9a-f-]{36}/);
      const fundPath = currentPath(page).split('?')[0];

      await page.getByRole('button', { name: 'Add a budget line' }).click();
      await page.getByLabel('Evaluation').check();
      await page.getByLabel('Line name').fill('Independent evaluation');
      await page.getByLabel('Budget').fill('20000');
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Add budget line' }).click();
      await page.waitForURL(new RegExp(`${fundPath}\\?done=line`));

      await page.getByRole('button', { name: 'Upload spend' }).click();
      await expectNoAxeViolations(page);
      const header = 'supplier,date,budget_line,amount,reference';
      const good = ['Evaluators Ltd,30/04/2025,Independent evaluation,1000.10,EV-1', 'Evaluators Ltd,31/05/2025,independent evaluation,0.20,EV-2'];
      const upload = async (rows: string[]) => {
        await page.getByLabel('Upload a file').setInputFiles({ name: 'spend.csv', mimeType: 'text/csv', buffer: Buffer.from([header, ...rows].join('\r\n')) });
        await page.getByRole('button', { name: 'Upload and check the file' }).click();
        await page.waitForLoadState();
      };
      await upload([...good, 'Caterers,01/06/2026,Catering,12.345,']);
      await expect(page.locator('.govuk-error-summary').innerText()).resolves.toContain('1 of 3 rows have errors. Nothing was uploaded');
      await expect(page.getByRole('table', { name: /Errors by row/ }).innerText()).resolves.toMatch(/not a budget line of this fund/);
      await expectNoAxeViolations(page);
      const [{ n }] = await queryRows<{ n: number }>(env.running.db, sql`select count(*)::int as n from fund_spend where supplier = 'Evaluators Ltd'`);
      expect(n).toBe(0);

      await upload(good);
      await expect(page.locator('.govuk-panel').innerText()).resolves.toContain('2 items of spend recorded, £1,000.30 in all');
      await expectNoAxeViolations(page);

      await page.getByRole('link', { name: /See the figures of/ }).click();
      await expect(page.locator('#fund-total').innerText()).resolves.toContain('£1,000.30');
      await expect(page.locator('#lines').innerText()).resolves.toMatch(/Independent evaluation[\s\S]*£20,000[\s\S]*£1,000.30[\s\S]*£18,999.70/);
      await expectNoAxeViolations(page);

      await page.getByRole('link', { name: /See all 2 items of spend/ }).click();
      await page.getByLabel('Search by supplier or reference').fill('EV-2');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect(page.getByRole('status').innerText()).resolves.toContain('Showing 1 to 1 of 1 item of spend, £0.20 in all');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
