import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { sql } from 'drizzle-orm';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';

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
    // No one's e-mail address: the only one on the page is the programme team's, in the phase banner's feedback link.
    const addresses = new Set(res.body.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g));
    expect([...addresses]).toEqual([t.config.programmeContactEmail]);
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

  it('counts learners by journey status and level, flags the overdue, and shows this period’s funded places', async () => {
    const [db] = await queryRows<{ accredited: number; overdue: number; places: number; taken: number }>(
      t.db,
      sql`select (select count(*) from enrolments where status = 'accredited' and level = 'practitioner')::int as accredited,
                 (select count(*) from enrolments where level = 'practitioner' and status in ('registered', 'in_learning', 'not_passed')
                    and registered_on + interval '12 months' < date '2026-11-26')::int as overdue,
                 (select coalesce(sum(places), 0) from funded_places where period = '2026-27' and level = 'practitioner')::int as places,
                 (select coalesce(sum(taken), 0) from funded_places where period = '2026-27' and level = 'practitioner')::int as taken`,
    );
    expect(db.accredited).toBeGreaterThan(0);
    expect(db.overdue).toBeGreaterThan(0);
    const res = await (await t.signIn('funder')).get('/dashboard');
    const table = 'Learners by journey status and level';
    expect(cell(res.body, table, 'Accredited', 1)).toBe(db.accredited);
    expect(cell(res.body, table, 'Overdue: assessment past its deadline', 1)).toBe(db.overdue);
    expect(cell(res.body, 'Funded places in 2026-27', 'Practitioner', 0)).toBe(db.places);
    expect(cell(res.body, 'Funded places in 2026-27', 'Practitioner', 3)).toBe(db.places - db.taken);
    // Partner staff see their share; the two partners' shares add up to the whole programme.
    const lp = await (await t.signIn('partnerLp')).get('/dashboard');
    const mhclg = await (await t.signIn('partnerMhclg')).get('/dashboard');
    expect(cell(lp.body, table, 'Accredited', 1) + cell(mhclg.body, table, 'Accredited', 1)).toBe(db.accredited);
  });
});
