import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { activeCouncils, allocateAs, enrol, openPeriodsUntil } from '../../src/places/testing.ts';
import { testConfig } from '../helpers.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a partner with no places left requests some, an admin grants them, the partner approves', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('takes a nomination from “no places left” to approved through a request for places', async () => {
    const t = { db: env.running.db, clock: env.running.clock, config: testConfig() };
    await openPeriodsUntil(t, '2039-40');
    const council = (await activeCouncils(t, 200)).find((c) => c.partner === 'LP')!;
    await allocateAs(t, council.id, 'expert', '2035-36', 1);
    await enrol(t, council.id, 'expert', '2035-36');
    const waiting = await enrol(t, council.id, 'expert', '2035-36', { approve: false });
    const places = async () =>
      (await queryRows<{ places: number; taken: number }>(t.db, sql`select places, taken from funded_places where council_id = ${council.id} and level = 'expert' and period = '2035-36'`))[0];

    // The partner opens the nomination's decision page: no places left, so they ask for more.
    const partner = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(partner.page, 'partnerLp');
      // Which step: approving; the next page asks only the approval's questions, beside the places panel.
      await partner.page.goto(paths.enrolmentMove(waiting.id));
      await partner.page.getByLabel('Approve nomination').check();
      await partner.page.getByRole('button', { name: 'Continue' }).click();
      await partner.page.waitForLoadState();
      const panel = partner.page.locator('#places-panel');
      await expect(panel.innerText()).resolves.toContain('1 allocated, 1 taken, 0 left');
      await expectNoAxeViolations(partner.page);
      await panel.getByRole('link', { name: 'Request places' }).click();
      await partner.page.waitForLoadState();
      expect(currentPath(partner.page)).toContain(paths.placeRequestNew());
      await expectNoAxeViolations(partner.page);
      await partner.page.getByRole('button', { name: 'Send request' }).click();
      await partner.page.waitForLoadState();
      await expect(partner.page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem[\s\S]*Enter the number of places/);
      await expectNoAxeViolations(partner.page);
      await partner.page.getByLabel('How many more places').fill('1');
      await partner.page.getByLabel('Why the council needs them').fill('An expert officer is waiting for approval');
      await partner.page.getByRole('button', { name: 'Send request' }).click();
      await partner.page.waitForLoadState();
      expect(currentPath(partner.page)).toBe(`${paths.placeRequests()}?done=requested`);
      await expect(partner.page.locator('main').innerText()).resolves.toContain('Request for places sent');
      await expectNoAxeViolations(partner.page);
    } finally {
      await partner.context.close();
    }

    // The admin finds the request from the funded places page and grants it.
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto(paths.places());
      await expectNoAxeViolations(admin.page);
      await admin.page.getByRole('link', { name: /Requests for places \(1 waiting/ }).click();
      await admin.page.waitForLoadState();
      await expectNoAxeViolations(admin.page);
      await admin.page.getByRole('link', { name: `Decide on the request for ${council.name}` }).click();
      await admin.page.waitForLoadState();
      await expectNoAxeViolations(admin.page);
      expect(await admin.page.locator('main').innerText()).toContain('Grant: add 1 place to the allocation');
      await admin.page.getByRole('radio', { name: /Grant: add 1 place/ }).check();
      await admin.page.getByRole('button', { name: 'Save decision' }).click();
      await admin.page.waitForLoadState();
      await expect(admin.page.locator('main').innerText()).resolves.toContain('Request granted: the places are allocated');
      await expectNoAxeViolations(admin.page);
    } finally {
      await admin.context.close();
    }
    expect(await places()).toEqual({ places: 2, taken: 1 });
    const [mail] = await queryRows<{ subject: string }>(t.db, sql`select subject from notifications where to_email = ${demoAccounts.partnerLp.email} and template = 'place-request-granted'`);
    expect(mail.subject).toBe(`Your request for 1 Expert place for ${council.name} in 2035-36 is granted`);

    // The partner approves the nomination with the new place.
    const again = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(again.page, 'partnerLp');
      await again.page.goto(paths.enrolmentMove(waiting.id));
      await again.page.getByLabel('Approve nomination').check();
      await again.page.getByRole('button', { name: 'Continue' }).click();
      await again.page.waitForLoadState();
      await expect(again.page.locator('#places-panel').innerText()).resolves.toContain('2 allocated, 1 taken, 1 left');
      await expectNoAxeViolations(again.page);
      await again.page.getByRole('button', { name: 'Record step' }).click();
      await again.page.waitForLoadState();
      expect(currentPath(again.page).split('?')[0]).toBe(paths.enrolment(waiting.id));
      await expect(again.page.locator('main').innerText()).resolves.toContain('Approved');
      await expectNoAxeViolations(again.page);
    } finally {
      await again.context.close();
    }
    expect(await places()).toEqual({ places: 2, taken: 2 });
  });
});
