import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { RequestContext } from '../audit/record.ts';
import { recordAudit } from '../audit/record.ts';
import { enqueueEmail, type MailPriority } from '../notifications/outbox.ts';
import { paths } from '../web/paths.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { hashPassword, passwordProblem, verifyDecoy, verifyPassword } from './passwords.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { tokenPrefix } from '../api/bearer.ts';
import * as repo from './repository.ts';
import type { DbOrTx } from '../db/client.ts';

/** One message for every failed sign-in, so it never reveals whether an e-mail has an account. */
export const signInFailedMessage = (config: Config) =>
  `Enter a correct email address and password. After ${config.signInMaxFailures} wrong attempts an account is locked for ${config.signInLockMinutes} minutes.`;

/** Checks e-mail and password; on success returns the person's id. Counts failures and locks the account. */
export async function signIn(db: Db, config: Config, ctx: RequestContext, email: string, password: string): Promise<string | null> {
  const now = ctx.clock.now();
  const person = await repo.findPersonByEmail(db, email);
  if (!person || !person.passwordHash || person.status !== 'active') {
    await verifyDecoy(password);
    return null;
  }
  const locked = person.lockedUntil && person.lockedUntil > now;
  const ok = !locked && (await verifyPassword(person.passwordHash, password));
  await db.transaction(async (tx) => {
    if (ok) {
      await repo.clearFailedSignIns(tx, person.id);
      await recordAudit(tx, { ...ctx, systemLabel: person.email }, { action: 'auth.sign_in', recordType: 'person', recordId: person.id });
    } else if (!locked) {
      await repo.recordFailedSignIn(tx, person.id, config.signInMaxFailures, new Date(now.getTime() + config.signInLockMinutes * 60_000));
      await recordAudit(tx, { ...ctx, systemLabel: 'anonymous' }, { action: 'auth.sign_in_failed', recordType: 'person', recordId: person.id });
    }
  });
  return ok ? person.id : null;
}

/** Creates a single-use link for a person and queues the e-mail carrying it (inside the caller's transaction); an upload's invitations queue as bulk. */
export async function issuePasswordLink(
  tx: DbOrTx,
  config: Config,
  ctx: RequestContext,
  person: { id: string; name: string; email: string },
  purpose: 'invite' | 'reset',
  priority: MailPriority = 'personal',
) {
  const token = newSecret();
  const hours = purpose === 'invite' ? config.inviteTtlHours : config.resetTtlHours;
  await repo.expireOneTimeTokens(tx, person.id, purpose, ctx.clock.now());
  await repo.insertOneTimeToken(tx, {
    personId: person.id,
    purpose,
    tokenHash: hashSecret(token),
    expiresAt: new Date(ctx.clock.now().getTime() + hours * 3_600_000),
  });
  const link = `${config.baseUrl}${paths.setPassword(token)}`;
  const invite = purpose === 'invite';
  await enqueueEmail(tx, {
    to: person.email,
    template: purpose,
    subject: invite ? 'You have been invited to Pioneer' : 'Reset your Pioneer password',
    body: invite
      ? `Dear ${person.name},\n\nYou have been invited to Pioneer, the service for the Contract Management Pioneer Programme.\n\nSet your password to get started:\n${link}\n\nThis link works once and expires in ${hours} hours.`
      : `Dear ${person.name},\n\nSomeone asked to reset your Pioneer password. If it was you, choose a new one here:\n${link}\n\nThis link works once and expires in ${hours} hours. If it was not you, ignore this e-mail.`,
  }, priority);
  return token;
}

/** Queues a reset link if the e-mail belongs to an active person; does nothing visible otherwise. */
export async function requestPasswordReset(db: Db, config: Config, ctx: RequestContext, email: string): Promise<void> {
  const person = await repo.findPersonByEmail(db, email);
  if (!person || person.status !== 'active') return;
  await db.transaction(async (tx) => {
    await issuePasswordLink(tx, config, ctx, person, 'reset');
    await recordAudit(tx, { ...ctx, systemLabel: 'anonymous' }, { action: 'auth.reset_requested', recordType: 'person', recordId: person.id });
  });
}

/** The person a usable link belongs to, or null when it is unknown, used or expired. */
export function findUsableLink(db: Db, ctx: RequestContext, token: string) {
  return repo.findUsableOneTimeToken(db, hashSecret(token), ctx.clock.now());
}

/** Sets a password from an invitation or reset link: single use, even when two requests race. */
export async function completePasswordLink(db: Db, ctx: RequestContext, token: string, password: string, confirm: string): Promise<string> {
  const link = await findUsableLink(db, ctx, token);
  if (!link || link.status === 'deactivated') throw new NotFoundError('This link has expired or has already been used.');
  const problem = passwordProblem(password, link.email);
  if (problem) throw new ValidationError({ password: problem });
  if (password !== confirm) throw new ValidationError({ confirmPassword: 'Passwords must match' });
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    if (!(await repo.useOneTimeToken(tx, link.id, ctx.clock.now()))) throw new ConflictError('This link has already been used.');
    await repo.setPassword(tx, link.personId, passwordHash, ctx.clock.now());
    await repo.deleteSessionsOf(tx, link.personId);
    await recordAudit(tx, { ...ctx, systemLabel: link.email }, {
      action: link.purpose === 'invite' ? 'auth.invitation_accepted' : 'auth.password_reset',
      recordType: 'person',
      recordId: link.personId,
    });
  });
  return link.personId;
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
