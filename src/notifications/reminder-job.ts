import type { Config } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/client.ts';
import { startPeriodic } from '../periodic.ts';
import { sendDueReminders } from './reminders.ts';
import { sendNetworkDigests } from '../networks/discussions/digest.ts';

/**
 * Looks for reminders due every REMINDER_CHECK_MINUTES (and once at start), so each goes on its first day whatever
 * time the service started; sending each once is `sendDueReminders`'s guarantee, so checking often, or in every
 * instance, costs a few queries and sends nothing twice. The daily digest of network discussions rides on the same
 * check (`sendNetworkDigests`: one a day per person, under the same once-only key). `onQueued` kicks the outbox.
 * 0 minutes: not started.
 */
export function startReminderJob(db: Db, config: Pick<Config, 'baseUrl' | 'reminderCheckMinutes' | 'sroNetworkIncludesLeads'>, clock: Clock, onQueued: () => void, onError: (err: unknown) => void) {
  return startPeriodic(
    config.reminderCheckMinutes,
    async () => {
      const queued = (await sendDueReminders(db, config, clock)) + (await sendNetworkDigests(db, config, clock));
      if (queued > 0) onQueued();
    },
    onError,
  );
}
