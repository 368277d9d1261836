import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';

/** The numeric cell of the row whose header is `label` in the table captioned `caption`. */
function cell(html: string, caption: string, label: string, column = 0): number {
  const table = html.slice(html.indexOf(caption));
  const row = new RegExp(`<th scope="row" class="govuk-table__header">\\s*${label}\\s*</th>([\\s\\S]*?)</tr>`).exec(table.slice(0, table.indexOf('</table>')));
  if (!row) throw new Error(`no row ${label} in ${caption}`);
  const cells = [...row[1].matchAll(/<td[^>]*>\s*(\d+)\s*<\/td>/g)].map((m) => Number(m[1]));
  return cells[column];
}

describe.each(backends)('dashboard (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('shows funders the whole programme in counts, with no personal data', async () => {
    const funder = await t.signIn('funder');
    const res = await funder.get('/dashboard');
    expect(res.statusCode).toBe(200);
    expect(cell(res.body, 'Councils by programme status', 'Active')).toBe(56);
    expect(cell(res.body, 'Councils by programme status', 'Not engaged')).toBe(317 - 73);
    expect(res.body).toContain('Councils by region');
    expect(cell(res.body, 'People by role', 'Learner')).toBeGreaterThan(200);
    expect(res.body).not.toContain('@');
    expect(res.body).not.toContain(demoAccounts.sro.email);
  });

  it('shows partner staff only the councils their organisation manages', async () => {
    const admin = await (await t.signIn('admin')).get('/dashboard');
    const lp = await (await t.signIn('partnerLp')).get('/dashboard');
    const mhclg = await (await t.signIn('partnerMhclg')).get('/dashboard');
    expect(lp.body).toContain('Figures for the councils your organisation manages');
    const active = (html: string) => cell(html, 'Councils by programme status', 'Active');
    expect(active(lp.body) + active(mhclg.body)).toBe(active(admin.body));
    expect(lp.body).not.toContain('Ministry of Housing');
    expect(lp.body).not.toMatch(/Not engaged/);
    expect(cell(lp.body, 'People by role', 'Programme admin')).toBe(0);
  });

  it('is closed to council users and specialists', async () => {
    for (const who of ['sro', 'learner', 'specialist'] as const) {
      expect((await (await t.signIn(who)).get('/dashboard')).statusCode).toBe(403);
    }
  });
});
