import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { paths } from '../web/paths.ts';
import { forecast, fundPeriods, placesOverBudgetWarnings } from './service.ts';

describe('the periods whose places a fund counts', () => {
  const periods = (startDate: string, endDate: string) => fundPeriods({ startDate, endDate });
  it('counts the financial years whose middle, 1 October, lies within the fund’s dates', () => {
    // The demo's fund: it ends a month into 2026-27, so that year's places are not its own; 2023-24's second half is.
    expect(periods('2023-10-01', '2026-04-30')).toEqual(['2023-24', '2024-25', '2025-26']);
    expect(periods('2026-04-01', '2027-03-31')).toEqual(['2026-27']);
    expect(periods('2026-10-01', '2026-10-01')).toEqual(['2026-27']);
    expect(periods('2026-10-02', '2027-09-30')).toEqual([]);
    expect(periods('2023-01-01', '2023-09-30')).toEqual([]);
    expect(periods('2025-04-01', '2025-10-01')).toEqual(['2025-26']);
    expect(periods('2025-10-02', '2027-10-01')).toEqual(['2026-27', '2027-28']);
  });
  it('gives each year to one of two funds that follow one another, never to both or neither', () => {
    for (const [end, next] of [['2026-04-30', '2026-05-01'], ['2026-09-30', '2026-10-01'], ['2026-10-01', '2026-10-02'], ['2027-03-31', '2027-04-01']]) {
      const first = periods('2023-10-01', end);
      const second = periods(next, '2029-03-31');
      expect(first.filter((p) => second.includes(p)), end).toEqual([]);
      expect([...first, ...second], end).toEqual(periods('2023-10-01', '2029-03-31'));
    }
  });
});

