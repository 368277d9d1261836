import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/** Each role's list pages (and the admin's index of admin pages). */
const listsByRole = {
  admin: [paths.councils(), paths.people(), paths.learners(), paths.places(), paths.cohorts(), paths.audit(), paths.placeRequests(), paths.engagements(), paths.improvements(), paths.surveys(), paths.admin(), paths.fundingSpend()],
  partnerLp: [paths.councils(), paths.people(), paths.learners(), paths.places(), paths.cohorts(), paths.placeRequests(), paths.engagements(), paths.improvements(), paths.fundingSpend()],
  sro: [paths.councils(), paths.people(), paths.learners(), paths.places(), paths.engagements(), paths.improvements()],
  funder: [paths.councils(), paths.places(), paths.surveys()],
  learner: [paths.myCpd()],
} as const;

const desktop = { width: 1280, height: 800 };
const phone = { width: 320, height: 640 };

/**
 * Fails naming the elements wider than the page when the page scrolls sideways; with `boxesToo`, also when a table
 * scrolls inside its own box (on a desktop every table should fit).
 */
async function expectNoSidewaysScroll(page: Page, label: string, boxesToo = false) {
  const overflow = await page.evaluate((boxesToo) => {
    const root = document.documentElement;
    const boxes = boxesToo ? [...document.querySelectorAll<HTMLElement>('.app-table-scroll, .app-scroll-region')].filter((b) => b.scrollWidth > b.clientWidth + 1) : [];
    if (boxes.length) return { scrollingBoxes: boxes.map((b) => `${b.querySelector('caption')?.textContent?.trim()}: ${b.scrollWidth} in ${b.clientWidth}`) };
    if (root.scrollWidth <= root.clientWidth) return null;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} (right edge ${Math.round(el.getBoundingClientRect().right)})`);
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide.slice(0, 15) };
  }, boxesToo);
  expect(overflow, `${label} scrolls sideways`).toBeNull();
}

/** Fails naming any tag whose text breaks over more than one line. */
async function expectTagsOnOneLine(page: Page, label: string) {
  const wrapped = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.govuk-tag')]
      .filter((tag) => tag.offsetHeight > 0 && tag.offsetHeight > 1.6 * parseFloat(getComputedStyle(tag).lineHeight))
      .map((tag) => tag.textContent?.trim()),
  );
  expect(wrapped, `${label}: tags that wrap`).toEqual([]);
}

/** The service navigation's items and the rows they fall on (their distinct tops). */
const navRows = (page: Page) =>
  page.evaluate(() => {
    const items = [...document.querySelectorAll<HTMLElement>('.govuk-service-navigation__item')];
    return { count: items.length, tops: [...new Set(items.map((i) => i.offsetTop))] };
  });

describe.skipIf(skipBrowserTests)('browser: every list fits a desktop screen and a phone, for every role', { timeout: 600_000 }, () => {
  const env = withBrowserAndApp();

  for (const [role, urls] of Object.entries(listsByRole)) {
    it(`shows the ${role}'s lists without sideways scroll at 1280 and 320 px, the navigation on one line, and no axe violations`, async () => {
      const { context, page } = await newPage(env.browser, env.running.baseUrl);
      try {
        await signIn(page, role);
        for (const url of urls) {
          await page.setViewportSize(desktop);
          const response = await page.goto(url);
          expect(response?.status(), url).toBe(200);
          await expectNoSidewaysScroll(page, `${url} at 1280 px`, true);
          const nav = await navRows(page);
          expect(nav.count, `${url}: navigation items`).toBeGreaterThan(0);
          expect(nav.tops, `${url}: the navigation wraps onto more than one line at 1280 px`).toHaveLength(1);
          await expectNoAxeViolations(page);

          await page.setViewportSize(phone);
          await page.reload();
          await expectNoSidewaysScroll(page, `${url} at 320 px`);
          await expectTagsOnOneLine(page, `${url} at 320 px`);
          await expectNoAxeViolations(page);
        }
      } finally {
        await context.close();
      }
    });
  }

  it('keeps the learners table’s headers for each cell when its rows become cards on a phone', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.setViewportSize(phone);
      await page.goto(paths.learners());
      const table = page.locator('#learners');
      // Cards: a row's cells sit one under another rather than side by side.
      const [first, second] = await table.locator('tbody tr').first().locator('td').evaluateAll((tds) => tds.slice(0, 2).map((td) => td.getBoundingClientRect()));
      expect(second.top).toBeGreaterThanOrEqual(first.bottom - 1);
      // The header row is still there for assistive technology, and each cell still answers to its column.
      await expect(table.locator('thead th').count()).resolves.toBe(5);
      await expect(table.getByRole('columnheader', { name: /Assessment due/ }).count()).resolves.toBe(1);
      await expect(table.locator('tbody tr').first().locator('td[data-label="Status"]').count()).resolves.toBe(1);
    } finally {
      await context.close();
    }
  });

  it('puts the admin pages under one "Admin" item, highlighted on each of them', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.setViewportSize(desktop);
      await page.goto(paths.councils());
      const nav = page.getByRole('navigation', { name: 'Menu' });
      await expect(nav.getByRole('link').allInnerTexts()).resolves.toEqual([
        'Councils', 'People', 'Learners', 'Funded places', 'Cohorts', 'Dashboard', 'Admin', 'Your account',
      ]);
      await nav.getByRole('link', { name: 'Admin' }).click();
      await page.waitForLoadState();
      await expect(page.locator('#admin-pages a').allInnerTexts()).resolves.toEqual([
        'Uploads', 'Audit log', 'Settings', 'Data retention', 'Engagements', 'Improvements', 'Surveys', 'Networks', 'Funding', 'Reports',
      ]);
      for (const url of [paths.admin(), paths.audit(), paths.settings(), paths.importNominations(), paths.surveys(), paths.funding(), paths.reports()]) {
        await page.goto(url);
        await expect(nav.locator('[aria-current]').innerText(), url).resolves.toBe('Admin');
      }
    } finally {
      await context.close();
    }
  });

  it('does not move the page when the navigation collapses behind "Menu" on a phone', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.setViewportSize(phone);
      const mainTop = () => page.locator('main').evaluate((m) => Math.round(m.getBoundingClientRect().top));
      // Before govuk-frontend's script has run (held back here), the page is laid out as it will be after.
      await page.route('**/static/init.js', (route) => route.abort());
      await page.goto(paths.learners());
      const before = await mainTop();
      await expect(page.locator('.govuk-service-navigation__list').isVisible()).resolves.toBe(false);
      await page.unroute('**/static/init.js');
      await page.goto(paths.learners());
      await page.locator('.govuk-service-navigation[data-govuk-service-navigation-init]').waitFor({ state: 'attached' });
      expect(await mainTop()).toBe(before);
      // The menu still opens.
      const menu = page.getByRole('button', { name: 'Menu' });
      await menu.click();
      await expect(page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Learners' }).isVisible()).resolves.toBe(true);
    } finally {
      await context.close();
    }
  });
});
