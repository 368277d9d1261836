import pino from 'pino';
import type { Config } from '../config.ts';

export type OutgoingEmail = { to: string; subject: string; body: string; template: string };

/** The edge where e-mail leaves the service. GOV.UK Notify or SMTP plug in here; development logs instead. */
export type Mailer = { deliver(email: OutgoingEmail): Promise<void> };

/**
 * The adapter until GOV.UK Notify or SMTP is plugged in. In development it writes each e-mail to the log, links
 * included, so a developer can follow them; in production it never logs the body (the links are secrets), only
 * that an e-mail could not be sent.
 */
export function createMailer(config: Config): Mailer {
  const log = pino({ level: config.logLevel, name: 'mailer' });
  return {
    async deliver(email) {
      const meta = { to: email.to, template: email.template, subject: email.subject };
      if (config.env === 'production') throw new Error(`No e-mail delivery is configured: ${email.template} e-mail to ${email.to} not sent`);
      log.info(meta, `e-mail to ${email.to}:\n${email.body}`);
    },
  };
}

/** A mailer that keeps what it was given: for tests (e-mail delivery is a true edge). */
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
