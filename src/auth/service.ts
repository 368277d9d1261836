import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { RequestContext } from '../audit/record.ts';
import { recordAudit } from '../audit/record.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import { paths } from '../web/paths.ts';
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from '../web/errors.ts';
import { hashPassword, passwordProblem, verifyDecoy, verifyPassword } from './passwords.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { tokenPrefix } from '../api/bearer.ts';
import * as repo from './repository.ts';
import type { DbOrTx } from '../db/client.ts';

/** One message for every failed sign-in, so it never reveals whether an email has an account. */
export const signInFailedMessage = (config: Config) =>
  `Enter a correct email address and password. After ${config.signInMaxFailures} wrong attempts an account is locked for ${config.signInLockMinutes} minutes.`;

/**
 * Checks email and password; on success returns the person's id. Counts failures and locks the account.
 *
 * Each attempt is judged in one transaction that first locks the person's row, so concurrent attempts on one account
 * are judged one after another: none is judged on a count another has not yet written, and once the threshold is
 * reached every later attempt is refused without its password being verified (so at most `signInMaxFailures`
 * wrong passwords are ever tried in a row, however many arrive at once). Unknown emails and locked accounts are
 * answered after verifying against a decoy hash, so neither can be told from a wrong password by timing or message.
 */
export async function signIn(db: Db, config: Config, ctx: RequestContext, email: string, password: string): Promise<string | null> {
  const verdict = await db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const person = await repo.lockPersonForSignIn(tx, email);
    if (!person || !person.passwordHash || person.status !== 'active') return 'unknown';
    if (person.lockedUntil && person.lockedUntil > now) return 'locked';
    if (!(await verifyPassword(person.passwordHash, password))) {
      await repo.recordFailedSignIn(tx, person.id, config.signInMaxFailures, new Date(now.getTime() + config.signInLockMinutes * 60_000));
      await recordAudit(tx, { ...ctx, systemLabel: 'anonymous' }, { action: 'auth.sign_in_failed', recordType: 'person', recordId: person.id });
      return 'wrong';
    }
    await repo.clearFailedSignIns(tx, person.id);
    await recordAudit(tx, { ...ctx, systemLabel: person.email }, { action: 'auth.sign_in', recordType: 'person', recordId: person.id });
    return { personId: person.id };
  });
  if (typeof verdict === 'object') return verdict.personId;
  // Outside the transaction, so the decoy does not hold the row lock (or, on PGlite, the database).
  if (verdict !== 'wrong') await verifyDecoy(password);
  return null;
}

/**
 * A new single-use link for a person, without I/O: the plain token (only in the email), the row to store (its hash
 * only) and the email carrying it. issuePasswordLink writes one; an upload writes many in one statement each.
 */
export function newPasswordLink(
  config: Config,
  ctx: RequestContext,
  person: { id: string; name: string; email: string },
  purpose: 'invite' | 'reset',
) {
  const token = newSecret();
  const hours = purpose === 'invite' ? config.inviteTtlHours : config.resetTtlHours;
  const link = `${config.baseUrl}${paths.setPassword(token)}`;
  const invite = purpose === 'invite';
  return {
    token,
    row: { personId: person.id, purpose, tokenHash: hashSecret(token), expiresAt: new Date(ctx.clock.now().getTime() + hours * 3_600_000) },
    email: {
      to: person.email,
      template: purpose,
      subject: invite ? 'You have been invited to Pioneer' : 'Reset your Pioneer password',
      body: invite
        ? `Dear ${person.name},\n\nYou have been invited to Pioneer, the service for the Contract Management Pioneer Programme.\n\nSet your password to get started:\n${link}\n\nThis link works once and expires in ${hours} hours.`
        : `Dear ${person.name},\n\nSomeone asked to reset your Pioneer password. If it was you, choose a new one here:\n${link}\n\nThis link works once and expires in ${hours} hours. If it was not you, ignore this email.`,
    },
  };
}

/** Creates a single-use link for a person and queues the email carrying it (inside the caller's transaction) as personal mail; an upload's invitations go in bulk through newPasswordLink (enrolments/bulk.ts). */
export async function issuePasswordLink(
  tx: DbOrTx,
  config: Config,
  ctx: RequestContext,
  person: { id: string; name: string; email: string },
  purpose: 'invite' | 'reset',
) {
  const { token, row, email } = newPasswordLink(config, ctx, person, purpose);
  await repo.expireOneTimeTokens(tx, person.id, purpose, ctx.clock.now());
  await repo.insertOneTimeToken(tx, row);
  await enqueueEmail(tx, email);
  return token;
}

/**
 * A single-use link proving that whoever opens it reads `newEmail`, stored hashed beside the address it confirms; the
 * person's earlier email change links stop working. Written in the caller's transaction; the caller sends the link.
 */
export async function issueEmailChangeLink(tx: DbOrTx, config: Config, ctx: RequestContext, personId: string, newEmail: string): Promise<string> {
  const token = newSecret();
  const now = ctx.clock.now();
  await repo.expireOneTimeTokens(tx, personId, 'email-change', now);
  await repo.insertOneTimeToken(tx, {
    personId,
    purpose: 'email-change',
    email: newEmail,
    tokenHash: hashSecret(token),
    expiresAt: new Date(now.getTime() + config.emailChangeTtlHours * 3_600_000),
  });
  return `${config.baseUrl}${paths.confirmEmail(token)}`;
}

/** The person and new address of a usable email change link, or null when it is unknown, used or expired. */
export function findUsableEmailChangeLink(db: DbOrTx, ctx: RequestContext, token: string) {
  return repo.findUsableOneTimeToken(db, hashSecret(token), ctx.clock.now(), ['email-change'] as const);
}

