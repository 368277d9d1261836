import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { paths } from '../web/paths.ts';

/** The fixed clock of createTestApp is 26 November 2026. */
describe.each(backends)('key contracts, pages (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let specialist: Agent;
  let sro: Agent;
  let lead: Agent;
  let funder: Agent;
  let sroCouncil: string;
  let otherCouncil: string;
  let sroId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const contractCount = async (council: string) => (await one<{ n: number }>(sql`select count(*)::int as n from contracts where council_id = ${council}`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    [admin, specialist, sro, lead, funder] = await Promise.all(['admin', 'specialist', 'sro', 'lead', 'funder'].map((who) => t.signIn(who)));
    const me = await one<{ id: string; council: string }>(sql`select id, organisation_id as council from people where email = ${demoAccounts.sro.email}`);
    sroId = me.id;
    sroCouncil = me.council;
    otherCouncil = (await one<{ id: string }>(sql`select council_id as id from contracts where council_id <> ${sroCouncil} limit 1`)).id;
  });
  afterAll(async () => t?.close());

  const form = (extra: Record<string, string> = {}) => ({
    name: 'Parks grounds maintenance',
    supplier: 'Greenspace Ltd',
    annualValue: '1,500,000.50',
    totalValue: '6000000',
    ...dateFields('startDate', '1', '4', '2025'),
    ...dateFields('endDate', '31', '3', '2028'),
    tier: 'gold',
    managerId: sroId,
    hasPlan: 'yes',
    ...extra,
  });
  async function addContract(extra: Record<string, string> = {}, who = sro) {
    const res = await who.submit(paths.councilContractNew(sroCouncil), form(extra));
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/contracts\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  }
  const versionOf = async (id: string) => String((await one<{ version: number }>(sql`select version from contracts where id = ${id}`)).version);

  it('shows a council its demo contracts with their flags, filtered, searched, sorted and downloadable', async () => {
    const list = await sro.get(paths.councilContracts(sroCouncil));
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Highways maintenance');
    expect(list.body).toContain('Procurement Act 2023');
    expect(list.body).toContain('Plan re-procurement');
    expect(list.body).toContain('Assessment overdue');

    const act = await sro.get(`${paths.councilContracts(sroCouncil)}?flag=procurement-act`);
    expect(act.body).toContain('Waste collection and recycling');
    expect(act.body).not.toContain('Office stationery');
    const reprocure = await sro.get(`${paths.councilContracts(sroCouncil)}?flag=reprocure`);
    expect(reprocure.body).toContain('Office stationery');
    expect(reprocure.body).toContain('Home care for adults');
    expect(reprocure.body).not.toContain('Waste collection and recycling');
    const overdue = await sro.get(`${paths.councilContracts(sroCouncil)}?flag=assessment-overdue`);
    expect(overdue.body).toContain('Highways maintenance');
    expect(overdue.body).not.toContain('Waste collection and recycling');
    const bronze = await sro.get(`${paths.councilContracts(sroCouncil)}?tier=bronze`);
    expect(bronze.body).toMatch(/Showing 1 to 1 of 1 key contract\b/);
    const search = await sro.get(`${paths.councilContracts(sroCouncil)}?q=cleanstreets`);
    expect(search.body).toContain('Waste collection and recycling');
    expect(search.body).toMatch(/of 1 key contract\b/);
    const tooLong = await sro.get(`${paths.councilContracts(sroCouncil)}?q=${'x'.repeat(201)}`);
    expect(tooLong.statusCode).toBe(400);
    const byValue = await sro.get(`${paths.councilContracts(sroCouncil)}?sort=totalValue&order=desc`);
    expect(byValue.body.indexOf('Waste collection')).toBeLessThan(byValue.body.indexOf('Highways maintenance'));
    expect(byValue.body.indexOf('Highways maintenance')).toBeLessThan(byValue.body.indexOf('Office stationery'));

    const csv = await sro.get(paths.councilContractsExport(sroCouncil, 'csv'));
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\n')[0]).toContain('id,name,supplier,annual_value,total_value,start_date,end_date,tier,contract_manager_email,plan_in_place');
    expect(csv.body).toContain('Waste collection and recycling,CleanStreets plc,3000000,24000000');
    const xlsx = await sro.get(paths.councilContractsExport(sroCouncil, 'xlsx'));
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');

    const council = await sro.get(paths.council(sroCouncil));
    expect(council.body).toContain(`href="${paths.councilContracts(sroCouncil)}"`);
  });

  it('lets the SRO add a contract, refusing bad money, dates out of order, another council’s manager and a duplicate', async () => {
    const otherPerson = (await one<{ id: string }>(sql`select id from people where organisation_id = ${otherCouncil} limit 1`)).id;
    const before = await contractCount(sroCouncil);
    const cases: [Record<string, string>, string][] = [
      [{ annualValue: '-10' }, 'Annual value must be £0 or more'],
      [{ totalValue: 'lots' }, 'Total value must be an amount of money in pounds, like 250000 or 250000.50'],
      [{ totalValue: '10.125' }, 'Total value must not have more than 2 decimal places'],
      [{ ...dateFields('endDate', '31', '3', '2024') }, 'End date must be the same as or after the start date'],
      [{ managerId: otherPerson }, 'Select a contract manager from'],
      [{ name: '', tier: '', hasPlan: '' }, 'Enter the contract name'],
    ];
    for (const [extra, message] of cases) {
      const res = await sro.submit(paths.councilContractNew(sroCouncil), form(extra));
      expect(res.statusCode, message).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
    }
    const blank = await sro.submit(paths.councilContractNew(sroCouncil), form({ tier: '', hasPlan: '' }));
    expect(errorSummary(blank.body)).toContain('Select the tier');
    expect(errorSummary(blank.body)).toContain('Select whether a contract management plan is in place');
    expect(await contractCount(sroCouncil)).toBe(before);

    const id = await addContract();
    const page = await sro.get(paths.contract(id));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('£1,500,000.50');
    expect(page.body).toContain('Procurement Act 2023 duties');
    expect(page.body).toContain('No KPI assessment recorded yet: one is due now');
    expect(page.body).toContain('fewer than 3 KPIs');
    expect((await one<{ p: number }>(sql`select annual_value_pence::int as p from contracts where id = ${id}`)).p).toBe(150_000_050);

    const duplicate = await lead.submit(paths.councilContractNew(sroCouncil), form({ name: 'PARKS grounds maintenance' }));
    expect(duplicate.statusCode).toBe(409);
    expect(errorSummary(duplicate.body)).toContain('already has a contract with this name and supplier');

    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('added the key contract “Parks grounds maintenance” of');
  });

  it('changes a contract, refusing a stale edit with 409 and keeping the user’s input', async () => {
    const id = await addContract({ name: 'Street lighting', supplier: 'Bright Ways Ltd' });
    const version = await versionOf(id);
    const edit = await lead.get(paths.contractEdit(id));
    expect(edit.statusCode).toBe(200);
    const first = await lead.submit(paths.contractEdit(id), form({ name: 'Street lighting', supplier: 'Bright Ways Ltd', totalValue: '4000000', tier: 'silver', version }));
    expect(first.statusCode, errorSummary(first.body)).toBe(302);
    const stale = await sro.submit(paths.contractEdit(id), form({ name: 'Street lighting and signs', supplier: 'Bright Ways Ltd', version }));
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else changed this contract since you opened it');
    expect(stale.body).toContain('value="Street lighting and signs"');
    const page = await sro.get(paths.contract(id));
    expect(page.body).toContain('£4,000,000');
    expect(page.body).not.toContain('Procurement Act 2023 duties');
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('total value from £6,000,000 to £4,000,000; tier from Gold to Silver');
  });

  it('keeps KPIs and their latest assessment, moving the next assessment due', async () => {
    const id = await addContract({ name: 'Libraries', supplier: 'Readers Trust' });
    const bad = await sro.submit(paths.contractKpiNew(id), { name: '', target: '' });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Enter the KPI');
    const added = await sro.submit(paths.contractKpiNew(id), { name: 'Opening hours kept', target: '99%' });
    expect(added.statusCode, errorSummary(added.body)).toBe(302);
    const kpiId = (await one<{ id: string }>(sql`select id from contract_kpis where contract_id = ${id}`)).id;

    const future = await sro.submit(paths.contractKpiAssess(id, kpiId), { rating: 'good', ...dateFields('assessedOn', '27', '11', '2026'), version: '1' });
    expect(future.statusCode).toBe(400);
    expect(errorSummary(future.body)).toContain('Date assessed must be today or in the past');
    const noRating = await sro.submit(paths.contractKpiAssess(id, kpiId), { ...dateFields('assessedOn', '1', '10', '2026'), version: '1' });
    expect(errorSummary(noRating.body)).toContain('Select the rating');
    const assessed = await sro.submit(paths.contractKpiAssess(id, kpiId), { rating: 'approaching', ...dateFields('assessedOn', '1', '10', '2026'), note: 'Two closures', version: '1' });
    expect(assessed.statusCode, errorSummary(assessed.body)).toBe(302);
    const stale = await sro.submit(paths.contractKpiAssess(id, kpiId), { rating: 'good', ...dateFields('assessedOn', '2', '10', '2026'), version: '1' });
    expect(stale.statusCode).toBe(409);

    const page = await sro.get(paths.contract(id));
    expect(page.body).toContain('Approaching target');
    expect(page.body).toContain('Next KPI assessment due 1 October 2027');
    const renamed = await sro.submit(paths.contractKpiEdit(id, kpiId), { name: 'Opening hours', target: '99.5%', version: '2' });
    expect(renamed.statusCode, errorSummary(renamed.body)).toBe(302);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('assessed the KPI “Opening hours kept” of the key contract “Libraries” of');
    expect(audit.body).toContain('as approaching target on 1 October 2026');
  });

  it('deletes a contract after confirmation, refusing a post without the version it confirms', async () => {
    const id = await addContract({ name: 'Pest control', supplier: 'Nomice Ltd' });
    const confirm = await sro.get(paths.contractDelete(id));
    expect(confirm.body).toContain('Are you sure you want to delete Pest control?');
    const unconfirmed = await sro.submit(paths.contractDelete(id), {});
    expect(unconfirmed.statusCode).toBe(400);
    const deleted = await sro.submit(paths.contractDelete(id), { version: await versionOf(id) });
    expect(deleted.statusCode).toBe(302);
    expect((await sro.get(paths.contract(id))).statusCode).toBe(404);
    const audit = await admin.get(paths.audit());
    expect(audit.body).toContain('deleted the key contract “Pest control” of');
  });

  it('keeps each council to its own contracts: others 404, specialists and partners read, funders nothing', async () => {
    const theirs = (await one<{ id: string }>(sql`select id from contracts where council_id = ${otherCouncil} limit 1`)).id;
    expect((await sro.get(paths.contract(theirs))).statusCode).toBe(404);
    expect((await sro.get(paths.councilContracts(otherCouncil))).statusCode).toBe(404);
    expect((await lead.submit(paths.contractEdit(theirs), form())).statusCode).toBe(404);
    expect((await admin.get(paths.contract(theirs))).statusCode).toBe(200);

    const ours = (await one<{ id: string }>(sql`select id from contracts where council_id = ${sroCouncil} limit 1`)).id;
    const read = await specialist.get(paths.contract(ours));
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain('Change details');
    expect((await specialist.get(paths.contractEdit(ours))).statusCode).toBe(404);
    expect((await specialist.get(paths.councilContractNew(sroCouncil))).statusCode).toBe(404);
    expect((await funder.get(paths.councilContracts(sroCouncil))).statusCode).toBe(404);
    expect((await funder.get(paths.contract(ours))).statusCode).toBe(404);
  });

  const upload = async (agent: Agent, council: string, content: string | Buffer, name = 'contracts.csv') => {
    const url = paths.councilContractsUpload(council);
    const token = await agent.csrf(url);
    const { payload, contentType } = multipartBody({ _csrf: token }, { name, content: typeof content === 'string' ? Buffer.from(content) : content });
    return t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  };
  /** The upload's counts as the page shows them: added, changed, unchanged. */
  const counts = (html: string) => [...html.matchAll(/<dd class="govuk-summary-list__value">\s*(\d+)/g)].map((m) => Number(m[1]));
  const header = 'id,name,supplier,annual_value,total_value,start_date,end_date,tier,contract_manager_email,plan_in_place';

  it('uploads a council’s contracts all or nothing, and a download uploads again changing nothing', async () => {
    const before = await contractCount(sroCouncil);
    const bad = await upload(sro, sroCouncil, [
      header,
      ',Cleaning,Shiny Ltd,100000,300000,01/04/2026,31/03/2029,silver,,yes',
      ',Catering,Food Co,-5,300000.001,2026-04-01,2025-03-31,platinum,nobody@example.com,maybe',
    ].join('\n'));
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('1 of 2 rows have errors. Nothing was uploaded');
    for (const message of ['Annual value must be £0 or more', 'Total value must not have more than 2 decimal places', 'Enter gold, silver or bronze', 'No one at', 'Enter yes or no']) {
      expect(bad.body).toContain(message);
    }
    expect(await contractCount(sroCouncil)).toBe(before);

    const good = await upload(sro, sroCouncil, [header, `,Cleaning,Shiny Ltd,100000,300000,01/04/2026,31 March 2029,silver,${demoAccounts.sro.email},yes`, ',Catering,Food Co,50000.5,150000,2026-04-01,2027-03-31,bronze,,no'].join('\n'));
    expect(good.statusCode, errorSummary(good.body)).toBe(200);
    expect(counts(good.body)).toEqual([2, 0, 0]);
    expect(await contractCount(sroCouncil)).toBe(before + 2);

    const download = await sro.get(paths.councilContractsExport(sroCouncil, 'csv'));
    const again = await upload(sro, sroCouncil, download.body);
    expect(again.statusCode, errorSummary(again.body)).toBe(200);
    expect(counts(again.body)).toEqual([0, 0, before + 2]);
    const xlsx = await sro.get(paths.councilContractsExport(sroCouncil, 'xlsx'));
    const xlsxAgain = await upload(sro, sroCouncil, xlsx.rawPayload, 'contracts.xlsx');
    expect(xlsxAgain.statusCode, errorSummary(xlsxAgain.body)).toBe(200);
    expect(counts(xlsxAgain.body)).toEqual([0, 0, before + 2]);
    expect(await contractCount(sroCouncil)).toBe(before + 2);
    const changed = download.body.replace('Catering,Food Co,50000.50,150000', 'Catering,Food Co,50000.50,160000');
    const third = await upload(sro, sroCouncil, changed);
    expect(third.statusCode, errorSummary(third.body)).toBe(200);
    expect(counts(third.body)).toEqual([0, 1, before + 1]);
    expect((await one<{ p: number }>(sql`select total_value_pence::int as p from contracts where council_id = ${sroCouncil} and name = 'Catering'`)).p).toBe(16_000_000);

    const duplicate = await upload(sro, sroCouncil, [header, ',Cleaning,Shiny Ltd,1,1,01/04/2026,31/03/2029,silver,,yes'].join('\n'));
    expect(duplicate.body).toContain('already has a contract with this name and supplier');
    const theirs = (await one<{ id: string }>(sql`select id from contracts where council_id = ${otherCouncil} limit 1`)).id;
    const foreign = await upload(sro, sroCouncil, [header, `${theirs},Cleaning 2,Shiny Ltd,1,1,01/04/2026,31/03/2029,silver,,yes`].join('\n'));
    expect(foreign.body).toContain('has this id');
    expect((await upload(sro, otherCouncil, download.body)).statusCode).toBe(404);
    const wrongColumns = await upload(sro, sroCouncil, 'name,supplier\nA,B');
    expect(errorSummary(wrongColumns.body)).toContain('The file is missing the columns');
  });
});
