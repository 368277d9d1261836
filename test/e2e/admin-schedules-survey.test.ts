import { describe, expect, it } from 'vitest';
import { demoActor } from '../helpers.ts';
import { createSurvey, moveSurvey } from '../../src/surveys/service.ts';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin sets a behaviour survey to send itself after accreditation', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('finds the survey by filtering the list, refuses 7 months with the error summary (input kept), then shows the schedule on the survey page, all passing axe', async () => {
    const { db, clock } = env.running;
    const admin = await demoActor(db, 'admin');
    const ctx = { actor: admin, clock };
    const id = await createSurvey(db, ctx, {
      title: 'Using what you learnt, three months on',
      level: 'behaviour',
      audience: 'Learners after accreditation, and their SROs',
      anonymous: false,
      closesOn: '2027-06-30',
      questions: [{ text: 'How often do you use what you learnt?', type: 'scale', options: [], required: true }],
    });
    await moveSurvey(db, ctx, id, 'open');

    const context = await env.browser.newContext({ baseURL: env.running.baseUrl });
    try {
      const page = await context.newPage();
      await signIn(page, 'admin');
      await page.goto(paths.surveys());
      await page.getByLabel('Level').selectOption('behaviour');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForLoadState();
      await expect(page.locator('#showing').innerText()).resolves.toContain('Showing 1 to 1 of 1 survey');
      await expectNoAxeViolations(page);
      await page.getByRole('link', { name: 'Using what you learnt, three months on' }).click();
      await page.locator('#send').click();
      await expect(page.locator('#schedule').innerText()).resolves.toBe('Send it automatically after accreditation');
      await expectNoAxeViolations(page);

      await page.getByLabel('Months after accreditation').fill('7');
      await page.getByLabel('Include the learners’ councils’ SROs').check();
      await page.getByRole('button', { name: 'Send it automatically' }).click();
      await page.waitForLoadState();
      await expect(page.locator('.govuk-error-summary').innerText()).resolves.toContain('Enter the number of months as a whole number from 3 to 6');
      await expect(page.getByLabel('Months after accreditation').inputValue()).resolves.toBe('7');
      await expect(page.getByLabel('Include the learners’ councils’ SROs').isChecked()).resolves.toBe(true);
      await expectNoAxeViolations(page);

      await page.getByLabel('Months after accreditation').fill('3');
      await page.getByRole('button', { name: 'Send it automatically' }).click();
      await page.waitForLoadState();
      expect(new URL(page.url()).pathname).toBe(paths.survey(id));
      await expect(page.locator('.govuk-notification-banner').innerText()).resolves.toContain('The survey will now send itself after accreditation');
      await expect(page.locator('.govuk-summary-list').innerText()).resolves.toContain('Yes: to learners 3 months after their accreditation, and to their councils’ SROs');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
