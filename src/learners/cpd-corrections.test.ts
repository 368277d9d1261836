import { cpdForm } from './testing.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp, dateFields } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoPassword } from '../db/seed/demo.ts';
import { hashPassword } from '../auth/passwords.ts';
import { paths } from '../web/paths.ts';

/** A GOV.UK date input's three parts as a form posts them. */


type Entry = { id: string; activity_date: string; hours: number; activity_type: string; reflection: string };

/** A learner changes and deletes entries of their own CPD log, and sees their CPD year against the requirement. */
describe.each(backends)('correcting the CPD log (%s)', (backend) => {
  let t: TestApp;
  let council: string;
  /** Practitioner accredited on 1 March 2025: their CPD year (on the test clock, 26 November 2026) runs from 1 March 2026. */
  let pia: { id: string; agent: Agent };
  /** Nominated, not yet accredited. */
  let noel: { id: string; agent: Agent };

  const rows = <T>(query: ReturnType<typeof sql>) => queryRows<T>(t.db, query);
  const entries = (personId: string) =>
    rows<Entry>(sql`select id, activity_date::text, hours::float8 as hours, activity_type, reflection from cpd_records where person_id = ${personId} order by activity_date, id`);
  const addEntry = async (personId: string, date: string, hours: number, reflection = 'Read the contract management guidance') =>
    (await rows<{ id: string }>(sql`insert into cpd_records (person_id, activity_date, hours, activity_type, reflection)
      values (${personId}, ${date}, ${hours}, 'reading_or_research', ${reflection}) returning id`))[0].id;
  const audits = (id: string, action: string) =>
    rows<{ before: unknown; after: unknown }>(sql`select before, after from audit_events where record_id = ${id} and action = ${action}`);

  /** A learner who can sign in, with an enrolment (so they keep a CPD log) and, when given, an accreditation. */
  async function learner(email: string, accredited?: { level: string; on: string }) {
    const hash = await hashPassword(demoPassword);
    const [{ id }] = await rows<{ id: string }>(sql`insert into people (name, email, organisation_id, roles, status, password_hash)
      values (${email.split('@')[0]}, ${email}, ${council}, '{learner}', 'active', ${hash}) returning id`);
    const [{ id: enrolmentId }] = await rows<{ id: string }>(sql`insert into enrolments (person_id, council_id, level, period, status, nominated_on, last_event_on)
      values (${id}, ${council}, ${accredited?.level ?? 'practitioner'}, '2026-27', ${accredited ? 'accredited' : 'nominated'}, '2025-01-10', '2025-01-10') returning id`);
    if (accredited) {
      await rows(sql`insert into accreditations (person_id, enrolment_id, level, awarded_on, certificate_number)
        values (${id}, ${enrolmentId}, ${accredited.level}, ${accredited.on}, ${`CPD-${id.slice(0, 8)}`})`);
    }
    return { id, agent: await t.signIn(email) };
  }

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [{ id: council }] = await rows<{ id: string }>(sql`select id from organisations where kind = 'council' order by id limit 1`);
    pia = await learner('pia.cpd@corrections.example.gov.uk', { level: 'practitioner', on: '2025-03-01' });
    noel = await learner('noel.cpd@corrections.example.gov.uk');
  });
  afterAll(async () => t?.close());

  it('shows the hours of the current CPD year against the requirement, from the anniversary of the accreditation', async () => {
    await addEntry(pia.id, '2026-02-28', 7); // the previous CPD year
    await addEntry(pia.id, '2026-03-01', 10);
    await addEntry(pia.id, '2026-11-20', 2.5);
    const page = await pia.agent.get(paths.myCpd());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('12.5 of 30 hours logged this CPD year');
    expect(page.body).toContain('runs from 1 March 2026 to 28 February 2027');

    await addEntry(noel.id, '2025-11-26', 4); // a day more than 12 months before the test clock's today
    await addEntry(noel.id, '2025-11-27', 3);
    const before = await noel.agent.get(paths.myCpd());
    expect(before.body).toContain('3 of 30 hours logged in the last 12 months');
    expect(before.body).toContain('Once you are accredited at Practitioner or Expert level');
  });

  it('changes an entry of their own log, audited with before and after, and the year’s hours follow', async () => {
    const id = await addEntry(pia.id, '2026-11-01', 1, 'Before the change');
    const form = await pia.agent.get(paths.myCpdEdit(id));
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Change CPD activity');
    expect(form.body).toContain('Before the change');
    expect(form.body).toMatch(/name="date-day"[^>]*value="1"/);
    const log = await pia.agent.get(paths.myCpd());
    expect(log.body).toContain(`href="${paths.myCpdEdit(id)}"`);

    const hoursBefore = /([\d.]+) of 30 hours logged this CPD year/.exec(log.body)![1];
    const res = await pia.agent.submit(paths.myCpdEdit(id), cpdForm({ ...dateFields('date', '2', '11', '2026'), hours: '3', reflection: 'After the change' }));
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${paths.myCpd()}?done=changed`);
    const after = await pia.agent.get(res.headers.location as string);
    expect(after.body).toContain('CPD activity updated');
    expect(after.body).toContain(`${Number(hoursBefore) + 2} of 30 hours logged this CPD year`);
    expect((await entries(pia.id)).find((e) => e.id === id)).toEqual({ id, activity_date: '2026-11-02', hours: 3, activity_type: 'workshop_or_webinar', reflection: 'After the change' });
    expect(await audits(id, 'cpd.changed')).toEqual([
      {
        before: { date: '2026-11-01', hours: 1, activity: 'reading_or_research', reflection: 'Before the change' },
        after: { date: '2026-11-02', hours: 3, activity: 'workshop_or_webinar', reflection: 'After the change' },
      },
    ]);
  });

  it('refuses bad input with the error summary, keeps what was typed and changes nothing', async () => {
    const id = await addEntry(pia.id, '2026-10-01', 2, 'Untouched');
    const before = await entries(pia.id);
    const res = await pia.agent.submit(paths.myCpdEdit(id), cpdForm({ ...dateFields('date', '1', '12', '2026'), hours: '25', activity: '', reflection: 'Typed <b>text</b>' }));
    expect(res.statusCode).toBe(400);
    const summary = errorSummary(res.body);
    expect(summary).toContain('Date of the activity must be today or in the past');
    expect(summary).toContain('Hours must be 24 or fewer');
    expect(summary).toContain('Select the type of activity');
    expect(res.body).toContain('Typed &lt;b&gt;text&lt;/b&gt;');
    expect(await entries(pia.id)).toEqual(before);
    expect(await audits(id, 'cpd.changed')).toEqual([]);
  });

  it('deletes an entry after a confirmation page, audited with what it was', async () => {
    const id = await addEntry(pia.id, '2026-09-09', 1.25, 'To be deleted');
    const confirm = await pia.agent.get(paths.myCpdDelete(id));
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Are you sure you want to delete this CPD activity?');
    expect(confirm.body).toContain('To be deleted');
    expect((await entries(pia.id)).some((e) => e.id === id)).toBe(true);

    const res = await pia.agent.submit(paths.myCpdDelete(id), {});
    expect(res.headers.location).toBe(`${paths.myCpd()}?done=deleted`);
    expect((await pia.agent.get(res.headers.location as string)).body).toContain('CPD activity deleted');
    expect((await entries(pia.id)).some((e) => e.id === id)).toBe(false);
    expect(await audits(id, 'cpd.deleted')).toEqual([{ before: { personId: pia.id, date: '2026-09-09', hours: 1.25, activity: 'reading_or_research' }, after: null }]);

    // Sent again (a double click, the back button): the entry is gone.
    expect((await pia.agent.submit(paths.myCpdDelete(id), {})).statusCode).toBe(404);
  });

  it('answers 404 for someone else’s entry, an unknown or malformed id, and to staff, changing nothing', async () => {
    const theirs = await addEntry(noel.id, '2026-08-08', 2, 'Noel’s own');
    const before = await entries(noel.id);
    for (const url of [paths.myCpdEdit(theirs), paths.myCpdDelete(theirs), paths.myCpdEdit('00000000-0000-4000-8000-000000000000'), paths.myCpdDelete('not-a-uuid')]) {
      expect((await pia.agent.get(url)).statusCode, url).toBe(404);
    }
    expect((await pia.agent.submit(paths.myCpdEdit(theirs), cpdForm({ reflection: 'Hijacked' }))).statusCode).toBe(404);
    expect((await pia.agent.submit(paths.myCpdDelete(theirs), {})).statusCode).toBe(404);
    const admin = await t.signIn('admin');
    expect((await admin.get(paths.myCpdEdit(theirs))).statusCode).toBe(404);
    expect((await admin.submit(paths.myCpdDelete(theirs), {})).statusCode).toBe(404);
    expect(await entries(noel.id)).toEqual(before);
  });
});
