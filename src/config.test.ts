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
    const prod = loadConfig({ NODE_ENV: 'production' });
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

  it('paces bulk e-mail by the configured rate and batch, 600 a minute and 50 a poll unless set', () => {
    expect(loadConfig({})).toMatchObject({ outboxBatchSize: 50, outboxBulkPerMinute: 600 });
    expect(loadConfig({ OUTBOX_BATCH_SIZE: '20', OUTBOX_BULK_PER_MINUTE: '120' })).toMatchObject({ outboxBatchSize: 20, outboxBulkPerMinute: 120 });
    for (const odd of ['0', '-5', '1.5', 'ten']) expect(() => loadConfig({ OUTBOX_BULK_PER_MINUTE: odd }), odd).toThrow(/OUTBOX_BULK_PER_MINUTE/);
  });
});
