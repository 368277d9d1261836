import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { reminderTiming } from './service.ts';

const form = (overrides: Record<string, string> = {}) => ({
  assessmentReminderDays: '30',
  cpdReminderMonths: '2',
  foundationReminderDays: '60',
  reason: 'Programme board decision of November 2026',
  ...overrides,
});

describe.each(backends)('reminder timing settings (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  it('lists the three reminders with their defaults and shows the form with the current values', async () => {
    const list = await admin.get(paths.settings());
    for (const text of ['Assessment due reminder', '30 days before the assessment is due', '2 months before the CPD year ends', '60 days before renewal is due']) expect(list.body, text).toContain(text);
    const page = await admin.get(paths.settingsReminders());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Change when reminders are sent');
    expect(page.body).toMatch(/name="read" value="30\|2\|60"/);
    expect(page.body).toContain('From 1 to 11. Default: 2 months before the CPD year ends.');
  });

  it('gives each whole-number settings form its own heading, introduction and address to post to', async () => {
    const forms: [string, string, string][] = [
      [paths.settingsReminders(), 'Change when reminders are sent', 'Reminders are emailed by a daily job'],
      [paths.settingsRetention(), 'Change how long personal data is kept', 'see what the next run would remove'],
      [paths.settingsEngagements(), 'Change the engagement settings', 'compares the time logged with its planned days'],
    ];
    for (const [path, heading, intro] of forms) {
      const page = await admin.get(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.body).toContain(`<h1 class="govuk-heading-l">${heading}</h1>`);
      expect(page.body).toContain(intro);
      expect(page.body).toContain(`<form method="post" action="${path}" novalidate>`);
    }
  });

  it('saves a change with its reason, audited, and the job reads it', async () => {
    const res = await admin.submit(paths.settingsReminders(), { ...form({ assessmentReminderDays: '45' }), read: '30|2|60' }, { csrfFrom: paths.settingsReminders() });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/settings?done=reminders');
    expect(await reminderTiming(t.db)).toEqual({ assessmentReminderDays: 45, cpdReminderMonths: 2, foundationReminderDays: 60 });
    const audits = await queryRows<{ record_id: string }>(t.db, sql`select record_id from audit_events where action = 'settings.changed' order by id desc limit 1`);
    expect(audits).toEqual([{ record_id: 'assessmentReminderDays' }]);
    // A page read before that change is stale.
    const stale = await admin.submit(paths.settingsReminders(), { ...form({ cpdReminderMonths: '3' }), read: '30|2|60' }, { csrfFrom: paths.settingsReminders() });
    expect(stale.statusCode).toBe(409);
  });

  it('refuses values out of range with the error summary, and other roles', async () => {
    const res = await admin.submit(paths.settingsReminders(), form({ cpdReminderMonths: '12' }), { csrfFrom: paths.settingsReminders() });
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain('Months before the CPD year ends must be between 1 and 11');
    const sro = await t.signIn('sro');
    expect((await sro.get(paths.settingsReminders())).statusCode).toBe(403);
  });
});
