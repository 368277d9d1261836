/**
 * An error whose message names none of the given secrets: an adapter builds its message from the server's answer,
 * and this removes a password or key should a server or library ever echo one back.
 */
export function deliveryError(message: string, secrets: readonly string[], kind: 'refused' | 'unavailable' = 'refused'): Error {
  const redacted = secrets.filter((s) => s.length > 0).reduce((text, secret) => text.split(secret).join('[redacted]'), message);
  return kind === 'unavailable' ? new MailServerUnavailable(redacted) : new Error(redacted);
}

/**
 * The mail server or GOV.UK Notify gave no answer about this email (it could not be reached, timed out, or asked
 * us to slow down). The outbox stops the batch there and does not count it as an attempt: the emails are fine, and
 * an outage should neither use up every queued email's attempts nor wait out a timeout for each of them.
 */
export class MailServerUnavailable extends Error {}
