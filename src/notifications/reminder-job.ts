import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { startPeriodic } from '../periodic.ts';
import { sendDueReminders } from './reminders.ts';

/**
 * Looks for reminders due every REMINDER_CHECK_MINUTES (and once at start), so each goes on its first day whatever
 * time the service started; sending each once is `sendDueReminders`'s guarantee, so checking often, or in every
 * instance, costs a few queries and sends nothing twice. `onQueued` kicks the outbox. 0 minutes: not started.
 */
export function startReminderJob(db: Db, config: Pick<Config, 'baseUrl' | 'reminderCheckMinutes'>, clock: Clock, onQueued: () => void, onError: (err: unknown) => void) {
  return startPeriodic(
    config.reminderCheckMinutes,
    async () => {
      if ((await sendDueReminders(db, config, clock)) > 0) onQueued();
    },
    onError,
  );
}
