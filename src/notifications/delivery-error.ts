/**
 * An error whose message names none of the given secrets: an adapter builds its message from the server's answer,
 * and this removes a password or key should a server or library ever echo one back.
 */
export function deliveryError(message: string, secrets: readonly string[]): Error {
  const redacted = secrets.filter((s) => s.length > 0).reduce((text, secret) => text.split(secret).join('[redacted]'), message);
  return new Error(redacted);
}
