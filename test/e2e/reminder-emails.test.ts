import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { sendDueReminders } from '../../src/notifications/reminders.ts';
import { addEnrolment, addLearner, queuedTo } from '../../src/notifications/testing.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a reminder’s unsubscribe link, and choosing reminders on the account page', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('unsubscribes signed out from the link in a reminder, and explains a broken link', async () => {
    const { db, clock, baseUrl } = env.running;
    const learner = await addLearner(db, 'Rhea Reminded');
    await addEnrolment(db, learner, 'practitioner', 'in_learning', '2025-12-26');
    await sendDueReminders(db, { baseUrl }, clock);
    const [mail] = await queuedTo(db, learner.email);
    expect(mail.unsubscribe_url).toMatch(new RegExp(`^${baseUrl}/unsubscribe/`));

    const { context, page } = await newPage(env.browser, baseUrl);
    try {
      await page.goto(mail.unsubscribe_url!);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Stop “Assessment due” reminders');
      await expectNoAxeViolations(page);
      await page.getByRole('button', { name: 'Unsubscribe' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('You have unsubscribed');
      await expectNoAxeViolations(page);
      const [row] = await queryRows<{ kind: string }>(db, sql`select kind from reminder_opt_outs where person_id = ${learner.id}`);
      expect(row.kind).toBe('assessment-due');

      await page.goto(`${mail.unsubscribe_url!.slice(0, -4)}XXXX`);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('This unsubscribe link is not valid');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });

  it('lets a signed-in learner switch a reminder off from their account page', async () => {
    const { db, baseUrl } = env.running;
    const { context, page } = await newPage(env.browser, baseUrl);
    try {
      await signIn(page, 'learner');
      await page.goto('/account');
      await page.getByRole('link', { name: 'Change reminder emails' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe('/account/notifications');
      await expectNoAxeViolations(page);
      await page.getByLabel('CPD hours short').uncheck();
      await page.getByRole('button', { name: 'Save reminder choices' }).click();
      await page.waitForLoadState();
      await expect(page.locator('main').innerText()).resolves.toContain('Your reminder choices have been saved');
      await expect(page.getByLabel('CPD hours short').isChecked()).resolves.toBe(false);
      await expect(page.getByLabel('Assessment due').isChecked()).resolves.toBe(true);
      await expectNoAxeViolations(page);
      const rows = await queryRows<{ kind: string }>(
        db,
        sql`select o.kind from reminder_opt_outs o join people p on p.id = o.person_id where p.email = ${demoAccounts.learner.email}`,
      );
      expect(rows.map((r) => r.kind)).toEqual(['cpd-shortfall']);
    } finally {
      await context.close();
    }
  });
});
