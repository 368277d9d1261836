import { Writable } from 'node:stream';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, openTestDatabase, testConfig, testNow, type TestApp } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { createApiToken } from '../auth/service.ts';
import { routeTable } from '../auth/access.ts';
import { buildApp } from '../app.ts';
import { fixedClock } from '../clock.ts';
import { memoryMailer } from '../notifications/mailer.ts';
import { unsafeInputFormMessage, unsafeInputPageMessage } from './input-guard.ts';

const adminToken = async (t: Pick<TestApp, 'db' | 'clock'>) => {
  const [admin] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
  return (await createApiToken(t.db, { actor: null, clock: t.clock }, admin.id, 'input guard')).token;
};

/** NUL and invalid UTF-8 anywhere in input: 400 (the form's own error on sign-in), never a 500 or a database query. */
describe.each(backends)('characters that are not allowed (%s)', (backend) => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ backend });
    token = await adminToken(t);
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { payload: Buffer.isBuffer(payload) ? payload : JSON.stringify(payload) }),
    });
  const expectApiRefusal = (res: Awaited<ReturnType<typeof api>>, field: string) => {
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, detail: `${field} contains characters that are not allowed`, errors: [{ field }] });
  };
  const badQueries = ['q=Jane%00Smith', 'q=%C3%28'];

  it('refuses a NUL or badly encoded q on every list, page and API, that answers without it', async () => {
    const admin = await t.signIn('admin');
    const lists = routeTable.filter((r) => r.method === 'GET' && !r.url.includes(':') && !r.url.includes('*') && r.access !== 'public');
    let checked = 0;
    for (const { url } of lists) {
      const isApi = url.startsWith('/api/');
      const get = (query: string) =>
        isApi ? t.app.inject({ method: 'GET', url: `${url}?${query}`, headers: { authorization: `Bearer ${token}` } }) : admin.get(`${url}?${query}`);
      if ((await get('q=ok')).statusCode !== 200) continue;
      checked++;
      for (const query of badQueries) {
        const res = await get(query);
        expect(res.statusCode, `${url}?${query}`).toBe(400);
        if (isApi) expect(res.json().errors, url).toEqual([{ field: 'q', message: 'q contains characters that are not allowed' }]);
        else expect(res.body, url).toContain(unsafeInputPageMessage);
      }
    }
    expect(checked).toBeGreaterThan(15);
    for (const query of ['q=%00', 'q=%FF', 'q=%E2%82', 'q=a&%FF=b']) {
      expect((await admin.get(`/people?${query}`)).statusCode, query).toBe(400);
      expect((await api('GET', `/people?${query}`)).statusCode, query).toBe(400);
    }
    // A percent sign that is not an escape, and escaped UTF-8, are ordinary searches.
    expect((await admin.get('/people?q=100%25%20Si%C3%A2n')).statusCode).toBe(200);
    expect((await api('GET', '/people?q=100%')).statusCode).toBe(200);
  }, 120_000);

  it('refuses the audit filters on the page and the API', async () => {
    const admin = await t.signIn('admin');
    for (const field of ['action', 'recordType', 'recordId']) {
      for (const value of ['%00', 'person%00', '%FF']) {
        expect((await admin.get(`/audit?${field}=${value}`)).statusCode, `${field}=${value}`).toBe(400);
        expectApiRefusal(await api('GET', `/audit-events?${field}=${value}`), field);
      }
    }
  });

  it('refuses NUL and invalid UTF-8 in JSON bodies, naming the field, before anything is written', async () => {
    const [before] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_events`);
    const id = crypto.randomUUID();
    expectApiRefusal(await api('POST', '/people', { name: 'Jane\u0000Smith', email: 'jane@example.gov.uk', roles: ['learner'] }), 'name');
    expectApiRefusal(await api('POST', '/people', { name: 'Jane', email: 'jane\u0000@example.gov.uk', roles: ['learner', 'x\u0000'] }), 'email');
    expectApiRefusal(await api('POST', '/people', { name: 'Jane', roles: ['learner', 'x\u0000'] }), 'roles.1');
    expectApiRefusal(await api('POST', '/cohorts', { name: '\u0000' }), 'name');
    expectApiRefusal(await api('POST', '/councils', { name: 'Council\u0000' }), 'name');
    expectApiRefusal(await api('PATCH', `/councils/${id}`, { reason: '\u0000' }), 'reason');
    expectApiRefusal(await api('POST', `/councils/${id}/status`, { status: 'withdrawn', reason: 'gone\u0000' }), 'reason');
    expectApiRefusal(await api('POST', `/learners/${id}/cpd`, { title: 'Course', notes: { deep: ['a', '\u0000'] } }), 'notes.deep.1');
    expectApiRefusal(await api('POST', `/enrolments/${id}/events`, { event: 'withdrawn', reason: '\u0000' }), 'reason');
    // Invalid UTF-8 bytes in the JSON text decode to U+FFFD.
    expectApiRefusal(await api('POST', '/cohorts', Buffer.from([...Buffer.from('{"name":"a'), 0xff, ...Buffer.from('"}')])), 'name');
    const [after] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from audit_events`);
    expect(after.n).toBe(before.n);
  });

  it('shows the GOV.UK error page for a page form or a path parameter with a NUL', async () => {
    const admin = await t.signIn('admin');
    const form = await admin.submit('/cohorts/new', { name: 'Cohort\u0000' }, { csrfFrom: '/cohorts/new' });
    expect(form.statusCode).toBe(400);
    expect(form.body).toContain('govuk-heading-l');
    expect(form.body).toContain(unsafeInputPageMessage);
    expect((await admin.get('/people/%00')).statusCode).toBe(400);
    expectApiRefusal(await api('GET', '/people/%00'), 'id');
  });

  it('gives sign-in with a NUL in the email address the sign-in form’s error', async () => {
    for (const form of [
      { email: `${demoAccounts.admin.email}\u0000`, password: 'wrong' },
      { email: '\u0000', password: 'x' },
    ]) {
      const res = await t.agent().submit('/sign-in', form);
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain(unsafeInputFormMessage);
      expect(res.body).toContain('name="password"');
    }
  });

  it('gives a password reset request with a NUL in the email address the form’s own error, sending nothing', async () => {
    const sent = t.mailer.sent.length;
    for (const email of [`${demoAccounts.admin.email}\u0000`, '\u0000']) {
      const res = await t.agent().submit('/forgot-password', { email });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain(unsafeInputFormMessage);
      expect(res.body).toContain('name="email"');
    }
    await t.app.outbox.kick();
    expect(t.mailer.sent.length).toBe(sent);
  });

  it('refuses a NUL in an upload’s file name or form field', async () => {
    const admin = await t.signIn('admin');
    const upload = async (fields: Record<string, string>, name: string) => {
      const { payload, contentType } = multipartBody({ _csrf: await admin.csrf('/imports/results'), ...fields }, { name, content: Buffer.from('email\n') });
      return t.app.inject({
        method: 'POST',
        url: '/imports/results',
        payload,
        headers: { 'content-type': contentType, cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
    };
    const [before] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from import_runs`);
    expect((await upload({}, 'results\u0000.csv')).statusCode).toBe(400);
    expect((await upload({ note: 'x\u0000' }, 'results.csv')).statusCode).toBe(400);
    const [after] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from import_runs`);
    expect(after.n).toBe(before.n);
  });
});

