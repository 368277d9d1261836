import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/** The body rows of the page's table, each as its cells' text. */
const tableRows = (page: Page) =>
  page
    .getByRole('table')
    .first()
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())));

/** The "Showing 1 to 50 of 317 councils" line. */
const resultCount = (page: Page) => page.getByRole('status').first().textContent().then((t) => (t ?? '').replace(/\s+/g, ' ').trim());

// Columns of the council list: Council, GSS code, Type, Region, Status, Onboarding date, Managing partner, SRO.
const col = { name: 0, region: 3, status: 4 } as const;

describe.skipIf(skipBrowserTests)('browser: a programme admin browses councils and moves one along the pipeline', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('searches, filters, sorts, pages, opens a council and changes its status', async () => {
    const [interested] = await queryRows<{ id: string; name: string; region: string }>(
      env.running.db,
      sql`select o.id, o.name, o.region from participations p join organisations o on o.id = p.council_id
          where p.status = 'interested' and o.region <> '' order by o.name limit 1`,
    );
    const [{ n: sameRegionAndStatus }] = await queryRows<{ n: number }>(
      env.running.db,
      sql`select count(*)::int as n from participations p join organisations o on o.id = p.council_id
          where p.status = 'interested' and o.region = ${interested.region}`,
    );
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      expect(currentPath(page)).toBe('/councils');
      await expect(resultCount(page)).resolves.toBe('Showing 1 to 50 of 317 councils');
      await expectNoAxeViolations(page);

      // Search by name.
      await page.getByLabel('Search by name, GSS code or register code').fill('Manchester');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForLoadState();
      const found = await tableRows(page);
      expect(found.map((r) => r[col.name])).toEqual(['Manchester City Council']);
      await expect(resultCount(page)).resolves.toBe('Showing 1 to 1 of 1 council');
      await expectNoAxeViolations(page);

      // Clear the search and go to page 2.
      await page.getByRole('link', { name: 'Clear filters' }).click();
      await page.waitForLoadState();
      await page.getByRole('navigation', { name: /Pagination/i }).getByRole('link', { name: /Next/ }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toContain('page=2');
      await expect(resultCount(page)).resolves.toBe('Showing 51 to 100 of 317 councils');
      await expectNoAxeViolations(page);

      // Sort by name, Z to A: the header says so and the rows follow.
      await page.getByRole('link', { name: 'Council', exact: true }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('columnheader', { name: 'Council', exact: true }).getAttribute('aria-sort')).resolves.toBe('descending');
      const names = (await tableRows(page)).map((r) => r[col.name]);
      expect(names).toHaveLength(50);
      expect(names).toEqual([...names].sort((a, b) => b.localeCompare(a)));
      await expectNoAxeViolations(page);

      // Filter by region and status.
      await page.getByLabel('Region').selectOption({ label: interested.region });
      await page.getByLabel('Programme status').selectOption({ label: 'Interested' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForLoadState();
      const filtered = await tableRows(page);
      expect(filtered).toHaveLength(sameRegionAndStatus);
      for (const row of filtered) {
        expect(row[col.region]).toBe(interested.region);
        expect(row[col.status]).toBe('Interested');
      }
      await expectNoAxeViolations(page);

      // Open the council.
      await page.getByRole('link', { name: interested.name, exact: true }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`/councils/${interested.id}`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(interested.name);
      await expectNoAxeViolations(page);

      // Move it from interested to eligibility review.
      await page.getByRole('button', { name: 'Change programme status' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`/councils/${interested.id}/status`);
      await expectNoAxeViolations(page);
      await page.getByLabel('Eligibility review').check();
      await page.getByLabel('Reason').fill('Expressed interest at the regional event; checking eligibility');
      await page.getByRole('button', { name: 'Change status' }).click();
      await page.waitForLoadState();

      // Back on the council: a success banner, the new status and a new first row in the history.
      expect(new URL(page.url()).pathname).toBe(`/councils/${interested.id}`);
      await expect(page.getByRole('alert', { name: 'Success' }).textContent()).resolves.toContain('Programme status changed');
      const status = page.locator('.govuk-summary-list__row', { has: page.getByText('Programme status', { exact: true }) });
      await expect(status.locator('dd').first().textContent()).resolves.toContain('Eligibility review');
      const history = page.getByRole('table', { name: /Status history/ });
      const [latest] = await history
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())));
      expect(latest[1]).toBe('Interested to Eligibility review');
      expect(latest[2]).toBe('Expressed interest at the regional event; checking eligibility');
      expect(latest[3]).not.toBe('Imported record');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
  });
});
