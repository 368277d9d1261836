import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, testNow, type Agent, type TestApp, allowEmailDomain } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { memoryMailer } from '../notifications/mailer.ts';
import { queryRows } from '../db/client.ts';
import { importRuns } from '../db/schema.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { loadActor } from '../auth/repository.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';
import type { RequestContext } from '../audit/record.ts';
import { runImport } from './service.ts';
import { createImportJobs, type ImportJobsDeps } from './jobs.ts';
import { queueRun } from './runs-repository.ts';
import { interruptedMessage, unexpectedMessage } from './progress.ts';

const nominationHeader = 'council_code,name,email,job_title,level,period';
const resultHeader = 'email,level,event,date,certificate_number';
const csvOf = (header: string, rows: string[]) => Buffer.from([header, ...rows].join('\n') + '\n');
/** The council these tests nominate into (made active, with places, in beforeAll). */
const council = 'E06000053';
const today = '26/11/2026'; // the test clock's day

/** A multipart/form-data body as a browser sends it: the CSRF field, then the file. */
function multipartBody(csrf: string, file: { name: string; content: Buffer }) {
  const boundary = `----pioneer${crypto.randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: text/csv\r\n\r\n`),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe.each(backends)('uploads in the background (%s)', (backend) => {
  let t: TestApp;
  const ids = {} as Record<'admin' | 'sro' | 'lead', string>;
  let sroCouncil: string;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'fixture-jobs.example.gov.uk');
    for (const who of ['admin', 'sro', 'lead'] as const) {
      ids[who] = (await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`))[0].id;
    }
    sroCouncil = (await queryRows<{ code: string }>(t.db, sql`select gss_code as code from organisations where id = (select organisation_id from people where id = ${ids.sro})`))[0].code;
    await t.db.execute(sql`update participations set status = 'active' where council_id = (select id from organisations where gss_code = ${council})`);
    const councils = await queryRows<{ id: string }>(t.db, sql`select id from organisations where gss_code in (${council}, ${sroCouncil})`);
    for (const c of councils) await setPlaces(t.db, { councilId: c.id, level: 'foundation', period: '2027-28' }, 20, t.clock.now());
  });
  afterAll(async () => t?.close());

  const post = async (agent: Agent, url: string, file: { name: string; content: Buffer }) => {
    const { payload, contentType } = multipartBody(await agent.csrf(url), file);
    const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, cookie } });
  };
  const runIdOf = (location: string) => location.split('/').pop()!;
  const runOf = async (id: string) =>
    (
      await queryRows<{ status: string; phase: string | null; processed: number; rowCount: number; held: boolean; finished: boolean; errors: { row: number | null; message: string }[] }>(
        t.db,
        sql`select status, phase, processed, row_count as "rowCount", upload is not null as held, finished_at is not null as finished, errors
            from import_runs where id = ${id}`,
      )
    )[0];
  const ctxOf = async (personId: string): Promise<RequestContext> => ({ actor: await loadActor(t.db, personId), requestId: 'jobs-test', clock: t.clock });
  /** A job runner of our own on the test database, with whatever import or log the test hands in. */
  const runner = (overrides: Partial<ImportJobsDeps> = {}) =>
    createImportJobs({ db: t.db, config: t.config, clock: t.clock, log: { error: () => {}, warn: () => {} }, ...overrides });
  const nominee = (n: string) => `${council},Queued Officer ${n},queued.${n}@fixture-jobs.example.gov.uk,Buyer,foundation,2027-28`;

  it('answers an upload with 303 to its status page, which shows the counts once the job has run, and the file is no longer held', async () => {
    const lead = await t.signIn('lead');
    const posted = await post(lead, paths.importNominations(), { name: 'ours.csv', content: csvOf(nominationHeader, [`${sroCouncil},Job Officer,job.officer@fixture-jobs.example.gov.uk,Buyer,foundation,2027-28`]) });
    expect(posted.statusCode).toBe(303);
    const location = posted.headers.location as string;
    expect(location).toBe(paths.importRun(runIdOf(location)));
    await t.app.importJobs.idle();

    const page = await lead.get(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('govuk-panel');
    expect(page.body).toMatch(/Nominations created[\s\S]*?1/);
    expect(page.body).toMatch(/People invited to Pioneer[\s\S]*?1/);
    expect(await runOf(runIdOf(location))).toMatchObject({ status: 'succeeded', phase: null, processed: 1, rowCount: 1, held: false, finished: true });
    // The import's audit event names the lead who uploaded, though the job ran after their request had ended.
    const [audit] = await queryRows<{ actorId: string; requestId: string }>(
      t.db,
      sql`select actor_id as "actorId", request_id as "requestId" from audit_events where action = 'import.nominations' and record_id = ${runIdOf(location)}`,
    );
    expect(audit.actorId).toBe(ids.lead);
    expect(audit.requestId).toBeTruthy();
    const progress = await lead.get(paths.importRunProgress(runIdOf(location)));
    expect(progress.json()).toMatchObject({ status: 'succeeded', finished: true });
  });

  it('shows a waiting upload with its progress in a live region, a way to check again without JavaScript, and no meta refresh', async () => {
    const run = await queueRun(t.db, { kind: 'results', uploadedById: ids.admin, fileName: 'waiting.csv', upload: csvOf(resultHeader, []), now: t.clock.now() });
    const admin = await t.signIn('admin');
    const page = await admin.get(paths.importRun(run.id));
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<h1 class="govuk-heading-l">Uploading waiting.csv</h1>');
    expect(page.body).toMatch(/aria-live="polite"[^>]*>Waiting to start</);
    expect(page.body).toContain('You can leave this page and come back to it later');
    expect(page.body).toMatch(new RegExp(`<a href="${paths.importRun(run.id)}"[^>]*class="govuk-button govuk-button--secondary"[\\s\\S]*?Check progress`));
    expect(page.body).toContain('<script type="module" src="/static/import-progress.js"></script>');
    expect(page.body).not.toMatch(/http-equiv="refresh"/i);
    expect((await admin.get(paths.importRunProgress(run.id))).json()).toEqual({ status: 'queued', finished: false, phase: null, processed: 0, total: 0, text: 'Waiting to start' });
    const script = await admin.get('/static/import-progress.js');
    expect(script.statusCode).toBe(200);
    expect(script.body).toContain('aria-live');
  });

  it('records each phase on the run as the job goes, and the progress JSON and status page say what is happening', async () => {
    const admin = await t.signIn('admin');
    const seen: { json: Record<string, unknown>; page: string }[] = [];
    // The real import, with a look at what the uploader would see each time it reports progress.
    const jobs = runner({
      runImport: (db, config, ctx, kind, upload, options) =>
        runImport(db, config, ctx, kind, upload, {
          ...options,
          progress: async (p) => {
            await options!.progress!(p);
            const json = (await admin.get(paths.importRunProgress(options!.runId!))).json();
            const page = (await admin.get(paths.importRun(options!.runId!))).body;
            seen.push({ json, page: /aria-live="polite"[^>]*>([^<]*)</.exec(page)?.[1] ?? '' });
          },
        }),
    });
    // 2,500 rows of people Pioneer does not know: checked in chunks of 1,000, then refused.
    const rows = Array.from({ length: 2500 }, (_, i) => `nobody.${i}@fixture-jobs.example.gov.uk,foundation,registered,${today},`);
    const run = await queueRun(t.db, { kind: 'results', uploadedById: ids.admin, fileName: 'big.csv', upload: csvOf(resultHeader, rows), now: t.clock.now() });
    jobs.enqueue({ runId: run.id, ctx: await ctxOf(ids.admin) });
    await jobs.idle();
    expect(seen.map((s) => [s.json.phase, s.json.processed, s.json.total, s.json.text, s.page])).toEqual([
      ['reading', 0, 0, 'Reading the file', 'Reading the file'],
      ['checking', 0, 2500, 'Checking rows: 0 of 2,500', 'Checking rows: 0 of 2,500'],
      ['checking', 1000, 2500, 'Checking rows: 1,000 of 2,500', 'Checking rows: 1,000 of 2,500'],
      ['checking', 2000, 2500, 'Checking rows: 2,000 of 2,500', 'Checking rows: 2,000 of 2,500'],
    ]);
    expect(seen.every((s) => s.json.status === 'running' && s.json.finished === false)).toBe(true);
    expect(await runOf(run.id)).toMatchObject({ status: 'failed', rowCount: 2500, held: false });

    // A good file reaches the writing phase.
    seen.length = 0;
    const good = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'good.csv', upload: csvOf(nominationHeader, [nominee('phases')]), now: t.clock.now() });
    jobs.enqueue({ runId: good.id, ctx: await ctxOf(ids.admin) });
    await jobs.idle();
    expect(seen.map((s) => s.json.text)).toEqual(['Reading the file', 'Checking rows: 0 of 1', 'Saving the rows']);
    expect(seen.at(-1)!.page).toBe('Saving the rows');
    expect(await runOf(good.id)).toMatchObject({ status: 'succeeded', held: false });
  });

  it('shows a refused file’s row errors and its error report link on the status page, with the form to upload again', async () => {
    const sro = await t.signIn('sro');
    const posted = await post(sro, paths.importNominations(), {
      name: 'refused.csv',
      content: csvOf(nominationHeader, [`${sroCouncil},Fine Officer,fine.officer@fixture-jobs.example.gov.uk,Buyer,foundation,2027-28`, `${sroCouncil},Bad Level,bad.level@fixture-jobs.example.gov.uk,Buyer,wizard,2027-28`]),
    });
    expect(posted.statusCode).toBe(303);
    await t.app.importJobs.idle();
    const id = runIdOf(posted.headers.location as string);
    const page = await sro.get(paths.importRun(id));
    expect(page.statusCode).toBe(200);
    expect(errorSummary(page.body)).toContain('1 of 2 rows have errors. Nothing was uploaded: fix the rows and upload the file again');
    expect(page.body).toContain('Level must be foundation, practitioner or expert, not “wizard”');
    expect(page.body).toContain(`href="${paths.importErrors(id)}"`);
    expect(page.body).toContain(`action="${paths.importNominations()}"`);
    expect((await sro.get(paths.importErrors(id))).statusCode).toBe(200);
    expect(await runOf(id)).toMatchObject({ status: 'failed', held: false });
    expect((await sro.get(paths.importRunProgress(id))).json()).toMatchObject({ status: 'failed', finished: true, text: null });
  });

  it('answers 404 on the status page and its progress to anyone but the uploader and admins, learners included', async () => {
    const sro = await t.signIn('sro');
    const posted = await post(sro, paths.importNominations(), { name: 'mine.csv', content: csvOf(nominationHeader, [`${sroCouncil},Private Officer,private.officer@fixture-jobs.example.gov.uk,Buyer,foundation,2027-28`]) });
    await t.app.importJobs.idle();
    const id = runIdOf(posted.headers.location as string);
    for (const url of [paths.importRun(id), paths.importRunProgress(id)]) {
      expect((await sro.get(url)).statusCode, url).toBe(200);
      expect((await (await t.signIn('admin')).get(url)).statusCode, url).toBe(200);
      for (const who of ['lead', 'learner', 'partnerLp', 'funder'] as const) expect((await (await t.signIn(who)).get(url)).statusCode, `${who} ${url}`).toBe(404);
      expect((await t.agent().get(url)).statusCode, url).toBe(302);
    }
    expect((await sro.get(paths.importRun('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);
    expect((await sro.get(paths.importRunProgress('not-a-uuid'))).statusCode).toBe(404);
  });

  it('lists the person’s own recent uploads on the upload page, newest first, with what came of each and a link back', async () => {
    const sro = await t.signIn('sro');
    const good = await post(sro, paths.importNominations(), { name: 'listed-good.csv', content: csvOf(nominationHeader, [`${sroCouncil},Listed Officer,listed.officer@fixture-jobs.example.gov.uk,Buyer,foundation,2027-28`]) });
    const bad = await post(sro, paths.importNominations(), { name: 'listed-bad.csv', content: csvOf(nominationHeader, [`${sroCouncil},,not-an-email,Buyer,foundation,2027-28`]) });
    await t.app.importJobs.idle();
    const at = (minutesAgo: number) => new Date(new Date(testNow).getTime() + 60_000 - minutesAgo * 60_000);
    const insert = async (fileName: string, status: 'running' | 'queued', updatedAt: Date) =>
      (
        await t.db
          .insert(importRuns)
          .values({ kind: 'nominations', uploadedById: ids.sro, fileName, status, phase: status === 'running' ? 'checking' : null, processed: 1000, rowCount: 3000, createdAt: updatedAt, updatedAt })
          .returning({ id: importRuns.id })
      )[0].id;
    const running = await insert('listed-running.csv', 'running', at(0));
    const stale = await insert('listed-stale.csv', 'queued', at(t.config.importInterruptedAfterSeconds / 60 + 5));

    const page = await sro.get(paths.importNominations());
    expect(page.statusCode).toBe(200);
    const table = page.body.slice(page.body.indexOf('Your recent uploads'));
    const row = (file: string) => table.slice(table.lastIndexOf('<tr', table.indexOf(file)), table.indexOf('</tr>', table.indexOf(file)));
    // The newest (still running) first; the interrupted one, much older, after the two uploads of this test.
    expect(table.indexOf('listed-running.csv')).toBeLessThan(table.indexOf('listed-good.csv'));
    expect(table.indexOf('listed-bad.csv')).toBeLessThan(table.indexOf('listed-stale.csv'));
    expect(row('listed-running.csv')).toContain(`href="${paths.importRun(running)}"`);
    expect(row('listed-running.csv')).toMatch(/In progress[\s\S]*Checking rows: 1,000 of 3,000/);
    expect(row('listed-stale.csv')).toContain(`href="${paths.importRun(stale)}"`);
    expect(row('listed-stale.csv')).toContain('Interrupted');
    expect(row('listed-good.csv')).toContain(`href="${paths.importRun(runIdOf(good.headers.location as string))}"`);
    expect(row('listed-good.csv')).toMatch(/Saved[\s\S]*1 row checked, 1 nomination created/);
    expect(row('listed-bad.csv')).toContain(`href="${paths.importRun(runIdOf(bad.headers.location as string))}"`);
    expect(row('listed-bad.csv')).toContain('Not saved');
    // Only one's own uploads, and only of the page's kind: the lead's and the admin's are not listed.
    expect(table).not.toContain('ours.csv');
    const admin = await t.signIn('admin');
    expect((await admin.get(paths.importNominations())).body).not.toContain('listed-good.csv');
    expect((await sro.get(paths.importNominations())).body.match(/<tr class="govuk-table__row">\s*<td class="govuk-table__cell"><a class="govuk-link" href="\/imports\//g)?.length).toBeLessThanOrEqual(10);
  });

  it('runs two uploads sent back to back, one after the other in the order they were sent', async () => {
    const admin = await t.signIn('admin');
    // The results file approves the learner the nominations file nominates: it can only succeed second.
    const first = await post(admin, paths.importNominations(), { name: 'first.csv', content: csvOf(nominationHeader, [nominee('order')]) });
    const second = await post(admin, paths.importResults(), { name: 'second.csv', content: csvOf(resultHeader, [`queued.order@fixture-jobs.example.gov.uk,foundation,approved,${today},`]) });
    expect([first.statusCode, second.statusCode]).toEqual([303, 303]);
    await t.app.importJobs.idle();
    const firstPage = await admin.get(first.headers.location as string);
    const secondPage = await admin.get(second.headers.location as string);
    expect(firstPage.body).toMatch(/Nominations created[\s\S]*?1/);
    expect(secondPage.body).toMatch(/Results recorded[\s\S]*?1/);
    const [enrolment] = await queryRows<{ status: string }>(
      t.db,
      sql`select e.status from enrolments e join people p on p.id = e.person_id where p.email = 'queued.order@fixture-jobs.example.gov.uk'`,
    );
    expect(enrolment.status).toBe('approved');
    for (const res of [first, second]) expect(await runOf(runIdOf(res.headers.location as string))).toMatchObject({ status: 'succeeded', held: false });
  });

  it('runs a run once even when two runners are handed it, as two instances sharing the database would be', async () => {
    let imports = 0;
    const counting: ImportJobsDeps['runImport'] = (...args) => {
      imports++;
      return runImport(...args);
    };
    const [a, b] = [runner({ runImport: counting }), runner({ runImport: counting })];
    const run = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'twice.csv', upload: csvOf(nominationHeader, [nominee('twice')]), now: t.clock.now() });
    const ctx = await ctxOf(ids.admin);
    a.enqueue({ runId: run.id, ctx });
    b.enqueue({ runId: run.id, ctx });
    await Promise.all([a.idle(), b.idle()]);
    expect(imports).toBe(1);
    expect(await runOf(run.id)).toMatchObject({ status: 'succeeded' });
    const [people] = await queryRows<{ n: number }>(t.db, sql`select count(*)::int as n from people where email = 'queued.twice@fixture-jobs.example.gov.uk'`);
    expect(people.n).toBe(1);
  });

  it('keeps an upload waiting behind another from looking interrupted, and never starts one already reported interrupted', async () => {
    const jobs = runner();
    const ctx = await ctxOf(ids.admin);
    const longAgo = new Date(new Date(testNow).getTime() - (t.config.importInterruptedAfterSeconds + 1) * 1000);
    // Queued so long ago that it would count as interrupted, were the upload ahead of it not reporting progress.
    const ahead = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'ahead.csv', upload: csvOf(nominationHeader, [nominee('ahead')]), now: t.clock.now() });
    const behind = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'behind.csv', upload: csvOf(nominationHeader, [nominee('behind')]), now: longAgo });
    jobs.enqueue({ runId: ahead.id, ctx });
    jobs.enqueue({ runId: behind.id, ctx });
    await jobs.idle();
    expect(await runOf(behind.id)).toMatchObject({ status: 'succeeded' });

    // Alone, such a run is not started: its page already told the uploader to upload again.
    const abandoned = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'abandoned.csv', upload: csvOf(nominationHeader, [nominee('abandoned')]), now: longAgo });
    jobs.enqueue({ runId: abandoned.id, ctx });
    await jobs.idle();
    expect(await runOf(abandoned.id)).toMatchObject({ status: 'queued' });
    expect(errorSummary((await (await t.signIn('admin')).get(paths.importRun(abandoned.id))).body)).toContain(interruptedMessage);
  });

  it('marks a run failed when its job fails unexpectedly, even after it started, and logs the run id without personal data', async () => {
    const logged: { details: object; message: string }[] = [];
    const jobs = runner({
      log: { error: (details, message) => logged.push({ details, message }), warn: () => {} },
      runImport: async (_db, _config, _ctx, _kind, _upload, options) => {
        await options!.progress!({ phase: 'checking', processed: 0, total: 1 });
        throw new Error('Failed query: insert into people … params: secret.person@fixture-jobs.example.gov.uk,Secret Person');
      },
    });
    const run = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'secret-person.csv', upload: csvOf(nominationHeader, [nominee('boom')]), now: t.clock.now() });
    expect(await runOf(run.id)).toMatchObject({ status: 'queued', held: true });
    jobs.enqueue({ runId: run.id, ctx: await ctxOf(ids.admin) });
    await jobs.idle();

    expect(await runOf(run.id)).toMatchObject({ status: 'failed', phase: null, held: false, finished: true, errors: [{ row: null, column: null, message: unexpectedMessage }] });
    const page = await (await t.signIn('admin')).get(paths.importRun(run.id));
    expect(errorSummary(page.body)).toContain(unexpectedMessage);
    expect(page.body).toContain('type="file"');
    expect(logged).toHaveLength(1);
    expect(logged[0].details).toMatchObject({ runId: run.id, error: { type: 'Error' } });
    expect(JSON.stringify(logged[0])).not.toMatch(/secret/i);
  });

  it('shows a stale queued or running run as interrupted; the start-up sweep fails it, and a fresh one too on PGlite only', async () => {
    const stale = new Date(new Date(testNow).getTime() - (t.config.importInterruptedAfterSeconds + 1) * 1000);
    const fresh = new Date(new Date(testNow).getTime() - 60 * 1000);
    const insert = async (status: 'queued' | 'running', updatedAt: Date) => {
      const [row] = await t.db
        .insert(importRuns)
        .values({ kind: 'results', uploadedById: ids.admin, fileName: `${status}.csv`, status, phase: status === 'running' ? 'checking' : null, processed: 8000, rowCount: 20000, upload: Buffer.from('email\n'), createdAt: updatedAt, updatedAt })
        .returning({ id: importRuns.id });
      return row.id;
    };
    const staleQueued = await insert('queued', stale);
    const staleRunning = await insert('running', stale);
    const freshRunning = await insert('running', fresh);
    const admin = await t.signIn('admin');

    for (const id of [staleQueued, staleRunning]) {
      const page = await admin.get(paths.importRun(id));
      expect(errorSummary(page.body), id).toContain(interruptedMessage);
      expect(page.body).toContain(`action="${paths.importResults()}"`);
      expect((await admin.get(paths.importRunProgress(id))).json()).toMatchObject({ finished: true, text: null });
    }
    const running = await admin.get(paths.importRun(freshRunning));
    expect(running.body).toMatch(/aria-live="polite"[^>]*>Checking rows: 8,000 of 20,000</);
    expect((await admin.get(paths.importRunProgress(freshRunning))).json()).toEqual({ status: 'running', finished: false, phase: 'checking', processed: 8000, total: 20000, text: 'Checking rows: 8,000 of 20,000' });

    // The service starts again (PGlite: the process that held the data folder has gone) or another instance starts
    // on the same PostgreSQL database (whose own uploads may still be running).
    const justNow = await insert('running', t.clock.now());
    const other = await buildApp({ config: t.config, db: t.db, clock: t.clock, mailer: memoryMailer(), logger: false });
    await other.ready();
    await other.close();
    for (const id of [staleQueued, staleRunning]) {
      expect(await runOf(id), id).toMatchObject({ status: 'failed', phase: null, held: false, finished: true, errors: [{ row: null, column: null, message: interruptedMessage }] });
    }
    for (const id of [freshRunning, justNow]) {
      if (backend === 'pglite') {
        expect(await runOf(id), id).toMatchObject({ status: 'failed', held: false, finished: true, errors: [{ message: interruptedMessage }] });
        expect(errorSummary((await admin.get(paths.importRun(id))).body)).toContain(interruptedMessage);
      } else {
        expect(await runOf(id), id).toMatchObject({ status: 'running', phase: 'checking', processed: 8000, held: true, finished: false });
      }
    }
  });

  it('at shutdown lets the running upload finish and fails the waiting ones as interrupted', async () => {
    const jobs = runner();
    const ctx = await ctxOf(ids.admin);
    const first = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'a.csv', upload: csvOf(nominationHeader, [nominee('shutdown-a')]), now: t.clock.now() });
    const second = await queueRun(t.db, { kind: 'nominations', uploadedById: ids.admin, fileName: 'b.csv', upload: csvOf(nominationHeader, [nominee('shutdown-b')]), now: t.clock.now() });
    jobs.enqueue({ runId: first.id, ctx });
    jobs.enqueue({ runId: second.id, ctx });
    await jobs.stop();
    expect(await runOf(first.id)).toMatchObject({ status: 'succeeded', held: false });
    expect(await runOf(second.id)).toMatchObject({ status: 'failed', held: false, errors: [{ message: interruptedMessage }] });
  });
});
