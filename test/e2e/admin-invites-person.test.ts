import { describe, expect, it } from 'vitest';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin invites a person, who follows the emailed link and sets a password', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('invites, emails a single-use link and signs the new person in', async () => {
    const invitee = { name: 'Siân O’Connor-Nowak', email: 'sian.oconnor-nowak@pioneer.example.gov.uk' };
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.getByRole('link', { name: 'People', exact: true }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe('/people');
      await expectNoAxeViolations(admin.page);

      await admin.page.getByRole('button', { name: 'Invite a person' }).click();
      await admin.page.waitForLoadState();
      expect(currentPath(admin.page)).toBe('/people/invite');
      await expectNoAxeViolations(admin.page);

      await admin.page.getByLabel('Full name').fill(invitee.name);
      await admin.page.getByLabel('Email address').fill(invitee.email);
      await admin.page.getByLabel('Organisation').selectOption({ label: 'Local Partnerships' });
      await admin.page.getByLabel('Job title (optional)').fill('Programme Officer');
      await admin.page.getByRole('checkbox', { name: 'Managing partner staff' }).check();
      await admin.page.getByRole('button', { name: 'Send invitation' }).click();
      await admin.page.waitForLoadState();

      expect(new URL(admin.page.url()).pathname).toMatch(/^\/people\/[0-9a-f-]{36}$/);
      await expect(admin.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(invitee.name);
      await expect(admin.page.getByRole('alert', { name: 'Success' }).textContent()).resolves.toContain(`Invitation sent to ${invitee.email}`);
      await expectNoAxeViolations(admin.page);
    } finally {
      await admin.context.close();
    }

    await env.running.app.outbox.kick();
    const email = env.running.mailer.lastTo(invitee.email);
    expect(email?.subject).toBe('You have been invited to Pioneer');
    const link = /https?:\/\/\S+\/set-password\/\S+/.exec(email?.body ?? '')?.[0];
    expect(link).toBeDefined();
    // The link names the configured public address; the test server listens on a random port.
    const setPasswordPath = new URL(link!).pathname;

    const person = await newPage(env.browser, env.running.baseUrl);
    try {
      await person.page.goto(setPasswordPath);
      await expect(person.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Create a password');
      await expect(person.page.getByText(`For ${invitee.email}.`).isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(person.page);

      const password = 'lantern orchard basalt 42';
      await person.page.getByLabel('Password', { exact: true }).fill(password);
      await person.page.getByLabel('Confirm password', { exact: true }).fill(password);
      await person.page.getByRole('button', { name: 'Save password and sign in' }).click();
      await person.page.waitForLoadState();

      // Signed in as the new person, on the home page for managing partner staff.
      expect(currentPath(person.page)).toBe('/councils');
      await expect(person.page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(person.page);
      await person.page.getByRole('link', { name: 'Your account' }).click();
      await person.page.waitForLoadState();
      const account = person.page.locator('.govuk-summary-list');
      await expect(account.textContent()).resolves.toContain(invitee.email);
      await expect(account.textContent()).resolves.toContain('Managing partner staff');

      // The link worked once.
      await person.page.goto(setPasswordPath);
      await expect(person.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This link has expired or has already been used');
      await expectNoAxeViolations(person.page);
    } finally {
      await person.context.close();
    }
  });
});
