import { z } from 'zod';
import { reminderKinds } from './reminder-kinds.ts';

/**
 * The preferences form: the reminder kinds left ticked (on); none ticked sends nothing or an empty string.
 * A kind that is not one of ours is refused rather than ignored.
 */
export const reminderPreferencesSchema = z.object({
  reminders: z
    .union([z.string(), z.array(z.string()).max(reminderKinds.length * 2)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((k) => k !== ''))
    .pipe(z.array(z.enum(reminderKinds, { error: 'Select reminders from the list' }))),
});
export type ReminderPreferencesInput = z.infer<typeof reminderPreferencesSchema>;
