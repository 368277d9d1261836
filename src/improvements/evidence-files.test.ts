import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, dateFields, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { exeBytes, pngBytes, storedFiles as listStoredFiles } from '../../test/resource-files.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { simplePdf } from '../db/seed/simple-pdf.ts';
import { seedDemoEvidenceFiles } from '../db/seed/improvements.ts';
import { filesystemStorage, type FileStorage } from '../files/storage.ts';
import { loadActor } from '../auth/repository.ts';
import { councilScope } from '../auth/policy.ts';
import { fixedClock } from '../clock.ts';
import * as service from './service.ts';
import { ConflictError } from '../web/errors.ts';
import { paths } from '../web/paths.ts';

/** Files as evidence for an improvement (src/files, docs/improvements.md): the resource library's upload rules. */
describe.each(backends)('improvement evidence files (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let sro: Agent;
  let specialist: Agent;
  let funder: Agent;
  let sroCouncil: string;
  let counter = 0;
  const maxBytes = 50_000;
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const fileCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from evidence_files`)).n;
  const storedFiles = () => listStoredFiles(t.config.resourcesDir).length;

  beforeAll(async () => {
    t = await createTestApp({ backend, config: { resourceMaxBytes: maxBytes } });
    [admin, sro, specialist, funder] = await Promise.all(['admin', 'sro', 'specialist', 'funder'].map((who) => t.signIn(who)));
    sroCouncil = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
  });
  afterAll(async () => t?.close());

  const record = async () => {
    const res = await sro.submit(paths.improvementNew(), {
      type: 'management_plans',
      description: `Plans adopted for every gold contract (${++counter})`,
      ...dateFields('date', '3', '11', '2026'),
      valueKind: 'none',
      value: '',
    });
    expect(res.statusCode, errorSummary(res.body)).toBe(302);
    return /\/improvements\/([0-9a-f-]{36})/.exec(res.headers.location as string)![1];
  };
  /** Posts the upload form as a browser would: multipart, with the CSRF token. */
  const upload = (agent: Agent, id: string, file: { name: string; content: Buffer } | null, csrf = true) => agent.upload(paths.improvementEvidenceFiles(id), {}, file, { csrf });

  it('lets the SRO upload a PDF: listed on the page, downloaded by the specialist as an attachment with nosniff, audited', async () => {
    const id = await record();
    const pdf = simplePdf('Contract management plans', ['Adopted by the cabinet']);
    const res = await upload(sro, id, { name: 'Cabinet minutes.pdf', content: pdf });
    expect(res.statusCode, errorSummary(res.body)).toBe(303);
    expect(res.headers.location).toBe(`${paths.improvement(id)}?done=evidence-file#evidence`);
    const page = await specialist.get(paths.improvement(id));
    expect(page.body).toContain('Cabinet minutes.pdf');
    const fileId = (await one<{ id: string }>(sql`select id from evidence_files where improvement_id = ${id}`)).id;
    expect(page.body).toContain(`href="${paths.improvementEvidenceFile(id, fileId)}"`);
    const download = await specialist.get(paths.improvementEvidenceFile(id, fileId));
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="Cabinet minutes.pdf"; filename*=UTF-8''Cabinet%20minutes.pdf`);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.rawPayload.equals(pdf)).toBe(true);
    expect((await admin.get(paths.audit())).body).toMatch(/added the file “Cabinet minutes.pdf” \(PDF, [^)]+\) as evidence to the improvement “Plans adopted/);
  });

  it('refuses a file that lies about its type, and one too big, storing nothing', async () => {
    const id = await record();
    const [rowsBefore, filesBefore] = [await fileCount(), storedFiles()];
    const cases: [{ name: string; content: Buffer }, string][] = [
      [{ name: 'report.pdf', content: exeBytes() }, 'The selected file is called .pdf but its contents are a Windows program'],
      [{ name: 'report.pdf', content: Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>') }, 'The selected file is called .pdf but its contents are not a file type Pioneer recognises'],
      [{ name: 'photo.pdf', content: pngBytes }, 'The selected file is called .pdf but its contents are'],
      [{ name: 'page.html', content: Buffer.from('<html></html>') }, 'The selected file must be a PDF'],
      [{ name: 'big.pdf', content: Buffer.concat([simplePdf('Big', ['x']), Buffer.alloc(maxBytes)]) }, 'The selected file must be smaller than'],
    ];
    for (const [file, message] of cases) {
      const res = await upload(sro, id, file);
      expect(res.statusCode, file.name).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
      expect(res.body).toContain('id="file-error"');
    }
    const none = await upload(sro, id, null);
    expect(none.statusCode).toBe(400);
    expect(errorSummary(none.body)).toContain('Select a file');
    expect(await fileCount()).toBe(rowsBefore);
    expect(storedFiles()).toBe(filesBefore);
  });

  it('refuses an upload without the CSRF token, and from those who may not change the improvement', async () => {
    const id = await record();
    const pdf = { name: 'plan.pdf', content: simplePdf('Plan', ['x']) };
    expect((await upload(sro, id, pdf, false)).statusCode).toBe(403);
    expect((await upload(specialist, id, pdf)).statusCode).toBe(403);
    expect((await upload(funder, id, pdf)).statusCode).toBe(404);
    expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where improvement_id = ${id}`)).toEqual({ n: 0 });
  });

  it('answers 404 for another council’s improvement or file, and for a file of another improvement', async () => {
    const other = await one<{ id: string }>(sql`insert into improvements (council_id, type, description, improved_on, updated_at)
      select id, 'other', 'Another council’s improvement', '2026-10-01', now() from organisations where kind = 'council' and id <> ${sroCouncil} order by name limit 1 returning id`);
    const otherFile = await one<{ id: string }>(sql`insert into evidence_files (improvement_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
      values (${other.id}, 'ab/abababababababababababababababab', 'secret.pdf', 'application/pdf', 10, 'x', now()) returning id`);
    expect((await upload(sro, other.id, { name: 'plan.pdf', content: simplePdf('Plan', ['x']) })).statusCode).toBe(404);
    expect((await sro.get(paths.improvementEvidenceFile(other.id, otherFile.id))).statusCode).toBe(404);
    const own = await record();
    expect((await sro.get(paths.improvementEvidenceFile(own, otherFile.id))).statusCode).toBe(404);
    expect((await sro.get(paths.improvementEvidenceFile(own, 'not-an-id'))).statusCode).toBe(404);
    expect((await funder.get(paths.improvementEvidenceFile(other.id, otherFile.id))).statusCode).toBe(404);
  });

  it('refuses new evidence files once the improvement is verified (409), and offers no upload', async () => {
    const id = await record();
    const verified = await specialist.submit(paths.improvementReview(id), { decision: 'verified', note: '', version: '1' });
    expect(verified.statusCode, errorSummary(verified.body)).toBe(302);
    const before = storedFiles();
    const res = await upload(sro, id, { name: 'late.pdf', content: simplePdf('Late', ['x']) });
    expect(res.statusCode).toBe(409);
    expect(errorSummary(res.body)).toContain('A verified improvement cannot be changed');
    expect(storedFiles()).toBe(before);
    expect((await sro.get(paths.improvement(id))).body).not.toContain('Upload a file as evidence');
  });

  it('gives a few of the demo council’s improvements real evidence files when the demo is seeded with a storage, each downloadable', async () => {
    const before = await fileCount();
    expect(await seedDemoEvidenceFiles(t.db, filesystemStorage(t.config.resourcesDir), demoAccounts.sro.email)).toEqual({ files: 3 });
    const seeded = await queryRows<{ improvementId: string; id: string; fileName: string; contentType: string; councilId: string }>(
      t.db,
      sql`select f.improvement_id as "improvementId", f.id, f.file_name as "fileName", f.content_type as "contentType", i.council_id as "councilId"
        from evidence_files f join improvements i on i.id = f.improvement_id order by f.file_name`,
    );
    const demo = seeded.filter((f) => ['Signed contract variation.pdf', 'Performance by month.csv', 'KPI report to the board.pdf'].includes(f.fileName));
    expect(demo.map((f) => [f.fileName, f.contentType])).toEqual([
      ['KPI report to the board.pdf', 'application/pdf'],
      ['Performance by month.csv', 'text/csv'],
      ['Signed contract variation.pdf', 'application/pdf'],
    ]);
    expect(await fileCount()).toBe(before + 3);
    for (const f of demo) {
      expect(f.councilId).toBe(sroCouncil);
      const page = await sro.get(paths.improvement(f.improvementId));
      expect(page.body).toContain(f.fileName);
      const download = await sro.get(paths.improvementEvidenceFile(f.improvementId, f.id));
      expect(download.statusCode, f.fileName).toBe(200);
      expect(download.headers['content-type']).toContain(f.contentType);
    }
    // Without a storage (the tests' shared snapshot) nothing is added.
    expect(await seedDemoEvidenceFiles(t.db, null, demoAccounts.sro.email)).toEqual({ files: 0 });
  });

  describe('removing one', () => {
    const withFile = async (name = 'Draft minutes.pdf') => {
      const id = await record();
      const res = await upload(sro, id, { name, content: simplePdf('Draft', ['x']) });
      expect(res.statusCode, errorSummary(res.body)).toBe(303);
      const file = await one<{ id: string; key: string }>(sql`select id, storage_key as key from evidence_files where improvement_id = ${id}`);
      return { id, fileId: file.id, key: file.key };
    };
    const stored = (key: string) => listStoredFiles(t.config.resourcesDir).some((f) => f.endsWith(key.split('/')[1]));

    it('lets the SRO remove a file after confirming: the row and the stored file gone, audited', async () => {
      const { id, fileId, key } = await withFile();
      expect(stored(key)).toBe(true);
      const page = await sro.get(paths.improvement(id));
      expect(page.body).toContain(`href="${paths.improvementEvidenceFileRemove(id, fileId)}"`);
      const confirm = await sro.get(paths.improvementEvidenceFileRemove(id, fileId));
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain('Are you sure you want to remove Draft minutes.pdf?');
      // Opening the confirmation changes nothing.
      expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${fileId}`)).toEqual({ n: 1 });
      const res = await sro.submit(paths.improvementEvidenceFileRemove(id, fileId), {});
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`${paths.improvement(id)}?done=evidence-file-removed#evidence`);
      expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${fileId}`)).toEqual({ n: 0 });
      expect(stored(key)).toBe(false);
      const after = await sro.get(`${paths.improvement(id)}?done=evidence-file-removed`);
      expect(after.body).toContain('Evidence file removed');
      expect(after.body).not.toContain('Draft minutes.pdf');
      expect((await sro.get(paths.improvementEvidenceFile(id, fileId))).statusCode).toBe(404);
      expect((await sro.submit(paths.improvementEvidenceFileRemove(id, fileId), {})).statusCode).toBe(404);
      expect((await admin.get(paths.audit())).body).toMatch(/removed the evidence file “Draft minutes.pdf” \(PDF, [^)]+\) from the improvement “Plans adopted/);
    });

    it('refuses without the CSRF token (403), the specialist (403) and the funder (404), removing nothing', async () => {
      const { id, fileId, key } = await withFile();
      const cookie = [...sro.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const noToken = await t.app.inject({ method: 'POST', url: paths.improvementEvidenceFileRemove(id, fileId), payload: {}, headers: { cookie } });
      expect(noToken.statusCode).toBe(403);
      expect((await specialist.get(paths.improvementEvidenceFileRemove(id, fileId))).statusCode).toBe(403);
      expect((await specialist.submit(paths.improvementEvidenceFileRemove(id, fileId), {})).statusCode).toBe(403);
      expect((await funder.submit(paths.improvementEvidenceFileRemove(id, fileId), {})).statusCode).toBe(404);
      expect((await specialist.get(paths.improvement(id))).body).not.toContain(paths.improvementEvidenceFileRemove(id, fileId));
      expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${fileId}`)).toEqual({ n: 1 });
      expect(stored(key)).toBe(true);
    });

    it('answers 404 for another council’s file, and for a file under another improvement', async () => {
      const other = await one<{ id: string }>(sql`insert into improvements (council_id, type, description, improved_on, updated_at)
        select id, 'other', 'Another council’s improvement to remove from', '2026-10-01', now() from organisations where kind = 'council' and id <> ${sroCouncil} order by name limit 1 returning id`);
      const otherFile = await one<{ id: string }>(sql`insert into evidence_files (improvement_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
        values (${other.id}, 'cd/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd', 'theirs.pdf', 'application/pdf', 10, 'x', now()) returning id`);
      expect((await sro.get(paths.improvementEvidenceFileRemove(other.id, otherFile.id))).statusCode).toBe(404);
      expect((await sro.submit(paths.improvementEvidenceFileRemove(other.id, otherFile.id), {})).statusCode).toBe(404);
      const { id } = await withFile();
      expect((await sro.submit(paths.improvementEvidenceFileRemove(id, otherFile.id), {})).statusCode).toBe(404);
      expect((await sro.submit(paths.improvementEvidenceFileRemove(id, 'not-an-id'), {})).statusCode).toBe(404);
      expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${otherFile.id}`)).toEqual({ n: 1 });
    });

    it('refuses once the improvement is verified (409), and offers no remove link', async () => {
      const { id, fileId, key } = await withFile();
      const verified = await specialist.submit(paths.improvementReview(id), { decision: 'verified', note: '', version: '1' });
      expect(verified.statusCode, errorSummary(verified.body)).toBe(302);
      expect((await sro.get(paths.improvement(id))).body).not.toContain(paths.improvementEvidenceFileRemove(id, fileId));
      expect((await sro.get(paths.improvementEvidenceFileRemove(id, fileId))).statusCode).toBe(409);
      const res = await sro.submit(paths.improvementEvidenceFileRemove(id, fileId), {});
      expect(res.statusCode).toBe(409);
      expect(res.body).toContain('A verified improvement cannot be changed');
      expect(await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${fileId}`)).toEqual({ n: 1 });
      expect(stored(key)).toBe(true);
    });
  });
  it('refuses evidence when the improvement is verified while the file is being stored, and keeps nothing of it', async () => {
    const id = await record();
    const sroId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.sro.email}`)).id;
    const actor = (await loadActor(t.db, sroId))!;
    const ctx = { actor, requestId: 'race', ip: '127.0.0.1', clock: fixedClock(new Date('2026-11-20T10:00:00Z')) };
    // The specialist's verification lands after the SRO's upload was allowed and while its bytes are being stored.
    const disk = filesystemStorage(t.config.resourcesDir);
    const verifyingMeanwhile: FileStorage = {
      ...disk,
      put: async (key, content) => {
        await disk.put(key, content);
        await t.db.execute(sql`update improvements set status = 'verified', version = version + 1 where id = ${id}::uuid`);
      },
    };
    const [files, stored, audits] = [await fileCount(), storedFiles(), (await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n];
    const pdf = { buffer: simplePdf('Late evidence', ['Sent as it was verified']), filename: 'Late.pdf', truncated: false };
    const deps = { db: t.db, storage: verifyingMeanwhile, maxBytes };
    await expect(service.addEvidenceFile(deps, ctx, councilScope(actor), id, pdf)).rejects.toBeInstanceOf(ConflictError);
    expect(await fileCount()).toBe(files);
    expect(storedFiles()).toBe(stored);
    expect((await one<{ n: number }>(sql`select count(*)::int as n from audit_events`)).n).toBe(audits);
    // A link is refused the same way once verified, now at the first check.
    await expect(service.addEvidence(t.db, ctx, councilScope(actor), id, { title: 'Minutes', url: 'https://example.gov.uk/minutes' })).rejects.toBeInstanceOf(ConflictError);
  });
});
