import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/** The "Showing 1 to 3 of 3 events" line. */
const resultCount = (page: Page) => page.getByRole('status').first().textContent().then((t) => (t ?? '').replace(/\s+/g, ' ').trim());

/** Types a date into the date input whose legend is `legend`. */
async function fillDate(page: Page, legend: string, day: string, month: string, year: string) {
  const group = page.getByRole('group', { name: legend });
  await group.getByLabel('Day').fill(day);
  await group.getByLabel('Month').fill(month);
  await group.getByLabel('Year').fill(year);
}

async function applyFilters(page: Page) {
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForLoadState();
}

describe.skipIf(skipBrowserTests)('browser: a programme admin reads the audit log and filters it by date', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('reads each event as a sentence, filters by day with date inputs, shows date errors, with no axe violations', async () => {
    const [admin] = await queryRows<{ name: string }>(env.running.db, sql`select name from people where email = ${demoAccounts.admin.email}`);
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.goto(paths.audit());
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Audit log');
      // The sign-in that just happened, said by name.
      await expect(page.getByRole('cell', { name: `${admin.name} signed in.` }).first().isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(page);

      // Today's events only (the app's clock is fixed at 26 November 2026).
      await fillDate(page, 'From', '26', '11', '2026');
      await fillDate(page, 'To', '26', '11', '2026');
      await applyFilters(page);
      await expect(resultCount(page)).resolves.toMatch(/^Showing 1 to \d+ of \d+ events?$/);
      expect(new URL(page.url()).searchParams.get('from-day')).toBe('26');
      await expect(page.getByRole('group', { name: 'From' }).getByLabel('Day').inputValue()).resolves.toBe('26');
      await expectNoAxeViolations(page);

      // A day that does not exist: the error summary links to the wrong box.
      await fillDate(page, 'From', '31', '2', '2026');
      await applyFilters(page);
      const summary = page.getByRole('alert');
      await expect(summary.textContent()).resolves.toContain('From date must be a real date');
      await summary.getByRole('link', { name: 'From date must be a real date' }).click();
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('from-day');
      await expectNoAxeViolations(page);

      // A "to" before the "from".
      await fillDate(page, 'From', '26', '11', '2026');
      await fillDate(page, 'To', '1', '11', '2026');
      await applyFilters(page);
      await expect(page.getByRole('alert').textContent()).resolves.toContain('To date must be the same as or after the from date');
      await expectNoAxeViolations(page);

      // A day with no events.
      await page.getByRole('link', { name: 'Clear filters' }).first().click();
      await page.waitForLoadState();
      await fillDate(page, 'To', '1', '1', '2020');
      await applyFilters(page);
      await expect(page.getByRole('heading', { name: 'No audit events found' }).isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
