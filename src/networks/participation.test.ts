import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';

describe.each(backends)('network participation figures (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let learnerId: string;
  let councilId: string;
  let councilName: string;
  const day = 86_400_000;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const ago = (days: number) => new Date(t.clock.now().getTime() - days * day).toISOString();

  /** The learner's council's row of the Learners Network's figures, as the page shows it. */
  const figures = async () => {
    const html = (await admin.get('/networks/learners/participation')).body;
    const row = new RegExp(`<tr class="govuk-table__row" data-organisation="${councilId}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
    const figure = (name: string) => Number(new RegExp(`data-figure="${name}">([\\d,]+)<`).exec(row)?.[1].replace(/,/g, '') ?? 'NaN');
    return { members: figure('members'), active: figure('active'), attended: figure('attended'), downloads: figure('downloads') };
  };
  const resource = (title: string, networks: string[]) =>
    one<{ id: string }>(sql`insert into network_resources (title, summary, type, networks, link_url, updated_at)
      values (${title}, 'For the figures', 'toolkit', ${`{${networks.join(',')}}`}::text[], 'https://example.org/guide', now()) returning id`);
  const download = async (resourceId: string, at: string) =>
    t.db.execute(sql`insert into network_resource_downloads (resource_id, person_id, downloaded_at) values (${resourceId}, ${learnerId}, ${at}::timestamptz)`);

  beforeAll(async () => {
    t = await createTestApp({ backend });
    admin = await t.signIn('admin');
    ({ id: learnerId } = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.learner.email}`));
    ({ id: councilId, name: councilName } = await one<{ id: string; name: string }>(
      sql`select o.id, o.name from people p join organisations o on o.id = p.organisation_id where p.id = ${learnerId}`,
    ));
    // The demo learner starts with no activity in the network, so each step below moves the figures by a known amount.
    await t.db.execute(sql`delete from network_event_registrations where person_id = ${learnerId}`);
    await t.db.execute(sql`delete from network_resource_downloads where person_id = ${learnerId}`);
  });
  afterAll(async () => t?.close());

  it('counts attendances, downloads and recent activity for each organisation, and only the network’s own', async () => {
    const before = await figures();
    expect(before.members).toBeGreaterThan(0);

    // A download long ago counts as a download, not as recent activity.
    const guide = await resource('Learners guide', ['learners']);
    await download(guide.id, ago(200));
    const old = await figures();
    expect(old).toEqual({ ...before, downloads: before.downloads + 1 });

    // Attending one of the network's events last week: an attendance, and the learner is active.
    const event = await one<{ id: string }>(sql`insert into network_events (title, description, starts_at, ends_at, format, joining_url, capacity, audience)
      values ('Figures clinic', 'For the figures', ${ago(7)}::timestamptz, ${ago(7)}::timestamptz + interval '1 hour', 'online', 'https://meet.example.org/f', 20, array['learners'])
      returning id`);
    await t.db.execute(sql`insert into network_event_registrations (event_id, person_id, status, attended, registered_at, updated_at)
      values (${event.id}, ${learnerId}, 'registered', true, ${ago(20)}::timestamptz, now())`);
    const attended = await figures();
    expect(attended).toEqual({ ...old, active: old.active + 1, attended: old.attended + 1 });

    // A download of a resource shared with the SRO Network only is not the Learners Network's.
    const sroOnly = await resource('SRO guide', ['sro']);
    await download(sroOnly.id, ago(1));
    expect(await figures()).toEqual(attended);

    // A recent download of the network's resource counts again; the learner is already counted active once.
    await download(guide.id, ago(1));
    expect(await figures()).toEqual({ ...attended, downloads: attended.downloads + 1 });
  });

  it('downloads the same figures as CSV and XLSX, one organisation a row', async () => {
    const shown = await figures();
    const csv = await admin.get('/networks/learners/participation/export.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="learners-network-participation-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows: string[][] = parse(csv.body.replace(/^\uFEFF/, ''));
    expect(rows[0]).toEqual(['Organisation', 'Kind', 'Members', 'Active in the last 90 days', 'Event attendances', 'Resource downloads']);
    const row = rows.find((r) => r[0] === councilName)!;
    expect(row.slice(1).map((c, i) => (i === 0 ? c : Number(c)))).toEqual(['Council', shown.members, shown.active, shown.attended, shown.downloads]);

    const xlsx = await admin.get('/networks/learners/participation/export.xlsx');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets[0].actualRowCount).toBe(rows.length);
  });

  it('is for admins and the network’s facilitators: members and partner staff are refused, others never learn of it', async () => {
    const learner = await t.signIn('learner');
    expect((await learner.get('/networks/learners/participation')).statusCode).toBe(403);
    expect((await learner.get('/networks/learners/participation/export.csv')).statusCode).toBe(403);
    expect((await learner.get('/networks/sro/participation')).statusCode).toBe(404);
    expect((await (await t.signIn('partnerLp')).get('/networks/learners/participation')).statusCode).toBe(403);
    // The home page links to the figures only for those who may see them.
    expect((await learner.get('/networks/learners')).body).not.toContain('/networks/learners/participation');
    expect((await admin.get('/networks/learners')).body).toContain('/networks/learners/participation');

    // Added by hand as a facilitator of the Learners Network: its figures, not the SRO Network's.
    const sro = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.sro.email}`);
    await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('learners', ${sro.id}, 'facilitator', now())`);
    const facilitator = await t.signIn('sro');
    expect((await facilitator.get('/networks/learners/participation')).statusCode).toBe(200);
    expect((await facilitator.get('/networks/sro/participation')).statusCode).toBe(403);
  });
});
