import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { paths } from '../../src/web/paths.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a learner starts a discussion, another replies, and a facilitator hides the reply', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('walks the discussion from the network’s home page, with no accessibility violations on the way', async () => {
    // The demo lead facilitates the Learners Network (added by hand, as an admin would).
    await env.running.db.execute(sql`insert into network_members (network, person_id, role, added_at)
      select 'learners', id, 'facilitator', now() from people where email = ${demoAccounts.lead.email}`);
    let threadPath: string | undefined;

    const first = await newPage(env.browser, env.running.baseUrl);
    try {
      const page = first.page;
      await signIn(page, 'learner');
      await page.goto(paths.network('learners'));
      await expect(page.locator('#latest-discussions').innerText()).resolves.toContain('How often do you hold supplier performance reviews?');
      await page.getByRole('link', { name: 'Start a discussion' }).click();
      // An empty form is refused with the error summary.
      await page.getByRole('button', { name: 'Start discussion' }).click();
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Enter a title');
      await expectNoAxeViolations(page);
      await page.getByLabel('Title').fill('Exit plans for leisure contracts');
      await page.getByLabel('Your message').fill('When do you start planning the exit?\nOur guidance: https://www.gov.uk/guidance/contract-exit');
      await page.getByRole('button', { name: 'Start discussion' }).click();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Exit plans for leisure contracts');
      await expect(page.getByRole('link', { name: 'https://www.gov.uk/guidance/contract-exit' }).getAttribute('rel')).resolves.toBe('nofollow noopener noreferrer');
      await expectNoAxeViolations(page);
      threadPath = currentPath(page);
    } finally {
      await first.context.close();
    }

    const second = await newPage(env.browser, env.running.baseUrl);
    try {
      const page = second.page;
      await signIn(page, 'accreditedLearner');
      await page.goto(paths.networkDiscussions('learners'));
      await expectNoAxeViolations(page);
      await page.getByRole('link', { name: 'Exit plans for leisure contracts' }).click();
      await page.getByLabel('Your reply').fill('Eighteen months before the end, with an exit board.');
      await page.getByRole('button', { name: 'Post reply' }).click();
      await expect(page.locator('main').innerText()).resolves.toContain('Reply added');
      await expect(page.locator('main').innerText()).resolves.toContain('Eighteen months before the end');
      await expectNoAxeViolations(page);
    } finally {
      await second.context.close();
    }

    const third = await newPage(env.browser, env.running.baseUrl);
    try {
      const page = third.page;
      await signIn(page, 'lead');
      await page.goto(threadPath!);
      await page.getByRole('link', { name: /Hide the post by/ }).last().click(); // the reply, after the opening post
      await expectNoAxeViolations(page);
      await page.getByLabel('Why are you hiding it?').fill('Names a supplier in a dispute');
      await page.getByRole('button', { name: 'Hide post' }).click();
      await expect(page.locator('main').innerText()).resolves.toContain('Post hidden');
      await expect(page.locator('main').innerText()).resolves.toContain('Reason: Names a supplier in a dispute');
      await expectNoAxeViolations(page);
    } finally {
      await third.context.close();
    }

    // The member who started it sees the reply hidden.
    const again = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(again.page, 'learner');
      await again.page.goto(threadPath!);
      const main = await again.page.locator('main').innerText();
      expect(main).toContain('Hidden by a facilitator');
      expect(main).not.toContain('Eighteen months before the end');
    } finally {
      await again.context.close();
    }
  });
});
