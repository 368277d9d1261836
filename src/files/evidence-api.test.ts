import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { exeBytes, storedFiles } from '../../test/resource-files.ts';
import { multipartBody } from '../../test/uploads.ts';
import { createApiToken } from '../auth/service.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { simplePdf } from '../db/seed/simple-pdf.ts';

type Who = 'admin' | 'specialist' | 'sro' | 'lead' | 'funder';

/** Evidence files over the API (src/files/evidence-api.ts), for improvements and for engagements' actions. */
describe.each(backends)('evidence files API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let sroCouncil: string;
  let counter = 0;
  let action: string; // the base path of an action of the demo specialist's engagement with the SRO's council
  let foreignAction: string;
  const maxBytes = 50_000;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const rows = async () => (await one<{ n: number }>(sql`select count(*)::int as n from evidence_files`)).n;
  const stored = () => storedFiles(t.config.resourcesDir).length;

  beforeAll(async () => {
    t = await createTestApp({ backend, config: { resourceMaxBytes: maxBytes } });
    for (const who of ['admin', 'specialist', 'sro', 'lead', 'funder'] as const) {
      const person = await one<{ id: string }>(sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    const lead = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`)).id;
    const own = await one<{ e: string; a: string }>(sql`select e.id as e, a.id as a from engagement_actions a join engagements e on e.id = a.engagement_id
      where e.council_id = ${sroCouncil} and e.lead_specialist_id = ${lead} order by a.due_date, a.id limit 1`);
    action = `/engagements/${own.e}/actions/${own.a}`;
    const foreign = await one<{ e: string; a: string }>(sql`select e.id as e, a.id as a from engagement_actions a join engagements e on e.id = a.engagement_id
      where e.council_id <> ${sroCouncil} and e.lead_specialist_id <> ${lead} order by a.id limit 1`);
    foreignAction = `/engagements/${foreign.e}/actions/${foreign.a}`;
  });
  afterAll(async () => t?.close());

  const call = (method: 'GET' | 'DELETE', url: string, who: Who) => t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${tokens[who]}` } });
  const upload = (url: string, who: Who, file: { name: string; content: Buffer } | null) => {
    const { payload, contentType } = multipartBody({}, file);
    return t.app.inject({ method: 'POST', url: `/api/v1${url}/evidence-files`, payload, headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': contentType } });
  };
  const expectProblem = (res: Awaited<ReturnType<typeof call>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  };
  const improvement = async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/improvements',
      headers: { authorization: `Bearer ${tokens.sro}` },
      payload: { type: 'management_plans', description: `Plans for every gold contract (${++counter})`, date: '2026-10-15', valueKind: 'none', learnerIds: [] },
    });
    expect(res.statusCode, res.body).toBe(201);
    return `/improvements/${res.json().id}`;
  };
  const pdf = (name = 'Cabinet minutes.pdf') => ({ name, content: simplePdf('Minutes', ['Adopted']) });

  it('uploads (201), lists and downloads an improvement’s file with the pages’ headers, then removes it (204) with its stored bytes', async () => {
    const at = await improvement();
    const file = pdf();
    const res = await upload(at, 'lead', file);
    expect(res.statusCode, res.body).toBe(201);
    const added = res.json();
    expect(added).toMatchObject({ fileName: 'Cabinet minutes.pdf', contentType: 'application/pdf', sizeBytes: file.content.length, downloadUrl: `/api/v1${at}/evidence-files/${added.id}/download` });
    expect(res.headers.location).toBe(added.downloadUrl);
    const list = await call('GET', `${at}/evidence-files`, 'specialist');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data).toEqual([added]);
    const download = await call('GET', `${at}/evidence-files/${added.id}/download`, 'specialist');
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="Cabinet minutes.pdf"; filename*=UTF-8''Cabinet%20minutes.pdf`);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(download.rawPayload.equals(file.content)).toBe(true);

    const before = stored();
    const removed = await call('DELETE', `${at}/evidence-files/${added.id}`, 'sro');
    expect(removed.statusCode, removed.body).toBe(204);
    expect(stored()).toBe(before - 1);
    expect((await call('GET', `${at}/evidence-files`, 'sro')).json().data).toEqual([]);
    expectProblem(await call('GET', `${at}/evidence-files/${added.id}/download`, 'sro'), 404);
    expectProblem(await call('DELETE', `${at}/evidence-files/${added.id}`, 'sro'), 404);
    const audit = await queryRows<{ action: string }>(t.db, sql`select action from audit_events where record_id = ${at.split('/')[2]} and action like 'improvement.evidence_file%' order by occurred_at, action`);
    expect(audit.map((a) => a.action).sort()).toEqual(['improvement.evidence_file_added', 'improvement.evidence_file_removed']);
  });

  it('refuses a file that lies about its type, one too big, none, and a JSON body, with problem details and nothing written', async () => {
    const at = await improvement();
    const [rowsBefore, filesBefore] = [await rows(), stored()];
    const lies = await upload(at, 'sro', { name: 'report.pdf', content: exeBytes() });
    expectProblem(lies, 422);
    expect(lies.json().errors).toEqual([{ field: 'file', message: 'The selected file is called .pdf but its contents are a Windows program' }]);
    const big = await upload(at, 'sro', { name: 'big.pdf', content: Buffer.concat([simplePdf('Big', ['x']), Buffer.alloc(maxBytes)]) });
    expectProblem(big, 422);
    expect(big.json().errors[0].message).toMatch(/^The selected file must be smaller than/);
    const none = await upload(at, 'sro', null);
    expectProblem(none, 422);
    expect(none.json().errors).toEqual([{ field: 'file', message: 'Select a file' }]);
    const json = await t.app.inject({ method: 'POST', url: `/api/v1${at}/evidence-files`, headers: { authorization: `Bearer ${tokens.sro}` }, payload: { file: 'x' } });
    expectProblem(json, 415);
    expect(await rows()).toBe(rowsBefore);
    expect(stored()).toBe(filesBefore);
  });

  it('refuses those who may not change the improvement (403), other councils’ records (404) and a verified one (409)', async () => {
    const at = await improvement();
    const added = (await upload(at, 'sro', pdf())).json();
    const before = await rows();
    expectProblem(await upload(at, 'specialist', pdf()), 403);
    expectProblem(await call('DELETE', `${at}/evidence-files/${added.id}`, 'specialist'), 403);
    expectProblem(await upload(at, 'funder', pdf()), 404);
    expectProblem(await call('GET', `${at}/evidence-files`, 'funder'), 404);
    expectProblem(await call('GET', `${at}/evidence-files/${added.id}/download`, 'funder'), 404);
    // Another council's improvement, and its file reached through one's own improvement.
    const other = await one<{ id: string }>(sql`insert into improvements (council_id, type, description, improved_on, updated_at)
      select id, 'other', 'Another council’s improvement', '2026-10-01', now() from organisations where kind = 'council' and id <> ${sroCouncil} order by name limit 1 returning id`);
    const otherFile = await one<{ id: string }>(sql`insert into evidence_files (improvement_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
      values (${other.id}, 'ab/abababababababababababababababab', 'secret.pdf', 'application/pdf', 10, 'x', now()) returning id`);
    expectProblem(await call('GET', `/improvements/${other.id}/evidence-files`, 'sro'), 404);
    expectProblem(await upload(`/improvements/${other.id}`, 'sro', pdf()), 404);
    expectProblem(await call('DELETE', `/improvements/${other.id}/evidence-files/${otherFile.id}`, 'sro'), 404);
    expectProblem(await call('DELETE', `${at}/evidence-files/${otherFile.id}`, 'sro'), 404);
    expectProblem(await call('GET', `${at}/evidence-files/${otherFile.id}/download`, 'sro'), 404);
    expect(await rows()).toBe(before + 1);

    const verified = await t.app.inject({ method: 'POST', url: `/api/v1${at}/review`, headers: { authorization: `Bearer ${tokens.specialist}` }, payload: { decision: 'verified' } });
    expect(verified.statusCode, verified.body).toBe(200);
    const late = await upload(at, 'sro', pdf());
    expectProblem(late, 409);
    expect(late.json().detail).toBe('A verified improvement cannot be changed');
    expectProblem(await call('DELETE', `${at}/evidence-files/${added.id}`, 'sro'), 409);
    expect(await rows()).toBe(before + 1);
  });

  it('does the same for an engagement’s action: the specialist adds and removes, the SRO reads, 409 once done and signed off', async () => {
    const added = await upload(action, 'specialist', pdf('Workshop notes.pdf'));
    expect(added.statusCode, added.body).toBe(201);
    const file = added.json();
    expect((await call('GET', `${action}/evidence-files`, 'sro')).json().data.map((f: { id: string }) => f.id)).toContain(file.id);
    const download = await call('GET', file.downloadUrl.replace('/api/v1', ''), 'sro');
    expect(download.statusCode).toBe(200);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="Workshop notes.pdf"/);
    expectProblem(await upload(action, 'sro', pdf()), 403);
    expectProblem(await call('DELETE', `${action}/evidence-files/${file.id}`, 'sro'), 403);
    expectProblem(await call('GET', `${action}/evidence-files`, 'funder'), 404);
    expectProblem(await upload(foreignAction, 'specialist', pdf()), 404);
    expectProblem(await call('DELETE', `${foreignAction}/evidence-files/${file.id}`, 'specialist'), 404);
    expect((await call('DELETE', `${action}/evidence-files/${file.id}`, 'admin')).statusCode).toBe(204);

    const kept = (await upload(action, 'specialist', pdf('Final report.pdf'))).json();
    const [engagementId, actionId] = [action.split('/')[2], action.split('/')[4]];
    await t.db.execute(sql`update engagement_actions set status = 'done' where id = ${actionId}`);
    await t.db.execute(sql`update engagements set completion_signed_off_at = now() where id = ${engagementId}`);
    expectProblem(await call('DELETE', `${action}/evidence-files/${kept.id}`, 'specialist'), 409);
    expect((await call('GET', `${action}/evidence-files`, 'specialist')).json().data.map((f: { id: string }) => f.id)).toContain(kept.id);
  });
});
