import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an SRO keeps the council’s key contracts', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from the council page to the list (fitting a phone), adds a contract after a refused value, then a KPI and its assessment, with no axe violations', async () => {
    const { page, context } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'sro');
      await page.locator('#contracts-link').click();
      await page.waitForLoadState();
      expect(currentPath(page)).toMatch(/^\/councils\/[0-9a-f-]{36}\/contracts$/);
      await expect(page.locator('#contracts').innerText()).resolves.toContain('Highways maintenance');
      await expectNoAxeViolations(page);
      await page.setViewportSize({ width: 320, height: 640 });
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
      expect(sideways, 'the list scrolls sideways on a phone').toBe(false);
      await page.setViewportSize({ width: 1280, height: 800 });

      await page.getByRole('button', { name: 'Add a key contract' }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      await page.getByLabel('Contract name').fill('Leisure centres');
      await page.getByLabel('Supplier').fill('Active Life Trust');
      await page.getByLabel('Annual value').fill('1,200,000');
      await page.getByLabel('Total value').fill('6000000.125');
      const start = page.getByRole('group', { name: 'Start date' });
      await start.getByLabel('Day').fill('1');
      await start.getByLabel('Month').fill('4');
      await start.getByLabel('Year').fill('2024');
      const end = page.getByRole('group', { name: 'End date' });
      await end.getByLabel('Day').fill('31');
      await end.getByLabel('Month').fill('3');
      await end.getByLabel('Year').fill('2028');
      await page.getByLabel('Gold').check();
      await page.getByLabel('Contract manager').selectOption({ index: 1 });
      await page.getByLabel('Yes').check();
      await page.getByRole('button', { name: 'Add contract' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem[\s\S]*Total value must not have more than 2 decimal places/);
      await expectNoAxeViolations(page);
      await page.getByLabel('Total value').fill('6000000.12');
      await page.getByRole('button', { name: 'Add contract' }).click();
      await page.waitForLoadState();
      await expect(page.locator('main').innerText()).resolves.toContain('Contract added');
      await expect(page.locator('#flags').innerText()).resolves.toMatch(/Procurement Act 2023 duties[\s\S]*one is due now[\s\S]*Ends within 18 months/);
      await expectNoAxeViolations(page);

      await page.getByRole('button', { name: 'Add a KPI' }).click();
      await page.waitForLoadState();
      await page.getByLabel('KPI', { exact: true }).fill('Visits a year');
      await page.getByLabel('Target').fill('500,000');
      await page.getByRole('button', { name: 'Add KPI' }).click();
      await page.waitForLoadState();
      await page.getByRole('link', { name: 'Assess Visits a year' }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      await page.getByLabel('Requires improvement').check();
      await page.getByRole('button', { name: 'Save assessment' }).click();
      await page.waitForLoadState();
      await expect(page.locator('#kpi-table').innerText()).resolves.toContain('Requires improvement');
      await expect(page.locator('#assessment-due').innerText()).resolves.toContain('Next KPI assessment due 26 November 2027');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    const [row] = await queryRows<{ p: string }>(env.running.db, sql`select total_value_pence::text as p from contracts where name = 'Leisure centres'`);
    expect(row.p).toBe('600000012');
  });
});
