import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { backends, createTestApp, errorSummary, type TestApp } from '../../test/helpers.ts';
import { createApiToken } from '../auth/service.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';
import { describeChange } from './service.ts';
import { recordNames } from './repository.ts';
import type { RecordKind } from './describe.ts';

/** The "What happened" cells of the log's table, as text. */
const sentences = (html: string) =>
  [...html.matchAll(/<td class="govuk-table__cell">([^<]*(?:<a [^>]*>[^<]*<\/a>[^<]*)*)<br><span class="govuk-hint govuk-!-font-size-16"><code>/g)].map((m) =>
    m[1].replace(/<[^>]+>/g, '').trim(),
  );

/** The boxes of a date input marked as wrong. */
const wrongBoxes = (html: string) => [...html.matchAll(/class="govuk-input govuk-date-input__input [^"]*govuk-input--error"[^>]*id="([a-z]+-[a-z]+)"/g)].map((m) => m[1]);

describe.each(backends)('audit log (%s)', (backend) => {
  let t: TestApp;
  let invitedId: string;
  let council: { id: string; name: string };
  let nomination: { id: string; person: string; personId: string };
  let adminName: string;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    const admin = await t.signIn('admin');
    adminName = (await one<{ name: string }>(sql`select name from people where email = ${demoAccounts.admin.email}`)).name;
    // Three real changes made through the pages: an invitation, a council's status, a nomination approved.
    const lp = await one<{ id: string }>(sql`select id from organisations where code = 'LP'`);
    const res = await admin.submit(paths.personInvite(), { name: 'Audit Subject', email: 'audit.subject@pioneer.example.gov.uk', organisationId: lp.id, roles: 'funder' });
    invitedId = (res.headers.location as string).split('/')[2].split('?')[0];

    const interested = await one<{ id: string; name: string; version: number }>(sql`
      select o.id, o.name, p.version from organisations o join participations p on p.council_id = o.id where p.status = 'interested' order by o.name limit 1`);
    council = interested;
    const moved = await admin.submit(paths.councilStatus(interested.id), { status: 'eligibility_review', reason: '', version: String(interested.version) });
    expect(moved.statusCode, moved.body).toBe(302);

    const nominated = await one<{ id: string; person: string; personId: string; councilId: string; level: string; period: string; version: number; taken: number | null }>(sql`
      select e.id, p.name as person, p.id as "personId", e.council_id as "councilId", e.level, e.period, e.version, f.taken
      from enrolments e join people p on p.id = e.person_id
      left join funded_places f on f.council_id = e.council_id and f.level = e.level and f.period = e.period
      where e.status = 'nominated' order by p.name limit 1`);
    nomination = nominated;
    await setPlaces(t.db, { councilId: nominated.councilId, level: nominated.level, period: nominated.period }, (nominated.taken ?? 0) + 5, t.clock.now());
    const approved = await admin.submit(paths.enrolmentMove(nominated.id), { type: 'approved', 'date-day': '26', 'date-month': '11', 'date-year': '2026', version: String(nominated.version) });
    expect(approved.statusCode, approved.body).toBe(302);
  });
  afterAll(async () => t?.close());

  it('refuses UPDATE and DELETE on audit_events: the table is append-only', async () => {
    await expect(t.db.execute(sql`update audit_events set action = 'tampered'`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from audit_events`)).rejects.toThrow();
    const row = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'tampered'`);
    expect(row.n).toBe(0);
  });

  it('says in English, newest first, who did what to which record, with the records linked', async () => {
    const admin = await t.signIn('admin');
    const res = await admin.get(paths.audit());
    expect(res.statusCode).toBe(200);
    const said = sentences(res.body);
    const level = await one<{ level: string }>(sql`select initcap(level) as level from enrolments where id = ${nomination.id}`);
    expect(said.slice(0, 4)).toEqual([
      // The admin's second sign-in (this test's) is the newest event.
      `${adminName} signed in.`,
      `${adminName} approved the ${level.level} nomination of ${nomination.person}.`,
      `${adminName} changed the status of ${council.name} from Interested to Eligibility review.`,
      `${adminName} invited Audit Subject of Local Partnerships as Funder or observer.`,
    ]);
    expect(res.body).toContain(`<a class="govuk-link" href="${paths.council(council.id)}">${council.name}</a>`);
    expect(res.body).toContain(`<a class="govuk-link" href="${paths.enrolment(nomination.id)}">${nomination.person}</a>`);
    expect(res.body).toContain(`<a class="govuk-link" href="${paths.person(invitedId)}">Audit Subject</a>`);
    // The actor by name, never their email address; the recorded details are still there for those who need them.
    expect(said.join('\n')).not.toContain(demoAccounts.admin.email);
    expect(res.body).toContain('govuk-details');
    expect(res.body).toContain('audit.subject@pioneer.example.gov.uk');
  });

  it('names a record that no longer exists by its id, without a link', async () => {
    const gone = crypto.randomUUID();
    await t.db.execute(sql`insert into audit_events (occurred_at, actor_label, action, record_type, record_id) values (${t.clock.now().toISOString()}::timestamptz, 'pioneer CLI', 'person.deactivated', 'person', ${gone})`);
    const res = await (await t.signIn('admin')).get(`${paths.audit()}?recordId=${gone}`);
    expect(sentences(res.body)).toEqual([`The Pioneer command line deactivated ${gone}.`]);
    expect(res.body).not.toContain(`href="${paths.person(gone)}"`);
  });

  it('filters by person, record type, record id and action', async () => {
    const admin = await t.signIn('admin');
    const byRecord = await admin.get(`/audit?recordType=person&recordId=${invitedId}`);
    expect(byRecord.body).toContain('Showing 1 to 1 of 1 event');
    expect(sentences(byRecord.body)).toEqual([`${adminName} invited Audit Subject of Local Partnerships as Funder or observer.`]);
    const byAction = await admin.get('/audit?action=auth.sign_in&person=admin%40pioneer');
    expect(byAction.body).toMatch(/Showing 1 to \d+ of \d+ event/);
    expect(byAction.body).not.toContain('<code>person.invited</code>');
    const me = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    const byId = await admin.get(`/audit?person=${me.id}&action=person.invited`);
    expect(byId.body).toContain('Showing 1 to 1 of 1 event');
  });

  it('filters by day with GOV.UK date inputs, and says which box is wrong', async () => {
    const admin = await t.signIn('admin');
    const today = await admin.get('/audit?from-day=26&from-month=11&from-year=2026&to-day=26&to-month=11&to-year=2026&action=person.invited');
    expect(today.body).toContain('Showing 1 to 1 of 1 event');
    expect(today.body).toMatch(/id="from-day" name="from-day" type="text" value="26"/);
    const yesterday = await admin.get('/audit?to-day=25&to-month=11&to-year=2026&action=person.invited');
    expect(yesterday.body).toContain('No audit events found');
    const future = await admin.get('/audit?from-day=27&from-month=11&from-year=2026');
    expect(future.body).toContain('No audit events found');

    const notReal = await admin.get('/audit?from-day=31&from-month=2&from-year=2026&action=person.invited');
    expect(notReal.statusCode).toBe(200);
    expect(errorSummary(notReal.body)).toContain('From date must be a real date');
    expect(notReal.body).toContain('href="#from-day"');
    expect(wrongBoxes(notReal.body)).toEqual(['from-day']);
    // The date that cannot be used is left out, so the reader still sees the list.
    expect(notReal.body).toContain('Showing 1 to 1 of 1 event');

    const missing = await admin.get('/audit?to-day=3&to-year=2026');
    expect(errorSummary(missing.body)).toContain('To date must include a month');
    expect(wrongBoxes(missing.body)).toEqual(['to-month']);
    expect(missing.body).toContain('href="#to-month"');

    const badYear = await admin.get('/audit?from-day=3&from-month=4&from-year=26');
    expect(errorSummary(badYear.body)).toContain('From date year must include 4 numbers');
    expect(wrongBoxes(badYear.body)).toEqual(['from-year']);

    const reversed = await admin.get('/audit?from-day=26&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026&action=person.invited');
    expect(errorSummary(reversed.body)).toContain('To date must be the same as or after the from date');
    expect(wrongBoxes(reversed.body)).toEqual(['to-day', 'to-month', 'to-year']);
    expect(reversed.body).toContain('Showing 1 to 1 of 1 event');
  });

  it('downloads the filtered events as CSV and XLSX, each event as its sentence', async () => {
    const admin = await t.signIn('admin');
    const filter = `?recordType=council&recordId=${council.id}&from-day=26&from-month=11&from-year=2026`;
    const csv = await admin.get(`${paths.auditExport('csv')}${filter}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="audit-log-2026-11-26.csv"');
    const rows: string[][] = parse(csv.body.replace(/^\uFEFF/, ''));
    expect(rows).toEqual([
      ['When', 'Who', 'What happened', 'Record type', 'Record ID', 'Request ID', 'IP address'],
      ['26 November 2026 at 10:00am', adminName, `${adminName} changed the status of ${council.name} from Interested to Eligibility review.`, 'council', council.id, expect.any(String), '127.0.0.1'],
    ]);

    const xlsx = await admin.get(`${paths.auditExport('xlsx')}${filter}`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-disposition']).toBe('attachment; filename="audit-log-2026-11-26.xlsx"');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    expect(sheet.actualRowCount).toBe(2);
    expect(sheet.getRow(2).getCell(3).value).toBe(`${adminName} changed the status of ${council.name} from Interested to Eligibility review.`);
  });

  it('reads a long log for a download in batches, every event once, in the list’s order', async () => {
    const { auditEventBatches } = await import('./repository.ts');
    const all = await one<{ n: number }>(sql`select count(*)::int as n from audit_events`);
    for (const order of ['asc', 'desc'] as const) {
      const ids: number[] = [];
      for await (const batch of auditEventBatches(t.db, { order }, 7)) ids.push(...batch.map((e) => Number(e.id)));
      expect(ids).toHaveLength(all.n);
      expect(new Set(ids).size).toBe(all.n);
    }
  });

  it('gives each event its sentence in the API', async () => {
    const me = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    const { token } = await createApiToken(t.db, { actor: null, clock: t.clock }, me.id, 'audit test');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events?recordType=council&recordId=${council.id}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      expect.objectContaining({ action: 'council.status_changed', description: `${adminName} changed the status of ${council.name} from Interested to Eligibility review.` }),
    ]);
  });

  it('is for programme admins only, downloads too', async () => {
    for (const who of ['partnerLp', 'sro', 'funder', 'learner'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.audit())).statusCode, who).toBe(403);
      expect((await agent.get(paths.auditExport('csv'))).statusCode, who).toBe(403);
      expect((await agent.get(paths.auditExport('xlsx'))).statusCode, who).toBe(403);
    }
    const anonymous = await t.app.inject({ method: 'GET', url: paths.auditExport('xlsx') });
    expect(anonymous.statusCode).toBe(302);
  });

  it('reads the names of every kind of record a page mentions, asking only the tables of the kinds mentioned', async () => {
    const me = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`);
    await createApiToken(t.db, { actor: null, clock: t.clock }, me.id, 'names test');
    await queryRows(t.db, sql`insert into import_runs (kind, uploaded_by_id, status) values ('results', ${me.id}::uuid, 'succeeded')`);
    const tables: Record<RecordKind, string> = {
      person: 'people', organisation: 'organisations', enrolment: 'enrolments', cohort: 'cohorts', funded_places: 'funded_places',
      accreditation: 'accreditations', cpd_record: 'cpd_records', import_run: 'import_runs', api_token: 'api_tokens',
    };
    const wanted = new Map<RecordKind, Set<string>>();
    for (const [kind, table] of Object.entries(tables) as [RecordKind, string][]) {
      const rows = await queryRows<{ id: string }>(t.db, sql`select id::text as id from ${sql.identifier(table)} order by id limit 2`);
      wanted.set(kind, new Set(rows.map((r) => r.id)));
    }
    // The demo data (and this file's set-up) hold some of every kind.
    expect([...wanted].filter(([, ids]) => !ids.size).map(([kind]) => kind)).toEqual([]);
    const all = await recordNames(t.db, wanted);
    expect(all.map((r) => `${r.kind}:${r.id}`).sort()).toEqual([...wanted].flatMap(([kind, ids]) => [...ids].map((id) => `${kind}:${id}`)).sort());
    expect(all.every((r) => typeof r.name === 'string' && r.name.length > 0)).toBe(true);
    const enrolment = all.find((r) => r.kind === 'enrolment')!;
    expect(enrolment).toMatchObject({ level: expect.any(String), period: expect.any(String), ownerId: expect.any(String) });

    const tokenOnly = await recordNames(t.db, new Map([['api_token', wanted.get('api_token')!]]));
    expect(tokenOnly.map((r) => r.kind)).toEqual(tokenOnly.map(() => 'api_token'));
    expect(tokenOnly[0].name).toMatch(/^“.+”$/);
    expect(await recordNames(t.db, new Map([['person', new Set<string>()]]))).toEqual([]);
  });

  it('describes a change field by field', () => {
    expect(describeChange({ roles: ['learner'] }, { roles: ['learner', 'council_lead'] })).toEqual([{ field: 'roles', before: 'learner', after: 'learner, council_lead' }]);
    expect(describeChange(null, { status: 'active' })).toEqual([{ field: 'status', before: '(none)', after: 'active' }]);
    expect(describeChange(null, null)).toEqual([]);
  });

  it('leaves out the fields an event recorded but did not change', () => {
    const before = { status: 'nominated', cohortId: 'c1', attempts: 0, tags: ['a', 'b'] };
    const after = { status: 'approved', cohortId: 'c1', attempts: 0, tags: ['a', 'b'], reason: null, date: '2026-12-07' };
    expect(describeChange(before, after)).toEqual([
      { field: 'status', before: 'nominated', after: 'approved' },
      { field: 'date', before: '(none)', after: '2026-12-07' },
    ]);
    expect(describeChange({ status: 'active', note: '' }, { status: 'active', note: null })).toEqual([]);
  });
});
