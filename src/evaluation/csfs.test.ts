import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { demoCsfs } from '../db/seed/evaluation.ts';
import { createApiToken } from '../auth/service.ts';
import { ragOf } from './csfs.ts';
import { csfSchema } from './schemas.ts';

describe('ragOf', () => {
  const higher = { higherIsBetter: true };
  const lower = { higherIsBetter: false };
  it('is green at or above the target, amber at or above the amber threshold, red below it, and nothing without a value', () => {
    expect(ragOf(higher, 80, 80, 60)).toBe('green');
    expect(ragOf(higher, 95, 80, 60)).toBe('green');
    expect(ragOf(higher, 79.9, 80, 60)).toBe('amber');
    expect(ragOf(higher, 60, 80, 60)).toBe('amber');
    expect(ragOf(higher, 59.9, 80, 60)).toBe('red');
    expect(ragOf(higher, 0, 80, 60)).toBe('red');
    expect(ragOf(higher, null, 80, 60)).toBeNull();
  });
  it('reads the other way when lower is better', () => {
    expect(ragOf(lower, 5, 5, 10)).toBe('green');
    expect(ragOf(lower, 7, 5, 10)).toBe('amber');
    expect(ragOf(lower, 10, 5, 10)).toBe('amber');
    expect(ragOf(lower, 10.5, 5, 10)).toBe('red');
  });
});

describe('csfSchema', () => {
  const base = { name: 'Learners succeed', description: '', position: '1' };
  const errors = (input: unknown) => {
    const r = csfSchema.safeParse(input);
    return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]));
  };

  it('refuses a target or threshold outside what the indicator can be, naming the field', () => {
    expect(errors({ ...base, indicators: { learners_retained: { target: '101', amber: '80' } } })).toEqual({
      'indicators.learners_retained.target': 'Target for Learners retained must be between 0% and 100%',
    });
    expect(errors({ ...base, indicators: { learners_retained: { target: '90', amber: '-1' } } })).toEqual({
      'indicators.learners_retained.amber': 'Amber threshold for Learners retained must be between 0% and 100%',
    });
    expect(errors({ ...base, indicators: { verified_improvements: { target: '-5', amber: '0' } } })['indicators.verified_improvements.target']).toMatch(/must be between 0 and/);
    expect(errors({ ...base, indicators: { verified_improvement_value: { target: '-100', amber: '0' } } })['indicators.verified_improvement_value.target']).toMatch(/must be between £0 and/);
    expect(errors({ ...base, indicators: { verified_improvements: { target: 'lots', amber: '' } } })).toEqual({
      'indicators.verified_improvements.target': 'Target for Verified improvements must be a number, like 75',
      'indicators.verified_improvements.amber': 'Enter an amber threshold for Verified improvements',
    });
    expect(errors({ ...base, indicators: { verified_improvement_value: { target: '10.005', amber: '1' } } })['indicators.verified_improvement_value.target']).toMatch(/2 decimal places/);
    expect(errors({ ...base, indicators: { learners_retained: { target: '90.25', amber: '80' } } })['indicators.learners_retained.target']).toMatch(/1 decimal place/);
  });

  it('refuses an amber threshold on the wrong side of the target, and a CSF with no indicator', () => {
    expect(errors({ ...base, indicators: { learners_retained: { target: '80', amber: '90' } } })).toEqual({
      'indicators.learners_retained.amber': 'Amber threshold for Learners retained must be below the target',
    });
    expect(errors({ ...base, indicators: { learners_retained: { target: '80', amber: '80' } } })['indicators.learners_retained.amber']).toBeDefined();
    expect(errors({ ...base, indicators: {} })).toEqual({ indicators: 'Select at least one indicator' });
    expect(errors({ ...base, position: '0', indicators: { learners_retained: { target: '80', amber: '60' } } }).position).toMatch(/whole number from 1/);
  });

  it('keeps money in pence and the rest as entered, in the catalogue’s order', () => {
    const r = csfSchema.parse({ ...base, indicators: { verified_improvement_value: { target: '£1,500.50', amber: '1000' }, learners_retained: { target: '90%', amber: '80.5' } } });
    expect(r.indicators).toEqual([
      { key: 'learners_retained', target: 90, amber: 80.5 },
      { key: 'verified_improvement_value', target: 150050, amber: 100000 },
    ]);
  });
});

