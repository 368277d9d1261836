import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Agent, backends, openTestDatabase, testConfig, testNow } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';
import { fixedClock, systemClock } from '../clock.ts';
import { memoryMailer } from '../notifications/mailer.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import { createApiToken } from '../auth/service.ts';
import { loadActor } from '../auth/repository.ts';
import { setPlaces } from '../places/repository.ts';
import { queueRun } from '../imports/runs-repository.ts';
import { demoAccounts, demoPassword } from './seed/demo.ts';
import { isDatabaseUnavailable, openDatabase, queryRows, type Database } from './client.ts';

describe('isDatabaseUnavailable', () => {
  const wrapped = (cause: Error) => Object.assign(new Error('Failed query: select … params: someone@example.gov.uk'), { cause });
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

  it('recognises refused, reset and cut connections, server shutdown and restart, also inside Drizzle\'s wrapping', () => {
    for (const error of [
      coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      coded('read ECONNRESET', 'ECONNRESET'),
      coded('terminating connection due to administrator command', '57P01'),
      coded('terminating connection due to crash of another server process', '57P02'),
      coded('the database system is starting up', '57P03'),
      coded('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
      expect(isDatabaseUnavailable(wrapped(error)), error.message).toBe(true);
    }
  });

  it('leaves faults of the request alone: constraint violations, deadlocks, syntax, non-errors', () => {
    for (const error of [coded('duplicate key', '23505'), coded('deadlock detected', '40P01'), coded('syntax error', '42601'), new Error('Connection refused by policy')]) {
      expect(isDatabaseUnavailable(wrapped(error)), error.message).toBe(false);
    }
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

/**
 * A TCP relay between the app and PostgreSQL: stopping it refuses new connections and cuts the open ones, as a
 * database server that went down would; starting it again on the same port is the server coming back.
 */
function relay(target: { host: string; port: number }) {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  return {
    start: (port = 0) =>
      new Promise<number>((resolve) => {
        server = net.createServer((inbound) => {
          const outbound = net.connect(target.port, target.host);
          track(inbound);
          track(outbound);
          inbound.on('error', () => outbound.destroy());
          outbound.on('error', () => inbound.destroy());
          inbound.pipe(outbound).pipe(inbound);
        });
        server.listen(port, '127.0.0.1', () => resolve((server!.address() as net.AddressInfo).port));
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server!.close(() => resolve());
      }),
  };
}

const postgres = backends.filter((b) => b === 'postgres');

describe.each(postgres)('when the database drops its connections or goes away (%s)', (backend) => {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const appName = 'pioneer-outage-test';
  const mailer = memoryMailer();
  const lost: Error[] = [];
  const proxy = relay({ host: new URL(adminUrl).hostname, port: Number(new URL(adminUrl).port || 5432) });
  let base: Database;
  let database: Database;
  let app: FastifyInstance;
  let dbName: string;
  let port: number;
  let token: string;
  let browser: Agent;
  let adminId: string;
  const nominationFile = Buffer.from('council_code,name,email,job_title,level,period\nE06000053,Outage Nominee,outage.nominee@outage.example.gov.uk,Buyer,foundation,2027-28\n');
  const runStatus = async (id: string) => (await queryRows<{ status: string }>(base.db, sql`select status from import_runs where id = ${id}`))[0].status;

  /** What the admin of the server does: ends every session of the app's database (the app's connections). */
  const terminateBackends = async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    const { rows } = await admin.query('select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and application_name = $2', [dbName, appName]);
    await admin.end();
    return rows.length;
  };
  /** The events of a cut connection reach the pool a moment after the server ends it. */
  const settle = async (until: () => boolean) => {
    for (let i = 0; i < 100 && !until(); i++) await new Promise((r) => setTimeout(r, 20));
  };
  const health = async () => {
    const res = await app.inject('/health');
    return { status: res.statusCode, body: res.json() };
  };
  const page = () => browser.get('/councils');
  const api = () => app.inject({ url: '/api/v1/councils', headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    base = await openTestDatabase(backend);
    [{ name: dbName }] = await queryRows<{ name: string }>(base.db, sql`select current_database() as name`);
    port = await proxy.start();
    const url = new URL(adminUrl);
    url.port = String(port);
    url.pathname = `/${dbName}`;
    url.searchParams.set('application_name', appName);
    database = await openDatabase({ databaseUrl: url.toString(), dataDir: null, onConnectionError: (err) => lost.push(err) });
    app = await buildApp({ config: testConfig(), db: database.db, clock: fixedClock(testNow), mailer, logger: false });
    await app.ready();
    browser = new Agent(app);
    expect((await browser.submit('/sign-in', { email: demoAccounts.admin.email, password: demoPassword })).statusCode).toBe(302);
    [{ id: adminId }] = await queryRows<{ id: string }>(base.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    ({ token } = await createApiToken(base.db, { actor: null, clock: systemClock }, adminId, 'outage'));
    // A council that takes nominations: active, with places.
    const [council] = await queryRows<{ id: string }>(base.db, sql`select id from organisations where gss_code = 'E06000053'`);
    await base.db.execute(sql`update participations set status = 'active' where council_id = ${council.id}`);
    await setPlaces(base.db, { councilId: council.id, level: 'foundation', period: '2027-28' }, 5, new Date(testNow));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await base?.close();
  });

  it('survives its connections being terminated and carries on with new ones, without a restart', async () => {
    // Several connections open, then idle in the pool: the case that used to end the process.
    await Promise.all([page(), api(), health(), page(), api()]);
    expect(await terminateBackends()).toBeGreaterThan(0);
    await settle(() => lost.length > 0);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every(isDatabaseUnavailable)).toBe(true);

    // Transactions that start on connections cut a moment before, more of them than the pool holds: each fails as
    // "unavailable", and none keeps its connection from the pool (else the pool would run dry and every later request wait).
    const transaction = () => database.db.transaction((tx) => tx.execute(sql`select 1`)).then(() => null, (err: unknown) => err);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 8 }, () => transaction()));
      await terminateBackends();
      const failures = (await Promise.all(Array.from({ length: 8 }, () => transaction()))).filter((e) => e !== null);
      expect(failures.every(isDatabaseUnavailable)).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 200)); // the last cut connections' events reach the pool

    expect(await health()).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await page()).statusCode).toBe(200);
    expect((await api()).statusCode).toBe(200);
  });

  it('rolls back a transaction cut off in the middle: nothing half-written', async () => {
    const to = 'cut.off@outage.example.gov.uk';
    const cut = database.db.transaction(async (tx) => {
      await enqueueEmail(tx, { to, template: 'test', subject: 'Cut off', body: 'Never sent' });
      await terminateBackends();
      // The connection breaks while this transaction holds it, between two statements.
      await new Promise((r) => setTimeout(r, 200));
      await tx.execute(sql`select 1`);
    });
    const error = await cut.then(() => null, (err: unknown) => err);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(await queryRows(base.db, sql`select id from notifications where to_email = ${to}`)).toEqual([]);
    expect((await page()).statusCode).toBe(200);
  });

  it('answers 503 (page, API with Retry-After, /health) while the database is unreachable; when it is back everything works, the queued email is sent and the waiting upload saved', async () => {
    const to = 'queued.during.outage@outage.example.gov.uk';
    await enqueueEmail(base.db, { to, template: 'test', subject: 'Queued', body: 'Sent once the database is back' });
    await proxy.stop();

    expect(await health()).toEqual({ status: 503, body: { status: 'unavailable' } });
    const down = await page();
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('30');
    expect(down.body).toContain('Sorry, the service is unavailable');
    expect(down.body).toContain('Nothing was changed');
    expect(down.body).not.toContain('ECONNREFUSED');
    const problem = await api();
    expect(problem.statusCode).toBe(503);
    expect(problem.headers['content-type']).toContain('application/problem+json');
    expect(problem.headers['retry-after']).toBe('30');
    expect(problem.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
    // The outbox carries on polling; the email stays queued.
    await app.outbox.kick();
    expect(mailer.lastTo(to)).toBeUndefined();

    // An upload sent just before the outage waits for the database instead of failing.
    const upload = await queueRun(base.db, { kind: 'nominations', uploadedById: adminId, fileName: 'outage.csv', upload: nominationFile, now: new Date(testNow) });
    app.importJobs.enqueue({ runId: upload.id, ctx: { actor: await loadActor(base.db, adminId), requestId: 'outage-test', clock: fixedClock(testNow) } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await runStatus(upload.id)).toBe('queued');

    await proxy.start(port);
    await app.importJobs.idle();
    expect(await runStatus(upload.id)).toBe('succeeded');
    expect(await queryRows(base.db, sql`select id from people where email = 'outage.nominee@outage.example.gov.uk'`)).toHaveLength(1);
    expect(await health()).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await page()).statusCode).toBe(200);
    expect((await api()).statusCode).toBe(200);
    await app.outbox.kick();
    expect(mailer.lastTo(to)?.subject).toBe('Queued');
  });
});
