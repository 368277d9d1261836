import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig, testNow } from '../../test/helpers.ts';
import { loadConfig } from '../config.ts';
import { fixedClock } from '../clock.ts';
import { queryRows, type Database } from '../db/client.ts';
import { newPasswordLink } from '../auth/service.ts';
import { createMailer } from './mailer.ts';
import { MailServerUnavailable } from './delivery-error.ts';
import { deliverPending, enqueueEmail } from './outbox.ts';

// The SMTP adapter against a real SMTP server in this process (smtp-server), its messages read back with mailparser.

const user = 'pioneer-relay';
const password = 's3cret p@ss-word';
const refused = 'nobody@fixture-smtp.example.gov.uk';

type TestSmtpServer = { port: number; received: ParsedMail[]; logins: { username?: string | null; password?: string | null }[]; close(): Promise<void> };

/** An SMTP server that wants a login, refuses `refused` with a 550 and keeps every message it accepts, parsed. */
async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ParsedMail[] = [];
  const logins: TestSmtpServer['logins'] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username, password: auth.password });
      if (auth.username === user && auth.password === password) callback(null, { user });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (address.address === refused) callback(Object.assign(new Error('No such mailbox here'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, received, logins, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on: opened, noted and closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const smtpUrl = (port: number, pass: string) => `smtp://${user}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;

/** The mailer `npm start` would build from these settings. */
const mailerFor = (port: number, pass = password) =>
  createMailer({
    ...testConfig(),
    mail: loadConfig({ MAIL_TRANSPORT: 'smtp', SMTP_URL: smtpUrl(port, pass), MAIL_FROM: 'pioneer@fixture-smtp.example.gov.uk', MAIL_REPLY_TO: 'programme@fixture-smtp.example.gov.uk', MAIL_TIMEOUT_SECONDS: '1' }).mail,
  });

/** Every form in which the credentials could leak. */
const expectNoCredentials = (text: string) => {
  for (const secret of [password, encodeURIComponent(password), `${user}:`]) expect(text).not.toContain(secret);
};

const errorOf = (promise: Promise<unknown>) => promise.then(() => expect.fail('delivered'), (err: unknown) => String(err));

describe('the SMTP adapter', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp?.close());
  afterEach(() => {
    smtp.received.length = 0;
  });

  it('delivers an invitation as plain text, from Pioneer, with its link intact, after logging in with the credentials in SMTP_URL', async () => {
    const clock = fixedClock(testNow);
    const person = { id: '00000000-0000-4000-8000-000000000001', name: 'Ada Officer', email: 'ada@fixture-smtp.example.gov.uk' };
    const { email, token } = newPasswordLink(testConfig(), { actor: null, clock }, person, 'invite');
    await mailerFor(smtp.port).deliver(email);
    expect(smtp.logins).toContainEqual({ username: user, password });
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([{ address: person.email, name: '' }]);
    expect(mail.from?.value).toEqual([{ address: 'pioneer@fixture-smtp.example.gov.uk', name: 'Pioneer' }]);
    expect(mail.replyTo?.value).toEqual([{ address: 'programme@fixture-smtp.example.gov.uk', name: '' }]);
    expect(mail.subject).toBe('You have been invited to Pioneer');
    expect(mail.html).toBe(false);
    expect(mail.text?.trimEnd()).toBe(email.body);
    expect(mail.text).toContain(`${testConfig().baseUrl}/set-password/${token}`);
  });

  it('gives a reminder the List-Unsubscribe headers for a one-click unsubscribe (RFC 8058)', async () => {
    const url = `${testConfig().baseUrl}/unsubscribe/a-token`;
    await mailerFor(smtp.port).deliver({ to: 'ada@fixture-smtp.example.gov.uk', subject: 'Your CPD', body: 'Log your CPD', template: 'reminder-cpd-shortfall', unsubscribeUrl: url });
    const lines = new Map(smtp.received[0].headerLines.map((h) => [h.key, h.line]));
    expect(lines.get('list-unsubscribe')).toBe(`List-Unsubscribe: <${url}>`);
    expect(lines.get('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('sends other email without List-Unsubscribe', async () => {
    await mailerFor(smtp.port).deliver({ to: 'ada@fixture-smtp.example.gov.uk', subject: 'Approved', body: 'Approved', template: 'nomination-approved' });
    expect(smtp.received[0].headerLines.map((h) => h.key)).not.toContain('list-unsubscribe');
  });

  it('throws with the server’s reply when it refuses the recipient, naming no credentials', async () => {
    const message = await errorOf(mailerFor(smtp.port).deliver({ to: refused, subject: 'Hello', body: 'Hello', template: 'invite' }));
    expect(message).toMatch(/The SMTP server at 127\.0\.0\.1:\d+ refused the email at RCPT TO: 550 No such mailbox here/);
    expectNoCredentials(message);
    expect(smtp.received).toHaveLength(0);
  });

  it('throws with the server’s reply when it refuses the login, naming neither the user nor the password', async () => {
    const wrong = 'not the p@ssword';
    const message = await errorOf(mailerFor(smtp.port, wrong).deliver({ to: 'ada@fixture-smtp.example.gov.uk', subject: 'Hello', body: 'Hello', template: 'invite' }));
    expect(message).toMatch(/The SMTP server at 127\.0\.0\.1:\d+ refused the login in SMTP_URL: 535 Invalid username or password/);
    expectNoCredentials(message);
    for (const secret of [wrong, encodeURIComponent(wrong), user]) expect(message).not.toContain(secret);
    expect(smtp.received).toHaveLength(0);
  });

  it('throws a clear error naming no credentials when nothing listens at SMTP_URL', async () => {
    const port = await closedPort();
    const delivery = mailerFor(port).deliver({ to: 'ada@fixture-smtp.example.gov.uk', subject: 'Hello', body: 'Hello', template: 'invite' });
    await expect(delivery).rejects.toBeInstanceOf(MailServerUnavailable);
    const message = await errorOf(delivery);
    expect(message).toContain(`Could not connect to the SMTP server at 127.0.0.1:${port}`);
    expect(message).toContain('ECONNREFUSED');
    expectNoCredentials(message);
  });

  it('gives up on a server that accepts the connection but never answers after MAIL_TIMEOUT_SECONDS', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = performance.now();
      const message = await errorOf(mailerFor(port).deliver({ to: 'ada@fixture-smtp.example.gov.uk', subject: 'Hello', body: 'Hello', template: 'invite' }));
      expect(message).toContain(`The SMTP server at 127.0.0.1:${port} did not answer in time`);
      expectNoCredentials(message);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe.each(backends)('the outbox sending through SMTP (%s)', (backend) => {
  let database: Database;
  let smtp: TestSmtpServer;
  const clock = fixedClock(testNow);
  const pending = (to: string) =>
    queryRows<{ status: string; attempts: number; last_error: string | null }>(database.db, sql`select status, attempts, last_error from notifications where to_email = ${to}`);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    smtp = await startSmtpServer();
    await database.db.execute(sql`update notifications set status = 'sent' where status = 'pending'`);
  });
  afterAll(async () => {
    await smtp?.close();
    await database?.close();
  });

  it('sends what the server takes, keeps a refused recipient for another try with the reply as its error, and gives up after 5 attempts', async () => {
    const { db } = database;
    await db.transaction(async (tx) => {
      await enqueueEmail(tx, { to: refused, template: 'invite', subject: 'Invited', body: 'Set your password' });
      await enqueueEmail(tx, { to: 'grace@fixture-smtp.example.gov.uk', template: 'invite', subject: 'Invited', body: 'Set your password' });
    });
    const mailer = mailerFor(smtp.port);
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 1, bulk: 0 });
    expect(smtp.received.map((m) => m.subject)).toEqual(['Invited']);
    const [first] = await pending(refused);
    expect(first).toMatchObject({ status: 'pending', attempts: 1 });
    expect(first.last_error).toMatch(/refused the email at RCPT TO: 550 No such mailbox here/);
    expectNoCredentials(first.last_error!);
    for (let i = 0; i < 4; i++) await deliverPending(db, mailer, clock);
    expect((await pending(refused))[0]).toMatchObject({ status: 'failed', attempts: 5 });
    expect(await pending('grace@fixture-smtp.example.gov.uk')).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it('stops at the first email when the server is down, costing no email an attempt, with an error naming no credentials', async () => {
    const { db } = database;
    const to = ['down1@fixture-smtp.example.gov.uk', 'down2@fixture-smtp.example.gov.uk', 'down3@fixture-smtp.example.gov.uk'];
    for (const address of to) await enqueueEmail(db, { to: address, template: 'reset', subject: 'Reset', body: 'Choose a new password' });
    const port = await closedPort();
    expect(await deliverPending(db, mailerFor(port), clock)).toEqual({ sent: 0, bulk: 0 });
    const rows = await Promise.all(to.map(async (address) => (await pending(address))[0]));
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0]]);
    // Only the one email tried carries the error. Which one that is, is not fixed: three emails enqueued within one
    // tick of PGlite's clock share a created_at, and the outbox orders only by that.
    const tried = rows.filter((r) => r.last_error !== null);
    expect(tried).toHaveLength(1);
    expect(tried[0].last_error).toContain(`Could not connect to the SMTP server at 127.0.0.1:${port}`);
    expectNoCredentials(tried[0].last_error!);
    // Once the server is back, all three go.
    expect(await deliverPending(db, mailerFor(smtp.port), clock)).toEqual({ sent: 3, bulk: 0 });
  });
});
