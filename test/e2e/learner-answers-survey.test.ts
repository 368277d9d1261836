import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { demoActor } from '../helpers.ts';
import { queryRows } from '../../src/db/client.ts';
import { hashSecret, newSecret } from '../../src/auth/secrets.ts';
import { createSurvey, moveSurvey } from '../../src/surveys/service.ts';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a learner answers an anonymous survey through their emailed link, on a phone', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('fits 320 px, refuses a missing answer with the error summary (input kept), thanks them, and refuses the link a second time', async () => {
    const { db, clock } = env.running;
    const admin = await demoActor(db, 'admin');
    const learner = await demoActor(db, 'learner');
    const ctx = { actor: admin, clock };
    const id = await createSurvey(db, ctx, {
      title: 'How was the Foundation workshop?',
      level: 'reaction',
      audience: 'Learners at the workshop',
      anonymous: true,
      closesOn: '2026-12-31',
      questions: [
        { text: 'How useful was the workshop?', type: 'scale', options: [], required: true },
        { text: 'Which part helped most?', type: 'single', options: ['The case studies', 'The exercises'], required: false },
        { text: 'What will you try first?', type: 'multiple', options: ['A contract register', 'KPIs', 'Supplier meetings'], required: false },
        { text: 'Anything else?', type: 'text', options: [], required: false },
      ],
    });
    await moveSurvey(db, ctx, id, 'open');
    // The link as the email would carry it (only its hash is stored).
    const token = newSecret();
    await db.execute(sql`insert into survey_recipients (survey_id, person_id, token_hash, sent_at) values (${id}, ${learner.personId}, ${hashSecret(token)}, now())`);

    const context = await env.browser.newContext({ baseURL: env.running.baseUrl, viewport: { width: 320, height: 640 } });
    try {
      const page = await context.newPage();
      await page.goto(paths.surveyAnswer(token));
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('How was the Foundation workshop?');
      await expect(page.locator('#anonymous').innerText()).resolves.toContain('stored without your name');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      await expectNoAxeViolations(page);

      // The required scale left out: the error summary says so, and what was chosen stays chosen.
      await page.getByLabel('The exercises').check();
      await page.getByLabel('Anything else?').fill('More exercises, please');
      await page.getByRole('button', { name: 'Send my answers' }).click();
      await page.waitForLoadState();
      await expect(page.locator('.govuk-error-summary').innerText()).resolves.toContain('Select an answer to question 1');
      await expect(page.getByLabel('The exercises').isChecked()).resolves.toBe(true);
      await expect(page.getByLabel('Anything else?').inputValue()).resolves.toBe('More exercises, please');
      await expectNoAxeViolations(page);

      await page.getByLabel('4', { exact: true }).check();
      await page.getByLabel('KPIs').check();
      await page.getByRole('button', { name: 'Send my answers' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Thank you: your answers have been sent');
      await expectNoAxeViolations(page);
      const [saved] = await queryRows<{ person_id: string | null; answers: unknown }>(db, sql`select person_id, answers from survey_responses where survey_id = ${id}`);
      expect(saved.person_id).toBeNull();
      expect(saved.answers).toEqual({ q1: 4, q2: 'The exercises', q3: ['KPIs'], q4: 'More exercises, please' });

      // The link works once.
      const again = await page.goto(paths.surveyAnswer(token));
      expect(again!.status()).toBe(409);
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('You have already answered this survey');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
