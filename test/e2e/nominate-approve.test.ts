import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an SRO nominates an officer, an admin approves, the learner sees their next step', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('takes a Foundation nomination from the council to the learner’s own journey page', async () => {
    const [learner] = await queryRows<{ id: string; name: string }>(env.running.db, sql`select id, name from people where email = ${demoAccounts.learner.email}`);
    const placesTaken = async () =>
      (
        await queryRows<{ taken: number }>(
          env.running.db,
          sql`select f.taken from funded_places f join people p on p.organisation_id = f.council_id
              where p.email = ${demoAccounts.sro.email} and f.level = 'foundation' and f.period = '2026-27'`,
        )
      )[0].taken;
    const takenBefore = await placesTaken();

    // The SRO nominates: first without choosing anything (the error summary), then properly.
    const sro = await newPage(env.browser, env.running.baseUrl);
    let enrolmentPath: string;
    try {
      await signIn(sro.page, 'sro');
      await sro.page.goto(paths.nominate());
      await expectNoAxeViolations(sro.page);
      await sro.page.getByLabel('An officer already in Pioneer').check();
      await sro.page.getByRole('button', { name: 'Continue' }).click();
      await sro.page.waitForLoadState();
      await expectNoAxeViolations(sro.page);
      await sro.page.getByRole('button', { name: 'Nominate' }).click();
      await sro.page.waitForLoadState();
      await expect(sro.page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem/);
      await expectNoAxeViolations(sro.page);

      await sro.page.getByLabel('Officer', { exact: true }).selectOption(learner.id);
      await sro.page.getByLabel('Foundation').check();
      await sro.page.getByLabel('Their role (optional)').fill('Manages the council’s facilities contracts');
      await sro.page.getByRole('button', { name: 'Nominate' }).click();
      await sro.page.waitForLoadState();
      enrolmentPath = currentPath(sro.page).split('?')[0];
      expect(enrolmentPath).toMatch(/^\/enrolments\/[0-9a-f-]{36}$/);
      await expect(sro.page.locator('main').innerText()).resolves.toContain('Nominated');
      await expectNoAxeViolations(sro.page);

      // The council's learners list shows the nomination with its status counts.
      await sro.page.goto(`${paths.learners()}?status=nominated`);
      await expect(sro.page.locator('main').innerText()).resolves.toContain(learner.name);
      await expectNoAxeViolations(sro.page);
    } finally {
      await sro.context.close();
    }
    expect(await placesTaken()).toBe(takenBefore);

    // The admin approves it: approval takes one of the council's Foundation places for 2026-27.
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto(enrolmentPath);
      await expectNoAxeViolations(admin.page);
      await admin.page.getByRole('button', { name: 'Record a step' }).click();
      await admin.page.waitForLoadState();
      await expectNoAxeViolations(admin.page);
      // Which step first, then only that step's questions.
      await admin.page.getByLabel('Approve nomination').check();
      await admin.page.getByRole('button', { name: 'Continue' }).click();
      await admin.page.waitForLoadState();
      await expectNoAxeViolations(admin.page);
      await admin.page.getByRole('button', { name: 'Record step' }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page).split('?')[0]).toBe(enrolmentPath);
      await expect(admin.page.locator('main').innerText()).resolves.toContain('Approved');
      await expectNoAxeViolations(admin.page);
    } finally {
      await admin.context.close();
    }
    expect(await placesTaken()).toBe(takenBefore + 1);

    // The learner sees the new level on their journey page, with the next step, and their CPD log.
    const own = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(own.page, 'learner');
      await own.page.goto(paths.myJourney());
      const foundation = own.page.locator('section', { has: own.page.getByRole('heading', { name: /Foundation level/ }) });
      // The "Your next step" panel (learners/next-step.ts) for an approved enrolment not yet placed in a cohort.
      const text = await foundation.innerText();
      expect(text).toContain('Your next step');
      expect(text).toContain('Register with the training provider.');
      expect(text).toContain('Not placed in a cohort yet');
      await expectNoAxeViolations(own.page);
      await own.page.goto(paths.myCpd());
      await expectNoAxeViolations(own.page);
      await own.page.goto(paths.myCpdAdd());
      await own.page.getByRole('button', { name: 'Add to your log' }).click();
      await own.page.waitForLoadState();
      await expect(own.page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem/);
      await expectNoAxeViolations(own.page);
    } finally {
      await own.context.close();
    }
  });
});
