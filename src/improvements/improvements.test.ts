import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';
import { readZip } from '../privacy/read-zip.ts';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('improvements, pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let specialist: Agent;
  let sro: Agent;
  let lead: Agent;
  let learner: Agent;
  let funder: Agent;
  let partner: Agent;
  let sroCouncil: string;
  let ownLearner: string;
  let otherLearner: string;
  let counter = 0;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, specialist, sro, lead, learner, funder, partner] = await Promise.all(['admin', 'specialist', 'sro', 'lead', 'learner', 'funder', 'partnerLp'].map((who) => t.signIn(who)));
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    ownLearner = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.learner.email}`)).id;
    otherLearner = (await one<{ id: string }>(sql`select id from people where organisation_id <> ${sroCouncil} and 'learner' = any(roles) order by email limit 1`)).id;
  });
  afterAll(async () => t?.close());

  /** A form recording a saving of £1,250.50 on 1 November 2026 (each description unique unless given). */
  const form = (extra: Record<string, string | string[]> = {}) => ({
    type: 'savings',
    description: `Renegotiated the cleaning contract (${++counter})`,
    ...dateFields('date', '1', '11', '2026'),
    valueKind: 'cashable',
    value: '1,250.50',
    ...extra,
  });
  const record = async (who: Agent = sro, extra: Record<string, string | string[]> = {}) => {
    const res = await who.submit(paths.improvementNew(), form(extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/improvements\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  };
  const row = (id: string) =>
    one<{ status: string; value_pence: number | null; cashable: boolean | null; version: number; description: string }>(
      sql`select status, value_pence::int as value_pence, cashable, version, description from improvements where id = ${id}`,
    );
  const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;
  const count = async () => (await one<{ n: number }>(sql`select count(*)::int as n from improvements where council_id = ${sroCouncil}`)).n;

  it('lets the SRO record an improvement in pence with the council’s learners, shown and audited', async () => {
    const id = await record(sro, { learnerIds: [ownLearner] });
    expect(await row(id)).toMatchObject({ status: 'submitted', value_pence: 125050, cashable: true, version: 1 });
    const page = await sro.get(paths.improvement(id));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('£1,250.50 (cashable)');
    expect(page.body).toContain('Submitted');
    expect(page.body).not.toContain('Verify or query');
    const audit = await admin.get(paths.audit());
    expect(audit.body).toMatch(/recorded the improvement “Renegotiated the cleaning contract \(\d+\)” \(savings\) of/);
    expect(audit.body).toContain('with £1,250.50 cashable, crediting 1 learner');
    // The learner's subject access download lists the improvements that credit them.
    const zip = await admin.get(`/people/${ownLearner}/subject-access`);
    expect(zip.statusCode).toBe(200);
    const files = await readZip(zip.rawPayload);
    expect(files.get('improvements_credited.csv')).toMatch(/Renegotiated the cleaning contract \(\d+\)/);
  });

  it('refuses bad input with GOV.UK messages and writes nothing', async () => {
    const before = await count();
    const cases: [Record<string, string | string[]>, string][] = [
      [{ value: '-5' }, 'Financial value must be £0.01 or more'],
      [{ value: 'lots' }, 'Financial value must be an amount of money, like 1250 or 1250.50'],
      [{ value: '10.005' }, 'Financial value must have no more than 2 decimal places'],
      [{ value: '0' }, 'Financial value must be £0.01 or more'],
      [{ value: '' }, 'Enter the financial value in pounds'],
      [{ valueKind: 'none', value: '20' }, 'Select cashable or non-cashable for the financial value, or leave it empty'],
      [{ valueKind: '' }, 'Select whether the improvement has a financial value'],
      [{ type: 'magic' }, 'Select the type of improvement'],
      [{ description: ' ' }, 'Enter a description of the improvement'],
      [dateFields('date', '27', '11', '2026'), 'Date must be today or in the past'],
      [dateFields('date', '31', '2', '2026'), 'Date must be a real date'],
      [{ learnerIds: [otherLearner] }, 'Select learners of the council from the list'],
    ];
    for (const [extra, message] of cases) {
      const res = await sro.submit(paths.improvementNew(), form(extra));
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body), message).toContain(message);
    }
    expect(await count()).toBe(before);
  });

  it('credits only active learners: an invited one (whom the retention job may delete) is refused', async () => {
    const invited = (await one<{ id: string }>(sql`insert into people (organisation_id, name, email, roles, status)
      values (${sroCouncil}, 'Ivy Invited', 'ivy.invited@demo-council.example.gov.uk', array['learner'], 'invited') returning id`)).id;
    expect((await sro.get(paths.improvementNew())).body).not.toContain('Ivy Invited');
    const res = await sro.submit(paths.improvementNew(), form({ learnerIds: [invited] }));
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain('Select learners of the council from the list');
  });

  it('refuses a duplicate (same type, date and description) with 409', async () => {
    const same = form({ description: 'Ended duplicate licences' });
    expect((await lead.submit(paths.improvementNew(), same)).statusCode).toBe(302);
    const again = await sro.submit(paths.improvementNew(), same);
    expect(again.statusCode).toBe(409);
    expect(errorSummary(again.body)).toContain('This improvement is already recorded');
  });

  it('lets the assigned specialist verify one, after which the council cannot change it', async () => {
    const id = await record();
    const review = await specialist.get(paths.improvementReview(id));
    expect(review.statusCode).toBe(200);
    const noDecision = await specialist.submit(paths.improvementReview(id), { version: '1' });
    expect(noDecision.statusCode).toBe(400);
    expect(errorSummary(noDecision.body)).toContain('Select verify or query');
    expect((await specialist.submit(paths.improvementReview(id), { decision: 'verified', version: '1' })).statusCode).toBe(302);
    expect((await row(id)).status).toBe('verified');
    const page = await sro.get(paths.improvement(id));
    expect(page.body).toContain('Verified</strong> by');
    expect(page.body).not.toContain('Change the improvement');
    expect((await sro.get(paths.improvementEdit(id))).statusCode).toBe(409);
    const change = await sro.submit(paths.improvementEdit(id), form({ version: '2' }));
    expect(change.statusCode).toBe(409);
    expect((await sro.submit(paths.improvementEvidence(id), { title: 'Late', url: 'https://example.org/x' })).statusCode).toBe(409);
    // Deciding twice (a second tab) is refused.
    const twice = await admin.submit(paths.improvementReview(id), { decision: 'queried', note: 'Why?', version: '2' });
    expect(twice.statusCode).toBe(409);
    expect(errorSummary(twice.body)).toContain('This improvement is verified');
  });

  it('lets a specialist query with a note; the council changes it and resubmits; a stale edit is 409', async () => {
    const id = await record();
    const noNote = await specialist.submit(paths.improvementReview(id), { decision: 'queried', version: '1' });
    expect(errorSummary(noNote.body)).toContain('Enter what the council needs to answer or change');
    expect((await specialist.submit(paths.improvementReview(id), { decision: 'queried', note: 'Please add the signed variation.', version: '1' })).statusCode).toBe(302);
    const edit = await sro.get(paths.improvementEdit(id));
    expect(edit.body).toContain('Please add the signed variation.');
    expect(edit.body).toContain('Save and resubmit');
    const resubmit = await sro.submit(paths.improvementEdit(id), form({ description: 'Renegotiated, variation attached', valueKind: 'non_cashable', value: '900', version: '2' }));
    expect(resubmit.statusCode, errorSummary(resubmit.body)).toBe(302);
    expect(await row(id)).toMatchObject({ status: 'submitted', value_pence: 90000, cashable: false, version: 3 });
    const stale = await lead.submit(paths.improvementEdit(id), form({ description: 'Someone else', version: '2' }));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this improvement');
    expect((await row(id)).description).toBe('Renegotiated, variation attached');
    // The search finds it by its new words: the lower-cased copy it searches is kept by the database with each change.
    expect((await admin.get(`${paths.improvements()}?q=${encodeURIComponent('VARIATION attached')}`)).body).toContain('Renegotiated, variation attached');
    expect((await specialist.get(paths.improvementReview(id))).body).toContain('Resubmitted after your query of 26 November 2026: Please add the signed variation.');
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('queried the improvement');
    expect(audit.body).toContain('changed and resubmitted the queried improvement');
    expect(audit.body).toContain('the financial value from £1,250.50 cashable to £900.00 non-cashable');
  });

  it('after someone else’s change, a stale edit comes back with what was typed over the version now stored, so saving it again works', async () => {
    const id = await record();
    const read = formVersion((await sro.get(paths.improvementEdit(id))).body)!;
    // The lead saves from the same read first.
    const other = await lead.submit(paths.improvementEdit(id), form({ description: 'The lead’s wording', version: read }));
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
    const before = await row(id);
    const auditsBefore = await audits();

    // The SRO's save from the same read: refused, nothing written, the form back with what they typed.
    const mine = form({ description: 'The SRO’s wording', value: '2,000' });
    const stale = await sro.submit(paths.improvementEdit(id), { ...mine, version: read });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this improvement since you opened it');
    expect(stale.body).toContain('href="#main-content"');
    expect(stale.body).toContain('The SRO’s wording');
    expect(stale.body).toMatch(/name="value"[^>]*value="2,000"/);
    expect(await row(id)).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    // It carries the version now stored: sent again as shown, it saves.
    expect(formVersion(stale.body)).toBe(String(before.version));
    const again = await sro.submit(paths.improvementEdit(id), { ...mine, version: formVersion(stale.body)! });
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await row(id)).toMatchObject({ description: 'The SRO’s wording', value_pence: 200000, version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('after the council changes an improvement under review, a stale decision comes back over the improvement as it is now, and can be saved again', async () => {
    const id = await record();
    const read = formVersion((await specialist.get(paths.improvementReview(id))).body)!;
    // The council changes it while the specialist reads it (still submitted).
    const changed = await sro.submit(paths.improvementEdit(id), form({ description: 'Changed while under review', version: read }));
    expect(changed.statusCode, errorSummary(changed.body)).toBe(302);
    const before = await row(id);
    const auditsBefore = await audits();

    const decision = { decision: 'queried', note: 'Which contract was this?' };
    const stale = await specialist.submit(paths.improvementReview(id), { ...decision, version: read });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this improvement since you opened it');
    // The improvement as it is now, with the decision and note as typed.
    expect(stale.body).toContain('Changed while under review');
    expect(stale.body).toContain('Which contract was this?');
    expect(stale.body).toMatch(/<input[^>]*value="queried"[^>]*checked/);
    expect(await row(id)).toEqual(before);
    expect(await audits()).toBe(auditsBefore);
    expect(formVersion(stale.body)).toBe(String(before.version));
    const again = await specialist.submit(paths.improvementReview(id), { ...decision, version: formVersion(stale.body)! });
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await row(id)).toMatchObject({ status: 'queried', version: before.version + 1 });
    expect(await audits()).toBe(auditsBefore + 1);
  });

  it('adds https evidence links for the council only', async () => {
    const id = await record();
    const bad = await sro.submit(paths.improvementEvidence(id), { title: 'Report', url: 'http://example.org/report' });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Enter a link starting with https://');
    expect((await lead.submit(paths.improvementEvidence(id), { title: 'Signed variation', url: 'https://example.org/variation.pdf' })).statusCode).toBe(302);
    expect((await specialist.get(paths.improvement(id))).body).toContain('Signed variation');
    expect((await specialist.submit(paths.improvementEvidence(id), { title: 'X', url: 'https://example.org/x' })).statusCode).toBe(403);
  });

  it('keeps each role to its own: wrong role 403, other council 404, funders and learners none', async () => {
    const id = await record();
    // Another council's improvement, and one of a council not assigned to the demo specialist.
    const other = (await one<{ id: string }>(sql`select id from improvements where council_id <> ${sroCouncil}
      and council_id not in (select council_id from specialist_assignments a join people p on p.id = a.person_id where p.email = ${demoAccounts.specialist.email}) limit 1`)).id;
    expect((await sro.get(paths.improvement(other))).statusCode).toBe(404);
    expect((await specialist.get(paths.improvement(other))).statusCode).toBe(404);
    expect((await specialist.submit(paths.improvementReview(other), { decision: 'verified' })).statusCode).toBe(404);
    expect((await admin.get(paths.improvement(other))).statusCode).toBe(200);
    expect((await sro.submit(paths.improvementReview(id), { decision: 'verified', version: '1' })).statusCode).toBe(403);
    expect((await admin.submit(paths.improvementEdit(id), form({ version: '1' }))).statusCode).toBe(403);
    expect((await admin.get(paths.improvementNew())).statusCode).toBe(403);
    expect((await specialist.get(paths.improvementNew())).statusCode).toBe(403);
    expect((await funder.get(paths.improvements())).statusCode).toBe(403);
    expect((await funder.get(paths.improvement(id))).statusCode).toBe(404);
    expect((await learner.get(paths.improvements())).statusCode).toBe(403);
    expect((await row(id)).status).toBe('submitted');
  });

  it('lists the council’s own for its staff and every council for admins, filtered, sorted, searched and paged, with totals', async () => {
    const own = await sro.get(paths.improvements());
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('Record an improvement');
    expect(own.body).not.toContain('name="councilId"');
    const councils = await queryRows<{ name: string }>(t.db, sql`select distinct o.name from improvements i join organisations o on o.id = i.council_id where i.council_id <> ${sroCouncil} limit 3`);
    for (const c of councils) expect(own.body).not.toContain(c.name);

    const all = await admin.get(paths.improvements());
    expect(all.body).toContain('name="councilId"');
    expect(all.body).not.toContain('Record an improvement');
    const total = (await one<{ n: number }>(sql`select count(*)::int as n from improvements`)).n;
    expect(all.body).toContain(`Showing 1 to 50 of ${total} improvements`);
    const sums = await one<{ all: string; cash: string }>(sql`select sum(value_pence)::text as all, sum(value_pence) filter (where cashable)::text as cash from improvements`);
    const pounds = (p: string) => `£${(Number(p) / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(all.body).toContain(`${pounds(sums.all)} (cashable ${pounds(sums.cash)}`);

    const verifiedSavings = await admin.get(`${paths.improvements()}?type=savings&status=verified&cashable=cashable&sort=value&order=desc`);
    const n = (await one<{ n: number }>(sql`select count(*)::int as n from improvements where type = 'savings' and status = 'verified' and cashable`)).n;
    expect(verifiedSavings.body).toContain(`of ${n} improvement`);
    const values = [...verifiedSavings.body.matchAll(/data-label="Value">£([\d,.]+)/g)].map((m) => Number(m[1].replace(/,/g, '')));
    expect(values.length).toBeGreaterThan(1);
    expect(values).toEqual([...values].sort((a, b) => b - a));

    const searched = await admin.get(`${paths.improvements()}?q=${encodeURIComponent('duplicate software licences')}`);
    expect(searched.body).toContain('Ended duplicate software licences');
    expect(searched.body).not.toContain('Renegotiated the facilities management contract');
    const tooLong = await admin.get(`${paths.improvements()}?q=${'x'.repeat(201)}`);
    expect(tooLong.statusCode).toBe(400);
    expect(errorSummary(tooLong.body)).toContain('Search term must be 200 characters or fewer');
    const none = await admin.get(`${paths.improvements()}?q=nothing-like-this`);
    expect(none.body).toContain('No improvements match');
    // A council's name finds its improvements (and descriptions that mention it), whatever the case; "%" is literal.
    const showing = async (q: string) => {
      const res = await admin.get(`${paths.improvements()}?q=${encodeURIComponent(q)}`);
      return res.body.includes('No improvements match') ? 0 : Number(/Showing \d+ to \d+ of (\d+) improvement/.exec(res.body)?.[1]);
    };
    const matching = async (q: string) =>
      (await one<{ n: number }>(sql`select count(*)::int as n from improvements i join organisations o on o.id = i.council_id
        where position(lower(${q}) in lower(i.description)) > 0 or position(lower(${q}) in lower(o.name)) > 0`)).n;
    const council = await one<{ name: string; n: number }>(
      sql`select o.name, count(*)::int as n from improvements i join organisations o on o.id = i.council_id group by o.name order by count(*) desc, o.name limit 1`,
    );
    expect(await matching(council.name.toUpperCase())).toBeGreaterThanOrEqual(council.n);
    expect(await showing(council.name.toUpperCase())).toBe(await matching(council.name));
    expect(await showing('%')).toBe(await matching('%'));
    expect(await showing('R_N')).toBe(await matching('R_N'));
    // A description is found whatever the case of the term or of its words (the search compares lower-cased copies).
    expect(await showing('ENDED Duplicate SOFTWARE')).toBe(await matching('ended duplicate software'));
    expect(await matching('ended duplicate software')).toBeGreaterThan(0);
    expect(await matching('%')).toBeLessThan(total);
    // Searching by another council's name does not reach past the SRO's own council.
    const other = await one<{ name: string }>(
      sql`select o.name from improvements i join organisations o on o.id = i.council_id where o.id <> ${sroCouncil} group by o.name order by count(*) desc, o.name limit 1`,
    );
    const sroSearch = await sro.get(`${paths.improvements()}?q=${encodeURIComponent(other.name)}`);
    expect(sroSearch.statusCode).toBe(200);
    const ownMatching = (await one<{ n: number }>(sql`select count(*)::int as n from improvements i join organisations o on o.id = i.council_id
      where i.council_id = ${sroCouncil} and (position(lower(${other.name}) in lower(i.description)) > 0 or position(lower(${other.name}) in lower(o.name)) > 0)`)).n;
    if (ownMatching === 0) expect(sroSearch.body).toContain('No improvements match');
    else expect(sroSearch.body).toContain(`of ${ownMatching} improvement`);
    const past = await admin.get(`${paths.improvements()}?page=999`);
    expect(past.statusCode).toBe(302);
  });

  it('pages through every improvement exactly once in each order, both ways, filtered or not', async () => {
    const column = { date: 'i.improved_on', value: 'i.value_pence', council: 'o.name', status: 'i.status' } as const;
    for (const filter of ['', 'status=verified&cashable=cashable']) {
      const where = filter ? sql`where i.status = 'verified' and i.cashable` : sql``;
      for (const key of ['date', 'value', 'council', 'status'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          // The order the list promises: by the column (improvements without a value last either way), then newest first, then id.
          const orderBy = sql.raw(`${key === 'value' ? '(i.value_pence is null), ' : ''}${column[key]} ${order}, i.improved_on desc, i.id`);
          const expected = (await queryRows<{ id: string }>(t.db, sql`select i.id from improvements i join organisations o on o.id = i.council_id ${where} order by ${orderBy}`)).map((r) => r.id);
          const seen: string[] = [];
          for (let page = 1; page <= Math.ceil(expected.length / 50); page++) {
            const res = await admin.get(`${paths.improvements()}?${filter}&sort=${key}&order=${order}&page=${page}`);
            expect(res.statusCode).toBe(200);
            seen.push(...[...res.body.matchAll(/<th scope="row" class="govuk-table__header"><a class="govuk-link" href="\/improvements\/([0-9a-f-]{36})"/g)].map((m) => m[1]));
          }
          expect(seen, `${filter} ${key} ${order}`).toEqual(expected);
        }
      }
    }
  });

  it('downloads the list as CSV and XLSX within scope', async () => {
    expect((await partner.get(paths.improvementsExport('csv'))).statusCode).toBe(200);
    const csv = await sro.get(`${paths.improvementsExport('csv')}?status=submitted`);
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toContain('Council,Type,Description,Date,Financial value (£),Cashable,Status');
    const n = (await one<{ n: number }>(sql`select count(*)::int as n from improvements where council_id = ${sroCouncil} and status = 'submitted'`)).n;
    expect(lines.length - 1).toBe(n);
    const xlsx = await admin.get(paths.improvementsExport('xlsx'));
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    expect((await funder.get(paths.improvementsExport('csv'))).statusCode).toBe(403);
  });

  it('links the register from the council page and the specialist’s navigation', async () => {
    const council = await sro.get(paths.council(sroCouncil));
    expect(council.body).toContain('record an improvement');
    const nav = await specialist.get(paths.councils());
    expect(nav.body).toMatch(/href="\/improvements"[^>]*>\s*Improvements/);
  });
});
