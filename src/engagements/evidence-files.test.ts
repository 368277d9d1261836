import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, errorSummary, type Agent, type TestApp } from '../../test/helpers.ts';
import { exeBytes, storedFiles as listStoredFiles } from '../../test/resource-files.ts';
import { queryRows } from '../db/client.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { simplePdf } from '../db/seed/simple-pdf.ts';
import { paths } from '../web/paths.ts';
import { loadActor } from '../auth/repository.ts';
import { councilScope } from '../auth/policy.ts';
import { fixedClock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { filesystemStorage } from '../files/storage.ts';
import { ConflictError } from '../web/errors.ts';
import * as service from './service.ts';

/** Files as evidence for an engagement's action (src/files, docs/engagements.md). */
describe.each(backends)('action evidence files (%s)', (backend) => {
  let t: TestApp;
  let admin: Agent;
  let specialist: Agent;
  let sro: Agent;
  let funder: Agent;
  let own: { engagement: string; action: string; other: string };
  let foreign: { engagement: string; action: string };
  const one = async <T>(q: ReturnType<typeof sql>) => (await queryRows<T>(t.db, q))[0];
  const fileCount = async () => (await one<{ n: number }>(sql`select count(*)::int as n from evidence_files`)).n;

  beforeAll(async () => {
    t = await createTestApp({ backend, config: { resourceMaxBytes: 50_000 } });
    [admin, specialist, sro, funder] = await Promise.all(['admin', 'specialist', 'sro', 'funder'].map((who) => t.signIn(who)));
    const council = (await one<{ id: string }>(sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`)).id;
    const lead = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.specialist.email}`)).id;
    const actions = await queryRows<{ engagement: string; action: string }>(
      t.db,
      sql`select e.id as engagement, a.id as action from engagement_actions a join engagements e on e.id = a.engagement_id
        where e.council_id = ${council} and e.lead_specialist_id = ${lead} order by a.due_date, a.id limit 2`,
    );
    own = { ...actions[0], other: actions[1].action };
    foreign = await one(sql`select e.id as engagement, a.id as action from engagement_actions a join engagements e on e.id = a.engagement_id
      where e.council_id <> ${council} and e.lead_specialist_id <> ${lead} order by a.id limit 1`);
  });
  afterAll(async () => t?.close());

  const upload = (agent: Agent, at: { engagement: string; action: string }, file: { name: string; content: Buffer }) =>
    agent.upload(paths.engagementActionEvidenceFiles(at.engagement, at.action), {}, file);
  const pdf = () => ({ name: 'Workshop notes.pdf', content: simplePdf('Workshop', ['Contract register agreed']) });

  it('lets the specialist on the engagement upload a file the council’s SRO then downloads as an attachment, audited', async () => {
    const file = pdf();
    const res = await upload(specialist, own, file);
    expect(res.statusCode, errorSummary(res.body)).toBe(303);
    const fileId = (await one<{ id: string }>(sql`select id from evidence_files where action_id = ${own.action}`)).id;
    const page = await sro.get(paths.engagementAction(own.engagement, own.action));
    expect(page.body).toContain(`href="${paths.engagementActionEvidenceFile(own.engagement, own.action, fileId)}"`);
    expect(page.body).not.toContain('Upload a file as evidence');
    const download = await sro.get(paths.engagementActionEvidenceFile(own.engagement, own.action, fileId));
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="Workshop notes.pdf"/);
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expect(download.rawPayload.equals(file.content)).toBe(true);
    expect((await admin.get(paths.audit())).body).toMatch(/added the file “Workshop notes.pdf” \(PDF, [^)]+\) as evidence to the action/);
    // Under another action of the same engagement, the file is not found.
    expect((await sro.get(paths.engagementActionEvidenceFile(own.engagement, own.other, fileId))).statusCode).toBe(404);
  });

  it('refuses a file that lies about its type, writing nothing', async () => {
    const before = await fileCount();
    const res = await upload(specialist, own, { name: 'notes.pdf', content: exeBytes() });
    expect(res.statusCode).toBe(400);
    expect(errorSummary(res.body)).toContain('The selected file is called .pdf but its contents are a Windows program');
    expect(await fileCount()).toBe(before);
  });

  it('refuses the SRO (403), hides other councils’ actions (404) and lets funders see nothing (404)', async () => {
    const before = await fileCount();
    expect((await upload(sro, own, pdf())).statusCode).toBe(403);
    expect((await upload(specialist, foreign, pdf())).statusCode).toBe(404);
    expect((await upload(funder, own, pdf())).statusCode).toBe(404);
    expect(await fileCount()).toBe(before);
    const foreignFile = await one<{ id: string }>(sql`insert into evidence_files (action_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
      values (${foreign.action}, 'cd/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd', 'theirs.pdf', 'application/pdf', 10, 'x', now()) returning id`);
    expect((await sro.get(paths.engagementActionEvidenceFile(foreign.engagement, foreign.action, foreignFile.id))).statusCode).toBe(404);
    expect((await sro.get(paths.engagementActionEvidenceFile(own.engagement, own.action, foreignFile.id))).statusCode).toBe(404);
  });

  describe('removing one', () => {
    const stored = (key: string) => listStoredFiles(t.config.resourcesDir).some((f) => f.endsWith(key.split('/')[1]));
    const withFile = async (at: { engagement: string; action: string }, name: string) => {
      const res = await upload(specialist, at, { name, content: simplePdf('Draft', ['x']) });
      expect(res.statusCode, errorSummary(res.body)).toBe(303);
      return one<{ id: string; key: string }>(sql`select id, storage_key as key from evidence_files where action_id = ${at.action} and file_name = ${name}`);
    };
    const rowCount = async (id: string) => (await one<{ n: number }>(sql`select count(*)::int as n from evidence_files where id = ${id}`)).n;

    it('lets the specialist on the engagement remove a file after confirming: the row and the stored file gone, audited', async () => {
      const file = await withFile(own, 'Old agenda.pdf');
      const removeHref = paths.engagementActionEvidenceFileRemove(own.engagement, own.action, file.id);
      expect((await specialist.get(paths.engagementAction(own.engagement, own.action))).body).toContain(`href="${removeHref}"`);
      const confirm = await specialist.get(removeHref);
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain('Are you sure you want to remove Old agenda.pdf?');
      const res = await specialist.submit(removeHref, {});
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`${paths.engagementAction(own.engagement, own.action)}?done=evidence-file-removed#evidence`);
      expect(await rowCount(file.id)).toBe(0);
      expect(stored(file.key)).toBe(false);
      expect((await specialist.get(`${paths.engagementAction(own.engagement, own.action)}?done=evidence-file-removed`)).body).toContain('Evidence file removed');
      expect((await admin.get(paths.audit())).body).toMatch(/removed the evidence file “Old agenda.pdf” \(PDF, [^)]+\) from the action/);
    });

    it('refuses the SRO (403), without the CSRF token (403), another council’s file and the funder (404), removing nothing', async () => {
      const file = await withFile(own, 'Keep me.pdf');
      const removeHref = paths.engagementActionEvidenceFileRemove(own.engagement, own.action, file.id);
      expect((await sro.get(paths.engagementAction(own.engagement, own.action))).body).not.toContain(removeHref);
      expect((await sro.get(removeHref)).statusCode).toBe(403);
      expect((await sro.submit(removeHref, {})).statusCode).toBe(403);
      expect((await funder.submit(removeHref, {})).statusCode).toBe(404);
      const cookie = [...specialist.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      expect((await t.app.inject({ method: 'POST', url: removeHref, payload: {}, headers: { cookie } })).statusCode).toBe(403);
      // Under another action of the same engagement, the file is not found.
      expect((await specialist.submit(paths.engagementActionEvidenceFileRemove(own.engagement, own.other, file.id), {})).statusCode).toBe(404);
      const foreignFile = await one<{ id: string }>(sql`insert into evidence_files (action_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
        values (${foreign.action}, 'ef/efefefefefefefefefefefefefefefef', 'theirs.pdf', 'application/pdf', 10, 'x', now()) returning id`);
      expect((await specialist.submit(paths.engagementActionEvidenceFileRemove(foreign.engagement, foreign.action, foreignFile.id), {})).statusCode).toBe(404);
      expect(await rowCount(file.id)).toBe(1);
      expect(await rowCount(foreignFile.id)).toBe(1);
      expect(stored(file.key)).toBe(true);
    });

    it('refuses once the action is done and the engagement’s completion signed off (409), and offers no remove link', async () => {
      const file = await withFile({ engagement: own.engagement, action: own.other }, 'Final report.pdf');
      const removeHref = paths.engagementActionEvidenceFileRemove(own.engagement, own.other, file.id);
      await t.db.execute(sql`update engagement_actions set status = 'done' where id = ${own.other}`);
      // Done but not yet signed off: still removable (the page offers it).
      expect((await specialist.get(paths.engagementAction(own.engagement, own.other))).body).toContain(removeHref);
      await t.db.execute(sql`update engagements set completion_signed_off_at = now() where id = ${own.engagement}`);
      expect((await specialist.get(paths.engagementAction(own.engagement, own.other))).body).not.toContain(removeHref);
      expect((await specialist.get(removeHref)).statusCode).toBe(409);
      const res = await admin.submit(removeHref, {});
      expect(res.statusCode).toBe(409);
      expect(res.body).toContain('cannot be changed');
      expect(await rowCount(file.id)).toBe(1);
      expect(stored(file.key)).toBe(true);
    });
    it('refuses when the completion is signed off between the check and the removal, and removes nothing', async () => {
      const file = await one<{ id: string }>(sql`insert into evidence_files (action_id, storage_key, file_name, content_type, size_bytes, sha256, added_at)
        values (${foreign.action}, 'ab/abababababababababababababababab', 'Signed off meanwhile.pdf', 'application/pdf', 10, 'x', now()) returning id`);
      const adminId = (await one<{ id: string }>(sql`select id from people where email = ${demoAccounts.admin.email}`)).id;
      const actor = (await loadActor(t.db, adminId))!;
      const ctx = { actor, requestId: 'race', ip: '127.0.0.1', clock: fixedClock(new Date('2026-11-20T10:00:00Z')) };
      // The action is done and the engagement's completion signed off just as the removal's transaction begins.
      const signingOffMeanwhile = new Proxy(t.db, {
        get(target, prop) {
          if (prop === 'transaction') {
            return async (...args: Parameters<Db['transaction']>) => {
              await t.db.execute(sql`update engagement_actions set status = 'done' where id = ${foreign.action}`);
              await t.db.execute(sql`update engagements set completion_signed_off_at = now() where id = ${foreign.engagement}`);
              return target.transaction(...args);
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const deps = { db: signingOffMeanwhile, storage: filesystemStorage(t.config.resourcesDir), maxBytes: 50_000 };
      await expect(service.removeEvidenceFile(deps, ctx, councilScope(actor), foreign.engagement, foreign.action, file.id)).rejects.toBeInstanceOf(ConflictError);
      expect(await rowCount(file.id)).toBe(1);
    });
  });
});