describe.each(backends)('critical success factors (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  /** The admin's view of learners retained today (percent), the value RAG is judged on. */
  let retained: number;
  const tokens: Record<string, string> = {};

  const form = (name: string, target: string, amber: string, extra: Record<string, string | string[]> = {}) => ({
    name,
    description: 'A CSF made by a test',
    position: '9',
    indicators: ['learners_retained'],
    'indicators.learners_retained.target': target,
    'indicators.learners_retained.amber': amber,
    ...extra,
  });
  const idOf = (location: string | string[] | undefined) => /\/evaluation\/csfs\/([0-9a-f-]{36})/.exec(String(location))![1];
  const ragCell = (html: string, csfId: string, key: string) => {
    const section = html.slice(html.indexOf(`id="csf-${csfId}-indicators"`));
    const m = new RegExp(`data-csf-indicator="${key}"[\\s\\S]*?data-rag="(\\w+)">\\s*<strong class="govuk-tag ([\\w-]+)">\\s*([^<]+?)\\s*</strong>`).exec(section);
    return m && { rag: m[1], tagClass: m[2], text: m[3] };
  };

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    for (const who of ['admin', 'funder', 'sro'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/indicators', headers: { authorization: `Bearer ${tokens.admin}` } });
    retained = api.json().items.find((i: { key: string }) => i.key === 'learners_retained').value;
  });
  afterAll(async () => t?.close());

  it('lists the demo CSFs in order with each indicator’s value, target and a status tag in words', async () => {
    const res = await admin.get('/evaluation/csfs');
    expect(res.statusCode).toBe(200);
    const names = [...res.body.matchAll(/<h2 class="govuk-heading-m" id="csf-[^"]+-heading"><a [^>]+>([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(names.slice(0, demoCsfs.length)).toEqual(demoCsfs.map((c) => c.name));
    expect(res.body).toContain('id="primary-action"');
    expect(res.body).toMatch(/Green: on target|Amber: close to target|Red: off target/);
  });

  it('judges an indicator green at its target, amber from the amber threshold and red below it', async () => {
    expect(retained).toBeGreaterThan(2);
    const cases = [
      { name: 'Retention at target', target: retained, amber: retained - 1, rag: 'green', text: 'Green: on target', tagClass: 'govuk-tag--green' },
      { name: 'Retention near target', target: retained + 1, amber: retained, rag: 'amber', text: 'Amber: close to target', tagClass: 'govuk-tag--orange' },
      { name: 'Retention off target', target: retained + 2, amber: retained + 1, rag: 'red', text: 'Red: off target', tagClass: 'govuk-tag--red' },
    ].filter((c) => c.target <= 100);
    for (const c of cases) {
      const res = await admin.submit('/evaluation/csfs/new', form(c.name, c.target.toFixed(1), c.amber.toFixed(1)));
      expect(res.statusCode, res.body).toBe(302);
      const id = idOf(res.headers.location);
      const page = (await admin.get(`/evaluation/csfs/${id}`)).body;
      expect(ragCell(page, id, 'learners_retained'), c.name).toEqual({ rag: c.rag, text: c.text, tagClass: c.tagClass });
      expect(ragCell((await admin.get('/evaluation/csfs')).body, id, 'learners_retained')).toEqual({ rag: c.rag, text: c.text, tagClass: c.tagClass });
    }
  });

  it('refuses a target outside the indicator’s range with the field named in the error summary, writing nothing', async () => {
    const before = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from csfs`);
    const res = await admin.submit('/evaluation/csfs/new', form('Impossible target', '120', '80'));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#indicators.learners_retained.target"');
    expect(res.body).toContain('Target for Learners retained must be between 0% and 100%');
    expect(res.body).toContain('value="120"');
    expect(await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from csfs`)).toEqual(before);
  });

  it('refuses a second CSF with the same name (any case) with 409', async () => {
    expect((await admin.submit('/evaluation/csfs/new', form('Duplicate me', '90', '80'))).statusCode).toBe(302);
    const again = await admin.submit('/evaluation/csfs/new', form('DUPLICATE me', '90', '80'));
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('There is already a CSF with this name');
  });

  it('changes a CSF, refuses a stale edit with 409 and says so in the audit log', async () => {
    const created = await admin.submit('/evaluation/csfs/new', form('Edit me', '90', '80'));
    const id = idOf(created.headers.location);
    const edit = await admin.get(`/evaluation/csfs/${id}/edit`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('name="version" value="1"');
    expect(edit.body).toContain('value="90"');
    const changed = await admin.submit(`/evaluation/csfs/${id}/edit`, form('Edited', '95', '85', { version: '1', indicators: ['learners_retained', 'verified_improvement_value'], 'indicators.verified_improvement_value.target': '2500.50', 'indicators.verified_improvement_value.amber': '1000' }));
    expect(changed.statusCode, changed.body).toBe(302);
    const [row] = await queryRows<{ target: number; amber: number }>(t.db, sql`select target, amber from csf_indicators where csf_id = ${id} and indicator_key = 'verified_improvement_value'`);
    expect(row).toEqual({ target: 250050, amber: 100000 });
    const stale = await admin.submit(`/evaluation/csfs/${id}/edit`, form('Edited again', '95', '85', { version: '1' }));
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Someone else changed this CSF');
    const audit = (await admin.get('/audit')).body;
    expect(audit).toContain('changed the critical success factor “Edit me” (now “Edited”)');
    expect(audit).toContain('Verified improvement value (target £2,500.50, amber from £1,000.00)');
  });

  it('after someone else’s change, a stale edit comes back with what was typed over the version now stored, so saving it again works', async () => {
    const id = idOf((await admin.submit('/evaluation/csfs/new', form('Stale CSF', '90', '80'))).headers.location);
    const read = formVersion((await admin.get(`/evaluation/csfs/${id}/edit`)).body)!;
    // Someone else saves from the same read first.
    const other = await admin.submit(`/evaluation/csfs/${id}/edit`, form('Stale CSF', '95', '85', { version: read }));
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
    const stored = async () => (await queryRows<{ name: string; version: number; target: number }>(t.db, sql`select c.name, c.version, i.target::float8 as target from csfs c join csf_indicators i on i.csf_id = c.id where c.id = ${id}`))[0];
    const audits = async () => (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_events`))[0].n;
    const before = await stored();
    const auditsBefore = await audits();

    // The second save from the same read: refused, nothing written, the form back with what was typed.
    const stale = await admin.submit(`/evaluation/csfs/${id}/edit`, form('Stale CSF mine', '92', '82', { version: read }));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this CSF since you opened it');
    expect(stale.body).toContain('href="#main-content"');
    expect(stale.body).toMatch(/name="name"[^>]*value="Stale CSF mine"/);
    expect(stale.body).toContain('value="92"');
    expect(await stored()).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // It carries the version now stored: sent again as shown, it saves.
    expect(formVersion(stale.body)).toBe(String(before.version));
    const again = await admin.submit(`/evaluation/csfs/${id}/edit`, form('Stale CSF mine', '92', '82', { version: formVersion(stale.body)! }));
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await stored()).toEqual({ name: 'Stale CSF mine', version: before.version + 1, target: 92 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('deletes a CSF only from its confirmation page, keeping the snapshots', async () => {
    const id = idOf((await admin.submit('/evaluation/csfs/new', form('Delete me', '90', '80'))).headers.location);
    const confirm = await admin.get(`/evaluation/csfs/${id}/delete`);
    expect(confirm.body).toContain('Are you sure you want to delete Delete me?');
    expect((await admin.submit(`/evaluation/csfs/${id}/delete`, {})).statusCode).toBe(400);
    expect((await admin.submit(`/evaluation/csfs/${id}/delete`, { version: '7' })).statusCode).toBe(409);
    const snapshots = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from indicator_snapshots`);
    const res = await admin.submit(`/evaluation/csfs/${id}/delete`, { version: '1' });
    expect(res.statusCode).toBe(302);
    expect((await admin.get(`/evaluation/csfs/${id}`)).statusCode).toBe(404);
    expect(await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from indicator_snapshots`)).toEqual(snapshots);
    expect((await admin.get('/audit')).body).toContain('deleted the critical success factor “Delete me”');
  });

  it('shows funders the CSFs without the forms, and keeps council staff out', async () => {
    const [csf] = await queryRows<{ id: string }>(t.db, sql`select id from csfs order by position limit 1`);
    const funder = await t.signIn('funder');
    const list = await funder.get('/evaluation/csfs');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('id="primary-action"');
    expect(list.body).toContain('id="disclosure-rule"');
    expect((await funder.get(`/evaluation/csfs/${csf.id}`)).body).not.toContain('id="change-csf"');
    expect((await funder.get('/evaluation/csfs/new')).statusCode).toBe(403);
    expect((await funder.get(`/evaluation/csfs/${csf.id}/edit`)).statusCode).toBe(404);
    expect((await funder.submit(`/evaluation/csfs/${csf.id}/delete`, { version: '1' })).statusCode).toBe(404);
    const sro = await t.signIn('sro');
    expect((await sro.get('/evaluation/csfs')).statusCode).toBe(403);
    expect((await sro.get(`/evaluation/csfs/${csf.id}`)).statusCode).toBe(404);
    expect((await admin.get('/evaluation/csfs/not-a-uuid')).statusCode).toBe(404);
  });

  it('shows each indicator’s last 12 months as a chart and a table with the snapshots’ numbers', async () => {
    const [csf] = await queryRows<{ id: string }>(t.db, sql`select id from csfs where name = ${demoCsfs[0].name}`);
    const page = (await admin.get(`/evaluation/csfs/${csf.id}`)).body;
    expect(page).toContain('id="trend-chart-learners_retained-title"');
    const cells = [...page.matchAll(/data-month="(\d{4}-\d{2})">([^<]*)</g)].filter((m) => page.indexOf(m[0]) > page.indexOf('id="trend-learners_retained"')).slice(0, 12);
    expect(cells.map((m) => m[1])).toEqual(['2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']);
    const rows = await queryRows<{ month: string; value: number | null }>(t.db, sql`select to_char(month, 'YYYY-MM') as month, value from indicator_snapshots where indicator_key = 'learners_retained' order by month`);
    for (const [, month, text] of cells) {
      const v = rows.find((r) => r.month === month)!.value;
      expect(text, month).toBe(v === null ? 'No data yet' : `${Number(v).toFixed(1)}%`);
    }
  });

  describe('API', () => {
    const get = (url: string, who?: string) => t.app.inject({ method: 'GET', url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });

    it('gives admins and funders the CSFs with values, targets and RAG, and refuses council staff', async () => {
      for (const who of ['admin', 'funder']) {
        const res = await get('/api/v1/csfs', who);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json();
        expect(body.items.slice(0, demoCsfs.length).map((c: { name: string }) => c.name)).toEqual(demoCsfs.map((c) => c.name));
        for (const c of body.items) for (const i of c.indicators) if (i.value === null) expect(i.rag).toBeNull();
      }
      expect((await get('/api/v1/csfs')).statusCode).toBe(401);
      const sro = await get('/api/v1/csfs', 'sro');
      expect(sro.statusCode).toBe(403);
      expect(sro.headers['content-type']).toContain('application/problem+json');
    });

    it('gives an indicator’s monthly snapshots, hides small counts of councils from funders, 404s an unknown key and refuses council staff', async () => {
      const res = await get('/api/v1/indicators/learners_retained/snapshots', 'admin');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().items).toHaveLength(12);
      expect(res.json().items.at(-1)).toMatchObject({ month: '2026-11', asOf: '2026-11-26' });
      expect((await get('/api/v1/indicators/learners_retained/snapshots?months=14', 'admin')).json().items[0]).toMatchObject({ month: '2025-10', value: null, asOf: null });
      expect((await get('/api/v1/indicators/learners_retained/snapshots?months=0', 'admin')).statusCode).toBe(400);
      const unknown = await get('/api/v1/indicators/no_such_thing/snapshots', 'admin');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers['content-type']).toContain('application/problem+json');

      // A small count of councils: 3 in one month, for the funder hidden and for the admin exact.
      await t.db.execute(sql`update indicator_snapshots set value = 3 where indicator_key = 'councils_improved_maturity' and month = '2026-06-01'`);
      const exact = (await get('/api/v1/indicators/councils_improved_maturity/snapshots', 'admin')).json().items.find((m: { month: string }) => m.month === '2026-06');
      const hidden = (await get('/api/v1/indicators/councils_improved_maturity/snapshots', 'funder')).json().items.find((m: { month: string }) => m.month === '2026-06');
      expect(exact).toMatchObject({ value: 3, suppressed: null });
      expect(hidden).toMatchObject({ value: null, text: 'fewer than 5', suppressed: 'small' });
      // The catalogue is no secret, so council staff are refused (403) rather than told it is not there.
      expect((await get('/api/v1/indicators/councils_improved_maturity/snapshots', 'sro')).statusCode).toBe(403);
    });
  });
});
