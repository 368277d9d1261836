import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type TestApp } from '../../test/helpers.ts';
import { lyingZip, multipartBody } from '../../test/uploads.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { unzippedSizeFactor } from './parse.ts';
import { sizeText } from './limits.ts';

/** The upload limits come from the configuration (UPLOAD_MAX_BYTES, IMPORT_MAX_ROWS), on the API and the page alike. */
describe('upload limits from the configuration', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ config: { uploadMaxBytes: 2048, importMaxRows: 2 } });
    const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'limits')).token;
  });
  afterAll(async () => t?.close());

  const upload = (body: string) =>
    t.app.inject({ method: 'POST', url: '/api/v1/imports/results', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, payload: body });
  const header = 'email,level,event,date,certificate_number';
  const row = (n: number) => `person${n}@example.gov.uk,practitioner,registered,26/11/2026,`;

  it('refuses a file with more rows than configured, and a body larger than configured, writing nothing', async () => {
    const [before] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from enrolment_events`);
    const rows = await upload([header, row(1), row(2), row(3)].join('\n'));
    expect(rows.statusCode).toBe(422);
    expect(rows.json().errors[0].message).toContain('more than 2 rows');
    const big = await upload([header, ...Array.from({ length: 40 }, (_, i) => row(i))].join('\n'));
    expect(big.statusCode).toBe(413);
    expect(big.json().detail).toBe('The file must be smaller than 2 KB');
    const [after] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from enrolment_events`);
    expect(after.n).toBe(before.n);
  });

  it('tells people the configured limits on the upload page', async () => {
    const page = await (await t.signIn('admin')).get('/imports/results');
    expect(page.body).toContain('smaller than 2 KB and have at most 2 rows');
  });
});

/**
 * A workbook that lies about its size (a "zip bomb"): its sheet declares 1,000 bytes but inflates to 200 MB. The
 * limit (20 × the 5 MB upload limit) holds on the bytes actually inflated, on the API and the page alike.
 */
describe.each(backends)('a workbook that inflates to far more than it declares (%s)', (backend) => {
  let t: TestApp;
  let token: string;
  let bomb: Buffer;
  const refusal = () =>
    `The workbook holds too much data once opened (more than ${sizeText(t.config.uploadMaxBytes * unzippedSizeFactor)}): delete other sheets, pictures and formatting, or save it as CSV UTF-8 and upload that`;
  const written = async () =>
    (await queryRows<{ n: number }>(t.db, sql`select (select count(*) from enrolment_events) + (select count(*) from enrolments) + (select count(*) from people) as n`))[0].n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    token = (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'bomb')).token;
    bomb = await lyingZip({ declared: 1000, inflates: 200 * 1024 * 1024 });
  });
  afterAll(async () => t?.close());

  const apiUpload = () =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/imports/results',
      headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', authorization: `Bearer ${token}` },
      payload: bomb,
    });

  it('refuses three at once with the same message, writing nothing, and memory stays within 200 MB of where it started', async () => {
    expect(bomb.length).toBeLessThan(t.config.uploadMaxBytes);
    const before = await written();
    const start = process.memoryUsage().rss;
    let peak = start;
    // Sampled while the uploads run: inflating happens off the main thread, so the timer keeps firing.
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const answers = await Promise.all([apiUpload(), apiUpload(), apiUpload()]);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - start).toBeLessThan(200 * 1024 * 1024);
    for (const res of answers) {
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ detail: refusal(), errors: [{ row: null, column: null, message: refusal() }] });
    }
    expect(await written()).toBe(before);
  });

  it('refuses it from the upload page with the same message in the error summary', async () => {
    const agent = await t.signIn('admin');
    const before = await written();
    const { payload, contentType } = multipartBody({ _csrf: await agent.csrf('/imports/results') }, { name: 'results.xlsx', content: bomb });
    const posted = await t.app.inject({
      method: 'POST',
      url: '/imports/results',
      payload,
      headers: { 'content-type': contentType, cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(posted.statusCode).toBe(303);
    await t.app.importJobs.idle();
    const status = await agent.get(posted.headers.location as string);
    expect(errorSummary(status.body)).toContain(refusal());
    expect(await written()).toBe(before);
  });
});
