import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, createTestApp, type TestApp } from '../../test/helpers.ts';
import { demoAccounts } from '../db/seed/demo.ts';
import { queryRows } from '../db/client.ts';
import { createApiToken } from '../auth/service.ts';
import { contractManagementFramework } from './framework.ts';

type Who = 'admin' | 'sro' | 'specialist' | 'funder' | 'partnerLp';
const areaKeys = contractManagementFramework.blocks.flatMap((b) => b.areas.map((a) => a.key));

describe.each(backends)('maturity assessments API (%s)', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Who, string>;
  let councilId: string;
  let otherCouncilId: string;

  beforeAll(async () => {
    t = await createTestApp({ backend });
    for (const who of ['admin', 'sro', 'specialist', 'funder', 'partnerLp'] as const) {
      const [person] = await queryRows<{ id: string }>(t.db, sql`select id from people where email = ${demoAccounts[who].email}`);
      tokens[who] = (await createApiToken(t.db, { actor: null, clock: t.clock }, person.id, 'test')).token;
    }
    councilId = (await queryRows<{ id: string }>(t.db, sql`select organisation_id as id from people where email = ${demoAccounts.sro.email}`))[0].id;
    otherCouncilId = (await queryRows<{ id: string }>(t.db, sql`select council_id as id from maturity_assessments where council_id <> ${councilId} order by council_id limit 1`))[0].id;
  });
  afterAll(async () => t?.close());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, who?: Who, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(payload ? { payload } : {}) });
  const expectProblem = (res: Awaited<ReturnType<typeof api>>, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    return res.json();
  };

  it('lists only the caller’s own council’s assessments, and 404s another council’s', async () => {
    const list = await api('GET', '/maturity-assessments', 'sro');
    expect(list.statusCode, list.body).toBe(200);
    const body = list.json();
    expect(body.meta.total).toBeGreaterThanOrEqual(2);
    expect(body.data.every((a: { councilId: string }) => a.councilId === councilId)).toBe(true);
    expect(body.data[0].areas).toHaveLength(11);
    const theirs = (await queryRows<{ id: string }>(t.db, sql`select id from maturity_assessments where council_id = ${otherCouncilId} limit 1`))[0].id;
    expectProblem(await api('GET', `/maturity-assessments/${theirs}`, 'sro'), 404);
    expectProblem(await api('PATCH', `/maturity-assessments/${theirs}`, 'sro', { areas: [{ area: 'risk', score: 9 }] }), 404);
    expectProblem(await api('POST', '/maturity-assessments', 'sro', { councilId: otherCouncilId }), 404);
    expectProblem(await api('GET', '/maturity-assessments', 'funder'), 403);
    expectProblem(await api('GET', '/maturity-assessments?status=lost', 'sro'), 400);
  });

  it('starts a pre-filled follow-up, saves a draft, refuses bad input and a short submission, submits, then refuses edits (409)', async () => {
    const started = await api('POST', '/maturity-assessments', 'sro', { councilId });
    expect(started.statusCode, started.body).toBe(201);
    const draft = started.json();
    expect(draft).toMatchObject({ kind: 'follow_up', status: 'draft', framework: 'contract-management', basedOnId: expect.any(String) });
    expect(draft.areas.every((a: { score: number | null }) => a.score !== null)).toBe(true);
    expectProblem(await api('POST', '/maturity-assessments', 'sro', { councilId }), 409);

    const bad = expectProblem(await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { areas: [{ area: 'risk', score: 0 }, { area: 'people', target: 6 }] }), 422);
    expect(bad.errors).toEqual(
      expect.arrayContaining([
        { field: 'score-risk', message: 'Score for Risk must be from 1 to 5' },
        { field: 'target-people', message: 'Target level for People must be from 1 to 5' },
      ]),
    );
    expectProblem(await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { areas: [{ area: 'nowhere', score: 3 }] }), 422);
    expectProblem(await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { areas: [{ area: 'risk', score: 2.5 }] }), 422);

    const saved = await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { version: draft.version, areas: [{ area: 'risk', score: 5, evidence: null }] });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().areas.find((a: { area: string }) => a.area === 'risk')).toMatchObject({ score: 5, evidence: null });
    // The version read before the save is stale now: refused, and nothing written.
    const stale = expectProblem(await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { version: draft.version, areas: [{ area: 'risk', score: 1 }] }), 409);
    expect(stale.detail).toContain('Someone else saved this assessment');
    expect((await api('GET', `/maturity-assessments/${draft.id}`, 'sro')).json().areas.find((a: { area: string }) => a.area === 'risk')).toMatchObject({ score: 5 });

    const short = expectProblem(await api('POST', `/maturity-assessments/${draft.id}/submit`, 'sro', {}), 422);
    expect(short.errors).toEqual([{ field: 'evidence-risk', message: 'Enter the evidence for Risk' }]);
    expect((await api('GET', `/maturity-assessments/${draft.id}`, 'sro')).json().status).toBe('draft');

    const done = await api('POST', `/maturity-assessments/${draft.id}/submit`, 'sro', { areas: [{ area: 'risk', evidence: 'Risk register reviewed monthly' }] });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'submitted', submittedAt: '2026-11-26T10:00:00.000Z' });
    const again = expectProblem(await api('PATCH', `/maturity-assessments/${draft.id}`, 'sro', { areas: [{ area: 'risk', score: 1 }] }), 409);
    expect(again.detail).toContain('can no longer be changed');
    expectProblem(await api('POST', `/maturity-assessments/${draft.id}/submit`, 'sro', {}), 409);
    // A submitted assessment is what the next one starts from.
    const next = await api('POST', '/maturity-assessments', 'admin', { councilId });
    expect(next.json()).toMatchObject({ basedOnId: draft.id });
    expect(next.json().areas.find((a: { area: string }) => a.area === 'risk')).toMatchObject({ score: 5, evidence: 'Risk register reviewed monthly' });
  });

  it('lets the assigned specialist moderate (both values kept), and nobody else', async () => {
    const [target] = await queryRows<{ id: string }>(
      t.db,
      sql`select m.id from maturity_assessments m join specialist_assignments sa on sa.council_id = m.council_id join people p on p.id = sa.person_id
          where p.email = ${demoAccounts.specialist.email} and m.status = 'submitted' order by m.submitted_at limit 1`,
    );
    const before = (await api('GET', `/maturity-assessments/${target.id}`, 'specialist')).json().areas.find((a: { area: string }) => a.area === 'market-management');
    const score = before.score === 5 ? 4 : before.score + 1;
    const res = await api('POST', `/maturity-assessments/${target.id}/moderations`, 'specialist', { area: 'market-management', score, reason: 'Market engagement plan seen' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().areas.find((a: { area: string }) => a.area === 'market-management')).toMatchObject({ score: before.score, moderatedScore: score, moderationReason: 'Market engagement plan seen' });
    expectProblem(await api('POST', `/maturity-assessments/${target.id}/moderations`, 'specialist', { area: 'market-management', score, reason: 'Again' }), 422);
    expectProblem(await api('POST', `/maturity-assessments/${target.id}/moderations`, 'specialist', { area: 'market-management', score: 6, reason: 'x' }), 422);
    expectProblem(await api('POST', `/maturity-assessments/${target.id}/moderations`, 'sro', { area: 'market-management', score: 1, reason: 'x' }), 404);
    expectProblem(await api('POST', `/maturity-assessments/${target.id}/moderations`, 'partnerLp', { area: 'market-management', score: 1, reason: 'x' }), 404);
  });

  it('documents every operation with the Maturity tag', async () => {
    const doc = (await api('GET', '/openapi.json')).json();
    const ops = Object.values(doc.paths as Record<string, Record<string, { tags: string[] }>>)
      .flatMap((p) => Object.values(p))
      .filter((o) => o.tags?.includes('Maturity'));
    expect(ops).toHaveLength(6);
    expect(areaKeys).toContain('market-management');
  });
});
