import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { paths } from '../../src/web/paths.ts';
import { demoAccounts } from '../../src/db/seed/demo.ts';
import { queueRun } from '../../src/imports/runs-repository.ts';
import { currentPath, expectNoAxeViolations, newPage, signIn, skipBrowserTests, withBrowserAndApp } from './browser.ts';

describe.skipIf(skipBrowserTests)('browser: an admin uploads the training provider’s results, follows the upload, fixes an error and uploads again', { timeout: 300_000 }, () => {
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
    /**
     * Uploads the file and waits for its outcome: the upload lands on its status page, whose script polls the
     * progress and reloads the page once the background job has finished.
     */
    const upload = async (content: string, outcome: string) => {
      await page.getByLabel('Upload a file').setInputFiles({ name: 'results.csv', mimeType: 'text/csv', buffer: Buffer.from(content) });
      await page.getByRole('button', { name: 'Upload and check the file' }).click();
      await page.waitForURL(/\/imports\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: outcome }).waitFor({ timeout: 60_000 });
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

      await upload(broken, '1 row has errors');
      expect(currentPath(page)).toMatch(/^\/imports\/[0-9a-f-]{36}$/);
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
      await upload(fixed, 'File uploaded');
      await expectNoAxeViolations(page);
      expect(await accredited()).toBe(2);

      // The same file again changes nothing.
      await page.goto(paths.importResults());
      await upload(fixed, 'File uploaded');
      await expect(page.locator('main').innerText()).resolves.toMatch(/unchanged\)\s+2/);
      const [certs] = await queryRows<{ n: number }>(env.running.db, sql`select count(*)::int as n from accreditations where certificate_number like 'E2E-CERT-%'`);
      expect(certs.n).toBe(2);
    } finally {
      await context.close();
    }
  });

  it('follows an upload in progress with JavaScript: the live text moves on, then the page shows the result', async () => {
    // A run the test moves along itself, standing in for the background job, so each state is waited for, not raced.
    const [admin] = await queryRows<{ id: string }>(env.running.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    const run = await queueRun(env.running.db, { kind: 'results', uploadedById: admin.id, fileName: 'slow.csv', upload: Buffer.from('email\n'), now: env.running.clock.now() });
    const { context, page } = await newPage(env.browser, env.running.baseUrl);
    try {
      await signIn(page, 'admin');
      await page.goto(paths.importRun(run.id));
      await expect(page.getByRole('heading', { name: 'Uploading slow.csv' }).isVisible()).resolves.toBe(true);
      const live = page.locator('[aria-live="polite"]');
      await expect(live.innerText()).resolves.toBe('Waiting to start');
      await expectNoAxeViolations(page);

      await env.running.db.execute(sql`update import_runs set status = 'running', phase = 'checking', processed = 8000, row_count = 20000, updated_at = now() where id = ${run.id}`);
      await page.getByText('Checking rows: 8,000 of 20,000').waitFor({ timeout: 30_000 });
      await expectNoAxeViolations(page);

      await env.running.db.execute(sql`update import_runs set status = 'succeeded', phase = null, upload = null, processed = 20000, created = 20000, updated_at = now(), finished_at = now() where id = ${run.id}`);
      await page.getByRole('heading', { name: 'File uploaded' }).waitFor({ timeout: 30_000 });
      expect(currentPath(page)).toBe(paths.importRun(run.id));
      await expect(page.locator('main').innerText()).resolves.toMatch(/20,000 rows checked and saved[\s\S]*Results recorded\s+20,000/);
    } finally {
      await context.close();
    }
  });
});
