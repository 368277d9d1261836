import { and, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { apiTokens, oneTimeTokens, organisations, people, sessions } from '../db/schema.ts';
import type { DbOrTx } from '../db/client.ts';
import type { Actor, Role } from './policy.ts';
import { preparedPerDatabase } from '../db/prepared-statements.ts';

/** A person with what sign-in needs to know. */
export async function findPersonByEmail(db: DbOrTx, email: string) {
  const [row] = await db
    .select()
    .from(people)
    .where(sql`lower(${people.email}) = lower(${email})`);
  return row ?? null;
}

const actorFields = {
  personId: people.id,
  name: people.name,
  email: people.email,
  organisationId: people.organisationId,
  organisationKind: organisations.kind,
  roles: people.roles,
  status: people.status,
};

/** The actor of an active person; null when there is no row or the person is not active. */
function activeActor(row: ({ status: string; roles: string[] } & Omit<Actor, 'roles'>) | undefined): Actor | null {
  if (!row || row.status !== 'active') return null;
  const { status: _status, ...actor } = row;
  return { ...actor, roles: row.roles as Role[] };
}

/** Builds the actor for an active person, or null when they are not active. */
export async function loadActor(db: DbOrTx, personId: string): Promise<Actor | null> {
  const [row] = await db
    .select(actorFields)
    .from(people)
    .innerJoin(organisations, eq(organisations.id, people.organisationId))
    .where(eq(people.id, personId));
  return activeActor(row);
}

/** Starts a session, clearing the person's expired ones so the table does not grow without end. */
export async function insertSession(db: DbOrTx, s: { id: string; personId: string; csrfToken: string; expiresAt: Date }, now: Date) {
  await db.delete(sessions).where(and(eq(sessions.personId, s.personId), lt(sessions.expiresAt, now)));
  await db.insert(sessions).values(s);
}

/** The live session with this id and its person: every signed-in page asks it first, so it is prepared (db/prepared-statements.ts). */
const sessionActorStatement = preparedPerDatabase((db) =>
  db
    .select({ ...actorFields, csrfToken: sessions.csrfToken })
    .from(sessions)
    .innerJoin(people, eq(people.id, sessions.personId))
    .innerJoin(organisations, eq(organisations.id, people.organisationId))
    .where(and(eq(sessions.id, sql.placeholder('id')), gt(sessions.expiresAt, sql.placeholder('now'))))
    .prepare('session_actor'),
);

/** The live session with this id (hash) and its active person, or null. */
export async function findSessionActor(db: DbOrTx, id: string, now: Date): Promise<{ csrfToken: string; actor: Actor } | null> {
  const [row] = await sessionActorStatement(db).execute({ id, now: now.toISOString() });
  if (!row) return null;
  const { csrfToken, ...person } = row;
  const actor = activeActor(person);
  return actor && { csrfToken, actor };
}

export async function deleteSession(db: DbOrTx, id: string) {
  await db.delete(sessions).where(eq(sessions.id, id));
}

/** Ends every session of a person (deactivation, password change). */
export async function deleteSessionsOf(db: DbOrTx, personId: string) {
  await db.delete(sessions).where(eq(sessions.personId, personId));
}

/**
 * The person with this email, their row locked until the transaction ends (SELECT … FOR UPDATE), so sign-in
 * attempts on one account are judged one after another. On PGlite a transaction is exclusive anyway.
 */
export async function lockPersonForSignIn(tx: DbOrTx, email: string) {
  const [row] = await tx
    .select({ id: people.id, email: people.email, passwordHash: people.passwordHash, status: people.status, lockedUntil: people.lockedUntil })
    .from(people)
    .where(sql`lower(${people.email}) = lower(${email})`)
    .for('update');
  return row ?? null;
}

/** Counts a wrong password, locking the account until `lockUntil` when this failure reaches `maxFailures`. */
export async function recordFailedSignIn(db: DbOrTx, personId: string, maxFailures: number, lockUntil: Date) {
  await db
    .update(people)
    .set({
      failedSignIns: sql`${people.failedSignIns} + 1`,
      lockedUntil: sql`case when ${people.failedSignIns} + 1 >= ${maxFailures} then ${lockUntil.toISOString()}::timestamptz else ${people.lockedUntil} end`,
    })
    .where(eq(people.id, personId));
}

export async function clearFailedSignIns(db: DbOrTx, personId: string) {
  await db.update(people).set({ failedSignIns: 0, lockedUntil: null }).where(eq(people.id, personId));
}

export type LinkPurpose = (typeof oneTimeTokens.purpose.enumValues)[number];

export async function insertOneTimeToken(db: DbOrTx, t: { personId: string; purpose: LinkPurpose; tokenHash: string; expiresAt: Date; email?: string }) {
  await db.insert(oneTimeTokens).values(t);
}

/**
 * The unused, unexpired link with this hash and one of these purposes, with its person; null when it is unknown,
 * used, expired or made for something else (an email confirmation link never sets a password, nor the reverse).
 */
export async function findUsableOneTimeToken<P extends LinkPurpose>(db: DbOrTx, tokenHash: string, now: Date, purposes: readonly P[]) {
  const [row] = await db
    .select({
      id: oneTimeTokens.id,
      personId: oneTimeTokens.personId,
      purpose: oneTimeTokens.purpose,
      newEmail: oneTimeTokens.email,
      email: people.email,
      name: people.name,
      status: people.status,
    })
    .from(oneTimeTokens)
    .innerJoin(people, eq(people.id, oneTimeTokens.personId))
    .where(
      and(
        eq(oneTimeTokens.tokenHash, tokenHash),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
        inArray(oneTimeTokens.purpose, [...purposes]),
      ),
    );
  return row ? { ...row, purpose: row.purpose as P } : null;
}

/** Marks a link used; returns false when another request used it first. */
export async function useOneTimeToken(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.id, id), isNull(oneTimeTokens.usedAt)))
    .returning({ id: oneTimeTokens.id });
  return rows.length === 1;
}

