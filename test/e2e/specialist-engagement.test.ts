import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a specialist logs time on their engagement and adds an action', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from the engagements list to logging time (after a refused entry) and adding an action, with no axe violations', async () => {
    const db = env.running.db;
    const [e] = await queryRows<{ id: string; council: string }>(
      db,
      sql`select e.id, o.name as council from engagements e join organisations o on o.id = e.council_id
          where e.council_id = (select organisation_id from people where email = ${demoAccounts.sro.email})`,
    );
    const { page, context } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'specialist');
      await page.getByRole('link', { name: 'Engagements', exact: true }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      await page.getByRole('link', { name: e.council }).first().click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.engagement(e.id));
      await expectNoAxeViolations(page);

      // Time in the future is refused, with the error summary.
      await page.getByRole('button', { name: 'Log time' }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      const workDate = page.getByRole('group', { name: 'Date of the work' });
      await workDate.getByLabel('Day').fill('27');
      await workDate.getByLabel('Month').fill('11');
      await workDate.getByLabel('Year').fill('2026');
      await page.getByLabel('Hours').check();
      await page.getByLabel('Time spent').fill('3.5');
      await page.getByLabel('Coaching').check();
      await page.getByRole('button', { name: 'Log time' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem[\s\S]*Date must be today or in the past/);
      await expectNoAxeViolations(page);
      await workDate.getByLabel('Day').fill('25');
      await page.getByRole('button', { name: 'Log time' }).click();
      await page.waitForLoadState();
      await expect(page.locator('main').innerText()).resolves.toContain('Time logged');
      await expect(page.locator('#time-entries').innerText()).resolves.toContain('3.5 hours');

      // An action owned by the council's lead, due after the engagement starts.
      await page.getByRole('button', { name: 'Add an action' }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      await page.getByLabel('Action', { exact: true }).fill('Publish KPIs for the top ten contracts');
      await page.getByLabel('Maturity area (optional)').selectOption({ label: 'Managing performance' });
      await page.getByLabel('Owner').selectOption({ index: 1 });
      const due = page.getByRole('group', { name: 'Due date' });
      await due.getByLabel('Day').fill('31');
      await due.getByLabel('Month').fill('1');
      await due.getByLabel('Year').fill('2027');
      await page.getByLabel('Amber').check();
      await page.getByRole('button', { name: 'Add action' }).click();
      await page.waitForLoadState();
      await expect(page.locator('main').innerText()).resolves.toContain('Action added');
      await expect(page.locator('#action-list').innerText()).resolves.toMatch(/Publish KPIs for the top ten contracts\s*Managing performance/);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from engagement_actions where engagement_id = ${e.id} and title = 'Publish KPIs for the top ten contracts' and maturity_area_key = 'managing-performance'`);
    expect(row.n).toBe(1);
  });
});