/** Marks a link used; false when another request used it first (single use, even when two requests race). */
export const useLink = (tx: DbOrTx, ctx: RequestContext, linkId: string) => repo.useOneTimeToken(tx, linkId, ctx.clock.now());

/** Queues a reset link if the email belongs to an active person; does nothing visible otherwise. */
export async function requestPasswordReset(db: Db, config: Config, ctx: RequestContext, email: string): Promise<void> {
  const person = await repo.findPersonByEmail(db, email);
  if (!person || person.status !== 'active') return;
  await db.transaction(async (tx) => {
    await issuePasswordLink(tx, config, ctx, person, 'reset');
    await recordAudit(tx, { ...ctx, systemLabel: 'anonymous' }, { action: 'auth.reset_requested', recordType: 'person', recordId: person.id });
  });
}

/** The person a usable password link (invitation or reset) belongs to, or null when it is unknown, used or expired. */
export function findUsableLink(db: Db, ctx: RequestContext, token: string) {
  return repo.findUsableOneTimeToken(db, hashSecret(token), ctx.clock.now(), ['invite', 'reset'] as const);
}

/** Checks a new password and its confirmation, and hashes it; throws ValidationError with the form's wording. */
async function newPasswordHash(password: string, confirm: string, email: string): Promise<string> {
  const problem = passwordProblem(password, email);
  if (problem) throw new ValidationError({ password: problem });
  if (password !== confirm) throw new ValidationError({ confirmPassword: 'Passwords must match' });
  return hashPassword(password);
}

/**
 * After a password is set, nothing that the old one opened stays open: every session ends and every API token is
 * revoked (as on deactivation). Answers the revoked tokens' ids, for the audit event.
 */
async function endAccessAfterPasswordChange(tx: DbOrTx, personId: string, now: Date): Promise<string[]> {
  await repo.deleteSessionsOf(tx, personId);
  return repo.revokeApiTokensOf(tx, personId, now);
}

/** Sets a password from an invitation or reset link: single use, even when two requests race. Revokes the person's API tokens. */
export async function completePasswordLink(
  db: Db,
  ctx: RequestContext,
  token: string,
  password: string,
  confirm: string,
): Promise<{ personId: string; purpose: 'invite' | 'reset' }> {
  const link = await findUsableLink(db, ctx, token);
  if (!link || link.status === 'deactivated') throw new NotFoundError('This link has expired or has already been used.');
  const passwordHash = await newPasswordHash(password, confirm, link.email);
  await db.transaction(async (tx) => {
    if (!(await repo.useOneTimeToken(tx, link.id, ctx.clock.now()))) throw new ConflictError('This link has already been used.');
    await repo.setPassword(tx, link.personId, passwordHash, ctx.clock.now());
    const revokedApiTokens = await endAccessAfterPasswordChange(tx, link.personId, ctx.clock.now());
    await recordAudit(tx, { ...ctx, systemLabel: link.email }, {
      action: link.purpose === 'invite' ? 'auth.invitation_accepted' : 'auth.password_reset',
      recordType: 'person',
      recordId: link.personId,
      after: revokedApiTokens.length ? { revokedApiTokens } : null,
    });
  });
  return { personId: link.personId, purpose: link.purpose };
}

/**
 * Changes a signed-in person's password after checking their current one. Ends all their sessions (the caller starts
 * a new one) and revokes their API tokens, audited as `auth.password_changed`.
 */
export async function changePassword(db: Db, ctx: RequestContext, input: { currentPassword: string; password: string; confirmPassword: string }): Promise<void> {
  const actor = ctx.actor;
  if (!actor) throw new UnauthenticatedError();
  const passwordHash = await repo.passwordHashOf(db, actor.personId);
  if (!passwordHash || !(await verifyPassword(passwordHash, input.currentPassword))) {
    throw new ValidationError({ currentPassword: 'Your current password is incorrect' });
  }
  if (input.password === input.currentPassword) throw new ValidationError({ password: 'Your new password must be different from your current one' });
  const newHash = await newPasswordHash(input.password, input.confirmPassword, actor.email);
  await db.transaction(async (tx) => {
    await repo.setPassword(tx, actor.personId, newHash, ctx.clock.now());
    const revokedApiTokens = await endAccessAfterPasswordChange(tx, actor.personId, ctx.clock.now());
    await recordAudit(tx, ctx, { action: 'auth.password_changed', recordType: 'person', recordId: actor.personId, after: revokedApiTokens.length ? { revokedApiTokens } : null });
  });
}

/** Creates a personal access token; the plain token is returned once and only its hash is stored. */
export async function createApiToken(db: Db, ctx: RequestContext, personId: string, name: string): Promise<{ id: string; token: string }> {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError({ name: 'Enter a name for the token' });
  if (trimmed.length > 100) throw new ValidationError({ name: 'Token name must be 100 characters or fewer' });
  const token = `${tokenPrefix}${newSecret()}`;
  return db.transaction(async (tx) => {
    const row = await repo.insertApiToken(tx, { personId, name: trimmed, tokenHash: hashSecret(token) });
    await recordAudit(tx, ctx, { action: 'token.created', recordType: 'api_token', recordId: row.id, after: { personId, name: trimmed } });
    return { id: row.id, token };
  });
}

export async function revokeApiToken(db: Db, ctx: RequestContext, personId: string, tokenId: string): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await repo.revokeApiToken(tx, personId, tokenId, ctx.clock.now()))) throw new NotFoundError('That token does not exist or is already revoked.');
    await recordAudit(tx, ctx, { action: 'token.revoked', recordType: 'api_token', recordId: tokenId });
  });
}
