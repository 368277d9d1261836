import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testConfig, testNow } from '../../test/helpers.ts';
import { loadConfig } from '../config.ts';
import { fixedClock } from '../clock.ts';
import { queryRows, type Database } from '../db/client.ts';
import { createMailer } from './mailer.ts';
import { MailServerUnavailable } from './delivery-error.ts';
import { deliverPending, enqueueEmail } from './outbox.ts';

// The GOV.UK Notify adapter against a fake Notify API in this process: Notify is an external service, the true edge.

const serviceId = '6f2c1a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const secret = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
const apiKey = `pioneer_test-${serviceId}-${secret}`;
const templateId = '0b6f5e4d-3c2b-4a19-8f7e-6d5c4b3a2f10';
const resetTemplateId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const replyToId = 'c0ffee00-1234-4abc-9def-0123456789ab';

type NotifyRequest = { method?: string; url?: string; authorization?: string; body: Record<string, unknown> };
type Answer = { status: number; body?: unknown } | 'hang';

/** A stand-in for the Notify API: records each request and answers with `answer` (201 and a receipt unless told). */
async function startFakeNotify() {
  const requests: NotifyRequest[] = [];
  let answer: Answer = { status: 201 };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body: JSON.parse(text || '{}') as Record<string, unknown> });
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? { id: crypto.randomUUID(), content: {}, template: { id: templateId, version: 1, uri: '' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (next: Answer) => (answer = next),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The mailer `npm start` would build from these settings. */
const mailerFor = (baseUrl: string) =>
  createMailer({
    ...testConfig(),
    mail: loadConfig({
      MAIL_TRANSPORT: 'notify',
      NOTIFY_API_KEY: apiKey,
      NOTIFY_BASE_URL: baseUrl,
      NOTIFY_TEMPLATE_ID: templateId,
      NOTIFY_TEMPLATE_IDS: JSON.stringify({ reset: resetTemplateId }),
      NOTIFY_REPLY_TO_ID: replyToId,
      MAIL_TIMEOUT_SECONDS: '1',
    }).mail,
  });

/** The claims of a Notify bearer token, if its HS256 signature was made with the API key's secret. */
function verifiedClaims(authorization: string | undefined): Record<string, unknown> | undefined {
  const [scheme, token] = (authorization ?? '').split(' ');
  const [header, payload, signature] = (token ?? '').split('.');
  if (scheme !== 'Bearer' || !signature) return undefined;
  const expected = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  if (expected !== signature) return undefined;
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

const expectNoKey = (text: string) => {
  for (const part of [apiKey, secret]) expect(text).not.toContain(part);
};

const errorOf = (promise: Promise<unknown>) => promise.then(() => expect.fail('delivered'), (err: unknown) => String(err));

const reset = { to: 'ada@fixture-notify.example.gov.uk', template: 'reset', subject: 'Reset your Pioneer password', body: 'Choose a new one here:\nhttp://localhost:3000/set-password/abc' };

describe('the GOV.UK Notify adapter', () => {
  let notify: Awaited<ReturnType<typeof startFakeNotify>>;
  beforeAll(async () => {
    notify = await startFakeNotify();
  });
  afterAll(async () => notify?.close());
  beforeEach(() => {
    notify.requests.length = 0;
    notify.answer({ status: 201 });
  });

  it('posts the email to Notify with a token signed by the API key, the subject and body as personalisation', async () => {
    const invite = { to: 'grace@fixture-notify.example.gov.uk', template: 'invite', subject: 'You have been invited to Pioneer', body: 'Set your password:\nhttp://localhost:3000/set-password/xyz' };
    await mailerFor(notify.url).deliver(invite);
    expect(notify.requests).toHaveLength(1);
    const [request] = notify.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/v2/notifications/email' });
    expect(verifiedClaims(request.authorization)).toMatchObject({ iss: serviceId });
    expect(request.body).toEqual({
      template_id: templateId,
      email_address: invite.to,
      personalisation: { subject: invite.subject, body: invite.body },
      email_reply_to_id: replyToId,
    });
  });

  it('hands Notify a reminder’s one-click unsubscribe link', async () => {
    const url = 'http://localhost:3000/unsubscribe/a-token';
    await mailerFor(notify.url).deliver({ to: 'grace@fixture-notify.example.gov.uk', template: 'reminder-assessment-due', subject: 'Due', body: 'Book it', unsubscribeUrl: url });
    expect(notify.requests[0].body).toMatchObject({ one_click_unsubscribe_url: url });
  });

  it('uses the Notify template NOTIFY_TEMPLATE_IDS gives one of our templates', async () => {
    await mailerFor(notify.url).deliver(reset);
    expect(notify.requests[0].body).toMatchObject({ template_id: resetTemplateId, personalisation: { subject: reset.subject, body: reset.body } });
  });

  it.each([
    [400, 'BadRequestError', 'Can’t send to this recipient using a team-only API key'],
    [403, 'AuthError', 'Invalid token: API key not found'],
  ])('throws with Notify’s own message when it answers %i', async (status, error, message) => {
    notify.answer({ status, body: { status_code: status, errors: [{ error, message }] } });
    const text = await errorOf(mailerFor(notify.url).deliver(reset));
    expect(text).toBe(`Error: GOV.UK Notify refused the email (HTTP ${status}): ${error}: ${message}`);
    expectNoKey(text);
  });

  it('never repeats the API key, even if Notify’s answer quotes it', async () => {
    notify.answer({ status: 403, body: { status_code: 403, errors: [{ error: 'AuthError', message: `Invalid token: ${apiKey} is not a key of this service` }] } });
    const text = await errorOf(mailerFor(notify.url).deliver(reset));
    expect(text).toContain('Invalid token: [redacted] is not a key of this service');
    expectNoKey(text);
  });

  it('throws when Notify fails (5xx), so the outbox tries again', async () => {
    notify.answer({ status: 500, body: { status_code: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] } });
    const delivery = mailerFor(notify.url).deliver(reset);
    await expect(delivery, 'an attempt that counts').rejects.not.toBeInstanceOf(MailServerUnavailable);
    expect(await errorOf(delivery)).toBe('Error: GOV.UK Notify failed (HTTP 500): Exception: Internal server error');
  });

  it('treats Notify’s rate limit (429) as a reason to stop for now, not a failed attempt', async () => {
    notify.answer({ status: 429, body: { status_code: 429, errors: [{ error: 'RateLimitError', message: 'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds' }] } });
    const delivery = mailerFor(notify.url).deliver(reset);
    await expect(delivery).rejects.toBeInstanceOf(MailServerUnavailable);
    expect(await errorOf(delivery)).toContain('GOV.UK Notify refused the email (HTTP 429): RateLimitError: Exceeded rate limit');
  });

  it('gives up on a Notify that does not answer after MAIL_TIMEOUT_SECONDS', async () => {
    notify.answer('hang');
    const started = performance.now();
    const delivery = mailerFor(notify.url).deliver(reset);
    await expect(delivery).rejects.toBeInstanceOf(MailServerUnavailable);
    const text = await errorOf(delivery);
    expect(text).toContain('GOV.UK Notify did not answer in time');
    expectNoKey(text);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('throws a clear error when Notify cannot be reached', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const delivery = mailerFor(`http://127.0.0.1:${port}`).deliver(reset);
    await expect(delivery, 'the outbox stops the batch rather than count an attempt').rejects.toBeInstanceOf(MailServerUnavailable);
    const text = await errorOf(delivery);
    expect(text).toContain('Could not reach GOV.UK Notify (ECONNREFUSED)');
    expectNoKey(text);
  });
});

describe.each(backends)('the outbox sending through GOV.UK Notify (%s)', (backend) => {
  let database: Database;
  let notify: Awaited<ReturnType<typeof startFakeNotify>>;
  const clock = fixedClock(testNow);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    notify = await startFakeNotify();
    await database.db.execute(sql`update notifications set status = 'sent' where status = 'pending'`);
  });
  afterAll(async () => {
    await notify?.close();
    await database?.close();
  });

  it('keeps an email Notify failed for another try, with Notify’s message and not the key as its error, and sends it once Notify recovers', async () => {
    const { db } = database;
    await enqueueEmail(db, reset);
    notify.answer({ status: 503, body: { status_code: 503, errors: [{ error: 'ServiceUnavailable', message: `Try again later (key ${apiKey})` }] } });
    const mailer = mailerFor(notify.url);
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 0, bulk: 0 });
    const row = () => queryRows<{ status: string; attempts: number; last_error: string | null }>(db, sql`select status, attempts, last_error from notifications where to_email = ${reset.to}`);
    const [failed] = await row();
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Error: GOV.UK Notify failed (HTTP 503): ServiceUnavailable: Try again later (key [redacted])' });
    notify.answer({ status: 201 });
    expect(await deliverPending(db, mailer, clock)).toEqual({ sent: 1, bulk: 0 });
    expect(await row()).toMatchObject([{ status: 'sent', attempts: 2 }]);
    expect(notify.requests).toHaveLength(2);
  });
});
