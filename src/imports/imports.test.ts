import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, allowEmailDomain } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { setPlaces } from '../places/repository.ts';
import { uploadReason } from './service.ts';

const fixtures = path.resolve(import.meta.dirname, '../../test/fixtures/imports');
const fixture = (name: string) => fs.readFileSync(path.join(fixtures, name));
const csvType = 'text/csv';
const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const nominationHeader = 'council_code,name,email,job_title,level,period';
const resultHeader = 'email,level,event,date,certificate_number';
const today = '26/11/2026'; // the test clock's day
/** The councils these tests set up for themselves (the demo seed may use others). */
const fixtureCouncil = 'E06000053';
const tightCouncil = 'E06000052';

type Who = 'admin' | 'sro' | 'lead' | 'learner' | 'partnerLp';

async function xlsxOf(rows: unknown[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Sheet1');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const csvOf = (header: string, rows: string[]) => Buffer.from([header, ...rows].join('\n') + '\n');

describe.each(backends)('spreadsheet imports (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let sroCouncil: { id: string; gssCode: string };
  let adminId: string;
  let sroId: string;
  const one = async <T>(query: ReturnType<typeof sql>) => (await queryRows<T>(t.db, query))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'fixture-imports.example.gov.uk');
    for (const who of ['admin', 'sro', 'lead', 'learner', 'partnerLp'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'imports test')).token;
      if (who === 'admin') adminId = person.id;
      if (who === 'sro') sroId = person.id;
    }
    sroCouncil = await one(sql`select o.id, o.gss_code as "gssCode" from organisations o where o.id = (select organisation_id from people where email = ${demoAccounts.sro.email})`);
    const now = t.clock.now();
    for (const code of [fixtureCouncil, tightCouncil]) {
      await t.db.execute(sql`update participations set status = 'active' where council_id = (select id from organisations where gss_code = ${code})`);
    }
    const councils = await queryRows<{ id: string; gss: string }>(t.db, sql`select id, gss_code as gss from organisations where gss_code in (${fixtureCouncil}, ${tightCouncil})`);
    for (const c of councils) {
      for (const level of ['foundation', 'practitioner', 'expert']) {
        await setPlaces(t.db, { councilId: c.id, level, period: '2027-28' }, c.gss === tightCouncil ? 1 : 20, now);
      }
    }
    for (const level of ['foundation', 'practitioner', 'expert']) await setPlaces(t.db, { councilId: sroCouncil.id, level, period: '2027-28' }, 20, now);
  });
  afterAll(async () => t?.close());

  const upload = (kind: 'nominations' | 'results', who: Who | null, body: Buffer | string, contentType = csvType) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/imports/${kind}`,
      headers: { 'content-type': contentType, ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) },
      payload: body,
    });

  const counts = async () =>
    one<Record<string, number>>(sql`select
      (select count(*) from people)::int as people,
      (select count(*) from enrolments)::int as enrolments,
      (select count(*) from enrolment_events)::int as events,
      (select count(*) from accreditations)::int as accreditations,
      (select count(*) from audit_events)::int as audit,
      (select count(*) from notifications)::int as notifications,
      (select coalesce(sum(taken), 0) from funded_places)::int as taken`);

  const enrolmentOf = (email: string, level: string) =>
    one<{ status: string; period: string; name: string; council: string }>(sql`
      select e.status, e.period, p.name, o.gss_code as council from enrolments e join people p on p.id = e.person_id join organisations o on o.id = e.council_id
      where lower(p.email) = lower(${email}) and e.level = ${level} order by e.created_at desc limit 1`);

  const pageUpload = async (agent: Agent, url: string, file: { name: string; content: Buffer } | null, csrf?: string) => {
    const token = csrf ?? (await agent.csrf(url));
    const { payload, contentType } = multipartBody({ _csrf: token }, file);
    return t.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': contentType, cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
  };

  /**
   * An upload from the page as a person makes it: the POST answers 303 to the upload's status page; once the
   * background job has finished, that page shows the outcome.
   */
  const pageUploadDone = async (agent: Agent, url: string, file: { name: string; content: Buffer }) => {
    const posted = await pageUpload(agent, url, file);
    expect(posted.statusCode, posted.body).toBe(303);
    const location = posted.headers.location as string;
    expect(location).toMatch(/^\/imports\/[0-9a-f-]{36}$/);
    await t.app.importJobs.idle();
    return agent.get(location);
  };

  describe('nominations', () => {
    it('creates every row of a good file, invites new people, and keeps their names exactly', async () => {
      const before = await counts();
      const res = await upload('nominations', 'admin', fixture('nominations-good.csv'));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ rows: 3, created: 3, unchanged: 0, invited: 3, budgetWarnings: [] });
      const after = await counts();
      expect(after.people - before.people).toBe(3);
      expect(after.enrolments - before.enrolments).toBe(3);
      expect(await enrolmentOf('sian.obrien@fixture-imports.example.gov.uk', 'practitioner')).toMatchObject({ status: 'nominated', period: '2027-28', name: 'Siân O’Brien', council: fixtureCouncil });
      expect((await enrolmentOf('llyr.jones@fixture-imports.example.gov.uk', 'foundation')).name).toBe('Llŷr Ŵyn Jones');
      expect((await enrolmentOf('zoe.obrien@fixture-imports.example.gov.uk', 'practitioner')).name).toBe("Zoë José O'Brien");
      const audit = await queryRows<{ after: { created: number; invited: number } }>(t.db, sql`select after from audit_events where action = 'import.nominations' order by id desc limit 1`);
      expect(audit[0].after).toMatchObject({ created: 3, invited: 3, unchanged: 0 });
    });

    it('is idempotent: the same file again (as CSV or XLSX) changes nothing and never duplicates people', async () => {
      const before = await counts();
      const again = await upload('nominations', 'admin', fixture('nominations-good.csv'));
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual({ rows: 3, created: 0, unchanged: 3, invited: 0, budgetWarnings: [] });
      const text = fixture('nominations-good.csv').toString('utf8').trim().split('\n').map((line) => {
        const cells: string[] = [];
        line.replace(/("([^"]*)"|[^,]*)(,|$)/g, (_m, cell: string, quoted: string | undefined) => (cells.push(quoted ?? cell), ''));
        return cells.slice(0, 6);
      });
      const asXlsx = await upload('nominations', 'admin', await xlsxOf(text), xlsxType);
      expect(asXlsx.json()).toEqual({ rows: 3, created: 0, unchanged: 3, invited: 0, budgetWarnings: [] });
      const after = await counts();
      expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
      const people = await one<{ n: number }>(sql`select count(*)::int as n from people where email like '%@fixture-imports.example.gov.uk'`);
      expect(people.n).toBe(3);
    });

    it('accepts a CSV with a BOM and Windows line endings', async () => {
      const res = await upload('nominations', 'admin', fixture('nominations-bom-crlf.csv'));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ rows: 2, created: 2 });
      expect((await enrolmentOf('ffion.yr@fixture-imports.example.gov.uk', 'expert')).name).toBe('Ffion Ŷr');
    });

    it('writes nothing when one row among good ones is bad, and names the row and column', async () => {
      const before = await counts();
      const file = csvOf(nominationHeader, [
        `${fixtureCouncil},New One,new.one@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
        `${fixtureCouncil},New Two,new.two@fixture-imports.example.gov.uk,Buyer,practitioner,2027-28`,
        `E99999999,New Three,new.three@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
        `${fixtureCouncil},New Four,not-an-email,Buyer,master,2027/29`,
        `${fixtureCouncil},Demo SRO,${demoAccounts.sro.email},SRO,foundation,2027-28`,
      ]);
      const res = await upload('nominations', 'admin', file);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem).toMatchObject({ status: 422, detail: expect.stringContaining('3 of 5 rows have errors') });
      expect(problem.errors).toEqual([
        { row: 4, column: 'council_code', message: 'E99999999 is not the GSS code of a council Pioneer knows' },
        { row: 5, column: 'email', message: 'Enter an email address in the correct format, like name@council.gov.uk' },
        { row: 5, column: 'level', message: 'Level must be foundation, practitioner or expert, not “master”' },
        { row: 5, column: 'period', message: 'Period must be a financial year written like 2024-25, not “2027/29”' },
        { row: 6, column: 'email', message: 'demo-council.example.gov.uk is not one of Council of the Isles of Scilly’s email domains (fixture-imports.example.gov.uk): nominate this officer on the nomination form to nominate it anyway' },
      ]);
      expect(await counts()).toEqual(before);
    });

    it('invites 300 new people all or nothing, domains checked row by row, once however often the file comes, its links opening their form', async () => {
      const rows = Array.from({ length: 300 }, (_, i) => `${fixtureCouncil},Bulk Officer ${i},bulk.officer.${i}@fixture-imports.example.gov.uk,Buyer,${i % 2 ? 'foundation' : 'expert'},2027-28`);
      const before = await counts();
      const outside = await upload('nominations', 'admin', csvOf(nominationHeader, [...rows.slice(0, 150), `${fixtureCouncil},Outside,outside@elsewhere.example.com,Buyer,foundation,2027-28`, ...rows.slice(150)]));
      expect(outside.statusCode).toBe(422);
      expect(outside.json().errors).toEqual([{ row: 152, column: 'email', message: expect.stringContaining('elsewhere.example.com is not one of') }]);
      expect(await counts()).toEqual(before);

      const res = await upload('nominations', 'admin', csvOf(nominationHeader, rows));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toEqual({ rows: 300, created: 300, unchanged: 0, invited: 300, budgetWarnings: [] });
      const after = await counts();
      // Each row: a person, an enrolment, its first history row, an invitation email, two audit events; and the upload's own audit.
      expect({ people: after.people - before.people, enrolments: after.enrolments - before.enrolments, events: after.events - before.events })
        .toEqual({ people: 300, enrolments: 300, events: 300 });
      expect({ notifications: after.notifications - before.notifications, audit: after.audit - before.audit }).toEqual({ notifications: 300, audit: 601 });

      const again = await upload('nominations', 'admin', csvOf(nominationHeader, rows));
      expect(again.json()).toEqual({ rows: 300, created: 0, unchanged: 300, invited: 0, budgetWarnings: [] });
      expect({ ...(await counts()), audit: 0 }).toEqual({ ...after, audit: 0 });

      const mail = await queryRows<{ to: string; body: string }>(t.db, sql`select to_email as to, body from notifications where to_email like 'bulk.officer.%'`);
      expect(new Set(mail.map((m) => m.to)).size).toBe(300);
      // Every link's hash is checked in bulk.test.ts; here a sample through the page, as a person opens it.
      for (const m of mail.filter((_, i) => i % 20 === 0)) {
        const page = await t.app.inject({ method: 'GET', url: /\/set-password\/\S+/.exec(m.body)![0] });
        expect(page.statusCode, m.to).toBe(200);
        expect(page.body).toContain(m.to);
      }
    });

    it('the same file of new people sent twice at once: each person, link and email once, the loser told to upload again', async () => {
      const rows = Array.from({ length: 300 }, (_, i) => `${fixtureCouncil},Race Officer ${i},race.officer.${i}@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`);
      const before = await counts();
      const file = csvOf(nominationHeader, rows);
      const answers = await Promise.all([upload('nominations', 'admin', file), upload('nominations', 'admin', file)]);
      const created = answers.filter((a) => a.statusCode === 201 && a.json().created === 300);
      expect(created, answers.map((a) => a.body).join('\n')).toHaveLength(1);
      // The other either came second (all 300 already there) or met the first's rows in its own writes and wrote nothing.
      const other = answers.find((a) => a !== created[0])!;
      if (other.statusCode === 201) expect(other.json()).toMatchObject({ created: 0, unchanged: 300, invited: 0 });
      else expect({ status: other.statusCode, detail: other.json().detail }).toEqual({ status: 422, detail: expect.stringContaining('Nothing was saved: upload the file again') });
      const after = await counts();
      expect({ people: after.people - before.people, enrolments: after.enrolments - before.enrolments, notifications: after.notifications - before.notifications })
        .toEqual({ people: 300, enrolments: 300, notifications: 300 });
    });

    it('reports a row repeated within the file, naming the earlier row', async () => {
      const res = await upload('nominations', 'admin', fixture('nominations-repeated-row.csv'));
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([{ row: 4, column: 'email', message: expect.stringContaining('Row 4 repeats row 2') }]);
    });

    it('reports a formula cell in an XLSX file with its address', async () => {
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('Nominations');
      sheet.addRow(nominationHeader.split(','));
      sheet.addRow([fixtureCouncil, 'F One', 'f.one@fixture-imports.example.gov.uk', 'Buyer', 'foundation', '2027-28']);
      sheet.addRow([fixtureCouncil, 'F Two', 'f.two@fixture-imports.example.gov.uk', 'Buyer', 'foundation', '2027-28']);
      sheet.addRow([fixtureCouncil, 'F Three', null, 'Buyer', 'foundation', '2027-28']);
      sheet.getCell('C4').value = { formula: 'LOWER("F.THREE@FIXTURE-IMPORTS.EXAMPLE.GOV.UK")', result: 'f.three@fixture-imports.example.gov.uk' } as ExcelJS.CellFormulaValue;
      const res = await upload('nominations', 'admin', Buffer.from(await workbook.xlsx.writeBuffer()), xlsxType);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toContainEqual({ row: 4, column: 'email', message: 'Cell C4 contains a formula; paste values only' });
    });

    it('lets an SRO nominate for their own council only', async () => {
      const before = await counts();
      const other = csvOf(nominationHeader, [
        `${sroCouncil.gssCode},Own Officer,own.officer@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
        `${fixtureCouncil},Other Officer,other.officer@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
      ]);
      const refused = await upload('nominations', 'sro', other);
      expect(refused.statusCode).toBe(422);
      expect(refused.json().errors).toEqual([{ row: 3, column: 'council_code', message: expect.stringContaining('upload nominations only for councils you manage') }]);
      expect(await counts()).toEqual(before);
      const own = await upload('nominations', 'sro', csvOf(nominationHeader, [`${sroCouncil.gssCode},Own Officer,own.officer@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`]));
      expect(own.statusCode).toBe(201);
      expect(own.json()).toEqual({ rows: 1, created: 1, unchanged: 0, invited: 1, budgetWarnings: [] });
      // An upload's invitations wait behind mail that one person is waiting for.
      expect(await one<{ priority: number }>(sql`select priority from notifications where to_email = 'own.officer@fixture-imports.example.gov.uk'`)).toEqual({ priority: 1 });
    });
  });

  describe('results', () => {
    it('carries learners through several steps in file order, then changes nothing the second time', async () => {
      const before = await counts();
      const res = await upload('results', 'admin', fixture('results-good.csv'));
      expect(res.statusCode).toBe(201);
      expect(res.json()).toEqual({ rows: 7, created: 7, unchanged: 0, invited: 0, budgetWarnings: [] });
      expect((await enrolmentOf('sian.obrien@fixture-imports.example.gov.uk', 'practitioner')).status).toBe('accredited');
      expect((await enrolmentOf('llyr.jones@fixture-imports.example.gov.uk', 'foundation')).status).toBe('approved');
      expect((await enrolmentOf('zoe.obrien@fixture-imports.example.gov.uk', 'practitioner')).status).toBe('declined');
      const cert = await one<{ n: number }>(sql`select count(*)::int as n from accreditations where certificate_number = 'FIX-CERT-0001'`);
      expect(cert.n).toBe(1);
      const declined = await one<{ reason: string }>(sql`select reason from enrolment_events where type = 'declined' and enrolment_id in
        (select e.id from enrolments e join people p on p.id = e.person_id where p.email = 'zoe.obrien@fixture-imports.example.gov.uk')`);
      expect(declined.reason).toBe(uploadReason);
      const middle = await counts();
      expect(middle.events - before.events).toBe(7);
      expect(middle.taken - before.taken).toBe(2);
      expect((await one<{ n: number }>(sql`select count(*)::int as n from audit_events where action = 'import.results'`)).n).toBe(1);

      const again = await upload('results', 'admin', fixture('results-good.csv'));
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual({ rows: 7, created: 0, unchanged: 7, invited: 0, budgetWarnings: [] });
      expect({ ...(await counts()), audit: 0 }).toEqual({ ...middle, audit: 0 });
    });

    it('refuses a pass without a booked assessment, an unknown person, and dates in the future or before the programme', async () => {
      const before = await counts();
      const res = await upload(
        'results',
        'admin',
        csvOf(resultHeader, [
          `llyr.jones@fixture-imports.example.gov.uk,foundation,passed,${today},FIX-CERT-0002`,
          `nobody@fixture-imports.example.gov.uk,foundation,registered,${today},`,
          `llyr.jones@fixture-imports.example.gov.uk,foundation,registered,27/11/2026,`,
          `llyr.jones@fixture-imports.example.gov.uk,foundation,registered,31/10/2021,`,
          `llyr.jones@fixture-imports.example.gov.uk,foundation,registered,31/02/2024,`,
          `llyr.jones@fixture-imports.example.gov.uk,foundation,graduated,${today},`,
          `llyr.jones@fixture-imports.example.gov.uk,foundation,withdrawn,${today},CERT-9`,
          `sian.obrien@fixture-imports.example.gov.uk,practitioner,passed,${today},FIX-CERT-0009`,
        ]),
      );
      expect(res.statusCode).toBe(422);
      const errors = res.json().errors as { row: number; column: string; message: string }[];
      expect(errors).toEqual([
        { row: 2, column: 'event', message: 'Record a result only after an assessment is booked; this enrolment is approved' },
        { row: 3, column: 'email', message: 'No one in Pioneer has the email address nobody@fixture-imports.example.gov.uk' },
        { row: 4, column: 'date', message: 'Date must be today or in the past' },
        { row: 5, column: 'date', message: expect.stringContaining('when the programme began') },
        { row: 6, column: 'date', message: 'Date must be a real date, like 31/10/2023 or 2023-10-31, not “31/02/2024”' },
        { row: 7, column: 'event', message: expect.stringContaining('Event must be one of approved, declined') },
        { row: 8, column: 'certificate_number', message: 'Leave certificate_number empty unless the event is passed' },
        { row: 9, column: 'event', message: expect.stringContaining('this enrolment is accredited') },
      ]);
      expect(await counts()).toEqual(before);
    });

    it('rolls back every row when one fails inside the transaction (no place left for the second approval)', async () => {
      const nominated = await upload(
        'nominations',
        'admin',
        csvOf(nominationHeader, [
          `${tightCouncil},Tight One,tight.one@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
          `${tightCouncil},Tight Two,tight.two@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
        ]),
      );
      expect(nominated.statusCode).toBe(201);
      const before = await counts();
      const res = await upload(
        'results',
        'admin',
        csvOf(resultHeader, [
          `tight.one@fixture-imports.example.gov.uk,foundation,approved,${today},`,
          `tight.two@fixture-imports.example.gov.uk,foundation,approved,${today},`,
        ]),
      );
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([{ row: 3, column: 'event', message: expect.stringContaining('has no Foundation places left for 2027-28') }]);
      expect(await counts()).toEqual(before);
      expect((await enrolmentOf('tight.one@fixture-imports.example.gov.uk', 'foundation')).status).toBe('nominated');
    });

    it('accepts Excel date cells and serial numbers in an XLSX results file', async () => {
      const res = await upload(
        'results',
        'admin',
        await xlsxOf([
          ['Email', 'Level', 'Event', 'Date', 'Certificate number'],
          ['llyr.jones@fixture-imports.example.gov.uk', 'Foundation', 'registered', new Date(Date.UTC(2026, 10, 26)), null],
          ['llyr.jones@fixture-imports.example.gov.uk', 'foundation', 'Learning started', 46352, null],
        ]),
        xlsxType,
      );
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ created: 2 });
      expect((await enrolmentOf('llyr.jones@fixture-imports.example.gov.uk', 'foundation')).status).toBe('in_learning');
    });
  });

  describe('API', () => {
    it('answers 401, 403, 413, 415 and 422 as problem details', async () => {
      const good = fixture('nominations-good.csv');
      expect((await upload('nominations', null, good)).statusCode).toBe(401);
      expect((await upload('nominations', 'learner', good)).statusCode).toBe(403);
      expect((await upload('nominations', 'partnerLp', good)).statusCode).toBe(403);
      expect((await upload('results', 'sro', fixture('results-good.csv'))).statusCode).toBe(403);
      const withCharset = await upload('nominations', 'admin', good, 'text/csv; charset=utf-8');
      expect(withCharset.statusCode).toBe(201);
      expect(withCharset.json()).toMatchObject({ rows: 3 });
      const json = await t.app.inject({ method: 'POST', url: '/api/v1/imports/nominations', headers: { authorization: `Bearer ${tokens.admin}` }, payload: { rows: [] } });
      expect(json.statusCode).toBe(415);
      expect(json.json()).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
      const pdf = await upload('nominations', 'admin', fixture('not-a-spreadsheet.pdf'), 'application/pdf');
      expect(pdf.statusCode).toBe(415);
      expect(pdf.headers['content-type']).toContain('application/problem+json');
      const big = await upload('nominations', 'admin', Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));
      expect(big.statusCode).toBe(413);
      expect(big.json()).toMatchObject({ status: 413, detail: 'The file must be smaller than 5 MB' });
      for (const [name, message] of [
        ['not-a-spreadsheet.pdf', 'must be a CSV or Excel (.xlsx) spreadsheet'],
        ['empty.csv', 'The selected file is empty'],
        ['header-only.csv', 'no data rows'],
        ['nominations-missing-column.csv', 'missing the column period'],
        ['nominations-extra-column.csv', '“notes”'],
        ['nominations-renamed-column.csv', 'missing the column council_code'],
      ]) {
        const res = await upload('nominations', 'admin', fixture(name));
        expect(res.statusCode, name).toBe(422);
        expect(res.json().detail, name).toContain(message);
        expect(res.json().errors[0], name).toMatchObject({ row: null, column: null });
      }
      const rows = Array.from({ length: 100_000 }, (_, i) => `p${i}@x.uk,foundation,passed,1/1/2024,C${i}`);
      const huge = await upload('results', 'admin', csvOf(resultHeader, rows));
      expect(huge.statusCode).toBe(422);
      expect(huge.json().detail).toBe('The file has more than 25,000 rows: split it into files of 25,000 rows or fewer');
    });

    it('documents both operations in OpenAPI with CSV and XLSX request bodies', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      for (const url of ['/imports/nominations', '/imports/results']) {
        const op = doc.paths[url].post;
        expect(Object.keys(op.requestBody.content)).toEqual([csvType, xlsxType]);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['201', '413', '415', '422']));
      }
      await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    });
  });

  describe('pages', () => {
    it('shows the columns, templates and a multipart upload form to those who may upload', async () => {
      const sro = await t.signIn('sro');
      const page = await sro.get('/imports/nominations');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('enctype="multipart/form-data"');
      expect(page.body).toContain('type="file"');
      expect(page.body).toContain('name="_csrf"');
      expect(page.body).toContain('<code>council_code</code>');
      expect(page.body).toContain('/imports/nominations/template.xlsx');
      expect((await sro.get('/imports/results')).statusCode).toBe(403);
      const learner = await t.signIn('learner');
      expect((await learner.get('/imports/nominations')).statusCode).toBe(403);
      expect((await t.agent().get('/imports/nominations')).statusCode).toBe(302);
    });

    it('serves templates with exactly the column names', async () => {
      const admin = await t.signIn('admin');
      const csv = await admin.get('/imports/results/template.csv');
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.body.replace('\uFEFF', '').trim()).toBe(resultHeader);
      const xlsx = await admin.get('/imports/nominations/template.xlsx');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(xlsx.rawPayload as unknown as ExcelJS.Buffer);
      expect((workbook.worksheets[0].getRow(1).values as unknown[]).slice(1)).toEqual(nominationHeader.split(','));
    });

    it('uploads a good file from the page and shows the counts', async () => {
      const lead = await t.signIn('lead');
      const res = await pageUploadDone(lead, '/imports/nominations', {
        name: 'ours.csv',
        content: csvOf(nominationHeader, [`${sroCouncil.gssCode},Page Officer,page.officer@fixture-imports.example.gov.uk,Buyer,practitioner,2027-28`]),
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('govuk-panel');
      expect(res.body).toMatch(/Nominations created[\s\S]*?1/);
      expect(res.body).toMatch(/People invited to Pioneer[\s\S]*?1/);
    });

    it('refuses an upload without the CSRF token, and asks for a file when none is chosen', async () => {
      const admin = await t.signIn('admin');
      const before = await counts();
      const forged = await pageUpload(admin, '/imports/nominations', { name: 'x.csv', content: fixture('nominations-good.csv') }, 'not-the-token');
      expect(forged.statusCode).toBe(403);
      const none = await pageUpload(admin, '/imports/nominations', { name: '', content: Buffer.alloc(0) });
      expect(none.statusCode).toBe(400);
      expect(errorSummary(none.body)).toContain('Select a CSV or Excel (.xlsx) file to upload');
      // The file's type is found out by the background job; its status page then shows the upload form with the problem.
      const pdf = await pageUploadDone(admin, '/imports/nominations', { name: 'x.pdf', content: fixture('not-a-spreadsheet.pdf') });
      expect(errorSummary(pdf.body)).toContain('must be a CSV or Excel (.xlsx) spreadsheet');
      expect(pdf.body).toContain('enctype="multipart/form-data"');
      expect(await counts()).toEqual(before);
    });

    it('lets an admin fix a refused results file from its error report and upload it again', async () => {
      const admin = await t.signIn('admin');
      await upload('nominations', 'admin', csvOf(nominationHeader, [`${fixtureCouncil},Report Fixer,report.fixer@fixture-imports.example.gov.uk,Buyer,expert,2027-28`]));
      const file = csvOf(resultHeader, [
        `report.fixer@fixture-imports.example.gov.uk,expert,approved,${today},`,
        `report.fixer@fixture-imports.example.gov.uk,expret,registered,${today},`,
      ]);
      const refused = await pageUploadDone(admin, '/imports/results', { name: 'results.csv', content: file });
      expect(errorSummary(refused.body)).toContain('1 of 2 rows have errors');
      const href = /href="(\/imports\/[0-9a-f-]{36}\/errors\.csv)"/.exec(refused.body)![1];
      const report = (await admin.get(href)).body;
      expect(report).toContain('level: Level must be foundation, practitioner or expert, not “expret”');
      const fixed = await pageUploadDone(admin, '/imports/results', { name: 'results-fixed.csv', content: Buffer.from(report.replace(',expret,', ',expert,')) });
      expect(fixed.statusCode).toBe(200);
      expect(fixed.body).toContain('govuk-panel');
      expect(fixed.body).toMatch(/Results recorded[\s\S]*?2/);
      expect((await enrolmentOf('report.fixer@fixture-imports.example.gov.uk', 'expert')).status).toBe('registered');
    });

    it('shows row errors with a downloadable report that only the uploader or an admin can open, formulas neutralised', async () => {
      const sro = await t.signIn('sro');
      const file = csvOf(nominationHeader, [
        `${sroCouncil.gssCode},Good Row,good.row@fixture-imports.example.gov.uk,Buyer,foundation,2027-28`,
        `${sroCouncil.gssCode},"=HYPERLINK(""http://evil.example"",""x"")",bad.row@fixture-imports.example.gov.uk,@SUM(1),grandmaster,2027-28`,
      ]);
      const res = await pageUploadDone(sro, '/imports/nominations', { name: 'with-errors.csv', content: file });
      expect(res.statusCode).toBe(200);
      expect(errorSummary(res.body)).toContain('1 of 2 rows have errors');
      expect(res.body).toContain('Level must be foundation, practitioner or expert, not “grandmaster”');
      const href = /href="(\/imports\/[0-9a-f-]{36}\/errors\.csv)"/.exec(res.body)?.[1];
      expect(href).toBeDefined();
      const report = await sro.get(href!);
      expect(report.statusCode).toBe(200);
      expect(report.headers['content-type']).toContain('text/csv');
      const lines = report.body.replace('\uFEFF', '').trim().split('\r\n');
      expect(lines[0]).toBe(`${nominationHeader},error`);
      expect(lines[1]).toMatch(/^E\d+,Good Row,.*,$/);
      expect(lines[2]).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
      expect(lines[2]).toContain(`'@SUM(1)`);
      expect(lines[2]).toContain('level: Level must be foundation, practitioner or expert');
      expect((await (await t.signIn('admin')).get(href!)).statusCode).toBe(200);
      expect((await (await t.signIn('lead')).get(href!)).statusCode).toBe(404);
      expect((await (await t.signIn('learner')).get(href!)).statusCode).toBe(404);
      expect((await sro.get('/imports/00000000-0000-4000-8000-000000000000/errors.csv')).statusCode).toBe(404);
      expect((await sro.get('/imports/not-a-uuid/errors.csv')).statusCode).toBe(404);
      const run = await one<{ uploaded: string; status: string }>(sql`select uploaded_by_id as uploaded, status from import_runs where id = ${href!.split('/')[2]}`);
      expect(run).toEqual({ uploaded: sroId, status: 'failed' });
      expect(adminId).toBeTruthy();
    });
  });
});
