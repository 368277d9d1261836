import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

type Who = 'admin' | 'partnerLp' | 'partnerMhclg' | 'funder' | 'sro' | 'lead' | 'learner' | 'specialist';
type ApiCount = { value: number | null; suppressed: 'small' | 'secondary' | null };
type Dashboard = {
  asAt: string;
  scope: string;
  filters: Record<string, string>;
  disclosureControl: { applied: boolean; threshold: number; rule: string | null };
  headline: (ApiCount & { id: string; label: string })[];
  trends: { id: string; months: (ApiCount & { month: string })[] }[];
  tables: { id: string; columns: string[]; rows: { label: string; counts: ApiCount[] }[] }[];
};

/** Every count of the answer, with where it is, in one list. */
const everyCount = (d: Dashboard): (ApiCount & { at: string })[] => [
  ...d.headline.map((h) => ({ ...h, at: `headline ${h.id}` })),
  ...d.trends.flatMap((t) => t.months.map((m) => ({ ...m, at: `${t.id} ${m.month}` }))),
  ...d.tables.flatMap((t) => t.rows.flatMap((r) => r.counts.map((c, i) => ({ ...c, at: `${t.id} ${r.label} ${t.columns[i]}` })))),
];

const table = (d: Dashboard, id: string) => d.tables.find((t) => t.id === id)!;
const value = (d: Dashboard, id: string, label: string, column = 0) => table(d, id).rows.find((r) => r.label === label)!.counts[column];
const headline = (d: Dashboard, id: string) => d.headline.find((h) => h.id === id)!;