describe('the straight-line forecast', () => {
  it('scales spend so far to the fund’s whole length, counting the first day', () => {
    // 10 days of a 100-day fund gone, £1,000 spent: £10,000 by the end.
    expect(forecast(100_000, '2026-01-01', '2026-04-10', '2026-01-10')).toBe(1_000_000);
    expect(forecast(100_000, '2026-01-01', '2026-04-10', '2025-12-01')).toBe(100_000);
    expect(forecast(100_000, '2026-01-01', '2026-04-10', '2027-01-01')).toBe(100_000);
    expect(forecast(1, '2026-01-01', '2026-01-03', '2026-01-02')).toBe(2);
  });
});

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('funding, pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let partner: Agent;
  let funder: Agent;
  let sro: Agent;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const count = async (table: 'funds' | 'fund_budget_lines' | 'fund_spend') => (await one<{ n: number }>(sql`select count(*)::int as n from ${sql.raw(table)}`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, partner, funder, sro] = await Promise.all(['admin', 'partnerLp', 'funder', 'sro'].map((who) => t.signIn(who)));
  });
  afterAll(async () => t?.close());

  const fundForm = (extra: Record<string, string> = {}) => ({
    source: 'DLUHC',
    name: `Programme grant ${Math.random().toString(36).slice(2, 8)}`,
    amount: '£1,000,000',
    ...dateFields('startDate', '1', '4', '2026'),
    ...dateFields('endDate', '31', '3', '2027'),
    conditions: 'Spend by 31 March 2027',
    ...extra,
  });
  async function addFund(extra: Record<string, string> = {}) {
    const res = await admin.submit(paths.fundNew(), fundForm(extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/funding\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  }
  async function addLine(fundId: string, form: Record<string, string>) {
    const res = await admin.submit(paths.fundLineNew(fundId), form);
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return (await one<{ id: string }>(sql`select id from fund_budget_lines where fund_id = ${fundId} and name = ${form.name}`)).id;
  }

  it('lets an admin add a fund, lines and spend, and shows committed, spent, remaining and forecast', async () => {
    // A fund over the financial year of some approved places of the demo.
    const held = await one<{ period: string; level: string }>(sql`select period, level from funded_places where taken > 0 order by period desc, level limit 1`);
    const year = held.period.slice(0, 4);
    const fyEnd = `${Number(year) + 1}-03-31`;
    const fundId = await addFund({ ...dateFields('startDate', '1', '4', year), ...dateFields('endDate', '31', '3', String(Number(year) + 1)) });
    const placesLine = await addLine(fundId, { kind: 'training_places', name: 'Foundation places', budget: '1000', level: held.level, unitCost: '250.50' });
    const daysLine = await addLine(fundId, { kind: 'support_days', name: 'Support days', budget: '500000', dayRate: '600' });
    const evalLine = await addLine(fundId, { kind: 'evaluation', name: 'Evaluation', budget: '20,000.00' });
    const spend = await admin.submit(paths.fundSpendNew(fundId), { supplier: 'Evaluators Ltd', ...dateFields('spentOn', '1', '10', year), lineId: evalLine, amount: '1,234.56', reference: 'INV-1' });
    expect(spend.statusCode, errorSummary(spend.body)).toBe(302);
    expect((await one<{ p: number }>(sql`select amount_pence::int as p from fund_spend where line_id = ${evalLine}`)).p).toBe(123456);

    const places = Number((await one<{ n: number }>(sql`select coalesce(sum(taken), 0)::int as n from funded_places where level = ${held.level} and period = ${held.period}`)).n);
    // Each engagement not closed counts its planned minutes in proportion to its days inside the fund's year.
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    const overlapping = await queryRows<{ start: string; end: string; minutes: number }>(
      t.db,
      sql`select start_date::text as start, end_date::text as end, planned_minutes as minutes from engagements
          where status <> 'closed' and start_date <= ${fyEnd}::date and end_date >= ${`${year}-04-01`}::date`,
    );
    expect(overlapping.some((e) => e.start < `${year}-04-01` || e.end > fyEnd)).toBe(true);
    const minutes = overlapping.reduce(
      (sum, e) => sum + (e.minutes * (Math.min(day(e.end), day(fyEnd)) - Math.max(day(e.start), day(`${year}-04-01`)) + 1)) / (day(e.end) - day(e.start) + 1),
      0,
    );
    expect(places).toBeGreaterThan(0);
    const page = await admin.get(paths.fund(fundId));
    expect(page.statusCode).toBe(200);
    const money = (pence: number) => `£${Math.floor(pence / 100).toLocaleString('en-GB')}${pence % 100 ? `.${String(pence % 100).padStart(2, '0')}` : ''}`;
    expect(page.body).toContain(money(places * 25050));
    expect(page.body).toContain(`${places} approved ${held.level} place`);
    expect(page.body).toContain(money(Math.round((minutes * 60000) / 450)));
    expect(page.body).toContain(money(forecast(123456, `${year}-04-01`, fyEnd, '2026-11-26')));
    expect(page.body).toContain('Evaluators Ltd');
    // £1,000 for the places line is far below what approved places commit: a warning, not a refusal.
    if (places * 25050 > 100000) expect(page.body).toMatch(/Commitments on “Foundation places”.*exceed its budget of £1,000/);
    expect(page.body).not.toMatch(/Commitments on “Evaluation”/);
    void placesLine;
    void daysLine;

    const list = await admin.get(paths.funding());
    expect(list.body).toContain('£1,000,000');

    // Partners read everything; funders see the figures but no supplier rows; councils' staff see nothing.
    expect((await partner.get(paths.fund(fundId))).body).toContain('Evaluators Ltd');
    const funderPage = await funder.get(paths.fund(fundId));
    expect(funderPage.statusCode).toBe(200);
    expect(funderPage.body).toContain('£20,000');
    expect(funderPage.body).not.toContain('Evaluators Ltd');
    expect(funderPage.body).not.toContain('Record spend');
    expect((await partner.get(paths.fundSpendNew(fundId))).statusCode).toBe(404);
    expect((await funder.submit(paths.fundNew(), fundForm())).statusCode).toBe(403);
    expect((await sro.get(paths.funding())).statusCode).toBe(403);
    expect((await admin.get(paths.fund('00000000-0000-4000-8000-000000000000'))).statusCode).toBe(404);

    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('recorded £1,234.56 spent with Evaluators Ltd');
  });

  it.each([
    ['a negative amount', { amount: '-5' }, 'amount', 'Amount must be £0 or more'],
    ['a non-numeric amount', { amount: 'lots' }, 'amount', 'Amount must be an amount of money in pounds'],
    ['three decimal places', { amount: '10.123' }, 'amount', 'Amount must not have more than 2 decimal places'],
    ['an end before the start', dateFields('endDate', '1', '1', '2026'), 'endDate', 'End date must be the same as or after the start date'],
    ['no name', { name: ' ' }, 'name', 'Enter the fund name'],
    ['no source', { source: '' }, 'source', 'Enter the source organisation'],
  ])('refuses a fund with %s, naming the field and writing nothing', async (_what, extra, field, message) => {
    const before = await count('funds');
    const res = await admin.submit(paths.fundNew(), fundForm(extra as Record<string, string>));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(message);
    expect(res.body).toMatch(new RegExp(`href="#${field}`));
    expect(await count('funds')).toBe(before);
  });

  it('refuses a second fund with the same name (409)', async () => {
    const form = fundForm();
    await addFund({ name: form.name });
    const before = await count('funds');
    const res = await admin.submit(paths.fundNew(), form);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('There is already a fund with this name');
    expect(await count('funds')).toBe(before);
  });

  it('refuses lines without their prices and spend that is out of the fund or on no line of it', async () => {
    const fundId = await addFund();
    const otherFund = await addFund();
    const otherLine = await addLine(otherFund, { kind: 'networks', name: 'Networks', budget: '100' });
    const line = await addLine(fundId, { kind: 'networks', name: 'Networks', budget: '100' });
    const lines = await count('fund_budget_lines');
    const noPrice = await admin.submit(paths.fundLineNew(fundId), { kind: 'training_places', name: 'Places', budget: '100' });
    expect(noPrice.statusCode).toBe(400);
    expect(noPrice.body).toContain('Select the level of the training places');
    expect(noPrice.body).toContain('Enter the unit cost of a place');
    const noRate = await admin.submit(paths.fundLineNew(fundId), { kind: 'support_days', name: 'Days', budget: '100' });
    expect(noRate.body).toContain('Enter the day rate');
    const dup = await admin.submit(paths.fundLineNew(fundId), { kind: 'networks', name: 'Networks', budget: '100' });
    expect(dup.statusCode).toBe(409);
    expect(await count('fund_budget_lines')).toBe(lines);
    // A second line committing the same places or support days would show the same commitment twice.
    await addLine(fundId, { kind: 'training_places', name: 'Practitioner places', budget: '1000', level: 'practitioner', unitCost: '1200' });
    await addLine(fundId, { kind: 'support_days', name: 'Support days', budget: '1000', dayRate: '650' });
    const withTwo = await count('fund_budget_lines');
    const samePlaces = await admin.submit(paths.fundLineNew(fundId), { kind: 'training_places', name: 'More practitioner places', budget: '500', level: 'practitioner', unitCost: '1000' });
    expect(samePlaces.statusCode).toBe(409);
    expect(errorSummary(samePlaces.body)).toContain('This fund already has a line for Practitioner places');
    const sameDays = await admin.submit(paths.fundLineNew(fundId), { kind: 'support_days', name: 'More support', budget: '500', dayRate: '700' });
    expect(sameDays.statusCode).toBe(409);
    expect(errorSummary(sameDays.body)).toContain('This fund already has a line for transformation support days');
    expect(await count('fund_budget_lines')).toBe(withTwo);
    // Another level, and another fund, are still free to have theirs.
    await addLine(fundId, { kind: 'training_places', name: 'Expert places', budget: '500', level: 'expert', unitCost: '2500' });
    await addLine(otherFund, { kind: 'support_days', name: 'Support days', budget: '500', dayRate: '650' });

    const spent = await count('fund_spend');
    const spend = (extra: Record<string, string>) =>
      admin.submit(paths.fundSpendNew(fundId), { supplier: 'Venue Ltd', ...dateFields('spentOn', '1', '5', '2026'), lineId: line, amount: '10', ...extra });
    const outside = await spend(dateFields('spentOn', '1', '4', '2027'));
    expect(outside.statusCode).toBe(400);
    expect(outside.body).toMatch(/Date must be within the fund, from \d{1,2} [A-Z][a-z]+ \d{4} to \d{1,2} [A-Z][a-z]+ \d{4}/);
    expect((await spend({ lineId: otherLine })).body).toContain('Select a budget line of this fund');
    expect((await spend({ amount: '0' })).body).toContain('Amount must be more than £0');
    expect((await spend({ amount: '1.001' })).body).toContain('Amount must not have more than 2 decimal places');
    expect((await spend({ supplier: '' })).body).toContain('Enter the supplier');
    expect(await count('fund_spend')).toBe(spent);
  });

  it('warns on the approval page when one more place takes a training-places line over budget, and still approves', async () => {
    const e = await one<{ id: string; level: string; period: string; version: number }>(
      sql`select e.id, e.level, e.period, e.version from enrolments e
          join funded_places fp on fp.council_id = e.council_id and fp.level = e.level and fp.period = e.period
          where e.status = 'nominated' and fp.taken < fp.places order by e.id limit 1`,
    );
    const year = Number(e.period.slice(0, 4));
    const fundId = await addFund({ ...dateFields('startDate', '1', '4', String(year)), ...dateFields('endDate', '31', '3', String(year + 1)) });
    const places = (await one<{ n: number }>(sql`select coalesce(sum(taken), 0)::int as n from funded_places where level = ${e.level} and period like ${`${year}-%`}`)).n;
    // Exactly at budget now: one more place at £100 goes over. The roomy line (of another fund over the same year) stays within.
    await addLine(fundId, { kind: 'training_places', name: 'Tight places', budget: String(places * 100), level: e.level, unitCost: '100' });
    const roomyFund = await addFund({ ...dateFields('startDate', '1', '4', String(year)), ...dateFields('endDate', '31', '3', String(year + 1)) });
    await addLine(roomyFund, { kind: 'training_places', name: 'Roomy places', budget: '10000000', level: e.level, unitCost: '100' });

    const page = await admin.get(`/enrolments/${e.id}/move?type=approved`);
    expect(page.statusCode).toBe(200);
    const warnings = /id="budget-warnings">([\s\S]*?)<\/div>\s*<form/.exec(page.body)?.[1] ?? '';
    expect(warnings).toContain('govuk-warning-text');
    expect(warnings).toMatch(new RegExp(`Approving this place takes the commitments on “Tight places” of .* to £${((places + 1) * 100).toLocaleString('en-GB')}, over its budget of £${(places * 100).toLocaleString('en-GB')}`));
    expect(warnings).not.toContain('Roomy places');
    // Choosing another step, the warning is not shown.
    expect((await admin.get(`/enrolments/${e.id}/move?type=declined`)).body).not.toContain('budget-warnings');

    const approved = await admin.submit(`/enrolments/${e.id}/move`, { type: 'approved', ...dateFields('date', '26', '11', '2026'), version: String(e.version) });
    expect(approved.statusCode, errorSummary(approved.body)).toBe(302);
    expect((await admin.get(paths.fund(fundId))).body).toMatch(/Commitments on “Tight places”.*exceed its budget/);
  });
  it('counts on a fund ending 30 April 2026 the places of 2023-24 to 2025-26, not those of 2026-27, and warns of approvals accordingly', async () => {
    const taken = async (periods: string[]) =>
      (await one<{ n: number }>(sql`select coalesce(sum(taken), 0)::int as n from funded_places where level = 'practitioner' and period in (${sql.join(periods.map((p) => sql`${p}`), sql`, `)})`)).n;
    const counted = await taken(['2023-24', '2024-25', '2025-26']);
    // The demo approves places this year (2026-27), so counting them would show.
    expect(await taken(['2026-27'])).toBeGreaterThan(0);
    const name = `Ends in April ${Math.random().toString(36).slice(2, 8)}`;
    const fundId = await addFund({ name, ...dateFields('startDate', '1', '10', '2023'), ...dateFields('endDate', '30', '4', '2026') });
    // £1 a place, the budget exactly what the counted places commit.
    await addLine(fundId, { kind: 'training_places', name: 'Practitioner places', budget: String(counted), level: 'practitioner', unitCost: '1' });

    const page = await admin.get(paths.fund(fundId));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`${counted} approved practitioner place${counted === 1 ? '' : 's'} of 2023-24 to 2025-26`);
    expect(page.body).not.toMatch(/Commitments on “Practitioner places”.*exceed its budget/);

    // A place of 2026-27 adds nothing to this fund: no warning against it; one of 2025-26 takes it over budget.
    const mine = (warnings: string[]) => warnings.filter((w) => w.includes(name));
    expect(mine(await placesOverBudgetWarnings(t.db, [{ level: 'practitioner', period: '2026-27', taken: 1, released: 0 }], 'approval'))).toEqual([]);
    expect(mine(await placesOverBudgetWarnings(t.db, [{ level: 'practitioner', period: '2025-26', taken: 1, released: 0 }], 'approval'))).toEqual([
      `Approving this place takes the commitments on “Practitioner places” of ${name} to £${(counted + 1).toLocaleString('en-GB')}, over its budget of £${counted.toLocaleString('en-GB')}.`,
    ]);
    expect(mine(await placesOverBudgetWarnings(t.db, [{ level: 'practitioner', period: '2023-24', taken: 1, released: 0 }], 'approval'))).toHaveLength(1);

    // A fund whose dates hold no 1 October counts no places, and says so.
    const short = await addFund({ ...dateFields('startDate', '1', '11', '2025'), ...dateFields('endDate', '31', '8', '2026') });
    await addLine(short, { kind: 'training_places', name: 'Practitioner places', budget: '1', level: 'practitioner', unitCost: '1' });
    const shortPage = await admin.get(paths.fund(short));
    expect(shortPage.body).toContain('No places counted: the fund’s dates hold no 1 October, the middle of a financial year');
    expect(shortPage.body).not.toMatch(/Commitments on “Practitioner places”.*exceed its budget/);
  });
});