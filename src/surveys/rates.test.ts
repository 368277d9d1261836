import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { ValidationError } from '../web/errors.ts';
import { responseRates } from './rates.ts';

/** Response rates by survey for a period (the first quarter of 2027, when the demo sent nothing). */
describe.each(backends)('survey response rates (%s)', (backend) => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ backend });
    const people = (await queryRows<{ id: string }>(t.db, sql`select id from people order by id limit 40`)).map((p) => p.id);
    expect(people.length).toBe(40);
    const survey = async (title: string, created: string) =>
      (ids[title] = (await queryRows<{ id: string }>(t.db, sql`insert into surveys (title, level, audience, anonymous, closes_on, status, questions, created_at)
        values (${title}, 'behaviour', 'Learners', true, '2027-12-31', 'open', '[]'::jsonb, ${created}) returning id`))[0].id);
    /** `n` recipients from the `offset`-th person, sent at `at`, the first `answered` of them having answered. */
    const send = (title: string, offset: number, n: number, answered: number, at: string) =>
      t.db.execute(sql`insert into survey_recipients (survey_id, person_id, token_hash, sent_at, answered)
        select ${ids[title]}, p, md5(${title} || p::text), ${at}, ordinality <= ${answered}
        from unnest(${sql.raw(`array[${people.slice(offset, offset + n).map((p) => `'${p}'`).join(',')}]::uuid[]`)}) with ordinality as t(p, ordinality)`);
    await survey('Alpha', '2026-12-01T09:00:00Z');
    await survey('Bravo', '2026-12-02T09:00:00Z');
    await survey('Charlie', '2026-12-03T09:00:00Z');
    await survey('Delta', '2026-12-04T09:00:00Z');
    await send('Alpha', 0, 20, 12, '2027-01-15T10:00:00Z');
    // Sent on 31 December (UK) and at 00:30 on 1 April, British Summer Time: outside the quarter.
    await send('Alpha', 20, 3, 3, '2026-12-31T23:30:00Z');
    await send('Alpha', 23, 2, 2, '2027-03-31T23:30:00Z');
    await send('Bravo', 0, 9, 3, '2027-02-10T10:00:00Z');
    // 23:30 on 31 March, British Summer Time: inside.
    await send('Bravo', 9, 1, 0, '2027-03-31T22:30:00Z');
    await send('Charlie', 0, 30, 20, '2027-03-01T10:00:00Z');
    await send('Delta', 0, 10, 10, '2026-11-01T10:00:00Z');
  });
  afterAll(async () => t?.close());

  const q1 = { from: '2027-01-01', to: '2027-03-31' };

  it('gives per survey sent in the period how many were sent it, answered, and the rate, by UK dates', async () => {
    const rates = await responseRates(t.db, q1);
    expect(rates.from).toBe('2027-01-01');
    expect(rates.disclosureRule).toContain('5');
    expect(rates.surveys.map((s) => s.title)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    const [alpha, bravo, charlie] = rates.surveys;
    expect(charlie).toEqual({
      surveyId: ids.Charlie,
      title: 'Charlie',
      level: 'behaviour',
      sent: { value: 30, text: '30', suppressed: null },
      answered: { value: 20, text: '20', suppressed: null },
      ratePercent: 66.7,
    });
    // Bravo: 3 of 10 answered, too few to show; so the 7 who did not are hidden too, and so is its rate.
    expect(bravo.sent.value).toBe(10);
    expect(bravo.answered).toEqual({ value: null, text: 'fewer than 5', suppressed: 'small' });
    expect(bravo.ratePercent).toBeNull();
    // Alpha's 12 answered would give Bravo's 3 away from the total of 35 answered, so they are hidden as well.
    expect(alpha.sent.value).toBe(20);
    expect(alpha.answered).toEqual({ value: null, text: 'hidden', suppressed: 'secondary' });
    expect(alpha.ratePercent).toBeNull();
    expect(rates.total).toEqual({ sent: { value: 60, text: '60', suppressed: null }, answered: { value: 35, text: '35', suppressed: null }, ratePercent: 58.3 });
  });

  it('shows a survey sent to fewer than 5 in the period as hidden, and an empty period as nothing sent', async () => {
    const april = await responseRates(t.db, { from: '2027-04-01', to: '2027-06-30' });
    expect(april.surveys).toHaveLength(1);
    expect(april.surveys[0].title).toBe('Alpha');
    expect(april.surveys[0].sent).toEqual({ value: null, text: 'fewer than 5', suppressed: 'small' });
    expect(april.surveys[0].answered.suppressed).toBe('small');
    expect(april.surveys[0].ratePercent).toBeNull();
    expect(april.total.sent.suppressed).toBe('small');
    const november = await responseRates(t.db, { from: '2026-11-01', to: '2026-11-01' });
    expect(november.surveys.map((s) => [s.title, s.sent.value, s.answered.value, s.ratePercent])).toEqual([['Delta', 10, 10, 100]]);
    const empty = await responseRates(t.db, { from: '2030-01-01', to: '2030-03-31' });
    expect(empty.surveys).toEqual([]);
    expect(empty.total).toEqual({ sent: { value: 0, text: '0', suppressed: null }, answered: { value: 0, text: '0', suppressed: null }, ratePercent: null });
  });

  it('refuses dates that are not real dates, or a period that ends before it starts', async () => {
    await expect(responseRates(t.db, { from: '2027-02-30', to: '2027-03-31' })).rejects.toBeInstanceOf(ValidationError);
    await expect(responseRates(t.db, { from: '2027-01-01', to: 'March' })).rejects.toThrow(ValidationError);
    const backwards = await responseRates(t.db, { from: '2027-03-31', to: '2027-01-01' }).catch((e: unknown) => e);
    expect(backwards).toBeInstanceOf(ValidationError);
    expect((backwards as ValidationError).fields).toEqual({ to: 'The last date must be the same as or after the first date' });
  });
});
