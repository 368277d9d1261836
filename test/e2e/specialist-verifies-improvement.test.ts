import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a specialist verifies an improvement', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from the improvements list, filtered, to verifying one (after a refused decision), with no axe violations', async () => {
    const db = env.running.db;
    const [i] = await queryRows<{ id: string; council: string; councilId: string }>(
      db,
      sql`select i.id, o.name as council, o.id as "councilId" from improvements i join organisations o on o.id = i.council_id
          where i.status = 'submitted' and i.council_id = (select organisation_id from people where email = ${demoAccounts.sro.email})
          order by i.improved_on desc, i.id limit 1`,
    );
    const { page, context } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'specialist');
      await page.getByRole('link', { name: 'Improvements', exact: true }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.improvements());
      await expectNoAxeViolations(page);

      // The council's submitted improvements, waiting for a decision.
      await page.getByLabel('Council', { exact: true }).selectOption({ label: i.council });
      await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Submitted' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForLoadState();
      await expect(page.locator('#totals').innerText()).resolves.toMatch(/Total financial value/);
      await expectNoAxeViolations(page);
      await page.locator(`a[href="${paths.improvement(i.id)}"]`).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.improvement(i.id));
      await expectNoAxeViolations(page);

      // No decision: refused with the error summary.
      await page.getByRole('button', { name: 'Verify or query' }).click();
      await page.waitForLoadState();
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Save decision' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem[\s\S]*Select verify or query/);
      await expectNoAxeViolations(page);

      await page.getByLabel('Verify it').check();
      await page.getByLabel('Note to the council').fill('Checked against the signed contract variation.');
      await page.getByRole('button', { name: 'Save decision' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`${paths.improvement(i.id)}?done=verified`);
      await expect(page.locator('main').innerText()).resolves.toContain('Improvement verified');
      await expect(page.locator('#verification').innerText()).resolves.toContain('Checked against the signed contract variation.');
      await expect(page.getByRole('button', { name: 'Verify or query' }).count()).resolves.toBe(0);
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    const [row] = await queryRows<{ status: string; reviewer: string }>(
      db,
      sql`select i.status, p.email as reviewer from improvements i join people p on p.id = i.reviewed_by_id where i.id = ${i.id}`,
    );
    expect(row).toEqual({ status: 'verified', reviewer: demoAccounts.specialist.email });
  });
});
