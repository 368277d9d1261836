import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { ValidationError } from '../web/errors.ts';
import { errorView } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { reminderLabels } from './reminder-kinds.ts';
import { ownReminderPreferences, saveOwnReminderPreferences, unsubscribe, unsubscribeLink, UnsubscribeLinkError } from './preferences.ts';

const flashes: Record<string, string> = { saved: 'Your reminder choices have been saved', unchanged: 'No changes were made' };

/** The reminder preferences page (the signed-in person's own, so it has no id to tamper with) and the unsubscribe links. */
export async function notificationRoutes(app: FastifyInstance, { db, config }: RouteDeps) {
  const preferencesPage = async (request: FastifyRequest, reply: FastifyReply, status = 200, fields?: Record<string, string>, flash?: string) => {
    const reminders = await ownReminderPreferences(db, request.ctx());
    return reply.code(status).view('notifications/views/preferences.njk', {
      title: 'Reminder emails',
      reminders,
      flash,
      ...(fields ? errorView(fields) : { errors: {} }),
    });
  };

  app.get(paths.accountNotifications(), { config: { access: 'signed-in' } }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    return preferencesPage(request, reply, 200, undefined, typeof done === 'string' ? flashes[done] : undefined);
  });

  app.post(paths.accountNotifications(), { config: { access: 'signed-in' } }, async (request, reply) => {
    try {
      const changed = await saveOwnReminderPreferences(db, request.ctx(), request.body ?? {});
      return reply.redirect(`${paths.accountNotifications()}?done=${changed ? 'saved' : 'unchanged'}`);
    } catch (err) {
      if (err instanceof ValidationError) return preferencesPage(request, reply, 400, { reminders: Object.values(err.fields)[0] });
      throw err;
    }
  });

  const linkError = (reply: FastifyReply, err: UnsubscribeLinkError) =>
    reply.code(err.reason === 'expired' ? 410 : 404).view('notifications/views/unsubscribe.njk', { title: err.message, linkError: err.reason });

  // Opening the link shows a button, so a mail scanner fetching it changes nothing; mail programs' one-click
  // unsubscribe (RFC 8058) POSTs to the same address, with no CSRF token: the token in the URL authorises it.
  app.get<{ Params: { token: string } }>('/unsubscribe/:token', { config: { access: 'public' } }, async (request, reply) => {
    try {
      const link = await unsubscribeLink(db, config, request.ctx(), request.params.token);
      return reply.view('notifications/views/unsubscribe.njk', { title: 'Stop these reminders', label: reminderLabels[link.kind], email: link.email, action: request.url });
    } catch (err) {
      if (err instanceof UnsubscribeLinkError) return linkError(reply, err);
      throw err;
    }
  });

  app.post<{ Params: { token: string } }>('/unsubscribe/:token', { config: { access: 'public', tokenInUrl: true } }, async (request, reply) => {
    try {
      const link = await unsubscribe(db, config, request.ctx(), request.params.token);
      return reply.view('notifications/views/unsubscribe.njk', { title: 'You have unsubscribed', done: true, label: reminderLabels[link.kind], email: link.email });
    } catch (err) {
      if (err instanceof UnsubscribeLinkError) return linkError(reply, err);
      throw err;
    }
  });
}
