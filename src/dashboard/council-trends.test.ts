import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, testNow, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { sroCouncil } from '../places/testing.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { takeSnapshot } from '../evaluation/snapshots.ts';
import { indicatorValues } from '../evaluation/repository.ts';
import { formatValue } from '../evaluation/service.ts';
import { indicatorByKey, indicatorKeys, type IndicatorKey } from '../evaluation/catalogue.ts';

/** The text of each month ("2026-10" → "40.0%") in the trend table of an indicator on the page. */
function trendCells(html: string, key: string): Record<string, string> {
  const start = html.indexOf(`id="change-${key}"`);
  if (start < 0) throw new Error(`no trend table for ${key}`);
  const table = html.slice(start, html.indexOf('</table>', start));
  return Object.fromEntries([...table.matchAll(/data-month="(\d{4}-\d{2})">([^<]*)</g)].map((m) => [m[1], m[2]]));
}

/** Every indicator an SRO's dashboard charts (they may see every section). */
const shown: IndicatorKey[] = [
  'accredited_within_12_months',
  'learners_retained',
  'funded_places_used',
  'network_attendance_per_council',
  'councils_improved_maturity',
  'verified_improvements',
  'verified_improvement_value',
];

describe.each(backends)('how a council has changed, on its dashboard (%s)', (backend) => {
  let t: TestApp;
  let council: { id: string; name: string };
  let other: { id: string; name: string };
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const ctx = () => ({ actor: null, systemLabel: 'pioneer CLI', clock: t.clock });
  /** The indicator's value for one council as at a date, as the evaluation works it out from the records. */
  const valueOf = async (councilId: string, key: IndicatorKey, asOf: string) => (await indicatorValues(t.db, [key], { kind: 'own', councilId }, asOf)).get(key) ?? null;
  const textOf = (key: IndicatorKey, value: number | null) => (key === 'councils_improved_maturity' && value !== null ? (value > 0 ? 'Yes' : 'No') : formatValue(indicatorByKey.get(key)!, value));

  beforeAll(async () => {
    t = await createTestApp({ backend });
    council = await sroCouncil(t);
    [other] = await rows<{ id: string; name: string }>(
      sql`select o.id, o.name from organisations o join participations p on p.council_id = o.id
          where o.kind = 'council' and p.status = 'active' and o.id <> ${council.id}::uuid order by o.name limit 1`,
    );
    // Another council's SRO, who signs in with the demo password.
    await t.db.execute(sql`insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      select 'Other Sro', 'sro@other-council.example.gov.uk', ${other.id}::uuid, 'Director', '{council_sro}', 'active', password_hash from people where email = ${demoAccounts.sro.email}`);
    // No snapshot at all, as on a new installation: the demo's backfilled months are removed.
    await t.db.execute(sql`delete from indicator_snapshots`);
  });
  afterAll(async () => t?.close());

  it('says there is nothing to show yet before the first monthly snapshot', async () => {
    const html = (await (await t.signIn('sro')).get(paths.councilDashboard(council.id))).body;
    expect(html).toContain('How your council has changed');
    expect(html).toContain('no month has been recorded in the last 12. The trends start with the first monthly snapshot.');
    expect(html).not.toContain('id="change-');
  });

  describe('with snapshots taken in October (as at the 20th) and November (as at today)', () => {
    const asOf = { '2026-10': '2026-10-20', '2026-11': '2026-11-26' } as const;

    beforeAll(async () => {
      t.clock.set('2026-10-20T12:00:00Z');
      expect((await takeSnapshot(t.db, ctx(), { replace: false })).written).toBe(indicatorKeys.length);
      // Between the two: the council has an improvement verified, so November's figures differ from October's.
      await t.db.execute(sql`insert into improvements (council_id, type, description, improved_on, value_pence, cashable, status)
        values (${council.id}::uuid, 'savings', 'Renegotiated cleaning contract', '2026-11-03', 1234500, true, 'verified')`);
      t.clock.set(testNow);
      expect((await takeSnapshot(t.db, ctx(), { replace: false })).written).toBe(indicatorKeys.length);
    });

    it('shows the SRO their council’s value each month, equal to the indicator for that council as at the snapshot', async () => {
      const html = (await (await t.signIn('sro')).get(paths.councilDashboard(council.id))).body;
      for (const key of shown) {
        const cells = trendCells(html, key);
        expect(Object.keys(cells), key).toHaveLength(12);
        for (const month of ['2026-10', '2026-11'] as const) expect(cells[month], `${key} ${month}`).toBe(textOf(key, await valueOf(council.id, key, asOf[month])));
        expect(cells['2026-09'], key).toBe('No snapshot');
      }
      expect(await valueOf(council.id, 'verified_improvements', asOf['2026-11'])).toBe((await valueOf(council.id, 'verified_improvements', asOf['2026-10']))! + 1);
      // Each an SVG chart drawn on the server, its numbers in the table.
      expect(html).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="trend-chart-verified_improvement_value-title/);
      expect(html).toContain('Bar chart: Verified improvement value (£) each month, December 2025 to November 2026');
      expect(html).not.toContain('id="changes-start"');
    });

    it('gives the same values in the trends download, money in pence, each line dated', async () => {
      const sro = await t.signIn('sro');
      const csv = await sro.get(paths.councilTrendsExport(council.id, 'csv'));
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-disposition']).toBe('attachment; filename="council-trends-2026-11-26.csv"');
      const lines = parse(csv.body, { columns: true, bom: true }) as Record<string, string>[];
      expect(lines).toHaveLength(shown.length * 12);
      const value = await valueOf(council.id, 'verified_improvement_value', asOf['2026-11']);
      expect(lines.find((l) => l.Indicator === 'Verified improvement value' && l.Month === 'November 2026')).toMatchObject({ Unit: 'Pence', Value: String(value), 'As at': '26 November 2026', Note: '' });
      expect(lines.find((l) => l.Indicator === 'Verified improvement value' && l.Month === 'October 2026')).toMatchObject({ 'As at': '20 October 2026' });
      expect(lines.find((l) => l.Month === 'September 2026')).toMatchObject({ Value: '', Note: 'No snapshot that month' });
      expect((await sro.get(paths.councilTrendsExport(council.id, 'xlsx'))).statusCode).toBe(200);
    });

    it('shows the council’s own values, not its managing partner’s councils’ or the programme’s, to the staff who look after it', async () => {
      const [partner] = await rows<{ email: string }>(
        sql`select pe.email from people pe join participations pa on pa.managing_partner_id = pe.organisation_id
            where pa.council_id = ${council.id}::uuid and pe.email in (${demoAccounts.partnerLp.email}, ${demoAccounts.partnerMhclg.email})`,
      );
      const key = 'verified_improvement_value';
      const own = textOf(key, await valueOf(council.id, key, asOf['2026-11']));
      for (const who of ['admin', partner.email]) {
        const html = (await (await t.signIn(who)).get(paths.councilDashboard(council.id))).body;
        expect(html, who).toContain(`How ${council.name} has changed`);
        expect(trendCells(html, key)['2026-11'], who).toBe(own);
      }
      const programme = (await indicatorValues(t.db, [key], { kind: 'all' }, asOf['2026-11'])).get(key)!;
      expect(formatValue(indicatorByKey.get(key)!, programme)).not.toBe(own);
    });

    it('gives another council’s SRO their own council’s trend and never this one’s', async () => {
      const sro = await t.signIn('sro@other-council.example.gov.uk');
      expect((await sro.get(paths.councilDashboard(council.id))).statusCode).toBe(404);
      expect((await sro.get(paths.councilTrendsExport(council.id, 'csv'))).statusCode).toBe(404);
      expect((await sro.get(paths.councilTrendsExport(council.id, 'xlsx'))).statusCode).toBe(404);
      const html = (await sro.get(paths.councilDashboard(other.id))).body;
      for (const key of ['verified_improvements', 'verified_improvement_value', 'learners_retained'] as const) {
        expect(trendCells(html, key)['2026-11'], key).toBe(textOf(key, await valueOf(other.id, key, asOf['2026-11'])));
      }
      // The demo council's November improvement is not the other council's.
      expect(await valueOf(other.id, 'verified_improvement_value', asOf['2026-11'])).not.toBe(await valueOf(council.id, 'verified_improvement_value', asOf['2026-11']));
      for (const who of ['learner', 'funder'] as const) {
        expect([403, 404], who).toContain((await (await t.signIn(who)).get(paths.councilTrendsExport(council.id, 'csv'))).statusCode);
      }
      expect((await (await t.signIn('sro')).get(paths.councilTrendsExport('not-a-uuid', 'csv'))).statusCode).toBe(404);
    });

    it('shows no value in a month recorded before snapshots by council, and says when the council’s trends start', async () => {
      // September as a snapshot taken before snapshots by council existed left it: the programme's values only.
      await t.db.execute(sql`insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at)
        select k, '2026-09-01', 42, '2026-09-30', '2026-09-30T12:00:00Z' from unnest(${`{${indicatorKeys.join(',')}}`}::text[]) k`);
      const sro = await t.signIn('sro');
      const html = (await sro.get(paths.councilDashboard(council.id))).body;
      expect(html).toContain('Trends for this council start in October 2026: earlier months were recorded for the whole programme only.');
      for (const key of shown) expect(trendCells(html, key)['2026-09'], key).toBe('Not recorded for this council');
      expect(html).not.toMatch(/data-month="2026-09">42</);
      const lines = parse((await sro.get(paths.councilTrendsExport(council.id, 'csv'))).body, { columns: true, bom: true }) as Record<string, string>[];
      expect(lines.find((l) => l.Month === 'September 2026')).toMatchObject({ Value: '', 'As at': '', Note: 'Recorded for the whole programme only: trends for this council start later' });
    });
  });
});
