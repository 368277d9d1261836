import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/** Clicks a button or link and waits for the page it leads to. */
async function go(page: Page, role: 'button' | 'link', name: string) {
  await page.getByRole(role, { name, exact: true }).click();
  await page.waitForLoadState();
}

const main = (page: Page) => page.locator('main').innerText();

describe.skipIf(skipBrowserTests)('browser: an SRO nominates an officer already in Pioneer, one question a page', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('asks who, then the details; refuses a level being worked towards; corrects, withdraws, and confirms a known address', async () => {
    const db = env.running.db;
    // An officer of the SRO's council free to take Foundation, and one already working towards a level.
    const [officer] = await queryRows<{ id: string; name: string; email: string }>(db, sql`
      select p.id, p.name, p.email from people p
      where p.organisation_id = (select organisation_id from people where email = ${demoAccounts.sro.email})
        and p.status <> 'deactivated' and p.email not in (${demoAccounts.learner.email}, ${demoAccounts.sro.email}, ${demoAccounts.lead.email})
        and not exists (select 1 from enrolments e where e.person_id = p.id and e.level = 'foundation' and e.status not in ('declined', 'withdrawn'))
        and not exists (select 1 from accreditations a where a.person_id = p.id and a.level = 'foundation')
      order by p.name limit 1`);
    const [busy] = await queryRows<{ personId: string; name: string; level: string }>(db, sql`
      select e.person_id as "personId", p.name, e.level from enrolments e join people p on p.id = e.person_id
      where e.council_id = (select organisation_id from people where email = ${demoAccounts.sro.email})
        and e.status in ('nominated', 'approved', 'registered', 'in_learning') and p.status <> 'deactivated'
      order by p.name limit 1`);
    expect(officer, 'the demo council has an officer free to take Foundation').toBeDefined();
    expect(busy, 'the demo council has an officer working towards a level').toBeDefined();
    const levelName = (level: string) => level.charAt(0).toUpperCase() + level.slice(1);

    const { page, context } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'sro');

      // Page 1: who — nothing chosen is an error on that question alone.
      await page.goto(paths.nominate());
      await expect(page.getByRole('group', { name: 'Who are you nominating?' }).count()).resolves.toBe(1);
      await expect(page.getByLabel('Work email address').count()).resolves.toBe(0);
      await expectNoAxeViolations(page);
      await go(page, 'button', 'Continue');
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Select whether the officer is already in Pioneer or new');
      await expectNoAxeViolations(page);
      await page.getByLabel('An officer already in Pioneer').check();
      await go(page, 'button', 'Continue');
      expect(currentPath(page)).toMatch(/^\/learners\/nominate\/existing\?councilId=/);
      await expectNoAxeViolations(page);

      // The back link returns to the question with the answer kept.
      await go(page, 'link', 'Back');
      await expect(page.getByLabel('An officer already in Pioneer').isChecked()).resolves.toBe(true);
      await expectNoAxeViolations(page);
      await go(page, 'button', 'Continue');

      // Page 2a: nothing chosen, then a level the officer is already working towards.
      await go(page, 'button', 'Nominate');
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Select the officer');
      await expectNoAxeViolations(page);
      await page.getByLabel('Officer', { exact: true }).selectOption(busy.personId);
      await page.getByLabel(levelName(busy.level), { exact: true }).check();
      await go(page, 'button', 'Nominate');
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(new RegExp(`${busy.name} is already (nominated for|working towards) ${levelName(busy.level)}`));
      await expectNoAxeViolations(page);

      await page.getByLabel('Officer', { exact: true }).selectOption(officer.id);
      await page.getByLabel('Foundation', { exact: true }).check();
      await go(page, 'button', 'Nominate');
      expect(currentPath(page)).toMatch(/^\/enrolments\/[0-9a-f-]{36}\?done=nominated$/);
      await expect(main(page)).resolves.toContain(`${officer.name}: Foundation`);
      await expectNoAxeViolations(page);

      // Before a decision the council corrects the period…
      await go(page, 'button', 'Correct level or period');
      await expectNoAxeViolations(page);
      await page.getByLabel('Period').selectOption('2027-28');
      await go(page, 'button', 'Save correction');
      await expect(main(page)).resolves.toContain('Nomination corrected');
      await expect(main(page)).resolves.toMatch(/Period\s+2027-28/);
      await expectNoAxeViolations(page);

      // …and withdraws it, after a confirmation page that asks why.
      await go(page, 'button', 'Withdraw nomination');
      await expect(page.getByRole('heading', { name: 'Withdraw this nomination?' }).count()).resolves.toBe(1);
      await expectNoAxeViolations(page);
      await go(page, 'button', 'Withdraw nomination');
      await expect(page.getByRole('alert').innerText()).resolves.toContain('Enter why the nomination is withdrawn');
      await expectNoAxeViolations(page);
      await page.getByLabel('Why is the nomination withdrawn?').fill('Nominated for the wrong year');
      await go(page, 'button', 'Withdraw nomination');
      await expect(main(page)).resolves.toContain('Nomination withdrawn');
      await expect(main(page)).resolves.toContain('Reason: Nominated for the wrong year');
      await expectNoAxeViolations(page);

      // A "new" officer whose address is the officer's: named, and nominated only once confirmed.
      await page.goto(paths.nominate());
      await page.getByLabel('A new officer').check();
      await go(page, 'button', 'Continue');
      await expectNoAxeViolations(page);
      await page.getByLabel('Full name').fill('Somebody Else');
      await page.getByLabel('Work email address').fill(officer.email);
      await page.getByLabel('Foundation', { exact: true }).check();
      await go(page, 'button', 'Nominate');
      await expect(main(page)).resolves.toContain(`This email address is already in Pioneer as ${officer.name}`);
      await expectNoAxeViolations(page);
      await go(page, 'button', 'Continue');
      await expect(page.getByRole('alert').innerText()).resolves.toContain(`Select yes if you want to nominate ${officer.name}`);
      await expectNoAxeViolations(page);
      await page.getByLabel(`Yes, nominate ${officer.name}`).check();
      await go(page, 'button', 'Continue');
      await expect(main(page)).resolves.toContain(`${officer.name}: Foundation`);
      await expect(main(page)).resolves.not.toContain('Somebody Else');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    const [{ n }] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from people where name = 'Somebody Else'`);
    expect(n).toBe(0);
  });
});
