import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has working defaults for a fresh clone: port 3000, PGlite in ./data, demo data on', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.demo).toBe(true);
    expect(config.secureCookies).toBe(false);
  });

  it('lists every problem at once instead of failing on the first', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SESSION_TTL_HOURS: '-1' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL: must start with postgres:// or postgresql://');
    expect(message).toContain('SESSION_TTL_HOURS');
  });

  it('never seeds demo data in production and sets Secure cookies there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DEMO: 'true' })).toThrow(/never seeded in production/);
    const prod = loadConfig({ NODE_ENV: 'production', MAIL_TRANSPORT: 'log' });
    expect(prod.demo).toBe(false);
    expect(prod.secureCookies).toBe(true);
  });

  it('treats an upload as interrupted after 10 minutes without progress unless told otherwise, and refuses a threshold that is not a positive number', () => {
    expect(loadConfig({}).importInterruptedAfterSeconds).toBe(600);
    expect(loadConfig({ IMPORT_INTERRUPTED_AFTER_SECONDS: '90' }).importInterruptedAfterSeconds).toBe(90);
    expect(() => loadConfig({ IMPORT_INTERRUPTED_AFTER_SECONDS: '0' })).toThrow(/IMPORT_INTERRUPTED_AFTER_SECONDS/);
    expect(() => loadConfig({ IMPORT_INTERRUPTED_AFTER_SECONDS: 'soon' })).toThrow(/IMPORT_INTERRUPTED_AFTER_SECONDS/);
  });

  it('limits the API per token and per address, and reads every number setting as decimal digits only', () => {
    for (const odd of ['0x10', '1e3', ' 5', '5.0', '-1']) expect(() => loadConfig({ API_RATE_PER_MINUTE: odd }), odd).toThrow(/API_RATE_PER_MINUTE/);
    expect(loadConfig({ API_RATE_PER_MINUTE: '120', API_ANON_RATE_PER_MINUTE: '30' })).toMatchObject({ apiRatePerMinute: 120, apiAnonRatePerMinute: 30 });
    expect(loadConfig({})).toMatchObject({ apiRatePerMinute: 600, apiAnonRatePerMinute: 60, port: 3000 });
  });

  it('paces bulk email by the configured rate and batch, 600 a minute and 50 a poll unless set', () => {
    expect(loadConfig({})).toMatchObject({ outboxBatchSize: 50, outboxBulkPerMinute: 600 });
    expect(loadConfig({ OUTBOX_BATCH_SIZE: '20', OUTBOX_BULK_PER_MINUTE: '120' })).toMatchObject({ outboxBatchSize: 20, outboxBulkPerMinute: 120 });
    for (const odd of ['0', '-5', '1.5', 'ten']) expect(() => loadConfig({ OUTBOX_BULK_PER_MINUTE: odd }), odd).toThrow(/OUTBOX_BULK_PER_MINUTE/);
  });

  it("lets the heap grow by half past what is live unless told otherwise (0 keeps V8's rule), and refuses anything else", () => {
    expect(loadConfig({})).toMatchObject({ heapGrowingPercent: 50 });
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' })).toMatchObject({ heapGrowingPercent: 0 });
    expect(loadConfig({ HEAP_GROWING_PERCENT: '100' })).toMatchObject({ heapGrowingPercent: 100 });
    for (const odd of ['-5', '1.5', 'half', '401']) expect(() => loadConfig({ HEAP_GROWING_PERCENT: odd }), odd).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('checks the embedded database for vacuum and analyze every hour unless told otherwise (0: never), and refuses anything else', () => {
    expect(loadConfig({})).toMatchObject({ vacuumCheckMinutes: 60 });
    expect(loadConfig({ VACUUM_CHECK_MINUTES: '0' })).toMatchObject({ vacuumCheckMinutes: 0 });
    expect(loadConfig({ VACUUM_CHECK_MINUTES: '15' })).toMatchObject({ vacuumCheckMinutes: 15 });
    for (const odd of ['-1', '1.5', 'hourly', '1441']) expect(() => loadConfig({ VACUUM_CHECK_MINUTES: odd }), odd).toThrow(/VACUUM_CHECK_MINUTES/);
  });

  it('writes email to the log outside production, and refuses to start in production until a transport is chosen', () => {
    expect(loadConfig({}).mail).toEqual({ transport: 'log', timeoutSeconds: 10 });
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MAIL_TRANSPORT: required in production: smtp or notify/);
    expect(loadConfig({ NODE_ENV: 'production', MAIL_TRANSPORT: 'log' }).mail.transport).toBe('log');
    expect(() => loadConfig({ MAIL_TRANSPORT: 'sendmail' })).toThrow(/MAIL_TRANSPORT/);
  });

  it('lists the SMTP settings that are missing, and never repeats SMTP_URL, which may hold a password', () => {
    expect(() => loadConfig({ MAIL_TRANSPORT: 'smtp' })).toThrow(/SMTP_URL: required when MAIL_TRANSPORT is smtp\n {2}MAIL_FROM: required when MAIL_TRANSPORT is smtp/);
    const smtp = { MAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtps://relay:s3cret@smtp.example.gov.uk', MAIL_FROM: 'pioneer@example.gov.uk' };
    expect(loadConfig({ ...smtp, MAIL_TIMEOUT_SECONDS: '5' }).mail).toEqual({ transport: 'smtp', timeoutSeconds: 5, smtpUrl: smtp.SMTP_URL, from: smtp.MAIL_FROM, replyTo: undefined });
    for (const wrong of ['https://relay:s3cret@smtp.example.gov.uk', 'smtp://', 'relay:s3cret@smtp.example.gov.uk']) {
      expect(() => loadConfig({ ...smtp, SMTP_URL: wrong }), wrong).toThrow(/SMTP_URL: must start with smtp:\/\/ or smtps:\/\/ and name a host/);
      expect(() => loadConfig({ ...smtp, SMTP_URL: wrong })).not.toThrow(/s3cret/);
    }
    expect(() => loadConfig({ ...smtp, MAIL_FROM: 'Pioneer', MAIL_REPLY_TO: 'nobody' })).toThrow(/MAIL_FROM: must be an email address\n {2}MAIL_REPLY_TO: must be an email address/);
  });

  it('needs a GOV.UK Notify API key and template id for notify, and never repeats the key', () => {
    expect(() => loadConfig({ MAIL_TRANSPORT: 'notify' })).toThrow(/NOTIFY_API_KEY: required when MAIL_TRANSPORT is notify\n {2}NOTIFY_TEMPLATE_ID: required/);
    const key = 'pioneer_live-6f2c1a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b-9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
    const notify = { MAIL_TRANSPORT: 'notify', NOTIFY_API_KEY: key, NOTIFY_TEMPLATE_ID: '0b6f5e4d-3c2b-4a19-8f7e-6d5c4b3a2f10' };
    expect(loadConfig(notify).mail).toMatchObject({ transport: 'notify', apiKey: key, baseUrl: 'https://api.notifications.service.gov.uk', templateIds: {} });
    expect(loadConfig({ ...notify, NOTIFY_TEMPLATE_IDS: '{"reset":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"}' }).mail).toMatchObject({ templateIds: { reset: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' } });
    expect(() => loadConfig({ ...notify, NOTIFY_API_KEY: 'secret-but-not-a-key' })).toThrow(/NOTIFY_API_KEY: must be a GOV.UK Notify API key/);
    expect(() => loadConfig({ ...notify, NOTIFY_API_KEY: 'secret-but-not-a-key' })).not.toThrow(/secret-but-not-a-key/);
    expect(() => loadConfig({ ...notify, NOTIFY_TEMPLATE_IDS: '{reset: x}' })).toThrow(/NOTIFY_TEMPLATE_IDS: must be JSON/);
    expect(() => loadConfig({ ...notify, NOTIFY_TEMPLATE_IDS: '{"reset":"not-an-id"}' })).toThrow(/NOTIFY_TEMPLATE_IDS/);
  });
});