/** The log never carries SQL parameters, database error details or search terms. */
describe.each(backends)('what the log says (%s)', (backend) => {
  const lines: string[] = [];
  let close: () => Promise<void>;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let token: string;
  let councilId: string;
  beforeAll(async () => {
    const database = await openTestDatabase(backend);
    const clock = fixedClock(testNow);
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    app = await buildApp({ config: testConfig(), db: database.db, clock, mailer: memoryMailer(), logger: { level: 'info', stream } });
    await app.ready();
    close = async () => {
      await app.close();
      await database.close();
    };
    token = await adminToken({ db: database.db, clock });
    [{ id: councilId }] = await queryRows<{ id: string }>(database.db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`);
    // A database fault whose message and detail carry what was typed, as PostgreSQL's own errors can.
    await database.db.execute(sql.raw(`create function refuse_person() returns trigger language plpgsql as $$
      begin raise exception 'refused % %', new.name, new.email using detail = 'Key (name)=(' || new.name || ')'; end $$`));
    await database.db.execute(sql.raw('create trigger refuse_person before insert on people for each row execute function refuse_person()'));
  });
  afterAll(async () => close?.());

  it('logs a failed query by its SQLSTATE and stack, with none of the personal data in its parameters', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/people',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { name: 'Jane Smythe-Private', email: 'jane.smythe@private.example.gov.uk', jobTitle: 'Head of Secret Contracts', organisationId: councilId, roles: ['learner'] },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().detail).toBe('Something went wrong on our side. Nothing was changed.');
    const log = lines.join('');
    const failure = lines.map((l) => JSON.parse(l) as { msg: string; err?: { code?: string; stack: string; cause?: { code?: string } } }).find((l) => l.msg === 'unhandled error');
    expect(failure?.err?.cause?.code ?? failure?.err?.code).toBe('P0001');
    expect(failure?.err?.stack).toMatch(/\n\s+at /);
    for (const secret of ['Smythe', 'smythe', 'Secret Contracts', 'insert into', 'Key (name)', 'params']) expect(log).not.toContain(secret);
  });

  it('logs the path of a request, not its query string', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/people?q=Jane%20Smythe', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    const log = lines.join('');
    expect(log).toContain('"url":"/api/v1/people"');
    expect(log).not.toContain('Smythe');
  });
});
