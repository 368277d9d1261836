import axios, { isAxiosError } from 'axios';
import { NotifyClient } from 'notifications-node-client';
import type { MailConfig } from '../config.ts';
import type { Mailer } from './mailer.ts';
import { deliveryError } from './delivery-error.ts';

type NotifyConfig = Extract<MailConfig, { transport: 'notify' }>;

/** The body of an error from the GOV.UK Notify API. */
type NotifyProblem = { status_code?: number; errors?: { error?: string; message?: string }[] };

/**
 * Sends through GOV.UK Notify with the official client. Our emails are written by the service, so one Notify
 * template whose subject is ((subject)) and whose body is ((body)) carries them all (NOTIFY_TEMPLATE_ID);
 * NOTIFY_TEMPLATE_IDS may give one of our templates its own Notify template, which receives the same two fields.
 * The client is handed an axios instance only to bound each request by MAIL_TIMEOUT_SECONDS: by default it would
 * wait for ever, holding up the outbox's batch.
 */
export function notifyMailer(config: NotifyConfig): Mailer {
  const client = new NotifyClient(config.baseUrl, config.apiKey);
  // The client's types name axios's CommonJS declarations and ours its ESM ones: the same instance, told apart by TypeScript.
  client.setClient(axios.create({ timeout: config.timeoutSeconds * 1000 }) as unknown as Parameters<NotifyClient['setClient']>[0]);
  return {
    async deliver(email) {
      try {
        await client.sendEmail(config.templateIds[email.template] ?? config.templateId, email.to, {
          personalisation: { subject: email.subject, body: email.body },
          emailReplyToId: config.replyToId,
          // A reminder's unsubscribe link: Notify sends it as the List-Unsubscribe header.
          ...(email.unsubscribeUrl ? { oneClickUnsubscribeURL: email.unsubscribeUrl } : {}),
        });
      } catch (err) {
        // No answer, or 429 (Notify's rate limit): nothing is wrong with the email, so it is not an attempt.
        const unavailable = isAxiosError(err) && (!err.response || err.response.status === 429);
        throw deliveryError(describe(err), [config.apiKey], unavailable ? 'unavailable' : 'refused');
      }
    },
  };
}

/** One line for the outbox's last_error and the log: Notify's own error messages, or why it could not be reached. */
function describe(err: unknown): string {
  if (!isAxiosError<NotifyProblem>(err)) return `GOV.UK Notify delivery failed: ${String(err)}`;
  if (err.response) {
    const messages = (err.response.data?.errors ?? []).map((e) => [e.error, e.message].filter(Boolean).join(': ')).join('; ');
    const what = err.response.status >= 500 ? 'GOV.UK Notify failed' : 'GOV.UK Notify refused the email';
    return `${what} (HTTP ${err.response.status}): ${messages || err.message}`;
  }
  if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') return `GOV.UK Notify did not answer in time: ${err.message}`;
  return `Could not reach GOV.UK Notify${err.code ? ` (${err.code})` : ''}: ${err.message}`;
}