describe.each(backends)('dashboard API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  const answers = {} as Record<'admin' | 'partnerLp' | 'partnerMhclg' | 'funder', { raw: string; json: Dashboard }>;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'partnerLp', 'partnerMhclg', 'funder', 'sro', 'lead', 'learner', 'specialist'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    for (const who of ['admin', 'partnerLp', 'partnerMhclg', 'funder'] as const) {
      const res = await get(who);
      expect(res.statusCode, res.body).toBe(200);
      answers[who] = { raw: res.body, json: res.json() };
    }
  });
  afterAll(async () => t?.close());

  const get = (who?: Who) => t.app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });

  it('refuses a request without a token (401) and council users and specialists (403), as problem details', async () => {
    const anonymous = await get();
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    for (const who of ['sro', 'lead', 'learner', 'specialist'] as const) {
      const res = await get(who);
      expect(res.statusCode, who).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 403, title: 'Forbidden' });
      expect(res.body).not.toContain('Councils taking part');
    }
  });

  it('narrows the figures for programme staff, refuses a bad filter (400) and refuses funders any filter (403)', async () => {
    const at = (who: Who, query: string) =>
      t.app.inject({ method: 'GET', url: `/api/v1/dashboard?${query}`, headers: { authorization: `Bearer ${tokens[who]}` } });
    const region = answers.admin.json.tables.find((tb) => tb.id === 'councils-by-region')!.rows[0];
    const narrowed = await at('admin', `region=${encodeURIComponent(region.label)}`);
    expect(narrowed.statusCode, narrowed.body).toBe(200);
    const json = narrowed.json() as Dashboard;
    expect(json.filters).toEqual({ region: region.label });
    expect(json.headline.find((h) => h.id === 'councilsTakingPart')!.value).toBe(region.counts[1].value);
    const bad = await at('admin', 'type=nonsense');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const funder = await at('funder', `region=${encodeURIComponent(region.label)}`);
    expect(funder.statusCode).toBe(403);
    expect(funder.json()).toMatchObject({ status: 403, detail: expect.stringContaining('worked out from another') });
    expect(answers.funder.json.filters).toEqual({});
  });

  it('gives an admin the page’s figures, exact, as at today', async () => {
    const admin = answers.admin.json;
    expect(admin.asAt).toBe('2026-11-26');
    expect(admin.scope).toBe('programme');
    expect(admin.disclosureControl).toEqual({ applied: false, threshold: 5, rule: null });
    expect(everyCount(admin).every((c) => c.suppressed === null && Number.isInteger(c.value))).toBe(true);
    const [db] = await queryRows<{ active: number; onboarding: number; nominated: number }>(
      t.db,
      sql`select count(*) filter (where status = 'active')::int as active, count(*) filter (where status = 'onboarding')::int as onboarding,
                 (select count(*) from enrolments where status = 'nominated')::int as nominated from participations`,
    );
    expect(value(admin, 'councils-by-status', 'Active').value).toBe(db.active);
    expect(headline(admin, 'councilsTakingPart')).toMatchObject({ label: 'Councils taking part', value: db.active + db.onboarding });
    expect(headline(admin, 'nominationsAwaitingDecision').value).toBe(db.nominated);
    expect(admin.headline.map((h) => h.id)).toEqual([
      'councilsTakingPart', 'councilsEngaged', 'councilsCompleted', 'councilsWithdrawn', 'councilsDeclined', 'enrolmentsInProgress', 'nominationsAwaitingDecision',
      'accreditationsAwarded', 'practitionerAccreditations', 'learnersStarted', 'councilsMeasured', 'councilsImproved',
    ]);
    const nominations = admin.trends.find((tr) => tr.id === 'trend-nominations')!;
    expect(nominations.months.map((m) => m.month)).toEqual(['2025-12', '2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']);
    expect(admin.tables.map((tb) => tb.id)).toEqual([
      'headline-by-partner',
      'headline-by-region',
      'headline-by-type',
      'councils-by-status',
      'councils-by-partner',
      'councils-by-region',
      'councils-by-type',
      'learners-by-status',
      'accreditations-by-level',
      'learners-by-cohort',
      'funded-places',
      'people-by-role',
    ]);
  });

  it('gives a funder the same figures with small counts, and those a total would give away, as null — never the number', async () => {
    const { raw, json: funder } = answers.funder;
    const admin = answers.admin.json;
    expect(funder.scope).toBe('programme');
    expect(funder.disclosureControl.applied).toBe(true);
    expect(funder.disclosureControl.threshold).toBe(5);
    expect(funder.disclosureControl.rule).toContain('Counts from 1 to 4 are shown as “fewer than 5”');
    const exact = new Map(everyCount(admin).map((c) => [c.at, c.value]));
    const counts = everyCount(funder);
    for (const c of counts) {
      if (c.suppressed === 'small') expect(exact.get(c.at), c.at).toBeGreaterThanOrEqual(1);
      if (c.suppressed === 'small') expect(exact.get(c.at), c.at).toBeLessThan(5);
      if (c.suppressed === 'secondary') expect(exact.get(c.at), c.at).toBeGreaterThanOrEqual(5);
      expect(c.value, c.at).toBe(c.suppressed ? null : exact.get(c.at));
    }
    expect(counts.filter((c) => c.suppressed === 'small').length).toBeGreaterThan(0);
    // The onboarding councils are few, and “taking part” is shown: the active count is hidden with them.
    expect(value(funder, 'councils-by-status', 'Onboarding')).toEqual({ value: null, suppressed: 'small' });
    expect(value(funder, 'councils-by-status', 'Active')).toEqual({ value: null, suppressed: 'secondary' });
    expect(headline(funder, 'councilsTakingPart').value).toBe(headline(admin, 'councilsTakingPart').value);
    // In the raw answer: no value from 1 to 4 anywhere, and no hidden count's number beside a `suppressed` marker.
    expect(raw).not.toMatch(/"value":[1-4][,}]/);
    expect(raw).not.toMatch(/"value":\d+,"suppressed":"/);
    expect(raw).not.toContain(`"value":${value(admin, 'councils-by-status', 'Active').value},"suppressed"`);
  });

  it('gives managing partner staff exact figures for their own councils only', async () => {
    const { json: lp } = answers.partnerLp;
    const { json: mhclg } = answers.partnerMhclg;
    const admin = answers.admin.json;
    for (const partner of [lp, mhclg]) {
      expect(partner.scope).toBe('managed-councils');
      expect(partner.disclosureControl.applied).toBe(false);
      expect(everyCount(partner).every((c) => c.suppressed === null)).toBe(true);
    }
    const active = (d: Dashboard) => value(d, 'councils-by-status', 'Active').value!;
    expect(active(lp)).toBeGreaterThan(0);
    expect(active(lp)).toBeLessThan(active(admin));
    expect(active(lp) + active(mhclg)).toBe(active(admin));
    expect(table(lp, 'councils-by-partner').rows.map((r) => r.label)).toEqual(['Local Partnerships']);
    const accreditations = (d: Dashboard) => headline(d, 'accreditationsAwarded').value!;
    expect(accreditations(lp) + accreditations(mhclg)).toBe(accreditations(admin));
    expect(answers.partnerLp.raw).not.toContain('Ministry of Housing');
  });

  it('is in the OpenAPI document under Dashboard, with who may call it', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const op = doc.paths['/dashboard'].get;
    expect(op.operationId).toBe('getDashboard');
    expect(op.tags).toEqual(['Dashboard']);
    expect(op.description).toContain('(the policy action `dashboard:aggregate`)');
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '429', '503']);
    expect(op.responses['200'].content['application/json'].schema.properties.headline).toBeDefined();
  });
});
