import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';

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
