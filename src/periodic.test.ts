import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startPeriodic } from './periodic.ts';

describe('startPeriodic (the reminders and retention jobs)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs once at start and then every interval, never two runs at once, and stop waits for the run in progress', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    let finish: () => void = () => {};
    const job = startPeriodic(
      1,
      async () => {
        runs++;
        active++;
        most = Math.max(most, active);
        await new Promise<void>((resolve) => (finish = resolve));
        active--;
      },
      () => {},
    );
    job.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    // Two intervals pass while the first run is still going: the next runs wait their turn.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
    expect(most).toBe(1);

    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await stopping;
    expect(stopped).toBe(true);
    const after = runs;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(runs).toBe(after);
  });

  it('reports a failed run and runs again at the next interval', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const job = startPeriodic(
      5,
      async () => {
        runs++;
        if (runs === 1) throw new Error('database restarting');
      },
      (err) => errors.push(err),
    );
    job.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([new Error('database restarting')]);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(runs).toBe(2);
    expect(errors).toHaveLength(1);
    await job.stop();
  });

  it('never runs with 0 minutes (the job switched off)', async () => {
    let runs = 0;
    const job = startPeriodic(0, async () => void runs++, () => {});
    job.start();
    await vi.advanceTimersByTimeAsync(24 * 60 * 60_000);
    expect(runs).toBe(0);
    await job.stop();
  });
});
