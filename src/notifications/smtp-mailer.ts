import nodemailer from 'nodemailer';
import type { MailConfig } from '../config.ts';
import type { Mailer } from './mailer.ts';
import { deliveryError } from './delivery-error.ts';

type SmtpConfig = Extract<MailConfig, { transport: 'smtp' }>;

/** What nodemailer adds to the errors it throws: the SMTP command and the server's reply, when there was one. */
type SmtpFailure = Error & { code?: string; command?: string; responseCode?: number; response?: string };

/**
 * Sends through an SMTP server (SMTP_URL: smtps:// for TLS from the start, smtp:// upgrading with STARTTLS when the
 * server offers it; options such as ?requireTLS=true go in the URL). One connection per email, no pool: the outbox
 * sends a few batches a minute, and nothing stays open between them. Every wait is bounded by MAIL_TIMEOUT_SECONDS
 * (nodemailer waits up to 2 minutes to connect and 10 for a quiet server, far too long for the outbox's batch).
 */
export function smtpMailer(config: SmtpConfig): Mailer {
  const timeout = config.timeoutSeconds * 1000;
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
  });
  const server = new URL(config.smtpUrl);
  const where = `${server.hostname}:${server.port || (server.protocol === 'smtps:' ? 465 : 587)}`;
  const secrets = [config.smtpUrl, server.password, decodeURIComponent(server.password), server.username, decodeURIComponent(server.username)];
  return {
    async deliver(email) {
      try {
        await transport.sendMail({
          from: { name: 'Pioneer', address: config.from },
          replyTo: config.replyTo,
          to: email.to,
          subject: email.subject,
          text: email.body,
          // A reminder's unsubscribe link: mail programs offer it beside the sender, and may POST to it (RFC 8058).
          ...(email.unsubscribeUrl ? { list: { unsubscribe: email.unsubscribeUrl }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } } : {}),
        });
      } catch (err) {
        const failure = err as SmtpFailure;
        throw deliveryError(describe(failure, where), secrets, !failure.responseCode && unreachable.has(failure.code ?? '') ? 'unavailable' : 'refused');
      }
    },
  };
}

/** nodemailer's codes for a server it could not reach or that went quiet (as opposed to one that answered no). */
const unreachable = new Set(['ECONNECTION', 'ETIMEDOUT', 'EDNS', 'ESOCKET']);

/** One line for the outbox's last_error and the log: what failed, and the server's reply when it gave one. */
function describe(err: SmtpFailure, where: string): string {
  if (err.code === 'EAUTH' && err.responseCode) return `The SMTP server at ${where} refused the login in SMTP_URL: ${err.response ?? err.message}`;
  if (err.responseCode) return `The SMTP server at ${where} refused the email${err.command ? ` at ${err.command}` : ''}: ${err.response ?? err.message}`;
  if (err.code === 'ETIMEDOUT') return `The SMTP server at ${where} did not answer in time: ${err.message}`;
  if (unreachable.has(err.code ?? '')) return `Could not connect to the SMTP server at ${where}: ${err.message}`;
  return `SMTP delivery through ${where} failed${err.code ? ` (${err.code})` : ''}: ${err.message}`;
}
