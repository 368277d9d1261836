import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { backends, createTestApp, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { contractManagementFramework, upsertFrameworks } from './framework.ts';

const areaKeys = contractManagementFramework.blocks.flatMap((b) => b.areas.map((a) => a.key));
/** Every area answered: the form a council sends to submit. */
const fullForm = (score: (i: number) => number, extra: Record<string, string> = {}) =>
  Object.fromEntries(areaKeys.flatMap((k, i) => [[`score-${k}`, String(score(i))], [`evidence-${k}`, `Evidence for ${k}`], [`target-${k}`, '5']]).concat(Object.entries(extra)));

describe.each(backends)('maturity assessments, pages (%s)', (backend) => {
  let t: TestApp;
  let sro: Agent;
  let lead: Agent;
  let specialist: Agent;
  let councilId: string;
  let otherCouncilId: string;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const scoresOf = (assessmentId: string) =>
    queryRows<{ key: string; score: number | null; evidence: string | null; target: number | null; moderated: number | null }>(
      t.db,
      sql`select a.key, s.score, s.evidence, s.target, s.moderated_score as moderated from maturity_scores s join maturity_areas a on a.id = s.area_id
          where s.assessment_id = ${assessmentId} order by a.key`,
    );
  const draftOf = (council: string) => one<{ id: string; version: number; based_on_id: string | null; kind: string } | undefined>(
    sql`select id, version, based_on_id, kind from maturity_assessments where council_id = ${council} and status = 'draft'`,
  );

  beforeAll(async () => {
    t = await createTestApp({ backend });
    sro = await t.signIn('sro');
    lead = await t.signIn('lead');
    specialist = await t.signIn('specialist');
    councilId = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    otherCouncilId = (await one<{ id: string }>(sql`select council_id as id from maturity_assessments where council_id <> ${councilId} and status = 'submitted' order by council_id limit 1`)).id;
  });
  afterAll(async () => t?.close());

  it('seeds the framework as data, with stable keys, four blocks and eleven areas of five descriptors', async () => {
    const areas = await queryRows<{ key: string; block: string; n: number }>(
      t.db,
      sql`select a.key, b.name as block, cardinality(a.descriptors) as n from maturity_areas a join maturity_blocks b on b.id = a.block_id order by b.position, a.position`,
    );
    expect(areas.map((a) => a.key)).toEqual(areaKeys);
    expect(new Set(areas.map((a) => a.block))).toEqual(new Set(['Structure and resources', 'Delivery', 'Development', 'Strategy']));
    expect(areas.every((a) => a.n === 5)).toBe(true);
  });

  it('rewrites at start only the framework rows whose wording changed, keeping their ids', async () => {
    const rows = () => queryRows<{ id: string; key: string; name: string; xmin: string }>(t.db, sql`select id, key, name, xmin::text as xmin from maturity_areas order by key`);
    const [stale] = await rows();
    await t.db.execute(sql`update maturity_areas set name = 'An old wording' where id = ${stale.id}`);
    const before = await rows();
    await upsertFrameworks(t.db);
    const after = await rows();
    expect(after.map((r) => [r.id, r.name])).toEqual(before.map((r) => [r.id, r.id === stale.id ? stale.name : r.name]));
    // Only the reworded row is written again; the rest keep the transaction that last wrote them.
    expect(after.filter((r, i) => r.xmin !== before[i].xmin).map((r) => r.key)).toEqual([stale.key]);
  });

  it('shows the SRO their council’s baseline against the latest, as a chart with the same numbers in a table', async () => {
    const page = await sro.get(`/councils/${councilId}/maturity`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="maturity-change-chart-title"/);
    expect(page.body).toContain('<title id="maturity-change-chart-title">');
    const rows = [...page.body.matchAll(/<tr class="govuk-table__row" data-area="([^"]+)">[\s\S]*?<td[^>]*>(\d)<\/td>\s*<td[^>]*>(\d)<\/td>\s*<td[^>]*data-change>([^<]+)<\/td>/g)];
    expect(rows).toHaveLength(11);
    for (const [, , before, after, change] of rows) {
      const d = Number(after) - Number(before);
      expect(change).toBe(d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '0');
    }
    expect(page.body).toContain('Start a follow-up assessment');
  });

  it('sets the council’s latest levels beside the average of other councils of its type, shown only where 5 or more contribute', async () => {
    const own = await one<{ type: string }>(sql`select la_type_name as type from organisations where id = ${councilId}`);
    // Worked out here from the tables: each other council of the type with a submitted baseline, its latest submitted level.
    const expected = await queryRows<{ key: string; n: number; average: number }>(
      t.db,
      sql`with latest as (select distinct on (council_id) id, council_id from maturity_assessments where status = 'submitted' order by council_id, submitted_at desc, id desc)
          select a.key, count(*)::int as n, round(avg(coalesce(s.moderated_score, s.score)), 1)::float8 as average
          from latest l join organisations o on o.id = l.council_id join maturity_scores s on s.assessment_id = l.id join maturity_areas a on a.id = s.area_id
          where o.la_type_name = ${own.type} and l.council_id <> ${councilId} and coalesce(s.moderated_score, s.score) is not null
            and exists (select 1 from maturity_assessments b where b.council_id = l.council_id and b.status = 'submitted' and b.kind = 'baseline')
          group by a.key`,
    );
    const page = await sro.get(`/councils/${councilId}/maturity`);
    expect(page.body).toContain('How similar councils compare');
    const cells = new Map([...page.body.matchAll(/data-peer-area="([^"]+)">[\s\S]*?data-label="Other [^"]+ councils">([\s\S]*?)<\/td>/g)].map((m) => [m[1], m[2].replace(/<[^>]+>/g, '').trim()]));
    expect(cells.size).toBe(11);
    for (const e of expected) expect(cells.get(e.key), e.key).toBe(e.n >= 5 ? `${e.average} of ${e.n}` : 'Not shown');
    expect(expected.filter((e) => e.n >= 5).length, 'the demo gives the SRO’s council enough peers to compare').toBeGreaterThan(0);
  });

  it('shows managing partner staff the maturity of the councils their organisation manages, read-only, and no other council’s', async () => {
    const partner = await t.signIn('partnerLp');
    const managedBy = (mine: boolean) =>
      one<{ id: string }>(sql`select a.council_id as id from maturity_assessments a join participations p on p.council_id = a.council_id
        where a.status = 'submitted' and (p.managing_partner_id = (select organisation_id from people where email = ${demoAccounts.partnerLp.email})) = ${mine}
        order by a.council_id limit 1`);
    const [managed, other] = await Promise.all([managedBy(true), managedBy(false)]);
    const page = await partner.get(`/councils/${managed.id}/maturity`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Change since the baseline');
    expect(page.body).not.toContain('id="start-assessment"');
    expect((await partner.get(`/councils/${managed.id}`)).body).toContain(`href="/councils/${managed.id}/maturity"`);
    // Starting one is not theirs to do (a route on a record answers 404 to a role without the action).
    expect((await partner.submit(`/councils/${managed.id}/maturity`, {})).statusCode).toBe(404);
    expect(await draftOf(managed.id)).toBeUndefined();
    expect((await partner.get(`/councils/${other.id}/maturity`)).statusCode).toBe(404);
  });

  it('takes a follow-up from a pre-filled draft, through partial saves and refused submissions, to an immutable submission', async () => {
    const last = await one<{ id: string }>(sql`select id from maturity_assessments where council_id = ${councilId} and status = 'submitted' order by submitted_at desc limit 1`);
    const started = await sro.submit(`/councils/${councilId}/maturity`, {});
    expect(started.statusCode).toBe(302);
    const draft = (await draftOf(councilId))!;
    expect(started.headers.location).toBe(`/councils/${councilId}/maturity/${draft.id}/edit`);
    expect(draft).toMatchObject({ kind: 'follow_up', based_on_id: last.id });
    // Pre-filled from the last submitted assessment (its moderated scores where moderated).
    const lastScores = await scoresOf(last.id);
    expect((await scoresOf(draft.id)).map((s) => s.score)).toEqual(lastScores.map((s) => s.moderated ?? s.score));

    // One draft at a time.
    const again = await lead.submit(`/councils/${councilId}/maturity`, {});
    expect(again.statusCode).toBe(409);
    expect(errorSummary(again.body)).toContain('already has a draft assessment');

    // A score outside 1–5 is refused, naming the area; nothing is written.
    const bad = await sro.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, { 'score-risk': '7', action: 'save', version: String(draft.version) });
    expect(bad.statusCode).toBe(400);
    expect(errorSummary(bad.body)).toContain('Score for Risk must be from 1 to 5');
    expect(bad.body).toContain('href="#score-risk"');

    // A partial draft saves (blanks allowed).
    const saved = await sro.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, { 'score-risk': '4', 'evidence-risk': '', action: 'save', version: String(draft.version) });
    expect(saved.statusCode).toBe(302);
    const afterSave = await scoresOf(draft.id);
    expect(afterSave.find((s) => s.key === 'risk')).toMatchObject({ score: 4, evidence: null });

    // A stale version is refused.
    const stale = await lead.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, { 'score-risk': '2', action: 'save', version: String(draft.version) });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else saved this assessment');

    // Submitting with missing answers: each named, nothing submitted.
    const fresh = (await draftOf(councilId))!;
    const missing = await sro.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, { action: 'submit', version: String(fresh.version) });
    expect(missing.statusCode).toBe(400);
    expect(errorSummary(missing.body)).toContain('Enter the evidence for Risk');
    expect((await draftOf(councilId))?.id).toBe(draft.id);

    // Every area answered: submitted, and the change page shows it.
    const submitted = await sro.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, fullForm((i) => 1 + (i % 5), { action: 'submit', version: String(fresh.version) }));
    expect(submitted.statusCode).toBe(302);
    expect(submitted.headers.location).toBe(`/councils/${councilId}/maturity?done=submitted`);
    const status = await one<{ status: string; submitted_at: Date | null }>(sql`select status, submitted_at from maturity_assessments where id = ${draft.id}`);
    expect(status.status).toBe('submitted');
    const page = await sro.get(`/councils/${councilId}/maturity?done=submitted`);
    expect(page.body).toContain('Assessment submitted');

    // Immutable: the form and a post are refused with 409 and a clear message, and nothing changes.
    const edit = await sro.get(`/councils/${councilId}/maturity/${draft.id}/edit`);
    expect(edit.statusCode).toBe(409);
    expect(edit.body).toContain('can no longer be changed');
    const post = await sro.submit(`/councils/${councilId}/maturity/${draft.id}/edit`, fullForm(() => 5, { action: 'submit' }));
    expect(post.statusCode).toBe(409);
    expect((await scoresOf(draft.id)).find((s) => s.key === 'risk')!.score).not.toBe(5);

    // The audit log has a sentence for each step.
    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${draft.id} order by occurred_at, id`);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['maturity.started', 'maturity.draft_saved', 'maturity.submitted']));
  });

  it('keeps a council’s staff to their own council: another council’s page and assessments are 404', async () => {
    const theirs = await one<{ id: string }>(sql`select id from maturity_assessments where council_id = ${otherCouncilId} limit 1`);
    expect((await sro.get(`/councils/${otherCouncilId}/maturity`)).statusCode).toBe(404);
    expect((await sro.get(`/councils/${otherCouncilId}/maturity/${theirs.id}`)).statusCode).toBe(404);
    // Another council's assessment under one's own council's path is no way round it.
    expect((await sro.get(`/councils/${councilId}/maturity/${theirs.id}`)).statusCode).toBe(404);
    expect((await sro.submit(`/councils/${otherCouncilId}/maturity`, {})).statusCode).toBe(404);
  });

  it('lets an assigned specialist moderate a submitted score, keeping and showing both values', async () => {
    const target = await one<{ id: string; council_id: string }>(
      sql`select m.id, m.council_id from maturity_assessments m join specialist_assignments sa on sa.council_id = m.council_id join people p on p.id = sa.person_id
          where p.email = ${demoAccounts.specialist.email} and m.status = 'submitted' order by m.submitted_at desc limit 1`,
    );
    const before = (await scoresOf(target.id)).find((s) => s.key === 'people')!;
    const newScore = before.score === 1 ? 2 : before.score! - 1;
    const url = `/councils/${target.council_id}/maturity/${target.id}/moderate`;
    expect((await specialist.get(url)).statusCode).toBe(200);
    const noReason = await specialist.submit(url, { area: 'people', score: String(newScore), reason: '' });
    expect(noReason.statusCode).toBe(400);
    expect(errorSummary(noReason.body)).toContain('Enter why the score is changed');
    const outOfRange = await specialist.submit(url, { area: 'people', score: '9', reason: 'x' });
    expect(errorSummary(outOfRange.body)).toContain('The moderated score must be from 1 to 5');
    const ok = await specialist.submit(url, { area: 'people', score: String(newScore), reason: 'Plans only for the largest contracts' });
    expect(ok.statusCode).toBe(302);
    const after = (await scoresOf(target.id)).find((s) => s.key === 'people')!;
    expect(after).toMatchObject({ score: before.score, moderated: newScore });
    const page = await specialist.get(`/councils/${target.council_id}/maturity/${target.id}`);
    expect(page.body).toContain(`<strong>${newScore}</strong> (moderated)`);
    expect(page.body).toContain(`Council’s own score: ${before.score}.`);
    expect(page.body).toContain('Plans only for the largest contracts');
    // The council's staff may not moderate; a specialist not assigned to the council never learns it exists.
    expect((await sro.get(`/councils/${councilId}/maturity`)).statusCode).toBe(200);
    const ownSubmitted = await one<{ id: string }>(sql`select id from maturity_assessments where council_id = ${councilId} and status = 'submitted' limit 1`);
    expect((await sro.get(`/councils/${councilId}/maturity/${ownSubmitted.id}/moderate`)).statusCode).toBe(404);
    const unassigned = await one<{ id: string; council_id: string }>(
      sql`select m.id, m.council_id from maturity_assessments m where m.status = 'submitted' and not exists (
            select 1 from specialist_assignments sa join people p on p.id = sa.person_id where sa.council_id = m.council_id and p.email = ${demoAccounts.specialist.email}) limit 1`,
    );
    expect((await specialist.submit(`/councils/${unassigned.council_id}/maturity/${unassigned.id}/moderate`, { area: 'people', score: '3', reason: 'x' })).statusCode).toBe(404);
  });

  it('refuses to moderate a draft', async () => {
    const admin = await t.signIn('admin');
    const started = await admin.submit(`/councils/${otherCouncilId}/maturity`, {});
    expect(started.statusCode).toBe(302);
    const draft = (await draftOf(otherCouncilId))!;
    const res = await admin.submit(`/councils/${otherCouncilId}/maturity/${draft.id}/moderate`, { area: 'people', score: '3', reason: 'x' });
    expect(res.statusCode).toBe(409);
  });

  it('shows funders the programme view in aggregate, suppressing peer groups under 5 councils, and exports it', async () => {
    const funder = await t.signIn('funder');
    const page = await funder.get('/maturity');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Improved by 1 level or more');
    expect(page.body).toContain('fewer than 5 councils contribute');
    expect(page.body).not.toContain(demoAccounts.sro.email);
    const csv = await funder.get('/maturity/export.csv');
    expect(csv.statusCode).toBe(200);
    const rows = parse(csv.body, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows).toHaveLength(11);
    expect(rows[0]).toHaveProperty('Share improved (%)');
    const xlsx = await funder.get('/maturity/export.xlsx');
    expect(xlsx.statusCode).toBe(200);
    expect((await sro.get('/maturity')).statusCode).toBe(403);
  });

  it('after someone else saves the draft, a stale save comes back with what was typed over the version now stored, so saving it again works', async () => {
    if (!(await draftOf(councilId))) expect((await sro.submit(`/councils/${councilId}/maturity`, {})).statusCode).toBe(302);
    const draft = (await draftOf(councilId))!;
    const url = `/councils/${councilId}/maturity/${draft.id}/edit`;
    const read = formVersion((await sro.get(url)).body)!;
    // The lead saves from the same read first.
    const other = await lead.submit(url, { 'score-risk': '3', 'evidence-risk': 'The lead’s evidence', action: 'save', version: read });
    expect(other.statusCode, errorSummary(other.body)).toBe(302);
    const risk = async () => (await scoresOf(draft.id)).find((s) => s.key === 'risk');
    const audits = async () => (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n;
    const before = { risk: await risk(), version: (await draftOf(councilId))!.version, audits: await audits() };

    // The SRO's save from the same read: refused, nothing written, the form back with what they typed.
    const mine = { 'score-risk': '2', 'evidence-risk': 'The SRO’s evidence', action: 'save' };
    const stale = await sro.submit(url, { ...mine, version: read });
    expect(stale.statusCode).toBe(409);
    expect(errorSummary(stale.body)).toContain('Someone else saved this assessment');
    expect(stale.body).toContain('The SRO’s evidence');
    expect(stale.body).toMatch(/<input[^>]*name="score-risk"[^>]*value="2"[^>]*checked/);
    expect({ risk: await risk(), version: (await draftOf(councilId))!.version, audits: await audits() }).toEqual(before);
    // It carries the version now stored: sent again as shown, it saves.
    expect(formVersion(stale.body)).toBe(String(before.version));
    const again = await sro.submit(url, { ...mine, version: formVersion(stale.body)! });
    expect(again.statusCode, errorSummary(again.body)).toBe(302);
    expect(await risk()).toMatchObject({ score: 2, evidence: 'The SRO’s evidence' });
    expect(await audits()).toBe(before.audits + 1);
  });
});
