import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

const title = 'Contract exit planning clinic';
const joiningUrl = 'https://meet.example.gov.uk/exit-clinic';

describe.skipIf(skipBrowserTests)('browser: a Learners Network event with one place — the waitlist, then attendance and CPD', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();
  let eventPath = '';

  /** Signs `who` in on a fresh page and opens the event. */
  async function openEvent(who: keyof typeof demoAccounts) {
    const session = await newPage(env.browser, env.running.baseUrl);
    await signIn(session.page, who);
    await session.page.goto(eventPath);
    return session;
  }
  const myRegistration = (page: Page) => page.locator('#my-registration').innerText();

  it('a learner who joins the waitlist of a full event gets the place, and an email, when the one registered cancels', async () => {
    // A programme admin (who manages every network) adds the event, with a single place.
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto('/networks/learners/events');
      await admin.page.getByRole('button', { name: 'Add an event' }).click();
      const page = admin.page;
      await page.getByLabel('Title', { exact: true }).fill(title);
      await page.getByLabel('Description').fill('Bring one contract that ends within 18 months.');
      const date = page.getByRole('group', { name: 'Date', exact: true });
      await date.getByLabel('Day').fill('20');
      await date.getByLabel('Month').fill('1');
      await date.getByLabel('Year').fill('2027');
      await page.getByLabel('Start time').fill('18:00');
      await page.getByLabel('End time').fill('19:30');
      await page.getByLabel('Online', { exact: true }).check();
      await page.getByLabel('Joining link').fill(joiningUrl);
      await page.getByLabel('Number of places').fill('1');
      await page.getByRole('button', { name: 'Add event' }).click();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toContain(title);
      eventPath = currentPath(page).split('?')[0];
      expect(eventPath).toMatch(/^\/networks\/learners\/events\/[0-9a-f-]{36}$/);
    } finally {
      await admin.context.close();
    }

    const first = await openEvent('learner');
    const second = await openEvent('accreditedLearner');
    try {
      // The learner in learning takes the only place and sees the joining link.
      await first.page.getByRole('button', { name: 'Register' }).click();
      await expect(myRegistration(first.page)).resolves.toBe('You are registered for this event.');
      await expect(first.page.locator('#joining-link').innerText()).resolves.toBe(joiningUrl);

      // The accredited learner finds it full, joins the waitlist, and is not shown the link.
      await second.page.reload();
      await expect(second.page.locator('main').innerText()).resolves.toContain('0 of 1 left');
      await second.page.getByRole('button', { name: 'Join the waitlist' }).click();
      await expect(myRegistration(second.page)).resolves.toBe('You are number 1 on the waitlist. If a place comes up, it is yours and we will email you.');
      await expect(second.page.locator('#joining-link').count()).resolves.toBe(0);
      await expectNoAxeViolations(second.page);

      // The first learner cancels: the place goes to the waitlist at once, with an email.
      await first.page.getByRole('button', { name: 'Cancel my registration' }).click();
      await first.page.waitForLoadState();
      await expect(first.page.locator('#my-registration').count()).resolves.toBe(0);
      await expect(first.page.getByRole('button', { name: 'Join the waitlist' }).count()).resolves.toBe(1);

      await second.page.reload();
      await expect(myRegistration(second.page)).resolves.toBe('You are registered for this event.');
      await expect(second.page.locator('#joining-link').innerText()).resolves.toBe(joiningUrl);
      const emails = await queryRows<{ subject: string }>(
        env.running.db,
        sql`select subject from notifications where to_email = ${demoAccounts.accreditedLearner.email} and template = 'network-event-promoted'`,
      );
      expect(emails.map((e) => e.subject)).toEqual([`You have a place: ${title}`]);
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });

  it('a facilitator records attendance after the event, and its length appears in the learner’s CPD log', async () => {
    expect(eventPath).not.toBe('');
    // The event takes place: moved to before the suite's fixed "now" (moving the clock would end the sessions).
    const id = eventPath.split('/').at(-1)!;
    await env.running.db.execute(sql`update network_events set starts_at = timestamptz '2026-11-19 18:00:00+00',
      ends_at = timestamptz '2026-11-19 19:30:00+00', registration_deadline = null where id = ${id}::uuid`);

    const admin = await openEvent('admin');
    try {
      await admin.page.getByRole('link', { name: 'Record attendance' }).click();
      await expect(admin.page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Record attendance');
      await expect(admin.page.locator('main').innerText()).resolves.toContain('Learners who attended get 1.5 hours in their CPD log');
      await expectNoAxeViolations(admin.page);
      const attendees = admin.page.getByRole('group', { name: 'Who attended?' }).getByRole('checkbox');
      await expect(attendees.count()).resolves.toBe(1);
      await attendees.first().check();
      await admin.page.getByRole('button', { name: 'Save attendance' }).click();
      expect(currentPath(admin.page)).toMatch(new RegExp(`^${eventPath}`));
      await expect(admin.page.locator('#attendees').innerText()).resolves.toContain('Registered, attended');
    } finally {
      await admin.context.close();
    }

    const learner = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(learner.page, 'accreditedLearner');
      await learner.page.goto('/my-journey/cpd');
      const log = await learner.page.locator('main').innerText();
      // The log's row: date, hours, activity, what was done.
      expect(log).toMatch(new RegExp(`19 November 2026\\s+1\\.5\\s+Network event\\s+Attended the Learners Network event “${title}”`));
      await expectNoAxeViolations(learner.page);
      await learner.page.goto(eventPath);
      await expect(myRegistration(learner.page)).resolves.toBe('You are registered for this event. You attended.');
    } finally {
      await learner.context.close();
    }
  });
});
