import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { sendDueReminders } from './reminders.ts';

/**
 * Looks for reminders due every REMINDER_CHECK_MINUTES (and once at start), so each goes on its first day whatever
 * time the service started; sending each once is `sendDueReminders`'s guarantee, so checking often, or in every
 * instance, costs a few queries and sends nothing twice. `onQueued` kicks the outbox. 0 minutes: not started.
 */
export function startReminderJob(db: Db, config: Pick<Config, 'baseUrl' | 'reminderCheckMinutes'>, clock: Clock, onQueued: () => void, onError: (err: unknown) => void) {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running
      .then(async () => {
        if ((await sendDueReminders(db, config, clock)) > 0) onQueued();
      })
      .catch(onError);
    return running;
  };
  const timer = config.reminderCheckMinutes > 0 ? setInterval(run, config.reminderCheckMinutes * 60_000) : null;
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
