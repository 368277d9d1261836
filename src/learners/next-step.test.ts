import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { allowEmailDomain, backends, createTestApp, errorSummary, type TestApp, demoActor } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts, demoPassword } from '../db/seed/demo.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Actor } from '../auth/policy.ts';
import { nominate, recordEvent } from '../enrolments/service.ts';
import { setPlaces } from '../places/repository.ts';
import { paths } from '../web/paths.ts';

const period = '2027-28';
const today = '2026-11-26';
const bookingPath = '/settings/assessment-booking';

/** The text of each "Your next step" panel on a page, tags stripped. */
const panels = (html: string) => [...html.matchAll(/<section data-next-step[\s\S]*?<\/section>/g)].map((m) => m[0]);
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&rsquo;/g, '’').replace(/\s+/g, ' ').trim();

describe.each(backends)('learner’s next step (%s)', (backend) => {
  let t: TestApp;
  let admin: Actor;
  let sroCouncil: string;
  let otherCouncil: string;
  let decider: string;
  /** One learner per state, each with a single enrolment (email by state). */
  const learners: Record<string, string> = {};

  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const one = async <T>(query: ReturnType<typeof sql>) => (await rows<T>(query))[0];
  const ctx = () => ({ actor: admin, clock: t.clock });

  async function learner(state: string, councilId: string, level: string, events: string[]) {
    const email = `next.${state}@test.example.gov.uk`;
    const hash = await hashPassword(demoPassword);
    const [{ id }] = await rows<{ id: string }>(sql`
      insert into people (name, email, organisation_id, job_title, roles, status, password_hash)
      values (${`Learner ${state}`}, ${email}, ${councilId}::uuid, 'Contract manager', '{learner}'::text[], 'active', ${hash}) returning id`);
    const enrolment = await nominate(t.db, t.config, ctx(), { kind: 'all' }, { councilId, level, period, personId: id });
    for (const type of events) {
      await recordEvent(t.db, ctx(), { kind: 'all' }, enrolment.id, { type, date: today, certificateNumber: type === 'passed' ? `NS-${enrolment.id.slice(0, 8)}` : undefined });
    }
    learners[state] = email;
    return { personId: id, enrolmentId: enrolment.id };
  }

  /** The "Your next step" panels on a learner's own page, as text. */
  async function nextSteps(email: string) {
    const res = await (await t.signIn(email)).get(paths.myJourney());
    expect(res.statusCode).toBe(200);
    return { html: res.body, steps: panels(res.body).map(text) };
  }

  beforeAll(async () => {
    t = await createTestApp({ backend });
    await allowEmailDomain(t.db, 'test.example.gov.uk');
    admin = await demoActor(t.db, 'admin');
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    otherCouncil = (await one<{ id: string }>(sql`select council_id as id from participations where status = 'active' and council_id <> ${sroCouncil}::uuid order by council_id limit 1`)).id;
    decider = (await one<{ name: string }>(sql`select o.name from participations p join organisations o on o.id = p.managing_partner_id where p.council_id = ${sroCouncil}::uuid`)).name;
    await t.db.transaction(async (tx) => {
      for (const council of [sroCouncil, otherCouncil]) {
        for (const level of ['foundation', 'practitioner', 'expert']) {
          const [{ taken }] = await queryRows<{ taken: number }>(tx, sql`select coalesce(max(taken), 0)::int as taken from funded_places where council_id = ${council}::uuid and level = ${level} and period = ${period}`);
          await setPlaces(tx, { councilId: council, level, period }, taken + 20, t.clock.now());
        }
      }
    });

    await learner('nominated', sroCouncil, 'foundation', []);
    await learner('approved', sroCouncil, 'foundation', ['approved']);
    await learner('registered', sroCouncil, 'foundation', ['approved', 'registered']);
    await learner('learning', sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started']);
    const late = await learner('overdue', sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started']);
    // Registered 14 months ago: the 12-month deadline passed on 1 October 2026.
    await rows(sql`update enrolments set registered_on = '2025-10-01' where id = ${late.enrolmentId}::uuid`);
    await learner('booked', sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started', 'assessment_booked']);
    await learner('resit', sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started', 'assessment_booked', 'not_passed']);
    const holder = await learner('practitioner', sroCouncil, 'practitioner', ['approved', 'registered', 'learning_started', 'assessment_booked', 'passed']);
    await rows(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
      values (${holder.personId}::uuid, '2026-11-26', 12, 'other', 'Negotiation masterclass'),
             (${holder.personId}::uuid, '2026-10-01', 7, 'other', 'Before this accreditation year')`);
    const foundation = await learner('foundation', sroCouncil, 'foundation', ['approved', 'registered', 'learning_started', 'assessment_booked', 'passed']);
    // Awarded 1 June 2025 (by SQL): renewal due two years on.
    await rows(sql`update accreditations set awarded_on = '2025-06-01' where enrolment_id = ${foundation.enrolmentId}::uuid`);
    await learner('elsewhere', otherCouncil, 'expert', ['approved', 'registered', 'learning_started']);
  });
  afterAll(async () => t?.close());

  it('nominated: waiting for the managing partner to decide', async () => {
    const { steps } = await nextSteps(learners.nominated);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toContain(`Your council nominated you on 26 November 2026. You are waiting for ${decider} to decide on your nomination.`);
    expect(steps[0]).not.toContain('Ask your programme contact how to book');
  });

  it('approved: register with the training provider', async () => {
    const { steps } = await nextSteps(learners.approved);
    expect(steps[0]).toContain('Register with the training provider.');
  });

  it('registered: start learning, with the assessment due date', async () => {
    const { steps } = await nextSteps(learners.registered);
    expect(steps[0]).toContain('Start your learning');
    expect(steps[0]).toContain('Assessment due 26 November 2027');
  });

  it('in learning: book the assessment by its due date, and ask the programme contact how while no booking details are set', async () => {
    const { steps } = await nextSteps(learners.learning);
    expect(steps[0]).toContain('Book your assessment by 26 November 2027.');
    expect(steps[0]).toContain('Ask your programme contact how to book your assessment.');
    expect(steps[0]).not.toContain('Overdue');
  });

  it('overdue: says so plainly, with the date, and a red tag that does not wrap', async () => {
    const { steps, html } = await nextSteps(learners.overdue);
    expect(steps[0]).toContain('Overdue');
    expect(steps[0]).toContain('Your assessment was due on 1 October 2026. It is overdue: book your assessment now.');
    // Every GOV.UK tag keeps to one line (pioneer.css; checked in a browser by test/e2e/list-layouts.test.ts).
    expect(html).toMatch(/govuk-tag--red"[^>]*>\s*Overdue/);
  });

  it('assessment booked: the booked state, with the day it was booked', async () => {
    const { steps } = await nextSteps(learners.booked);
    expect(steps[0]).toContain('Your assessment is booked (booked on 26 November 2026): sit your assessment.');
    expect(steps[0]).not.toContain('how to book');
  });

  it('not passed: book a resit, with the attempts left', async () => {
    const { steps } = await nextSteps(learners.resit);
    expect(steps[0]).toContain('Book a resit by 26 November 2027: you have 2 attempts left.');
    expect(steps[0]).toContain('Assessment attempts left 2 of 3');
    expect(steps[0]).toContain('Ask your programme contact how to book your assessment.');
  });

  it('accredited Practitioner: CPD hours this CPD year against the requirement, from the accreditation anniversary', async () => {
    const { steps } = await nextSteps(learners.practitioner);
    expect(steps[0]).toContain('Log 18 more hours of CPD by 25 November 2027.');
    expect(steps[0]).toContain('12 of 30 hours this CPD year, which ends on 25 November 2027');
  });

  it('accredited Foundation: the renewal due date and CPD logged', async () => {
    const { steps } = await nextSteps(learners.foundation);
    expect(steps[0]).toContain('Renew your Foundation accreditation by 1 June 2027.');
    expect(steps[0]).toContain('Foundation renewal due 1 June 2027');
    expect(steps[0]).toContain('CPD logged 0 of 30 hours in the last 12 months');
  });

  it('the demo learner sees a next step for each live enrolment', async () => {
    const { html, steps } = await nextSteps(demoAccounts.learner.email);
    const live = await one<{ n: number }>(sql`select count(*)::int as n from enrolments e join people p on p.id = e.person_id
      where p.email = ${demoAccounts.learner.email} and e.status not in ('declined', 'withdrawn')`);
    expect(live.n).toBeGreaterThan(0);
    expect(steps).toHaveLength(live.n);
    expect(html).toContain('Your learning');
  });

  it('never shows another learner’s next step', async () => {
    const { html } = await nextSteps(learners.learning);
    for (const other of ['Learner practitioner', 'Negotiation masterclass', '12 of 30', 'Learner elsewhere', 'Expert level', '1 October 2026']) expect(html).not.toContain(other);
    const elsewhere = await nextSteps(learners.elsewhere);
    expect(elsewhere.steps).toHaveLength(1);
    expect(elsewhere.html).toContain('Expert level');
    expect(elsewhere.html).not.toContain('Practitioner level');
  });

  describe('how to book: admin settings', () => {
    const audits = () =>
      rows<{ record_id: string; before: { value: string }; after: { value: string; reason: string } }>(
        sql`select record_id, before, after from audit_events where action = 'settings.changed' and record_id in ('assessmentProviderContact', 'assessmentBookingUrl') order by id`,
      );

    it('refuses an invalid booking link and a wrong role, changing nothing', async () => {
      const agent = await t.signIn('admin');
      const form = await agent.get(bookingPath);
      expect(form.statusCode).toBe(200);
      const read = /name="read" value="([^"]*)"/.exec(form.body)![1];
      for (const bad of ['http://book.example.org', 'javascript:alert(1)', 'book.example.org', 'https://localhost/book', 'https://book.example.org/a b']) {
        const res = await agent.submit(bookingPath, { read, contact: 'assessments@provider.example.org', bookingUrl: bad, reason: 'New provider' });
        expect(res.statusCode, bad).toBe(400);
        expect(errorSummary(res.body)).toContain('Enter the assessment booking link as a web address starting with https://');
        expect(res.body).toContain(`value="${bad.replace('&', '&amp;')}"`);
      }
      const noReason = await agent.submit(bookingPath, { read, contact: 'x', bookingUrl: '' });
      expect(noReason.statusCode).toBe(400);
      expect(errorSummary(noReason.body)).toContain('Enter the reason for the change');
      expect(await audits()).toEqual([]);
      for (const who of ['sro', 'partnerLp', 'learner'] as const) {
        const other = await t.signIn(who);
        expect((await other.get(bookingPath)).statusCode, who).toBe(403);
      }
    });

    it('shows the provider contact and booking link once set, audited, on the settings list and the learner’s next step', async () => {
      const agent = await t.signIn('admin');
      const list = await agent.get(paths.settings());
      expect(text(list.body)).toContain('Assessment booking link Not set');
      const form = await agent.get(bookingPath);
      const read = /name="read" value="([^"]*)"/.exec(form.body)![1];
      const res = await agent.submit(bookingPath, { read, contact: ' assessments@provider.example.org ', bookingUrl: 'https://book.provider.example.org/pioneer?x=1', reason: 'Provider contract 2026' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/settings?done=assessment-booking');
      const after = await agent.get('/settings?done=assessment-booking');
      expect(after.body).toContain('Assessment booking details changed');
      expect(after.body).toContain('https://book.provider.example.org/pioneer?x=1');
      expect((await audits()).map((a) => [a.record_id, a.before.value, a.after.value, a.after.reason])).toEqual([
        ['assessmentProviderContact', '', 'assessments@provider.example.org', 'Provider contract 2026'],
        ['assessmentBookingUrl', '', 'https://book.provider.example.org/pioneer?x=1', 'Provider contract 2026'],
      ]);

      for (const state of ['learning', 'resit', 'overdue']) {
        const { steps, html } = await nextSteps(learners[state]);
        expect(steps[0], state).toContain('Assessment provider assessments@provider.example.org');
        expect(steps[0], state).not.toContain('Ask your programme contact how to book');
        const [panel] = panels(html);
        expect(panel).toContain('href="mailto:assessments@provider.example.org"');
        expect(panel).toContain('href="https://book.provider.example.org/pioneer?x=1"');
      }
      // Not the learner's step yet, or already taken: no booking details.
      for (const state of ['nominated', 'booked', 'practitioner']) {
        const { html } = await nextSteps(learners[state]);
        expect(html, state).not.toContain('book.provider.example.org');
      }

      // A stale page (read before the change) is refused; a contact that is not an email shows as text.
      const stale = await agent.submit(bookingPath, { read, contact: 'Call 0300 123 4567', bookingUrl: '', reason: 'Phone only' });
      expect(stale.statusCode).toBe(409);
      const fresh = /name="read" value="([^"]*)"/.exec((await agent.get(bookingPath)).body)![1];
      expect((await agent.submit(bookingPath, { read: fresh, contact: 'Call 0300 123 4567', bookingUrl: '', reason: 'Phone only' })).statusCode).toBe(302);
      const { steps, html } = await nextSteps(learners.learning);
      expect(steps[0]).toContain('Assessment provider Call 0300 123 4567');
      expect(panels(html)[0]).not.toContain('mailto:');
      expect(html).not.toContain('Book your assessment online');
    });
  });
});
