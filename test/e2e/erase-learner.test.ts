import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin erases a learner', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('goes from the person page to the confirmation, refuses a blank reason, and erases', async () => {
    const [learner] = await queryRows<{ id: string; name: string }>(env.running.db, sql`select id, name from people where email = ${demoAccounts.learner.email}`);
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto(`/people/${learner.id}`);
      await expectNoAxeViolations(admin.page);
      await expect(admin.page.getByRole('link', { name: `Download everything Pioneer holds about ${learner.name}` }).count()).resolves.toBe(1);

      await admin.page.getByRole('link', { name: `Erase ${learner.name}` }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe(`/people/${learner.id}/erase`);
      await expect(admin.page.locator('main').innerText()).resolves.toContain('What will stay');
      await expectNoAxeViolations(admin.page);

      // No reason: the error summary, and nothing erased.
      await admin.page.getByRole('button', { name: `Erase ${learner.name}` }).click();
      await admin.page.waitForLoadState();
      await expect(admin.page.getByRole('alert').innerText()).resolves.toMatch(/Enter why this person is being erased/);
      await expectNoAxeViolations(admin.page);

      await admin.page.getByLabel('Why are you erasing them?').fill('Erasure request received by email on 20 November 2026');
      await admin.page.getByRole('button', { name: `Erase ${learner.name}` }).click();
      await admin.page.waitForLoadState();
      await expect(admin.page.locator('main').innerText()).resolves.toMatch(/Person erased[\s\S]*Erased person \d+/);
      await expectNoAxeViolations(admin.page);

      await admin.page.getByRole('link', { name: /^View Erased person \d+$/ }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe(`/people/${learner.id}`);
      await expect(admin.page.locator('main').innerText()).resolves.not.toContain(learner.name);
      await expectNoAxeViolations(admin.page);
    } finally {
      await admin.context.close();
    }
  });
});
