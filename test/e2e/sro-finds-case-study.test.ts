import { describe, expect, it } from 'vitest';
import { paths } from '../../src/web/paths.ts';
import { simplePdf } from '../../src/db/seed/simple-pdf.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin shares a case study with the SRO Network, and an SRO finds it by search and downloads it', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('refuses a file that lies about its type, takes the real one, replaces it in place, and serves the new one as a download', async () => {
    const pdf = simplePdf('Ending an outsourced contract well', ['Exit planning started 18 months before the end date.']);
    const draft = simplePdf('Ending an outsourced contract well (draft)', ['To be finished.']);
    const admin = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(admin.page, 'admin');
      await admin.page.goto(paths.networkResources('sro'));
      await admin.page.getByRole('button', { name: 'Add a resource' }).click();
      const page = admin.page;
      await page.getByLabel('Title', { exact: true }).fill('Ending an outsourced leisure contract well');
      await page.getByLabel('Summary').fill('How the SRO ran an exit board with the supplier, 18 months before the contract ended.');
      await page.getByLabel('Case study').check();
      await page.getByLabel('Tags (optional)').fill('exit, leisure');
      // A "PDF" that is really a ZIP archive is refused, with the error linked to the file field.
      await page.getByLabel('Upload a file').setInputFiles({ name: 'exit.pdf', mimeType: 'application/pdf', buffer: Buffer.from('PK\u0003\u0004 not a pdf at all') });
      await page.getByRole('button', { name: 'Add resource' }).click();
      await expect(page.getByRole('alert').innerText()).resolves.toContain('The selected file is called .pdf but its contents are');
      await expectNoAxeViolations(page);
      await page.getByLabel('Upload a file').setInputFiles({ name: 'Leisure exit – draft.pdf', mimeType: 'application/pdf', buffer: draft });
      await page.getByRole('button', { name: 'Add resource' }).click();
      await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Ending an outsourced leisure contract well');
      // The draft went up by mistake: the final version replaces it in place, from the edit page.
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('link', { name: 'Replace the file' }).click();
      await expect(page.locator('main').innerText()).resolves.toContain('The file now is Leisure exit – draft.pdf');
      await expectNoAxeViolations(page);
      await page.getByLabel('Upload the new file').setInputFiles({ name: 'Leisure exit – case study.pdf', mimeType: 'application/pdf', buffer: pdf });
      await page.getByRole('button', { name: 'Replace the file' }).click();
      await expect(page.locator('.govuk-notification-banner').innerText()).resolves.toContain('File replaced');
      await expectNoAxeViolations(page);
    } finally {
      await admin.context.close();
    }

    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'sro');
      await page.goto(paths.network('sro'));
      await expect(page.locator('#latest-resources').innerText()).resolves.toContain('Ending an outsourced leisure contract well');
      await page.getByRole('link', { name: 'See all resources' }).click();
      await page.getByLabel('Search titles, summaries and tags').fill('supplier exits');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect(page.getByRole('status').innerText()).resolves.toBe('Showing 1 to 1 of 1 resource');
      await expectNoAxeViolations(page);
      await page.getByRole('link', { name: 'Ending an outsourced leisure contract well' }).click();
      expect(currentPath(page)).toMatch(/^\/networks\/sro\/resources\/[0-9a-f-]{36}$/);
      await expectNoAxeViolations(page);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
      expect(download.suggestedFilename()).toBe('Leisure exit – case study.pdf');
      const saved = await download.createReadStream();
      const chunks: Buffer[] = [];
      for await (const chunk of saved) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(pdf)).toBe(true);
      await page.reload();
      await expect(page.locator('main').innerText()).resolves.toMatch(/Downloads\s+1/);
    } finally {
      await context.close();
    }
  });
});
