import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, formVersion, type Agent, type TestApp } from '../../test/helpers.ts';
import { multipartBody } from '../../test/uploads.ts';
import { exeBytes, plainZip, realFiles, storedFiles as listStoredFiles } from '../../test/resource-files.ts';
import { simplePdf } from '../db/seed/simple-pdf.ts';
import { seedDemoResources } from '../db/seed/resources.ts';
import { filesystemStorage } from '../files/storage.ts';
import { detectFile } from '../files/detect.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { pgArray, queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { listAuditEvents } from '../audit/service.ts';
import { subjectRecords } from '../privacy/repository.ts';
import { recordsChanged } from '../db/read-cache.ts';

const maxBytes = 64 * 1024;
const expectedTypes: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
};

describe.each(backends)('network resources (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let learner: Agent;
  let files: Record<string, Buffer>;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const rows = <T>(q: ReturnType<typeof sql>) => queryRows<T>(t.db, q);
  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&rsquo;/g, '’').replace(/\s+/g, ' ');

  /** Every file in the storage folder (the temporary folder included): what an upload left on disk. */
  const storedFiles = () => listStoredFiles(t.config.resourcesDir);
  const resourceCount = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from network_resources`))[0].n;

  const fields = (over: Record<string, string | string[]> = {}) => ({
    title: 'Building a contract register',
    summary: 'How a district council found every contract it held and set KPIs for the largest.',
    type: 'case_study',
    tags: 'Contract register, KPIs',
    councilId: '',
    networks: ['learners'],
    link: '',
    ...over,
  });

  /** Posts the add form as a browser would: multipart, with the CSRF token, to a network's library. */
  const postFile = (agent: Agent, url: string, form: Record<string, string | string[]>, file: { name: string; content: Buffer } | null) => agent.upload(url, form, file);
  const add = (agent: Agent, form: Record<string, string | string[]>, file: { name: string; content: Buffer } | null, network = 'learners') =>
    agent.upload(`/networks/${network}/resources`, form, file);
  const addedId = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
    expect(res.statusCode, errorSummary(res.body)).toBe(303);
    return /resources\/([0-9a-f-]{36})\?done=added/.exec(String(res.headers.location))![1];
  };
  /** The audit log's sentences for these actions, oldest first. */
  const auditSentences = async (...actions: string[]) =>
    (await Promise.all(actions.map((action) => listAuditEvents(t.db, { action, order: 'asc' }, { page: 1, pageSize: 100 })))).flatMap((r) => r.rows.map((e) => e.description.text));
  let adminName: string;
  const api = (who: string, url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });

  beforeAll(async () => {
    t = await createTestApp({ backend, config: { resourceMaxBytes: maxBytes } });
    admin = await t.signIn('admin');
    learner = await t.signIn('learner');
    files = await realFiles();
    [{ name: adminName }] = await rows<{ name: string }>(sql`select name from people where email = ${demoAccounts.admin.email}`);
    for (const [key, account] of Object.entries(demoAccounts)) {
      [{ id: ids[key] }] = await rows<{ id: string }>(sql`select id from people where email = ${account.email}`);
      tokens[key] = (await createApiToken(t.db, { actor: null, clock: t.clock }, ids[key], 'resources')).token;
    }
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.db.execute(sql`delete from network_resource_downloads`);
    await t.db.execute(sql`delete from network_resources`);
    await t.db.execute(sql`delete from network_members`);
    // Removed behind the service's back (no audit event): the kept counts must hear of it.
    recordsChanged();
    fs.rmSync(t.config.resourcesDir, { recursive: true, force: true });
  });

  describe('uploading a file', () => {
    it.each(Object.keys(expectedTypes))('stores a real .%s file under a key of its own, typed from its bytes, and members download it as an attachment', async (ext) => {
      const name = `Register – “${ext}” file.${ext}`;
      const id = addedId(await add(admin, fields(), { name, content: files[ext] }));
      const [row] = await rows<{ contentType: string; sizeBytes: number; sha256: string; storageKey: string; fileName: string }>(
        sql`select content_type as "contentType", size_bytes as "sizeBytes", sha256, storage_key as "storageKey", file_name as "fileName" from network_resources where id = ${id}`,
      );
      expect(row).toMatchObject({ contentType: expectedTypes[ext], sizeBytes: files[ext].length, fileName: name });
      expect(row.sha256).toBe(crypto.createHash('sha256').update(files[ext]).digest('hex'));
      expect(row.storageKey).not.toContain(ext);
      expect(storedFiles()).toEqual([row.storageKey]);

      const res = await learner.get(`/networks/learners/resources/${id}/download`);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(files[ext])).toBe(true);
      expect(res.headers['content-type']).toContain(expectedTypes[ext]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="Register _ _${ext}_ file\\.${ext}"; filename\\*=UTF-8''`));
      expect(decodeURIComponent(String(res.headers['content-disposition']).split("UTF-8''")[1])).toBe(name);
      const [{ downloads, logged }] = await rows<{ downloads: number; logged: number }>(
        sql`select download_count as downloads, (select count(*)::int from network_resource_downloads d where d.resource_id = r.id and d.person_id = ${ids.learner}) as logged
            from network_resources r where id = ${id}`,
      );
      expect({ downloads, logged }).toEqual({ downloads: 1, logged: 1 });
    });

    it.each([
      ['a .pdf that is a ZIP archive', 'case-study.pdf', async () => plainZip(), 'The selected file is called .pdf but its contents are a ZIP archive'],
      ['a .docx that is a Windows program', 'toolkit.docx', async () => exeBytes(), 'The selected file is called .docx but its contents are a Windows program'],
      ['a .png that is a PDF', 'photo.png', async () => simplePdf('x', []), 'The selected file is called .png but its contents are a .pdf file'],
      ['a .csv with binary bytes', 'figures.csv', async () => Buffer.from([0x4b, 0x50, 0x49, 0x00, 0xff, 0xfe]), 'The selected file is called .csv but its contents are not a file type'],
      ['a .csv that is not UTF-8', 'figures.csv', async () => Buffer.from([0x4b, 0x50, 0x49, 0x2c, 0xa3, 0x35, 0x0a]), 'The selected file is called .csv but its contents are not a file type'],
      ['a .xlsx that is a plain ZIP', 'sheet.xlsx', async () => plainZip(), 'The selected file is called .xlsx but its contents are a ZIP archive'],
      ['an .exe, whatever it holds', 'setup.exe', async () => exeBytes(), 'The selected file must be a PDF, Word (.docx)'],
      ['a PDF named .html', 'page.html', async () => simplePdf('x', []), 'The selected file must be a PDF, Word (.docx)'],
      ['an empty file', 'empty.pdf', async () => Buffer.alloc(0), 'The selected file is empty'],
    ])('refuses %s with a clear error, writing nothing', async (_label, name, content, message) => {
      const res = await add(admin, fields(), { name, content: await content() });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain(message);
      expect(res.body).toContain('Building a contract register'); // the form keeps what was typed
      expect(await resourceCount()).toBe(0);
      expect(storedFiles()).toEqual([]);
    });

    it('refuses a file over the size limit, writing nothing', async () => {
      const big = simplePdf('Big', Array.from({ length: 4000 }, (_, i) => `Line ${i} of a long toolkit about contract management`));
      expect(big.length).toBeGreaterThan(maxBytes);
      const res = await add(admin, fields(), { name: 'big.pdf', content: big });
      expect(res.statusCode).toBe(400);
      expect(errorSummary(res.body)).toContain('The selected file must be smaller than 64 KB');
      expect(await resourceCount()).toBe(0);
      expect(storedFiles()).toEqual([]);
    });

    it('writes nothing for an upload cut off half way', async () => {
      const { payload, contentType } = multipartBody({ _csrf: await admin.csrf('/account'), ...fields() }, { name: 'case.pdf', content: files.pdf });
      const res = await t.app.inject({
        method: 'POST',
        url: '/networks/learners/resources',
        payload: payload.subarray(0, payload.length - 200),
        headers: { 'content-type': contentType, cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(await resourceCount()).toBe(0);
      expect(storedFiles()).toEqual([]);
    });

    it('asks for a file or a link, not both and not neither, and lists every problem at once', async () => {
      const neither = await add(admin, fields({ title: '', type: '' }), null);
      expect(neither.statusCode).toBe(400);
      const summary = errorSummary(neither.body);
      expect(summary).toContain('Enter a title');
      expect(summary).toContain('Select the type of resource');
      expect(summary).toContain('Select a file to upload, or give a link');
      const both = await add(admin, fields({ link: 'https://www.example.gov.uk/register' }), { name: 'case.pdf', content: files.pdf });
      expect(errorSummary(both.body)).toContain('Upload a file or give a link, not both');
      expect(await resourceCount()).toBe(0);
      expect(storedFiles()).toEqual([]);
    });

    it('refuses HTML or script in the text and links that are not https', async () => {
      const res = await add(admin, fields({ title: '<script>alert(1)</script>', summary: 'Read <a href="x">this</a>', tags: '<b>kpis</b>', link: 'javascript:alert(1)' }), null);
      expect(res.statusCode).toBe(400);
      const summary = errorSummary(res.body);
      expect(summary).toContain('Title must be plain text, without HTML or script');
      expect(summary).toContain('Summary must be plain text');
      expect(summary).toContain('Tags must be plain text');
      expect(summary).toContain('Enter a link that starts with https://');
      for (const link of ['http://www.example.gov.uk/case', 'ftp://example.gov.uk/x', 'https://user:pw@example.gov.uk/x', 'not a link']) {
        expect(errorSummary((await add(admin, fields({ link }), null)).body), link).toContain('Enter a link that starts with https://');
      }
      expect(await resourceCount()).toBe(0);
    });
  });

  describe('links', () => {
    it('records the click, then sends the member to the link', async () => {
      const id = addedId(await add(admin, fields({ link: 'https://www.example.gov.uk/contract-register?year=2026' }), null));
      const res = await learner.get(`/networks/learners/resources/${id}/download`);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('https://www.example.gov.uk/contract-register?year=2026');
      const apiRes = await api('learner', `/api/v1/network-resources/${id}/download`);
      expect(apiRes.statusCode).toBe(303);
      const [{ downloads }] = await rows<{ downloads: number }>(sql`select download_count as downloads from network_resources where id = ${id}`);
      expect(downloads).toBe(2);
      expect((await rows(sql`select 1 from network_resource_downloads where resource_id = ${id}`)).length).toBe(2);
    });
  });

  describe('who may download', () => {
    let sroOnly: string;
    let both: string;
    beforeEach(async () => {
      sroOnly = addedId(await add(admin, fields({ title: 'SRO briefing', networks: ['sro'] }), { name: 'briefing.pdf', content: files.pdf }, 'sro'));
      both = addedId(await add(admin, fields({ title: 'Shared toolkit', networks: ['learners', 'sro'] }), { name: 'toolkit.pdf', content: files.pdf }));
    });

    it('keeps a resource of the other network out of sight: 404 on the pages and the API', async () => {
      expect((await learner.get(`/networks/learners/resources/${sroOnly}`)).statusCode).toBe(404);
      expect((await learner.get(`/networks/learners/resources/${sroOnly}/download`)).statusCode).toBe(404);
      expect((await learner.get(`/networks/sro/resources/${sroOnly}/download`)).statusCode).toBe(404);
      expect((await api('learner', `/api/v1/network-resources/${sroOnly}/download`)).statusCode).toBe(404);
      expect((await api('specialist', `/api/v1/network-resources/${both}/download`)).statusCode).toBe(404);
      const sro = await t.signIn('sro');
      expect((await sro.get(`/networks/sro/resources/${sroOnly}/download`)).statusCode).toBe(200);
      expect((await api('sro', `/api/v1/network-resources/${sroOnly}/download`)).statusCode).toBe(200);
      // Even an admin reaches it only through a network it is shared with.
      expect((await admin.get(`/networks/learners/resources/${sroOnly}`)).statusCode).toBe(404);
    });

    it('lets programme staff who are not members see a resource but not download it (403)', async () => {
      const partner = await t.signIn('partnerLp');
      const page = await partner.get(`/networks/learners/resources/${both}`);
      expect(page.statusCode).toBe(200);
      expect(text(page.body)).toContain('Only members of the networks this resource is shared with can download it');
      expect((await partner.get(`/networks/learners/resources/${both}/download`)).statusCode).toBe(403);
      const apiRes = await api('partnerLp', `/api/v1/network-resources/${both}/download`);
      expect(apiRes.statusCode).toBe(403);
      expect(apiRes.headers['content-type']).toContain('application/problem+json');
      expect((await admin.get(`/networks/sro/resources/${both}/download`)).statusCode).toBe(200);
      const [{ downloads }] = await rows<{ downloads: number }>(sql`select download_count as downloads from network_resources where id = ${both}`);
      expect(downloads).toBe(1);
    });

    it('answers 404 for a resource whose file has gone missing, counting nothing', async () => {
      fs.rmSync(t.config.resourcesDir, { recursive: true, force: true });
      expect((await learner.get(`/networks/learners/resources/${both}/download`)).statusCode).toBe(404);
      expect((await rows(sql`select 1 from network_resource_downloads`)).length).toBe(0);
    });
  });

  describe('managing resources', () => {
    it('lets only admins and the network’s facilitators add, edit and delete', async () => {
      expect((await learner.get('/networks/learners/resources/new')).statusCode).toBe(403);
      expect((await add(learner, fields(), { name: 'case.pdf', content: files.pdf })).statusCode).toBe(403);
      expect((await (await t.signIn('specialist')).get('/networks/learners/resources/new')).statusCode).toBe(404);
      // A facilitator of the Learners Network adds to it, but cannot share with the SRO Network.
      const [{ id: facilitatorId, email }] = await rows<{ id: string; email: string }>(
        sql`select id, email from people where status = 'active' and 'specialist' = any(roles) and email <> ${demoAccounts.specialist.email} order by id limit 1`,
      );
      await t.db.execute(sql`insert into network_members (network, person_id, role, added_at) values ('learners', ${facilitatorId}, 'facilitator', now())`);
      await t.db.execute(sql`update people set password_hash = (select password_hash from people where id = ${ids.admin}) where id = ${facilitatorId}`);
      const facilitator = await t.signIn(email);
      expect((await facilitator.get('/networks/learners/resources/new')).statusCode).toBe(200);
      const refused = await add(facilitator, fields({ networks: ['learners', 'sro'] }), { name: 'case.pdf', content: files.pdf });
      expect(errorSummary(refused.body)).toContain('You can only share resources with the networks you facilitate: not the SRO Network');
      const own = addedId(await add(facilitator, fields(), { name: 'case.pdf', content: files.pdf }));
      expect((await facilitator.get(`/networks/learners/resources/${own}/edit`)).statusCode).toBe(200);
      const shared = addedId(await add(admin, fields({ networks: ['learners', 'sro'] }), { name: 'case.pdf', content: files.pdf }));
      expect((await facilitator.get(`/networks/learners/resources/${shared}/edit`)).statusCode).toBe(403);
      expect((await facilitator.submit(`/networks/learners/resources/${shared}/delete`, {})).statusCode).toBe(403);
      expect((await learner.submit(`/networks/learners/resources/${own}/delete`, {})).statusCode).toBe(403);
      expect(await resourceCount()).toBe(2);
    });

    it('edits the details over the version read (a stale edit is refused with 409) and audits the change', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      const form = { ...fields({ title: 'Building a contract register in 90 days', tags: 'kpis, Registers' }), version: '1' };
      const saved = await admin.submit(`/networks/learners/resources/${id}/edit`, form);
      expect(saved.statusCode).toBe(303);
      const [row] = await rows<{ title: string; tags: string[]; version: number }>(sql`select title, tags, version from network_resources where id = ${id}`);
      expect(row).toEqual({ title: 'Building a contract register in 90 days', tags: ['kpis', 'registers'], version: 2 });
      const stale = await admin.submit(`/networks/learners/resources/${id}/edit`, { ...form, title: 'Someone else’s title' });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this resource');
      const sentences = await auditSentences('network-resource.created', 'network-resource.updated');
      expect(sentences).toContain(`${adminName} added the case study “Building a contract register” to the resource library of the Learners Network.`);
      expect(sentences.find((s) => s.startsWith(`${adminName} edited the resource`))).toBe(
        `${adminName} edited the resource “Building a contract register in 90 days”: title from Building a contract register to Building a contract register in 90 days; tags from contract register, kpis to kpis, registers.`,
      );
    });

    it('refuses an edit or a new file whose version cannot be read (a damaged form), changing nothing', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      const stored = async () => (await rows<{ title: string; version: number; storage_key: string }>(sql`select title, version, storage_key from network_resources where id = ${id}`))[0];
      const before = await stored();
      for (const version of ['one', '1.5', '0']) {
        const edit = await admin.submit(`/networks/learners/resources/${id}/edit`, { ...fields({ title: 'Over anything' }), version });
        expect(edit.statusCode, version).toBe(400);
        expect(errorSummary(edit.body)).toContain('Nothing was changed: the form did not send the version this page gave it');
        expect(edit.body).toMatch(/name="title"[^>]*value="Over anything"/);
        expect(formVersion(edit.body)).toBe(String(before.version));
        const file = await postFile(admin, `/networks/learners/resources/${id}/file`, { version }, { name: 'new.pdf', content: files.pdf });
        expect(file.statusCode, version).toBe(400);
        expect(errorSummary(file.body)).toContain('Nothing was changed: the form did not send the version this page gave it');
        expect(formVersion(file.body)).toBe(String(before.version));
      }
      expect(await stored()).toEqual(before);
    });

    it('after a stale edit the form comes back with what was typed over the resource as it is now, so saving it again works', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      const url = `/networks/learners/resources/${id}/edit`;
      const read = formVersion((await admin.get(url)).body)!;
      // Someone else saves from their own read first.
      const other = await t.signIn('admin');
      const theirs = await other.submit(url, { ...fields({ summary: 'Their summary.' }), version: formVersion((await other.get(url)).body)! });
      expect(theirs.statusCode, errorSummary(theirs.body)).toBe(303);
      const stored = async () => (await rows<{ title: string; summary: string; tags: string[]; version: number }>(sql`select title, summary, tags, version from network_resources where id = ${id}`))[0];
      const audits = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from audit_events`))[0].n;
      const before = await stored();
      const auditsBefore = await audits();

      // The save from the first read: refused, nothing written, the form back with what was typed.
      const mine = { ...fields({ title: 'My title', tags: 'mine, registers' }), version: read };
      const stale = await admin.submit(url, mine);
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this resource');
      expect(stale.body).toMatch(/name="title"[^>]*value="My title"/);
      expect(stale.body).toMatch(/name="tags"[^>]*value="mine, registers"/);
      expect(await stored()).toEqual(before);
      expect(await audits()).toBe(auditsBefore);
      // It carries the version now stored: sent again as shown, it saves.
      expect(formVersion(stale.body)).toBe(String(before.version));
      const again = await admin.submit(url, { ...mine, version: formVersion(stale.body)! });
      expect(again.statusCode, errorSummary(again.body)).toBe(303);
      expect(await stored()).toEqual({ title: 'My title', summary: fields().summary, tags: ['mine', 'registers'], version: before.version + 1 });
      expect(await audits()).toBe(auditsBefore + 1);
    });

    it('offers a new tag in the tag filter on the very next page after a save, and drops one no resource has any more', async () => {
      const tagOptions = async () => [...(await admin.get('/networks/learners/resources')).body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]).filter(Boolean);
      const id = addedId(await add(admin, fields({ tags: 'exit planning' }), { name: 'case.pdf', content: files.pdf }));
      expect(await tagOptions()).toContain('exit planning');
      const saved = await admin.submit(`/networks/learners/resources/${id}/edit`, { ...fields({ tags: 'supplier days' }), version: '1' });
      expect(saved.statusCode).toBe(303);
      const after = await tagOptions();
      expect(after).toContain('supplier days');
      expect(after).not.toContain('exit planning');
    });

    it('deletes after confirmation: the row, its file and not its download log', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      await learner.get(`/networks/learners/resources/${id}/download`);
      const confirm = await admin.get(`/networks/learners/resources/${id}/delete`);
      expect(text(confirm.body)).toContain('Are you sure you want to delete Building a contract register?');
      expect(storedFiles()).toHaveLength(1);
      const res = await admin.submit(`/networks/learners/resources/${id}/delete`, {});
      expect(res.statusCode).toBe(303);
      expect(await resourceCount()).toBe(0);
      expect(storedFiles()).toEqual([]);
      expect(await rows(sql`select resource_id, person_id from network_resource_downloads`)).toEqual([{ resource_id: null, person_id: ids.learner }]);
      // The learner's subject access export still lists the download, without the resource.
      expect((await subjectRecords(t.db, ids.learner, [demoAccounts.learner.email])).resource_downloads).toEqual([{ resource: null, downloadedAt: expect.any(String) }]);
      expect(await auditSentences('network-resource.deleted')).toEqual([
        `${adminName} deleted the case study “Building a contract register” from the resource library of the Learners Network.`,
      ]);
      expect((await admin.get(`/networks/learners/resources/${id}`)).statusCode).toBe(404);
    });
  });

  describe('replacing a file in place', () => {
    it('puts the new file at the same address, keeps the details and downloads, deletes the old file and audits it', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      await learner.get(`/networks/learners/resources/${id}/download`);
      const [before] = await rows<{ storage_key: string }>(sql`select storage_key from network_resources where id = ${id}`);
      expect((await admin.get(`/networks/learners/resources/${id}/edit`)).body).toContain(`/networks/learners/resources/${id}/file`);
      const page = await admin.get(`/networks/learners/resources/${id}/file`);
      expect(text(page.body)).toContain('The file now is case.pdf');
      const res = await postFile(admin, `/networks/learners/resources/${id}/file`, { version: '1' }, { name: 'register.xlsx', content: files.xlsx });
      expect(res.statusCode, errorSummary(res.body)).toBe(303);
      expect(res.headers.location).toBe(`/networks/learners/resources/${id}?done=replaced`);
      const [after] = await rows<{ storage_key: string; file_name: string; content_type: string; download_count: number; title: string; version: number }>(
        sql`select storage_key, file_name, content_type, download_count, title, version from network_resources where id = ${id}`,
      );
      expect(after).toMatchObject({ file_name: 'register.xlsx', content_type: expectedTypes.xlsx, download_count: 1, title: 'Building a contract register', version: 2 });
      expect(after.storage_key).not.toBe(before.storage_key);
      expect(storedFiles()).toHaveLength(1);
      const download = await learner.get(`/networks/learners/resources/${id}/download`);
      expect(download.rawPayload.equals(files.xlsx)).toBe(true);
      expect(await auditSentences('network-resource.file-replaced')).toEqual([`${adminName} replaced the file of the resource “Building a contract register”: case.pdf with register.xlsx.`]);
    });

    it('refuses a file that lies, no file, a stale version (409), a link resource or another network’s (404) and a member who may not manage it (403), changing nothing', async () => {
      const id = addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
      const url = `/networks/learners/resources/${id}/file`;
      const replacedBefore = (await auditSentences('network-resource.file-replaced')).length;
      const unchanged = async () => {
        expect(await rows(sql`select file_name, version from network_resources where id = ${id}`)).toEqual([{ file_name: 'case.pdf', version: 1 }]);
        expect(storedFiles()).toHaveLength(1);
      };
      const lying = await postFile(admin, url, { version: '1' }, { name: 'report.pdf', content: exeBytes() });
      expect(lying.statusCode).toBe(400);
      expect(errorSummary(lying.body)).toMatch(/\S/);
      await unchanged();
      const none = await postFile(admin, url, { version: '1' }, null);
      expect(errorSummary(none.body)).toContain('Select a file to upload');
      await unchanged();
      // Someone saved the details meanwhile: the replacement names the version it read and is refused.
      expect((await admin.submit(`/networks/learners/resources/${id}/edit`, { ...fields({ title: 'Renamed' }), version: '1' })).statusCode).toBe(303);
      const stale = await postFile(admin, url, { version: '1' }, { name: 'register.xlsx', content: files.xlsx });
      expect(stale.statusCode).toBe(409);
      expect(errorSummary(stale.body)).toContain('Someone else changed this resource');
      expect(await rows(sql`select file_name, version from network_resources where id = ${id}`)).toEqual([{ file_name: 'case.pdf', version: 2 }]);
      expect(storedFiles()).toHaveLength(1);
      expect((await postFile(learner, url, { version: '2' }, { name: 'register.xlsx', content: files.xlsx })).statusCode).toBe(403);
      expect((await learner.get(url)).statusCode).toBe(403);
      const link = addedId(await add(admin, fields({ link: 'https://www.example.gov.uk/guide' }), null));
      expect((await admin.get(`/networks/learners/resources/${link}/file`)).statusCode).toBe(404);
      // A resource of the other network, asked for under this one, is not there.
      const sroOnly = addedId(await add(admin, fields({ networks: ['sro'] }), { name: 'sro.pdf', content: files.pdf }, 'sro'));
      expect((await postFile(admin, `/networks/learners/resources/${sroOnly}/file`, { version: '1' }, { name: 'register.xlsx', content: files.xlsx })).statusCode).toBe(404);
      expect(await rows(sql`select file_name from network_resources where id = ${sroOnly}`)).toEqual([{ file_name: 'sro.pdf' }]);
      expect(storedFiles()).toHaveLength(2);
      expect(await auditSentences('network-resource.file-replaced')).toHaveLength(replacedBefore);
    });
  });

  describe('search, filters, sort and pages', () => {
    /** Resources written straight to the table, added a day apart (the newest last), as links. */
    const insert = async (items: { title: string; summary?: string; tags?: string[]; type?: string; networks?: string[]; downloads?: number }[]) => {
      for (const [i, r] of items.entries()) {
        await t.db.execute(sql`insert into network_resources (title, summary, type, tags, networks, link_url, created_at, updated_at, download_count)
          values (${r.title}, ${r.summary ?? 'A resource.'}, ${r.type ?? 'toolkit'}, ${pgArray(r.tags ?? [])}::text[], ${pgArray(r.networks ?? ['learners'])}::text[],
            'https://www.example.gov.uk/r', ${new Date(Date.UTC(2026, 0, 1 + i))}, now(), ${r.downloads ?? 0})`);
      }
    };
    const titles = (body: string) => [...body.matchAll(/<h2 class="govuk-heading-s[^"]*"><a class="govuk-link" href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

    it('finds resources by tag and by words of their summary (word forms too), filters by type and tag, and keeps to the network', async () => {
      await insert([
        { title: 'Supplier relationship toolkit', summary: 'Meeting suppliers every quarter.', tags: ['srm'] },
        { title: 'KPI template', summary: 'Three KPIs for contracts over £5m.', tags: ['kpis', 'procurement act'], type: 'template' },
        { title: 'Exit planning', summary: 'Managing the end of a contract.', tags: ['exit'], type: 'case_study' },
        { title: 'SRO governance pack', summary: 'Boards and suppliers.', tags: ['kpis'], networks: ['sro'] },
      ]);
      const find = async (qs: string) => titles((await learner.get(`/networks/learners/resources?${qs}`)).body);
      expect(await find('q=supplier')).toEqual(['Supplier relationship toolkit']);
      expect(await find('q=procurement+act')).toEqual(['KPI template']);
      expect(await find('q=managed+ending')).toEqual(['Exit planning']);
      expect(await find('tag=KPIs')).toEqual(['KPI template']);
      expect(await find('type=case_study')).toEqual(['Exit planning']);
      expect(await find('q=kpis&type=toolkit')).toEqual([]);
      const none = await learner.get('/networks/learners/resources?q=asbestos');
      expect(text(none.body)).toContain('No resources found');
      const sro = await t.signIn('sro');
      expect(titles((await sro.get('/networks/sro/resources?tag=kpis')).body)).toEqual(['SRO governance pack']);
      // The API searches the same way, across the networks the caller sees.
      const res = await api('learner', '/api/v1/network-resources?q=suppliers');
      expect(res.json().data.map((r: { title: string }) => r.title)).toEqual(['Supplier relationship toolkit']);
      const adminRes = await api('admin', '/api/v1/network-resources?q=suppliers&sort=newest');
      expect(adminRes.json().data.map((r: { title: string }) => r.title)).toEqual(['SRO governance pack', 'Supplier relationship toolkit']);
      expect((await api('admin', '/api/v1/network-resources?network=sro')).json().meta.total).toBe(1);
    });

    it('sorts by downloads or newest, and pages through every resource exactly once', async () => {
      await insert(Array.from({ length: 45 }, (_, i) => ({ title: `Resource ${String(i).padStart(2, '0')}`, downloads: i % 4 })));
      const seen: string[] = [];
      for (let page = 1; page <= 3; page++) seen.push(...titles((await learner.get(`/networks/learners/resources?sort=downloads&page=${page}`)).body));
      expect(seen).toHaveLength(45);
      expect(new Set(seen).size).toBe(45);
      const counts = seen.map((s) => Number(s.slice(-2)) % 4);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      const newest = titles((await learner.get('/networks/learners/resources')).body);
      expect(newest.slice(0, 3)).toEqual(['Resource 44', 'Resource 43', 'Resource 42']);
      // The API, with a page size that does not divide the total and ties in downloads.
      const apiSeen: string[] = [];
      for (let page = 1; page <= 7; page++) {
        const body = (await api('learner', `/api/v1/network-resources?sort=downloads&pageSize=7&page=${page}`)).json();
        expect(body.meta).toEqual({ total: 45, page, pageSize: 7 });
        apiSeen.push(...body.data.map((r: { title: string }) => r.title));
      }
      expect(apiSeen).toEqual(seen);
    });

    it('pages through a tag’s resources in either order, each once, shared with one network or both', async () => {
      // Every third resource has the tag; every fifth is shared with both networks; the SRO-only ones stay out.
      await insert(
        Array.from({ length: 90 }, (_, i) => ({
          title: `Tagged ${String(i).padStart(2, '0')}`,
          tags: i % 3 === 0 ? ['exit', 'kpis'] : ['exit'],
          networks: i % 5 === 0 ? ['learners', 'sro'] : i % 7 === 0 ? ['sro'] : ['learners'],
          downloads: i % 2,
        })),
      );
      const expected = Array.from({ length: 90 }, (_, i) => i).filter((i) => i % 3 === 0 && (i % 5 === 0 || i % 7 !== 0));
      for (const sort of ['newest', 'downloads']) {
        const seen: string[] = [];
        for (let page = 1; page <= 2; page++) seen.push(...titles((await learner.get(`/networks/learners/resources?tag=kpis&sort=${sort}&page=${page}`)).body));
        const numbers = seen.map((s) => Number(s.slice(-2)));
        expect(new Set(numbers).size).toBe(numbers.length);
        expect([...numbers].sort((a, b) => a - b)).toEqual(expected);
        // Newest first: later inserts are newer. By downloads: the odd ones (1 download) first, newest first within.
        const order = sort === 'newest' ? [...expected].reverse() : [...expected.filter((i) => i % 2).reverse(), ...expected.filter((i) => !(i % 2)).reverse()];
        expect(numbers).toEqual(order);
      }
    });
  });

  describe('the API', () => {
    it('walks 401 → 400 → 403 → 200', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/network-resources' })).statusCode).toBe(401);
      const bad = await api('learner', '/api/v1/network-resources?sort=popular');
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect((await api('specialist', '/api/v1/network-resources')).statusCode).toBe(403);
      expect((await api('funder', '/api/v1/network-resources')).statusCode).toBe(403);
      expect((await api('learner', '/api/v1/network-resources')).json()).toEqual({ data: [], meta: { total: 0, page: 1, pageSize: 50 } });
      expect((await api('learner', '/api/v1/network-resources/not-an-id/download')).statusCode).toBe(404);
    });

    it('describes a resource with what a client needs to fetch it', async () => {
      const id = addedId(await add(admin, fields(), { name: 'register.pdf', content: files.pdf }));
      const [item] = (await api('learner', '/api/v1/network-resources')).json().data;
      expect(item).toMatchObject({
        id,
        type: 'case_study',
        tags: ['contract register', 'kpis'],
        networks: ['learners'],
        kind: 'file',
        file: { name: 'register.pdf', contentType: 'application/pdf', size: files.pdf.length },
        link: null,
        downloads: 0,
        downloadUrl: `/api/v1/network-resources/${id}/download`,
      });
      const res = await api('learner', item.downloadUrl);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-disposition']).toContain('attachment; filename="register.pdf"');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  it('seeds a demo library whose files are what they say they are, and downloadable', async () => {
    await seedDemoResources(t.db, t.clock, filesystemStorage(t.config.resourcesDir), 2021);
    const seeded = await rows<{ id: string; fileName: string | null; contentType: string | null; storageKey: string | null; sha256: string | null; networks: string[]; downloads: number; logged: number }>(
      sql`select r.id, file_name as "fileName", content_type as "contentType", storage_key as "storageKey", sha256, networks, download_count as downloads,
            (select count(*)::int from network_resource_downloads d where d.resource_id = r.id) as logged from network_resources r`,
    );
    expect(seeded.filter((r) => r.storageKey).length).toBeGreaterThanOrEqual(2);
    expect(seeded.filter((r) => !r.storageKey).length).toBeGreaterThanOrEqual(2);
    for (const r of seeded) {
      expect(r.logged).toBe(r.downloads);
      if (!r.storageKey) continue;
      const bytes = fs.readFileSync(path.join(t.config.resourcesDir, r.storageKey));
      expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(r.sha256);
      const detected = await detectFile(bytes, r.fileName!);
      expect(detected.ok && detected.type.contentType, r.fileName!).toBe(r.contentType);
      if (r.networks.includes('learners')) expect((await learner.get(`/networks/learners/resources/${r.id}/download`)).rawPayload.equals(bytes)).toBe(true);
    }
  });

  it('shows the latest resources on the network’s home page', async () => {
    expect(text((await learner.get('/networks/learners')).body)).toContain('Nothing has been shared with this network yet');
    addedId(await add(admin, fields(), { name: 'case.pdf', content: files.pdf }));
    const home = text((await learner.get('/networks/learners')).body);
    expect(home).toContain('Latest resources Building a contract register Case study');
  });
});
