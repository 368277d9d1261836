import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { simplePdf } from '../../src/db/seed/simple-pdf.ts';
import { paths } from '../../src/web/paths.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: a council officer adds and removes an evidence file', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('uploads a file to an improvement (after a refused one), sees it listed, and removes it through the confirmation page, with no axe violations', async () => {
    const db = env.running.db;
    const [i] = await queryRows<{ id: string }>(
      db,
      sql`select i.id from improvements i
          where i.status = 'submitted' and i.council_id = (select organisation_id from people where email = ${demoAccounts.lead.email})
          order by i.improved_on desc, i.id limit 1`,
    );
    const files = async () => queryRows<{ fileName: string }>(db, sql`select file_name as "fileName" from evidence_files where improvement_id = ${i.id} order by added_at`);
    const { page, context } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'lead');
      await page.goto(`${env.running.baseUrl}${paths.improvement(i.id)}`);
      await page.waitForLoadState();
      await expectNoAxeViolations(page);

      // A file whose contents are not what its name says: refused, with the error beside the upload.
      await page.getByLabel('Upload a file as evidence').setInputFiles({ name: 'minutes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
      await page.getByRole('button', { name: 'Upload file' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('alert').innerText()).resolves.toMatch(/There is a problem[\s\S]*The selected file is called \.pdf but its contents are/);
      await expectNoAxeViolations(page);
      expect(await files()).toEqual([]);

      await page.getByLabel('Upload a file as evidence').setInputFiles({ name: 'Cabinet minutes.pdf', mimeType: 'application/pdf', buffer: simplePdf('Cabinet minutes', ['Plans adopted']) });
      await page.getByRole('button', { name: 'Upload file' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`${paths.improvement(i.id)}?done=evidence-file`);
      await expect(page.locator('main').innerText()).resolves.toContain('File added as evidence');
      await expect(page.locator('#evidence-file-list').innerText()).resolves.toMatch(/Cabinet minutes\.pdf\s+PDF, [\d.]+ (KB|bytes), added by /);
      await expectNoAxeViolations(page);
      expect(await files()).toEqual([{ fileName: 'Cabinet minutes.pdf' }]);

      await page.getByRole('link', { name: 'Remove Cabinet minutes.pdf' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Are you sure you want to remove Cabinet minutes.pdf?');
      await expectNoAxeViolations(page);
      // Going back keeps it.
      await page.getByRole('link', { name: 'No, go back' }).click();
      await page.waitForLoadState();
      expect(await files()).toEqual([{ fileName: 'Cabinet minutes.pdf' }]);
      await page.getByRole('link', { name: 'Remove Cabinet minutes.pdf' }).click();
      await page.waitForLoadState();
      await page.getByRole('button', { name: 'Yes, remove it' }).click();
      await page.waitForLoadState();
      expect(currentPath(page)).toBe(`${paths.improvement(i.id)}?done=evidence-file-removed`);
      await expect(page.locator('main').innerText()).resolves.toContain('Evidence file removed');
      await expect(page.locator('main').innerText()).resolves.not.toContain('Cabinet minutes.pdf');
      await expectNoAxeViolations(page);
    } finally {
      await context.close();
    }
    expect(await files()).toEqual([]);
  });
});
