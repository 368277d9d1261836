import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin applies the retention rules', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from Admin to the retention page, refuses a zero period, and runs the rules after confirming', async () => {
    await queryRows(env.running.db, sql`insert into people (name, email, organisation_id, roles, status, created_at, deactivated_at)
      select 'Long Gone Observer', 'long.gone.observer@partner.example.gov.uk', id, '{funder}', 'deactivated', '2022-01-01T09:00:00Z', '2023-11-01T09:00:00Z'
      from organisations where kind = 'partner' order by name limit 1`);
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto('/admin');
      await admin.page.getByRole('link', { name: 'Data retention' }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe('/admin/retention');
      await expect(admin.page.locator('#due-deactivated-people').innerText()).resolves.toContain('Long Gone Observer');
      await expectNoAxeViolations(admin.page);

      await admin.page.getByRole('link', { name: 'Change the retention periods' }).click();
      await admin.page.waitForLoadState();
      await admin.page.getByLabel('Invitations not accepted are removed after').fill('0');
      await admin.page.getByLabel('Reason for the change').fill('Checking the form');
      await admin.page.getByRole('button', { name: 'Save changes' }).click();
      await admin.page.waitForLoadState();
      await expect(admin.page.getByRole('alert').innerText()).resolves.toContain('Days to keep an invitation not accepted must be between 1 and 3650');
      await expectNoAxeViolations(admin.page);

      await admin.page.goto('/admin/retention');
      await admin.page.getByRole('button', { name: 'Apply the retention rules now' }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe('/admin/retention/run');
      await expectNoAxeViolations(admin.page);
      await admin.page.getByRole('button', { name: 'Apply the retention rules' }).click();
      await admin.page.waitForLoadState();
      await expect(admin.page.locator('main').innerText()).resolves.toMatch(/Retention rules applied[\s\S]*1 person anonymised/);
      await expectNoAxeViolations(admin.page);
    } finally {
      await admin.context.close();
    }
  });
});
