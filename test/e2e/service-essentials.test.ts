import { describe, expect, it } from 'vitest';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

/**
 * The GOV.UK service essentials, as a visitor who is not signed in finds them: from the footer of the sign-in page to
 * the accessibility statement, privacy notice and cookies page, and the page a person lands on after signing out.
 */
describe.skipIf(skipBrowserTests)('browser: the accessibility statement, privacy notice, cookies and signed-out pages', { timeout: 120_000 }, () => {
  const env = withBrowserAndApp();

  it('reaches each information page from the footer, with its heading and zero axe violations', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await page.goto(paths.signIn());
      const banner = page.locator('.govuk-phase-banner');
      await expect(banner.textContent().then((t) => t?.replace(/\s+/g, ' ').trim())).resolves.toBe('Beta This is a new service – your feedback will help us improve it.');
      await expect(banner.getByRole('link', { name: 'feedback' }).getAttribute('href')).resolves.toBe('mailto:cmpp@pioneer.example.gov.uk?subject=Feedback%20on%20Pioneer');

      for (const [link, path, heading] of [
        ['Accessibility statement', paths.accessibility(), 'Accessibility statement for Pioneer'],
        ['Privacy notice', paths.privacy(), 'Privacy notice'],
        ['Cookies', paths.cookies(), 'Cookies'],
      ] as const) {
        await page.getByRole('contentinfo').getByRole('link', { name: link, exact: true }).click();
        await page.waitForLoadState();
        expect(currentPath(page)).toBe(path);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(heading);
        await expect(page.title()).resolves.toBe(`${link} – Pioneer – GOV.UK`);
        // Every footer link is there on every page, so a visitor can go on from here.
        const footer = page.getByRole('contentinfo');
        for (const name of ['Accessibility statement', 'Privacy notice', 'Cookies', 'API', 'Data sources and licences']) {
          await expect(footer.getByRole('link', { name, exact: true }).isVisible(), `${path}: ${name}`).resolves.toBe(true);
        }
        await expectNoAxeViolations(page);
      }
    } finally {
      await context.close();
    }
  });

  it('fits each page on a 320 pixel wide screen without scrolling sideways (WCAG 1.4.10 Reflow)', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await page.setViewportSize({ width: 320, height: 640 });
      for (const path of [paths.accessibility(), paths.privacy(), paths.cookies(), paths.signedOut()]) {
        await page.goto(path);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, path).toBe(0);
      }
    } finally {
      await context.close();
    }
  });

  it('signs out to "You have signed out", whose link signs in again', async () => {
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'learner');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe('/signed-out');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('You have signed out');
      await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(0);
      await expectNoAxeViolations(page);

      await page.getByRole('link', { name: 'Sign in again' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(paths.signIn());
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in to Pioneer');
    } finally {
      await context.close();
    }
  });
});
