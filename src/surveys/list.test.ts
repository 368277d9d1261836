import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { demoAccounts } from '../db/seed/demo.ts';

/** The survey list pages 50 at a time, filters by level and status, sorts, and says when nothing matches. */
describe.each(backends)('survey list (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let funder: Agent;
  let sro: Agent;
  let total: number;
  const titles = (body: string) => [...body.matchAll(/<th scope="row" class="govuk-table__header"><a class="govuk-link" href="\/surveys\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1]);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, funder, sro] = await Promise.all(['admin', 'funder', 'sro'].map((who) => t.signIn(who)));
    // 55 surveys besides the demo's: every fifth a closed behaviour survey, the rest open reaction surveys; created a minute apart.
    await t.db.execute(sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions, created_at, updated_at)
      select 'List survey ' || lpad(n::text, 2, '0'), case when n % 5 = 0 then 'behaviour' else 'reaction' end, 'Everyone', false, '2027-01-31',
             case when n % 5 = 0 then 'closed' else 'open' end, '[{"key":"q1","text":"How was it?","type":"scale","options":[],"required":true}]'::jsonb,
             timestamptz '2026-11-30T09:00:00Z' + n * interval '1 minute', now()
      from generate_series(1, 55) as n`);
    total = (await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from surveys`))[0].n;
  });
  afterAll(async () => t?.close());

  it('pages 50 at a time, newest first, and sends a page past the end to the last', async () => {
    const first = await admin.get('/surveys');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`Showing 1 to 50 of ${total} surveys`);
    expect(titles(first.body)).toHaveLength(50);
    expect(titles(first.body)[0]).toBe('List survey 55');
    expect(first.body).toContain('govuk-pagination');
    expect(first.body).toContain('href="/surveys?sort=created&amp;order=desc&amp;page=2"');
    const second = await admin.get('/surveys?sort=created&order=desc&page=2');
    expect(second.body).toContain(`Showing 51 to ${total} of ${total} surveys`);
    expect(titles(second.body)).toHaveLength(total - 50);
    expect(titles(second.body)).not.toContain('List survey 55');
    const past = await admin.get('/surveys?page=99');
    expect(past.statusCode).toBe(302);
    expect(past.headers.location).toBe('/surveys?sort=created&order=desc&page=2');
  });

  it('filters by level and status, sorts by title, and says when no survey matches', async () => {
    const filtered = await funder.get('/surveys?level=behaviour&status=closed&sort=title&order=asc');
    expect(filtered.statusCode).toBe(200);
    expect(filtered.body).toContain('Showing 1 to 11 of 11 surveys');
    expect(titles(filtered.body)).toEqual(Array.from({ length: 11 }, (_, i) => `List survey ${String((i + 1) * 5).padStart(2, '0')}`));
    expect(filtered.body).toContain('id="clear-filters"');
    expect(filtered.body).not.toContain('govuk-pagination');
    expect(filtered.body).toMatch(/aria-sort="ascending"><a [^>]*>Survey</);
    const descending = await funder.get('/surveys?level=behaviour&status=closed&sort=title&order=desc');
    expect(titles(descending.body)[0]).toBe('List survey 55');
    const none = await admin.get('/surveys?level=results');
    expect(none.body).toContain('No surveys match these filters');
    expect(none.body).not.toContain('id="surveys"');
    // A made-up filter is ignored, as a hand-edited address should be.
    const odd = await admin.get('/surveys?level=nonsense&status=');
    expect(odd.statusCode).toBe(200);
    expect(odd.body).toContain(`of ${total} surveys`);
    expect(odd.body).not.toContain('id="clear-filters"');
    expect((await sro.get('/surveys')).statusCode).toBe(403);
  });

  it('filters the API list by level and status, refusing an unknown one', async () => {
    const [p] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.funder.email}`);
    const headers = { authorization: `Bearer ${(await createApiToken(t.db, { actor: null, clock: t.clock }, p.id, 'survey list test')).token}` };
    const page = await t.app.inject({ method: 'GET', url: '/api/v1/surveys?level=behaviour&status=closed&pageSize=5&page=3', headers });
    expect(page.statusCode).toBe(200);
    const body = page.json() as { data: { title: string; schedule: unknown }[]; meta: unknown };
    expect(body.meta).toEqual({ total: 11, page: 3, pageSize: 5 });
    expect(body.data.map((s) => s.title)).toEqual(['List survey 05']);
    expect(body.data[0].schedule).toBeNull();
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/surveys?level=nonsense', headers });
    expect(bad.statusCode).toBe(400);
  });

  it('says there are no surveys yet when there are none', async () => {
    await t.db.execute(sql`delete from survey_responses`);
    await t.db.execute(sql`delete from survey_recipients`);
    await t.db.execute(sql`delete from surveys`);
    const empty = await admin.get('/surveys');
    expect(empty.body).toContain('No surveys yet: create one');
    expect(empty.body).not.toContain('id="surveys"');
    expect((await funder.get('/surveys')).body).not.toContain('create one');
  });
});
