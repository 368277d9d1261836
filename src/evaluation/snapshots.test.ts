import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { backends, openTestDatabase, testNow } from '../../test/helpers.ts';
import { queryRows, type Database } from '../db/client.ts';
import { fixedClock } from '../clock.ts';
import { indicatorKeys } from './catalogue.ts';
import { indicatorValues } from './repository.ts';
import { monthsEnding, startSnapshotJob, takeSnapshot } from './snapshots.ts';
import { snapshotCommand } from './cli.ts';

type Row = { key: string; month: string; value: number | null; asOf: string; computedAt: string };

describe('monthsEnding', () => {
  it('gives the first days of the months ending with today’s, across a year end', () => {
    expect(monthsEnding('2026-02-14', 3)).toEqual(['2025-12-01', '2026-01-01', '2026-02-01']);
  });
});

describe.each(backends)('indicator snapshots (%s)', (backend) => {
  let database: Database;
  const clock = fixedClock(testNow);
  const ctx = () => ({ actor: null, systemLabel: 'pioneer CLI', clock });
  const rows = () =>
    queryRows<Row>(
      database.db,
      sql`select indicator_key as key, to_char(month, 'YYYY-MM-DD') as month, value, to_char(as_of, 'YYYY-MM-DD') as "asOf", computed_at::text as "computedAt"
          from indicator_snapshots order by month, indicator_key`,
    );
  const audits = () => queryRows<{ after: Record<string, unknown>; actor: string }>(database.db, sql`select after, actor_label as actor from audit_events where action = 'evaluation.snapshot_taken' order by occurred_at`);

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => database?.close());

  it('holds 12 months of demo snapshots, each worked out as at its month’s last day (this month’s as at today)', async () => {
    const all = await rows();
    expect(all).toHaveLength(12 * indicatorKeys.length);
    const months = [...new Set(all.map((r) => r.month))];
    expect(months).toEqual(monthsEnding('2026-11-26', 12));
    const june = all.filter((r) => r.month === '2026-06-01');
    expect(new Set(june.map((r) => r.asOf))).toEqual(new Set(['2026-06-30']));
    const values = await indicatorValues(database.db, indicatorKeys, { kind: 'all' }, '2026-06-30');
    for (const r of june) expect(r.value, r.key).toBe(values.get(r.key as (typeof indicatorKeys)[number]));
    expect(new Set(all.filter((r) => r.month === '2026-11-01').map((r) => r.asOf))).toEqual(new Set(['2026-11-26']));
  });

  it('writes nothing when this month’s snapshot is there, however often it runs', async () => {
    const before = await rows();
    expect(await takeSnapshot(database.db, ctx(), { replace: false })).toEqual({ month: '2026-11-01', written: 0 });
    expect(await snapshotCommand(database.db, ctx(), false)).toBe(
      `The snapshot for November 2026 was already taken (${indicatorKeys.length} indicators); nothing written. Say --replace to work it out again.`,
    );
    expect(await rows()).toEqual(before);
    expect(await audits()).toEqual([]);
  });

  it('works this month out again on --replace, leaving every past month as it was', async () => {
    const before = await rows();
    // A verified improvement made today moves this month's figures; the past months' must not move.
    await database.db.execute(sql`insert into improvements (council_id, type, description, improved_on, value_pence, cashable, status)
      select council_id, type, 'Snapshot test improvement', '2026-11-26', value_pence, cashable, status from improvements where status = 'verified' limit 1`);
    clock.set('2026-11-27T09:00:00Z');
    expect(await snapshotCommand(database.db, ctx(), true)).toBe(`Worked out again the snapshot for November 2026: ${indicatorKeys.length} of ${indicatorKeys.length} indicators written.`);
    const after = await rows();
    const past = (rs: Row[]) => rs.filter((r) => r.month < '2026-11-01');
    expect(past(after)).toEqual(past(before));
    const value = (rs: Row[], key: string) => rs.find((r) => r.month === '2026-11-01' && r.key === key)!;
    expect(value(after, 'verified_improvements').value).toBe(value(before, 'verified_improvements').value! + 1);
    expect(value(after, 'verified_improvements').asOf).toBe('2026-11-27');
    const [audit] = await audits();
    expect(audit.after).toEqual({ month: '2026-11', asOf: '2026-11-27', indicators: indicatorKeys.length, councils: expect.any(Number), replaced: true });
    expect(audit.actor).toBe('pioneer CLI');
  });

  it('starts a new month with its own snapshot from the periodic job, never rewriting the month before', async () => {
    const before = await rows();
    clock.set('2026-12-01T08:00:00Z');
    const taken: unknown[] = [];
    const errors: unknown[] = [];
    const job = startSnapshotJob(database.db, { snapshotCheckMinutes: 60 }, clock, (r) => taken.push(r), (e) => errors.push(e));
    job.start();
    await job.stop();
    expect(errors).toEqual([]);
    expect(taken).toEqual([{ month: '2026-12-01', written: indicatorKeys.length }]);
    const after = await rows();
    expect(after.filter((r) => r.month < '2026-12-01')).toEqual(before);
    expect(after.filter((r) => r.month === '2026-12-01').map((r) => r.asOf)).toEqual(Array(indicatorKeys.length).fill('2026-12-01'));
    // A second instance's check finds the month complete.
    const again = startSnapshotJob(database.db, { snapshotCheckMinutes: 60 }, clock, (r) => taken.push(r), (e) => errors.push(e));
    again.start();
    await again.stop();
    expect(taken).toHaveLength(1);
    expect((await audits()).at(-1)!.actor).toBe('the monthly indicator snapshot job');
  });

  it('fills only the indicators missing this month (one per indicator and month)', async () => {
    await database.db.execute(sql`delete from indicator_snapshots where month = '2026-12-01' and indicator_key in ('learners_retained', 'verified_improvements')`);
    expect(await takeSnapshot(database.db, ctx(), { replace: false })).toEqual({ month: '2026-12-01', written: 2 });
    await expect(database.db.execute(sql`insert into indicator_snapshots (indicator_key, month, value, as_of, computed_at) values ('learners_retained', '2026-12-01', 1, '2026-12-01', now())`)).rejects.toThrow();
  });

  it('is not started at 0 minutes', async () => {
    const taken: unknown[] = [];
    const job = startSnapshotJob(database.db, { snapshotCheckMinutes: 0 }, clock, (r) => taken.push(r), () => {});
    job.start();
    await job.stop();
    expect(taken).toEqual([]);
  });
});
