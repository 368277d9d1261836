import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, allowEmailDomain } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import type { Actor } from '../auth/policy.ts';
import { nominate, recordEvent } from '../enrolments/service.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';
import { getSetting, journeyRules, upkeepRules } from './service.ts';

/** The form as it stands by default; each test overrides what it is about. */
const journeyForm = (overrides: Record<string, string> = {}) => ({
  maxAssessmentAttempts: '3',
  assessmentDeadlineMonths: '12',
  placeReleaseDays: '28',
  foundationRenewalYears: '2',
  cpdHoursPerYear: '30',
  upkeepDueSoonDays: '60',
  decisionWaitDays: '28',
  registrationWaitDays: '60',
  learningStartWaitDays: '60',
  resultWaitDays: '60',
  reason: 'Programme board decision of November 2026',
  ...overrides,
});

describe.each(backends)('learner journey settings (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const storedSettings = () => rows<{ key: string; value: unknown }>(sql`select key, value from settings order by key`);
  const settingAudits = () =>
    rows<{ record_id: string; before: unknown; after: unknown }>(sql`select record_id, before, after from audit_events where action = 'settings.changed' order by id`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'test.example.gov.uk');
    admin = await t.signIn('admin');
  });
  afterAll(async () => t?.close());

  it('lists the ten rules with their units and defaults, and shows the form with the current values', async () => {
    const list = await admin.get(paths.settings());
    expect(list.statusCode).toBe(200);
    for (const text of ['Assessment attempts allowed', '3 attempts', '12 months', '28 days of registration', '2 years', '30 hours', '60 days before the deadline', 'Nomination waiting for a decision', '28 days']) {
      expect(list.body, text).toContain(text);
    }
    expect(list.body).toMatch(/href="\/settings\/learner-journey"[^>]*>\s*Change<span class="govuk-visually-hidden"> assessment attempts allowed<\/span>/);

    const form = await admin.get(paths.settingsLearnerJourney());
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Change the learner journey rules');
    for (const [name, value] of Object.entries(journeyForm())) {
      if (name !== 'reason') expect(form.body, name).toMatch(new RegExp(`name="${name}"[^>]*value="${value}"`));
    }
    expect(form.body).toContain('From 1 to 10. Default: 3 attempts.');
    expect(form.body).toContain('From 0 to 365. Default: 28 days of registration.');
    expect(form.body).toContain('govuk-input__suffix');
    expect(form.body).toMatch(/name="read" value="3\|12\|28\|2\|30\|60\|28\|60\|60\|60"/);
    expect(form.body).toContain('When a learner needs attention');
  });

  it('refuses out-of-range, non-numeric and missing values and a missing reason, keeping the input and changing nothing', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ maxAssessmentAttempts: '0' }, 'Assessment attempts must be between 1 and 10', '#maxAssessmentAttempts'],
      [{ maxAssessmentAttempts: '11' }, 'Assessment attempts must be between 1 and 10', '#maxAssessmentAttempts'],
      [{ maxAssessmentAttempts: '' }, 'Enter the number of assessment attempts allowed', '#maxAssessmentAttempts'],
      [{ maxAssessmentAttempts: '2.5' }, 'Assessment attempts must be a whole number', '#maxAssessmentAttempts'],
      [{ maxAssessmentAttempts: 'three' }, 'Assessment attempts must be a number', '#maxAssessmentAttempts'],
      [{ assessmentDeadlineMonths: '61' }, 'Months to the assessment deadline must be between 1 and 60', '#assessmentDeadlineMonths'],
      [{ placeReleaseDays: '-1' }, 'Days to give the place back must be between 0 and 365', '#placeReleaseDays'],
      [{ placeReleaseDays: '366' }, 'Days to give the place back must be between 0 and 365', '#placeReleaseDays'],
      [{ foundationRenewalYears: '0' }, 'Years to Foundation renewal must be between 1 and 10', '#foundationRenewalYears'],
      [{ cpdHoursPerYear: '201' }, 'CPD hours each year must be between 1 and 200', '#cpdHoursPerYear'],
      [{ upkeepDueSoonDays: '0' }, 'Days before the deadline must be between 1 and 365', '#upkeepDueSoonDays'],
      [{ reason: ' ' }, 'Enter the reason for the change', '#reason'],
      [{ reason: 'x'.repeat(2001) }, 'Reason must be 2000 characters or fewer', '#reason'],
    ];
    for (const [overrides, message, href] of cases) {
      const res = await admin.submit(paths.settingsLearnerJourney(), journeyForm({ maxAssessmentAttempts: '4', ...overrides }));
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body), message).toContain(message);
      expect(res.body, message).toContain(`href="${href}"`);
      expect(res.body).toMatch(/<title>Error: /);
    }
    const kept = await admin.submit(paths.settingsLearnerJourney(), journeyForm({ maxAssessmentAttempts: 'three', cpdHoursPerYear: '45', reason: 'Kept <text>' }));
    expect(kept.body).toMatch(/name="maxAssessmentAttempts"[^>]*value="three"/);
    expect(kept.body).toMatch(/name="cpdHoursPerYear"[^>]*value="45"/);
    expect(kept.body).toContain('Kept &lt;text&gt;');
    expect(await storedSettings()).toEqual([]);
    expect(await settingAudits()).toEqual([]);
  });

  it('is for programme admins only (403 for others)', async () => {
    for (const who of ['partnerLp', 'sro', 'learner', 'funder'] as const) {
      const agent = await t.signIn(who);
      expect((await agent.get(paths.settingsLearnerJourney())).statusCode, who).toBe(403);
      expect((await agent.submit(paths.settingsLearnerJourney(), journeyForm(), { csrfFrom: '/account' })).statusCode, who).toBe(403);
    }
    expect(await storedSettings()).toEqual([]);
  });

  it('saves only what changed, audits each change with the reason, and the rules take effect: one attempt refuses a resit', async () => {
    // A learner who sat and did not pass their first assessment.
    const a = (await rows<{ id: string; name: string; organisation_id: string }>(sql`select id, name, organisation_id from people where email = ${demoAccounts.admin.email}`))[0];
    const actor: Actor = { personId: a.id, name: a.name, email: demoAccounts.admin.email, organisationId: a.organisation_id, organisationKind: 'partner', roles: ['programme_admin'] };
    const ctx = { actor, clock: t.clock };
    const [{ council }] = await rows<{ council: string }>(sql`select organisation_id as council from people where email = ${demoAccounts.sro.email}`);
    const [{ person }] = await rows<{ person: string }>(sql`
      insert into people (name, email, organisation_id, roles, status) values ('Resit Candidate', 'resit.candidate@test.example.gov.uk', ${council}::uuid, '{learner}', 'invited') returning id as person`);
    await t.db.transaction(async (tx) => {
      const [{ taken }] = await queryRows<{ taken: number }>(tx, sql`select coalesce(max(taken), 0)::int as taken from funded_places where council_id = ${council}::uuid and level = 'expert' and period = '2027-28'`);
      await setPlaces(tx, { councilId: council, level: 'expert', period: '2027-28' }, taken + 1, t.clock.now());
    });
    const enrolment = await nominate(t.db, t.config, ctx, { kind: 'all' }, { councilId: council, level: 'expert', period: '2027-28', personId: person });
    for (const type of ['approved', 'registered', 'learning_started', 'assessment_booked', 'not_passed']) {
      await recordEvent(t.db, ctx, { kind: 'all' }, enrolment.id, { type, date: '2026-11-26' });
    }

    const res = await admin.submit(paths.settingsLearnerJourney(), journeyForm({ maxAssessmentAttempts: '1', cpdHoursPerYear: '24' }));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/settings?done=learner-journey');
    expect(await storedSettings()).toEqual([
      { key: 'cpdHoursPerYear', value: 24 },
      { key: 'maxAssessmentAttempts', value: 1 },
    ]);
    expect(await getSetting(t.db, 'maxAssessmentAttempts')).toBe(1);
    expect(await journeyRules(t.db)).toEqual({ maxAttempts: 1, assessmentDeadlineMonths: 12, placeReleaseDays: 28 });
    expect((await upkeepRules(t.db)).cpdHoursPerYear).toBe(24);
    const audits = await settingAudits();
    expect(audits).toEqual([
      { record_id: 'maxAssessmentAttempts', before: { value: 3 }, after: { value: 1, reason: 'Programme board decision of November 2026' } },
      { record_id: 'cpdHoursPerYear', before: { value: 30 }, after: { value: 24, reason: 'Programme board decision of November 2026' } },
    ]);

    const list = await admin.get(`${paths.settings()}?done=learner-journey`);
    expect(list.body).toContain('Learner journey rules changed');
    expect(list.body).toContain('1 attempt<');
    expect(list.body).toContain('Default: 3 attempts');

    await expect(recordEvent(t.db, ctx, { kind: 'all' }, enrolment.id, { type: 'assessment_booked', date: '2026-11-26' })).rejects.toThrow('This learner has used all 1 assessment attempts');

    const again = await admin.submit(paths.settingsLearnerJourney(), journeyForm({ maxAssessmentAttempts: '1', cpdHoursPerYear: '24', reason: 'No change' }));
    expect(again.headers.location).toBe('/settings?done=unchanged');
    expect(await settingAudits()).toHaveLength(2);

    // Back to three attempts: the resit can be booked.
    await admin.submit(paths.settingsLearnerJourney(), journeyForm({ cpdHoursPerYear: '24' }));
    const booked = await recordEvent(t.db, ctx, { kind: 'all' }, enrolment.id, { type: 'assessment_booked', date: '2026-11-26' });
    expect(booked.status).toBe('assessment_booked');
  });

  it('refuses a save from a page opened before another admin changed the rules (409), changing nothing', async () => {
    const read = /name="read" value="([^"]*)"/.exec((await admin.get(paths.settingsLearnerJourney())).body)![1];
    const other = await t.signIn('admin');
    const first = await other.submit(paths.settingsLearnerJourney(), { ...journeyForm({ placeReleaseDays: '14', reason: 'Shorter window' }), read });
    expect(first.statusCode).toBe(302);
    const audits = (await settingAudits()).length;
    const stale = await admin.submit(paths.settingsLearnerJourney(), { ...journeyForm({ placeReleaseDays: '60', reason: 'Mine' }), read });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed the learner journey rules');
    expect(await getSetting(t.db, 'placeReleaseDays')).toBe(14);
    expect(await settingAudits()).toHaveLength(audits);
    // The page now shows (and carries) the rules as they are.
    expect(stale.body).toMatch(/name="read" value="[^"]*\|14\|/);
  });
});
