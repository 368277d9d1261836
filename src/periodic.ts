/**
 * A task run every `minutes` and once when `start` is called (after the app is ready), one run at a time: a check
 * that outlasts the interval is not started twice. 0 minutes: never started. `stop` waits for the run in progress, so
 * shutting down never cuts one short. The in-process jobs (reminders, retention) are built on it; each makes its own
 * task safe to run in several instances at once.
 */
export function startPeriodic(minutes: number, task: () => Promise<void>, onError: (err: unknown) => void) {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(task).catch(onError);
    return running;
  };
  const timer = minutes > 0 ? setInterval(run, minutes * 60_000) : null;
  timer?.unref();
  return {
    /** The first check, once the app is ready. */
    start: () => (timer ? void run() : undefined),
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
