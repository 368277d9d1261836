import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteDeps } from '../app.ts';
import { apiRoute } from '../api/registry.ts';
import type { RequestContext } from '../audit/record.ts';
import { reminderKinds } from './reminder-kinds.ts';
import { ownReminderPreferences, saveOwnReminderPreferences } from './preferences.ts';

const preferences = z.object({
  reminders: z.array(
    z.object({
      kind: z.enum(reminderKinds),
      label: z.string(),
      on: z.boolean().meta({ description: 'Whether this reminder is sent to you' }),
    }),
  ),
});

/** The API body: every kind left on, as on the page (an empty list switches every reminder off). */
const preferencesBody = z.object({
  reminders: z.array(z.enum(reminderKinds, { error: 'Select reminders from the list' })).max(reminderKinds.length * 2),
});

/**
 * The caller's own reminder emails under /api/v1/me: the same rules and audit as the preferences page. There is no
 * id in the path, so nobody can read or change another person's choices.
 */
export async function notificationApi(app: FastifyInstance, { db }: RouteDeps) {
  const answer = async (ctx: RequestContext) => ({
    reminders: (await ownReminderPreferences(db, ctx)).map(({ kind, label, on }) => ({ kind, label, on })),
  });

  apiRoute(app, {
    method: 'GET',
    url: '/me/reminder-preferences',
    operationId: 'getOwnReminderPreferences',
    summary: 'Your reminder emails and whether each is on',
    description:
      'Lists the reminder emails Pioneer can send you (assessment due, CPD shortfall, Foundation renewal due) and whether each is on. Decision emails (a nomination approved or declined, a request for places decided) are always sent and are not listed.',
    tag: 'People',
    access: 'signed-in',
    responses: { 200: { description: 'Your reminders', schema: preferences } },
    handler: async (_input, request) => answer(request.ctx()),
  });

  apiRoute(app, {
    method: 'PUT',
    url: '/me/reminder-preferences',
    operationId: 'setOwnReminderPreferences',
    summary: 'Choose which reminder emails you get',
    description:
      'Replaces your choice: the kinds listed are on, every other kind is off (an empty list switches all reminders off). A kind that is not one of ours answers 422 and changes nothing. A change is recorded in the audit log; sending the same choice again changes nothing.',
    tag: 'People',
    access: 'signed-in',
    body: preferencesBody,
    responses: { 200: { description: 'Your reminders after the change', schema: preferences } },
    handler: async ({ body }, request) => {
      await saveOwnReminderPreferences(db, request.ctx(), body);
      return answer(request.ctx());
    },
  });
}
