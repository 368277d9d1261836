import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: the accredited demo learner sees their next step and changes a CPD entry', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('shows the CPD next step with no assessment owed, then corrects an entry’s hours after a mistake', async () => {
    const [newest] = await queryRows<{ id: string; date: string }>(
      env.running.db,
      sql`select c.id, c.activity_date::text as date from cpd_records c join people p on p.id = c.person_id
          where p.email = ${demoAccounts.accreditedLearner.email} order by c.activity_date desc, c.id limit 1`,
    );
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      // Signing in lands on their learning: an accredited Practitioner whose next step is keeping up CPD.
      await signIn(page, 'accreditedLearner');
      expect(currentPath(page)).toBe(paths.myJourney());
      const nextStep = await page.locator('[data-next-step]').first().innerText();
      expect(nextStep).toContain('Your next step');
      expect(nextStep).toMatch(/CPD/);
      expect(nextStep).not.toMatch(/Book your assessment|overdue/i);
      const main = await page.locator('main').innerText();
      expect(main).toContain('Accredited');
      // Nothing is owed, so no assessment due date is shown.
      expect(main).toMatch(/Assessment due\s+None owed/);
      await expectNoAxeViolations(page);

      // The CPD log lists their entries, newest first, each with a Change link.
      await page.getByRole('link', { name: /CPD log/i }).first().click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.myCpd());
      await expectNoAxeViolations(page);
      await page.locator(`a[href="${paths.myCpdEdit(newest.id)}"]`).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.myCpdEdit(newest.id));
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Change CPD activity');
      await expectNoAxeViolations(page);

      // A mistake first: the error summary names it, and the page stays accessible.
      await page.getByLabel('How many hours did it take?').fill('lots');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem/);
      await expectNoAxeViolations(page);

      // Then the correction: back on the log with a confirmation and the new hours.
      await page.getByLabel('How many hours did it take?').fill('2.75');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`${paths.myCpd()}?done=changed`);
      await expect(page.locator('main').innerText()).resolves.toContain('CPD activity updated');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    const [after] = await queryRows<{ hours: number }>(env.running.db, sql`select hours::float as hours from cpd_records where id = ${newest.id}`);
    expect(after.hours).toBe(2.75);
  });
});
