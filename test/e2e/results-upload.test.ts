import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { paths } from '../../src/web/paths.ts';
import { expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin uploads the training provider’s results, fixes an error and uploads again', { timeout: 300_000 }, () => {
  const env = withBrowserAndApp();

  it('shows the per-row report and the downloadable error file, saves nothing, then saves the fixed file', async () => {
    // Two demo learners whose assessments are booked: the file passes one and (wrongly, without a certificate) the other.
    const booked = await queryRows<{ email: string; level: string; id: string }>(
      env.running.db,
      sql`select p.email, e.level, e.id from enrolments e join people p on p.id = e.person_id
          where e.status = 'assessment_booked' and e.last_event_on <= '2026-11-20' order by p.email limit 2`,
    );
    expect(booked).toHaveLength(2);
    const header = 'email,level,event,date,certificate_number';
    const row = (b: (typeof booked)[number], certificate: string) => `${b.email},${b.level},passed,20/11/2026,${certificate}`;
    const broken = [header, row(booked[0], 'E2E-CERT-0001'), row(booked[1], '')].join('\r\n');
    const fixed = [header, row(booked[0], 'E2E-CERT-0001'), row(booked[1], 'E2E-CERT-0002')].join('\r\n');
    const upload = async (content: string) => {
      await page.getByLabel('Upload a file').setInputFiles({ name: 'results.csv', mimeType: 'text/csv', buffer: Buffer.from(content) });
      await page.getByRole('button', { name: 'Upload and check the file' }).click();
      await page.waitForLoadState();
    };
    const accredited = async () =>
      (await queryRows<{ n: number }>(env.running.db, sql`select count(*)::int as n from enrolments where id in (${booked[0].id}, ${booked[1].id}) and status = 'accredited'`))[0].n;

    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.goto(paths.importResults());
      await expectNoAxeViolations(page);

      // The template carries exactly the documented columns.
      const template = await page.request.get(paths.importTemplate('results', 'csv'));
      expect((await template.text()).replace(/^\uFEFF/, '').trim()).toBe(header);

      await upload(broken);
      await expect(page.getByRole('heading', { name: '1 row has errors' }).isVisible()).resolves.toBe(true);
      const report = page.getByRole('table', { name: /Errors by row/ });
      await expect(report.locator('tbody tr').first().innerText()).resolves.toMatch(/3\s+certificate_number\s+.*certificate number/i);
      await expectNoAxeViolations(page);
      expect(await accredited()).toBe(0);

      // The error report is the file with an error column, and opens only for this admin.
      const href = await page.getByRole('link', { name: /Download the error report/ }).getAttribute('href');
      const errorsCsv = await (await page.request.get(href!)).text();
      expect(errorsCsv).toContain('error');
      expect(errorsCsv).toContain(booked[1].email);

      await page.goto(paths.importResults());
      await upload(fixed);
      await expect(page.getByRole('heading', { name: 'File uploaded' }).isVisible()).resolves.toBe(true);
      await expectNoAxeViolations(page);
      expect(await accredited()).toBe(2);

      // The same file again changes nothing.
      await page.goto(paths.importResults());
      await upload(fixed);
      await expect(page.getByRole('heading', { name: 'File uploaded' }).isVisible()).resolves.toBe(true);
      await expect(page.locator('main').innerText()).resolves.toMatch(/unchanged\)\s+2/);
      const [certs] = await queryRows<{ n: number }>(env.running.db, sql`select count(*)::int as n from accreditations where certificate_number like 'E2E-CERT-%'`);
      expect(certs.n).toBe(2);
    } finally {
      await context.close();
    }
  });
});