/** Invalidates a person's outstanding links of one purpose (a new invitation replaces the old). */
export async function expireOneTimeTokens(db: DbOrTx, personId: string, purpose: LinkPurpose, now: Date) {
  await db
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.personId, personId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt)));
}

/** The person's password hash (null before they have set one). */
export async function passwordHashOf(db: DbOrTx, personId: string): Promise<string | null> {
  const [row] = await db.select({ passwordHash: people.passwordHash }).from(people).where(eq(people.id, personId));
  return row?.passwordHash ?? null;
}

export async function setPassword(db: DbOrTx, personId: string, passwordHash: string, now: Date) {
  await db
    .update(people)
    .set({ passwordHash, status: 'active', failedSignIns: 0, lockedUntil: null, updatedAt: now, version: sql`${people.version} + 1` })
    .where(eq(people.id, personId));
}

export async function insertApiToken(db: DbOrTx, t: { personId: string; name: string; tokenHash: string }) {
  const [row] = await db.insert(apiTokens).values(t).returning();
  return row;
}

/** A live (unrevoked) API token and its person: every API request asks it first, so it is prepared (db/prepared-statements.ts). */
const apiTokenActorStatement = preparedPerDatabase((db) =>
  db
    .select({ ...actorFields, tokenId: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(people, eq(people.id, apiTokens.personId))
    .innerJoin(organisations, eq(organisations.id, people.organisationId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')), isNull(apiTokens.revokedAt)))
    .prepare('api_token_actor'),
);

/** The live API token with this hash, when it was last used, and its person's actor (null when not active). */
export async function findApiTokenActor(db: DbOrTx, tokenHash: string): Promise<{ id: string; lastUsedAt: Date | null; actor: Actor | null } | null> {
  const [row] = await apiTokenActorStatement(db).execute({ tokenHash });
  if (!row) return null;
  const { tokenId, lastUsedAt, ...person } = row;
  return { id: tokenId, lastUsedAt, actor: activeActor(person) };
}

/**
 * Records when a token was last used, at most once a minute: every API request calls this, and a write per
 * request would serialise PGlite and churn rows on PostgreSQL for a figure shown to the minute. Within the minute
 * no statement is sent at all; the update's own condition keeps concurrent requests from writing twice.
 */
export async function touchApiToken(db: DbOrTx, token: { id: string; lastUsedAt: Date | null }, now: Date) {
  const aMinuteAgo = new Date(now.getTime() - 60_000);
  if (token.lastUsedAt && token.lastUsedAt >= aMinuteAgo) return;
  await db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.id, token.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, aMinuteAgo))));
}

export async function listApiTokens(db: DbOrTx, personId: string) {
  return db
    .select({ id: apiTokens.id, name: apiTokens.name, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .where(eq(apiTokens.personId, personId))
    .orderBy(apiTokens.createdAt);
}

/** Revokes one of a person's tokens; returns false when it is not theirs or already revoked. */
export async function revokeApiToken(db: DbOrTx, personId: string, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.personId, personId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length === 1;
}

/** Revokes every live token of a person (deactivation, a new password); answers the revoked tokens' ids. */
export async function revokeApiTokensOf(db: DbOrTx, personId: string, now: Date): Promise<string[]> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.personId, personId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.map((r) => r.id);
}
