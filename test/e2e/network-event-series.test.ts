import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

const title = 'Supplier review surgery';

describe.skipIf(skipBrowserTests)('browser: a monthly series of network events — changing one or the later ones, and a change that crossed another', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();
  const seriesRows = () =>
    queryRows<{ id: string; title: string; location: string | null }>(env.running.db, sql`select id, title, location from network_events where title like ${`${title}%`} order by starts_at`);

  it('a facilitator adds three monthly events at once, changes the second and the third together after seeing a colleague’s change, and the first stays', async () => {
    const me = await newPage(env.browser, env.running.baseUrl);
    const colleague = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(me.page, 'admin');
      await signIn(colleague.page, 'admin');
      const page = me.page;
      await page.goto('/networks/sro/events/new');
      await page.getByLabel('Title', { exact: true }).fill(title);
      await page.getByLabel('Description').fill('Bring a supplier review you are preparing.');
      const date = page.getByRole('group', { name: 'Date', exact: true });
      await date.getByLabel('Day').fill('12');
      await date.getByLabel('Month').fill('2');
      await date.getByLabel('Year').fill('2027');
      await page.getByLabel('Start time').fill('10:00');
      await page.getByLabel('End time').fill('11:30');
      await page.getByLabel('In person', { exact: true }).check();
      await page.getByLabel('Location').fill('Guildhall, Room 2');
      await page.getByLabel('Number of places').fill('20');
      await page.getByLabel('SRO Network').check();
      await page.getByLabel('Every month, on the same date').check();
      await page.getByLabel('Number of events in the series').fill('3');
      await page.getByRole('button', { name: 'Add event' }).click();
      // A series lands on the events list, each of the three listed.
      await expect(page.locator('main').innerText()).resolves.toContain(title);
      const made = await seriesRows();
      expect(made).toHaveLength(3);

      // Both open the second event's change page; it offers the choice of this one or this and the later one.
      const second = `/networks/sro/events/${made[1].id}`;
      await page.goto(`${second}/edit`);
      await colleague.page.goto(`${second}/edit`);
      const scope = page.getByRole('group', { name: 'Which events do you want to change?' });
      await expect(scope.getByLabel('Change this event only').isChecked()).resolves.toBe(true);
      await expectNoAxeViolations(page);

      // The colleague saves a new title for that event only.
      await colleague.page.getByLabel('Title', { exact: true }).fill(`${title} (moved room)`);
      await colleague.page.getByRole('button', { name: 'Save changes' }).click();
      await expect(colleague.page.locator('.govuk-notification-banner').innerText()).resolves.toContain('Event changed');

      // My save, for this and the later one, is refused: the page shows the event as it is now above my changes.
      await page.getByLabel('Location').fill('Council Chamber');
      await scope.getByLabel('Change this event and the later one in the series').check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      const summary = page.locator('.govuk-error-summary');
      await expect(summary.innerText()).resolves.toContain('Someone else changed this event since you opened the page');
      await expect(page.getByRole('heading', { name: 'The event as it is now' }).isVisible()).resolves.toBe(true);
      await expect(page.locator('.govuk-summary-list').innerText()).resolves.toContain(`${title} (moved room)`);
      await expect(page.getByLabel('Location').inputValue()).resolves.toBe('Council Chamber');
      await expect(scope.getByLabel('Change this event and the later one in the series').isChecked()).resolves.toBe(true);
      await expectNoAxeViolations(page);
      expect((await seriesRows()).map((e) => e.location)).toEqual(['Guildhall, Room 2', 'Guildhall, Room 2', 'Guildhall, Room 2']);

      // Saved again, knowingly: the second and third move; the first keeps its room. My form still held the old title,
      // which the second now takes back (what was typed is what is saved), and the third takes too.
      await page.getByRole('button', { name: 'Save changes' }).click();
      expect(currentPath(page)).toBe(`${second}?done=series-changed`);
      await expect(page.locator('.govuk-notification-banner').innerText()).resolves.toContain('This event and the later ones in the series changed');
      const saved = await seriesRows();
      expect(saved.map((e) => e.location)).toEqual(['Guildhall, Room 2', 'Council Chamber', 'Council Chamber']);
      expect(saved.map((e) => e.title)).toEqual([title, title, title]);
      await expectNoAxeViolations(page);
    } finally {
      await me.context.close();
      await colleague.context.close();
    }
  });
});
