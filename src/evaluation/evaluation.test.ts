import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { indicators } from './catalogue.ts';
import { formatValue } from './service.ts';

/** The value shown for an indicator on the evaluation page. */
function shown(html: string, key: string): string {
  const m = new RegExp(`data-indicator="${key}"[^>]*>\\s*([^<]*?)\\s*</td>`).exec(html);
  if (!m) throw new Error(`no indicator ${key}`);
  return m[1];
}

describe('formatValue', () => {
  const byKey = (k: string) => indicators.find((i) => i.key === k)!;
  it('writes each unit as a reader expects, and nothing to measure as “No data yet”', () => {
    expect(formatValue(byKey('funded_places_used'), 40)).toBe('40.0%');
    expect(formatValue(byKey('verified_improvement_value'), 175000)).toBe('£1,750.00');
    expect(formatValue(byKey('network_attendance_per_council'), 1.5)).toBe('1.5');
    expect(formatValue(byKey('verified_improvements'), 1200)).toBe('1,200');
    expect(formatValue(byKey('learners_retained'), null)).toBe('No data yet');
  });
});

describe.each(backends)('evaluation page (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ backend });
  });
  afterAll(async () => t?.close());

  it('shows admins, partner staff and funders every indicator as of today, with how it is worked out', async () => {
    for (const who of ['admin', 'partnerLp', 'funder'] as const) {
      const res = await (await t.signIn(who)).get('/evaluation');
      expect(res.statusCode, who).toBe(200);
      for (const i of indicators) {
        expect(res.body).toContain(`data-indicator="${i.key}"`);
        expect(shown(res.body, i.key)).not.toBe('');
      }
      expect(res.body).toContain('Places taken by approved enrolments');
    }
  });

  it('refuses council staff, specialists and learners', async () => {
    for (const who of ['sro', 'lead', 'specialist', 'learner'] as const) {
      const res = await (await t.signIn(who)).get('/evaluation');
      expect(res.statusCode, who).toBe(403);
      expect((await (await t.signIn(who)).get('/evaluation/export.csv')).statusCode, who).toBe(403);
    }
  });

  it('shows a funder the same values as the admin unless a count of councils is under 5, and states the rule', async () => {
    const admin = (await (await t.signIn('admin')).get('/evaluation')).body;
    const funder = (await (await t.signIn('funder')).get('/evaluation')).body;
    expect(funder).toContain('id="disclosure-rule"');
    expect(admin).not.toContain('id="disclosure-rule"');
    for (const i of indicators) {
      const a = shown(admin, i.key);
      const n = Number(a.replace(/,/g, ''));
      if (i.countsPeople && n > 0 && n < 5) expect(shown(funder, i.key)).toBe('fewer than 5');
      else expect(shown(funder, i.key), i.key).toBe(a);
    }
  });

  it('downloads the indicators as CSV with the same values, one line each', async () => {
    const admin = await t.signIn('admin');
    const page = (await admin.get('/evaluation')).body;
    const res = await admin.get('/evaluation/export.csv');
    expect(res.statusCode).toBe(200);
    const rows = parse(res.body.replace(/^\uFEFF/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.Indicator)).toEqual(indicators.map((i) => i.name));
    const places = rows.find((r) => r.Indicator === 'Funded places used')!;
    expect(shown(page, 'funded_places_used')).toBe(places.Value === '' ? 'No data yet' : `${Number(places.Value).toFixed(1)}%`);
  });
});
