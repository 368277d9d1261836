import pino from 'pino';
import type { Config } from '../config.ts';
import { smtpMailer } from './smtp-mailer.ts';
import { notifyMailer } from './notify-mailer.ts';

/** `unsubscribeUrl`: a reminder's one-click unsubscribe link, sent as List-Unsubscribe (RFC 8058) or to Notify. */
export type OutgoingEmail = { to: string; subject: string; body: string; template: string; unsubscribeUrl?: string };

/**
 * The edge where email leaves the service (docs/email.md). `deliver` resolves once the mail server or GOV.UK Notify
 * has taken the email and throws otherwise; the outbox keeps what threw for another attempt and stores the error's
 * text, so adapters' errors never carry a secret.
 */
export type Mailer = { deliver(email: OutgoingEmail): Promise<void> };

/** The adapter MAIL_TRANSPORT chooses. */
export function createMailer(config: Config): Mailer {
  const mail = config.mail;
  switch (mail.transport) {
    case 'smtp':
      return smtpMailer(mail);
    case 'notify':
      return notifyMailer(mail);
    case 'log':
      return logMailer(config);
  }
}

/**
 * Writes each email to the log instead of sending it. In development and tests the body goes too, links included,
 * so a developer can follow them; in production (MAIL_TRANSPORT=log chosen on purpose) only who and what, since the
 * links are secrets.
 */
function logMailer(config: Config): Mailer {
  const log = pino({ level: config.logLevel, name: 'mailer' });
  return {
    async deliver(email) {
      const meta = { to: email.to, template: email.template, subject: email.subject };
      if (config.env === 'production') log.info(meta, `email to ${email.to} written to the log only (MAIL_TRANSPORT=log)`);
      else log.info(meta, `email to ${email.to}:\n${email.body}`);
    },
  };
}

/** A mailer that keeps what it was given: for tests (email delivery is a true edge). */
export function memoryMailer(): Mailer & { sent: OutgoingEmail[]; lastTo(to: string): OutgoingEmail | undefined } {
  const sent: OutgoingEmail[] = [];
  return {
    sent,
    async deliver(email) {
      sent.push(email);
    },
    lastTo: (to) => [...sent].reverse().find((e) => e.to.toLowerCase() === to.toLowerCase()),
  };
}
