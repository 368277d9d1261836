import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type TestApp, type Agent } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';

/** Every long list page, as the programme admin sees it. */
const lists = ['/councils', '/people', '/learners', '/places', '/cohorts', '/audit'];
/** The lists with a search box, with their downloads. */
const searchable = [
  { list: '/councils', exportCsv: '/councils/export.csv' },
  { list: '/people', exportCsv: '/people/export.csv' },
  { list: '/learners', exportCsv: '/learners/export.csv' },
  { list: '/places', exportCsv: '/places/export.csv' },
];

const showing = (html: string) => /Showing (\S+) to (\S+) of (\S+)/.exec(html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '))?.slice(1);

describe.each(backends)('list pages at their edges (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  it.each(lists)('%s: a page number past the end redirects to the last page', async (list) => {
    const res = await admin.get(`${list}?page=100000`);
    expect(res.statusCode).toBe(302);
    const last = new URL(res.headers.location as string, 'http://x');
    expect(last.pathname).toBe(list);
    const page = await admin.get(last.pathname + last.search);
    expect(page.statusCode).toBe(200);
    // The last page shows rows, not "Showing 4,999,951 to 446".
    const lastPage = Number(last.searchParams.get('page') ?? 1);
    expect(lastPage).toBeLessThan(100000);
    expect((await admin.get(`${list}?page=${lastPage}`)).statusCode).toBe(200);
    expect((await admin.get(`${list}?page=${lastPage + 1}`)).headers.location).toBe(res.headers.location);
  });

  it('keeps the filters, search and sort when redirecting to the last page', async () => {
    const res = await admin.get('/councils?status=active&q=council&sort=region&order=desc&page=999');
    expect(res.statusCode).toBe(302);
    const last = new URL(res.headers.location as string, 'http://x');
    expect(Object.fromEntries(last.searchParams)).toMatchObject({ status: 'active', q: 'council', sort: 'region', order: 'desc' });
    const page = await admin.get(last.pathname + last.search);
    expect(page.statusCode).toBe(200);
    const [from, to, total] = showing(page.body) ?? [];
    expect(Number(from)).toBeLessThanOrEqual(Number(to));
    expect(to).toBe(total);
  });

  it('sends a filter with no results past page 1 to the unpaged list', async () => {
    const res = await admin.get('/councils?q=no-such-council-anywhere&page=3');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/councils?q=no-such-council-anywhere&sort=name&order=asc');
  });

  it.each(['1e9', '2.5', '-1', '0', 'abc', '99999999999999999999999999'])('takes page=%s without an error', async (page) => {
    const res = await admin.get(`/learners?page=${page}`);
    expect([200, 302]).toContain(res.statusCode);
    if (res.statusCode === 302) expect((await admin.get(res.headers.location as string)).statusCode).toBe(200);
    else expect(showing(res.body)?.[0]).toBe('1');
  });

  it.each(searchable)('$list: a search term that is too long is told, not dropped', async ({ list, exportCsv }) => {
    const typed = `${'a'.repeat(200)}b`;
    const res = await admin.get(`${list}?q=${typed}`);
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain('Search term must be 200 characters or fewer');
    expect(res.body).toContain('href="#q"');
    expect(res.body).toMatch(/<title>Error: /);
    // The box keeps what was typed and carries the message.
    const box = /<input[^>]*id="q"[^>]*>/.exec(res.body)?.[0];
    expect(box).toContain('govuk-input--error');
    expect(box).toContain(`value="${typed}"`);
    expect(res.body).toContain('id="q-error"');
    // The list shows without the search (its other filters kept), and its links do not carry the term.
    const unsearched = await admin.get(list);
    expect(showing(res.body)).toEqual(showing(unsearched.body));
    expect(res.body).not.toContain(`q=${typed}`);
    // A download with such a term is refused rather than exported unfiltered.
    const download = await admin.get(`${exportCsv}?q=${typed}`);
    expect(download.statusCode).toBe(400);
    expect(download.headers['content-type']).not.toContain('text/csv');
  });

  it('searches with a term of exactly 200 characters', async () => {
    const res = await admin.get(`/councils?q=${'a'.repeat(200)}`);
    expect(res.statusCode).toBe(200);
    expect(errorSummary(res.body)).toBe('');
  });

  describe('the API lists', () => {
    let token: string;
    beforeAll(async () => {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
      token = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    });
    const api = (url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

    it.each(['/councils', '/people', '/enrolments'])('%s: a page past the end is empty data with the total', async (url) => {
      const res = await api(`${url}?page=100000`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.data).toEqual([]);
      expect(body.meta).toMatchObject({ page: 100000, pageSize: 50 });
      expect(body.meta.total).toBeGreaterThan(0);
    });

    it.each(['/councils', '/people', '/enrolments'])('%s: a search term that is too long is a problem naming q', async (url) => {
      const res = await api(`${url}?q=${'a'.repeat(201)}`);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'q', message: 'q must be 200 characters or fewer' }]);
    });

    it('refuses a page number that is not whole digits or too large', async () => {
      for (const page of ['1e9', '2.5', '1000000000']) expect((await api(`/councils?page=${page}`)).statusCode).toBe(400);
    });
  });
});
