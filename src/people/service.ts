import { cachedRead } from '../db/read-cache.ts';
import { z } from 'zod';
import { isUniqueViolation, type Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { changedFields, recordAudit, type RequestContext } from '../audit/record.ts';
import { findUsableEmailChangeLink, issueEmailChangeLink, issuePasswordLink, useLink } from '../auth/service.ts';
import { deleteSessionsOf, expireOneTimeTokens, revokeApiTokensOf } from '../auth/repository.ts';
import { can, councilRoles, partnerRoles, peopleScope, roleLabels, roles as allRoles, type Actor, type PeopleScope, type Role } from '../auth/policy.ts';
import { ConflictError, NotFoundError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { detailsSchema, inviteSchema, rolesSchema } from './schemas.ts';
import { emailDomain, onEmailDomains } from '../councils/rules.ts';
import { enqueueEmail } from '../notifications/outbox.ts';
import * as repo from './repository.ts';
import { releaseRegistrationsOf } from '../networks/events/service.ts';


const duplicateEmail = () => new ConflictError('Someone already has this email address', 'email');

/** The CLI and seed act without an actor and may see everyone; a person sees what the policy allows. */
const scopeOf = (ctx: RequestContext): PeopleScope => (ctx.actor ? peopleScope(ctx.actor) : { kind: 'all' });

/** Why these roles cannot be held in an organisation of this kind, or null when they can. */
function rolesProblem(kind: 'council' | 'partner', wanted: readonly Role[]): string | null {
  const allowed = kind === 'council' ? councilRoles : partnerRoles;
  const wrong = wanted.find((r) => !allowed.includes(r));
  return wrong ? `${roleLabels[wrong]} is not a role for someone in ${kind === 'council' ? 'a council' : 'a partner organisation'}` : null;
}

/** Roles without repeats, in the policy's order, so they read and compare the same everywhere. */
const tidyRoles = (wanted: readonly Role[]) => allRoles.filter((r) => wanted.includes(r));

/** The roles a person in an organisation of this kind may hold, for the checkboxes. */
export const rolesFor = (kind: 'council' | 'partner') => (kind === 'council' ? councilRoles : partnerRoles);

/** One page of the people the actor may see. */
export function listPeople(db: Db, actor: Actor, filters: repo.PeopleFilters, page: { page: number; pageSize: number }) {
  return repo.listPeople(db, peopleScope(actor), filters, page);
}

/** Every person the actor may see that matches the filters, in the list's order, read in batches (the downloads). */
export function exportPeople(db: Db, actor: Actor, filters: repo.PeopleFilters) {
  return repo.exportPeople(db, peopleScope(actor), filters);
}

/** The organisations the actor may filter the people list by. */
export function organisationFilterOptions(db: Db, actor: Actor) {
  const scope = peopleScope(actor);
  return cachedRead(db, `people.organisations:${JSON.stringify(scope)}`, () => repo.organisationsWithPeople(db, scope));
}

/** Every organisation, for the invitation form. */
export const invitableOrganisations = (db: Db) => repo.allOrganisations(db);

/** A person the caller may see; anything else (unknown, malformed id, out of scope) is not found. */
export async function getPerson(db: Db, ctx: RequestContext, id: string): Promise<repo.PersonRow> {
  const person = z.uuid().safeParse(id).success ? await repo.findPersonInScope(db, scopeOf(ctx), id) : null;
  if (!person) throw new NotFoundError('We could not find that person.');
  return person;
}

/** A person the caller may change: an erased person's placeholder stays as it is (src/privacy), whatever the command. */
async function getChangeablePerson(db: Db, ctx: RequestContext, id: string): Promise<repo.PersonRow> {
  const person = await getPerson(db, ctx, id);
  if (person.erased) throw new ConflictError('This person has been erased, so their account cannot be changed.');
  return person;
}

/**
 * Invites a person: creates them as `invited` and queues an email with a single-use link to set a password.
 * Refuses a duplicate email (in any case) and roles that do not fit the organisation.
 */
export async function invitePerson(db: Db, config: Config, ctx: RequestContext, input: unknown): Promise<{ id: string; link: string }> {
  const data = parseOrThrow(inviteSchema, input);
  const org = await repo.findOrganisation(db, data.organisationId);
  if (!org) throw new ValidationError({ organisationId: 'Select an organisation from the list' });
  const problem = rolesProblem(org.kind, data.roles);
  if (problem) throw new ValidationError({ roles: problem });
  if (await repo.emailTaken(db, data.email)) throw duplicateEmail();
  try {
    return await db.transaction(async (tx) => {
      const person = await repo.insertPerson(tx, {
        name: data.name,
        email: data.email,
        organisationId: org.id,
        jobTitle: data.jobTitle || null,
        roles: tidyRoles(data.roles),
        status: 'invited',
      });
      const token = await issuePasswordLink(tx, config, ctx, person, 'invite');
      await recordAudit(tx, ctx, {
        action: 'person.invited',
        recordType: 'person',
        recordId: person.id,
        after: { name: person.name, email: person.email, organisationId: org.id, jobTitle: person.jobTitle, roles: person.roles },
      });
      return { id: person.id, link: `${config.baseUrl}${paths.setPassword(token)}` };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateEmail();
    throw err;
  }
}

/** Creates a programme admin in Local Partnerships (the CLI's `users create-admin`). */
export async function createAdmin(db: Db, config: Config, ctx: RequestContext, input: { email: string; name: string }) {
  const lp = await repo.findOrganisationByCode(db, 'LP');
  if (!lp) throw new Error('The partner organisations are missing: run `pioneer db migrate` first.');
  return invitePerson(db, config, ctx, { ...input, organisationId: lp.id, roles: ['programme_admin'] });
}

/**
 * Replaces a person's roles. The editor names the version they saw, so two admins editing at once cannot
 * silently undo each other; an admin may not take away their own admin role (nobody could give it back).
 */
export async function changeRoles(db: Db, ctx: RequestContext, id: string, input: unknown): Promise<void> {
  const person = await getChangeablePerson(db, ctx, id);
  const data = parseOrThrow(rolesSchema, input);
  const roles = tidyRoles(data.roles);
  const problem = rolesProblem(person.organisationKind, roles);
  if (problem) throw new ValidationError({ roles: problem });
  if (person.id === ctx.actor?.personId && person.roles.includes('programme_admin') && !roles.includes('programme_admin')) {
    throw new ValidationError({ roles: 'You cannot remove your own programme admin role. Ask another programme admin to do it.' });
  }
  await db.transaction(async (tx) => {
    if (!(await repo.updatePersonAt(tx, person.id, { roles }, data.version, ctx.clock.now()))) {
      throw new ConflictError('Someone else changed this person while you were editing. Check their details and make your change again.', 'roles');
    }
    await recordAudit(tx, ctx, { action: 'person.roles_changed', recordType: 'person', recordId: person.id, ...changedFields({ roles: person.roles }, { roles }) });
  });
}

/** Why the actor may not deactivate this person, or null when they may. */
export function deactivationProblem(actor: Actor | null, person: repo.PersonRow): string | null {
  if (person.id === actor?.personId) return 'You cannot deactivate your own account. Ask another programme admin to do it.';
  if (person.status === 'deactivated') return `${person.name} is already deactivated.`;
  return null;
}

/**
 * Deactivates a person and, in the same transaction, ends their sessions, revokes their API tokens and unused links,
 * and gives up their places at network events still to come (the waitlist moves up).
 */
export async function deactivatePerson(db: Db, ctx: RequestContext, id: string, baseUrl: string): Promise<void> {
  const person = await getChangeablePerson(db, ctx, id);
  const problem = deactivationProblem(ctx.actor, person);
  if (problem) throw new ConflictError(problem);
  await db.transaction(async (tx) => {
    const now = ctx.clock.now();
    await repo.setStatus(tx, person.id, 'deactivated', now);
    await deleteSessionsOf(tx, person.id);
    await revokeApiTokensOf(tx, person.id, now);
    await expireOneTimeTokens(tx, person.id, 'invite', now);
    await expireOneTimeTokens(tx, person.id, 'reset', now);
    await releaseRegistrationsOf(tx, ctx, person.id, baseUrl);
    await recordAudit(tx, ctx, { action: 'person.deactivated', recordType: 'person', recordId: person.id, before: { status: person.status }, after: { status: 'deactivated' } });
  });
}

/** Lets a deactivated person back in: active if they had set a password, otherwise invited again (resend the invitation). */
export async function reactivatePerson(db: Db, ctx: RequestContext, id: string): Promise<void> {
  const person = await getChangeablePerson(db, ctx, id);
  if (person.status !== 'deactivated') throw new ConflictError(`${person.name} is not deactivated.`);
  const status = person.hasPassword ? 'active' : 'invited';
  await db.transaction(async (tx) => {
    await repo.setStatus(tx, person.id, status, ctx.clock.now());
    await recordAudit(tx, ctx, { action: 'person.reactivated', recordType: 'person', recordId: person.id, before: { status: person.status }, after: { status } });
  });
}

/** Sends a fresh invitation link to someone who has not yet accepted; the old link stops working. */
export async function resendInvitation(db: Db, config: Config, ctx: RequestContext, id: string): Promise<void> {
  const person = await getChangeablePerson(db, ctx, id);
  if (person.status !== 'invited') throw new ConflictError(`${person.name} has already accepted their invitation or is deactivated.`);
  await db.transaction(async (tx) => {
    await issuePasswordLink(tx, config, ctx, person, 'invite');
    await recordAudit(tx, ctx, { action: 'person.invitation_resent', recordType: 'person', recordId: person.id });
  });
}

/** A stale correction: someone changed the person after the editor read them. */
const staleDetails = (name: string) => new ConflictError(`${name}’s details were changed by someone else while you were editing. Check them and try again.`, '_form');

/**
 * Why a council person cannot be given this address (null when they can), by the councils' email domain rule that
 * nominations follow: a council's own staff use only the council's domains; the programme team may go outside them
 * when they ask to explicitly (audited), and before a council's domains are set.
 */
async function addressProblem(db: Db, ctx: RequestContext, person: repo.PersonRow, email: string, allowOutside: boolean): Promise<string | null> {
  if (person.organisationKind !== 'council') return null;
  const override = !ctx.actor || can(ctx.actor, 'enrolment:any-email-domain');
  if (allowOutside && !override) return 'Only the programme team can allow an address outside the council’s email domains';
  const domains = await repo.emailDomainsOf(db, person.organisationId);
  if (onEmailDomains(email, domains) || (override && (allowOutside || !domains.length))) return null;
  if (!override) {
    return domains.length
      ? `Use an address on ${domains.join(' or ')}, the council’s email domains. Ask the programme team if the address is right`
      : 'No email domains are set up for your council yet, so the address cannot be changed. Ask the programme team to add them';
  }
  return `${emailDomain(email)} is not one of ${person.organisationName}’s email domains (${domains.join(', ')}): choose “Allow an address outside the council’s domains” to use it anyway`;
}

/** What a correction did: the address a confirmation link was sent to, when the email address is to change. */
export type DetailsOutcome = { emailChangeSentTo: string | null };

/**
 * Corrects a person's name, job title and email address, naming the version the editor saw (409 when stale). Name
 * and job title change at once; a new email address (other than in capitals) changes only when the link sent to it is
 * opened, and the current address is told that a change was asked for, so a hijack does not go unnoticed.
 */
export async function editDetails(db: Db, config: Config, ctx: RequestContext, id: string, input: unknown): Promise<DetailsOutcome> {
  const person = await getChangeablePerson(db, ctx, id);
  const data = parseOrThrow(detailsSchema, input);
  const sameMailbox = !data.email || data.email.toLowerCase() === person.email.toLowerCase();
  const newEmail = sameMailbox ? null : data.email!;
  if (newEmail) {
    const problem = await addressProblem(db, ctx, person, newEmail, data.allowOutsideDomains ?? false);
    if (problem) throw new ValidationError({ email: problem });
    if (await repo.emailTaken(db, newEmail, person.id)) throw duplicateEmail();
  }
  if (data.version !== person.version) throw staleDetails(person.name);
  const details = {
    name: data.name ?? person.name,
    jobTitle: data.jobTitle === undefined ? person.jobTitle : data.jobTitle || null,
    // A change of capitals only reaches the same mailbox: nothing to confirm.
    email: sameMailbox && data.email ? data.email : person.email,
  };
  const changes = changedFields({ name: person.name, jobTitle: person.jobTitle, email: person.email }, details);
  return db.transaction(async (tx) => {
    const now = ctx.clock.now();
    if (Object.keys(changes.after).length) {
      if (!(await repo.updatePersonAt(tx, person.id, details, data.version, now))) throw staleDetails(person.name);
      await recordAudit(tx, ctx, { action: 'person.details_changed', recordType: 'person', recordId: person.id, ...changes });
    }
    if (newEmail) {
      const link = await issueEmailChangeLink(tx, config, ctx, person.id, newEmail);
      const hours = config.emailChangeTtlHours;
      await enqueueEmail(tx, {
        to: newEmail,
        template: 'email-change',
        subject: 'Confirm your new email address for Pioneer',
        body: `Dear ${details.name},\n\nYour email address in Pioneer, the service for the Contract Management Pioneer Programme, is being changed to this one. Confirm it here:\n${link}\n\nThis link works once and expires in ${hours} hours. Until it is opened, Pioneer keeps using your current address. If you did not expect this, ignore this email.`,
      });
      await enqueueEmail(tx, {
        to: person.email,
        template: 'email-change-notice',
        subject: 'Your Pioneer email address is being changed',
        body: `Dear ${details.name},\n\n${ctx.actor ? ctx.actor.name : 'The programme team'} asked to change your email address in Pioneer to ${newEmail}. The change happens when the link sent to that address is opened.\n\nIf this is wrong, contact your council’s Pioneer lead or the programme team straight away.`,
      });
      await recordAudit(tx, ctx, {
        action: 'person.email_change_requested',
        recordType: 'person',
        recordId: person.id,
        before: { email: person.email },
        after: { email: newEmail, ...(data.allowOutsideDomains ? { emailDomainsOverridden: true } : {}) },
      });
    }
    return { emailChangeSentTo: newEmail };
  });
}

/** A council's email domains (none for a partner), for the correction form's hint. */
export const emailDomainsOf = (db: Db, organisationId: string) => repo.emailDomainsOf(db, organisationId);

/** The address a person's email is waiting to change to, for their page. */
export const pendingEmailChange = (db: Db, ctx: RequestContext, personId: string) => repo.pendingEmailChange(db, personId, ctx.clock.now());

const usedLink = () => new NotFoundError('This link has expired or has already been used.');

/** The person and new address of a usable confirmation link (for its page), or a not-found error. */
export async function emailChangeLink(db: Db, ctx: RequestContext, token: string) {
  const link = await findUsableEmailChangeLink(db, ctx, token);
  if (!link?.newEmail || link.status === 'deactivated') throw usedLink();
  return { ...link, newEmail: link.newEmail };
}

/**
 * Opens an email confirmation link: the person's address becomes the one the link was sent to (once; audited by that
 * address). Password reset links sent to the old address stop working; someone still invited gets a new invitation at
 * the new address, since the first one went to the old. An address someone else took meanwhile is refused (409).
 */
export async function confirmEmailChange(db: Db, config: Config, ctx: RequestContext, token: string): Promise<{ personId: string; email: string }> {
  const link = await emailChangeLink(db, ctx, token);
  try {
    await db.transaction(async (tx) => {
      const now = ctx.clock.now();
      if (!(await useLink(tx, ctx, link.id))) throw usedLink();
      if (await repo.emailTaken(tx, link.newEmail, link.personId)) throw duplicateEmail();
      await repo.setEmail(tx, link.personId, link.newEmail, now);
      await expireOneTimeTokens(tx, link.personId, 'reset', now);
      if (link.status === 'invited') await issuePasswordLink(tx, config, ctx, { id: link.personId, name: link.name, email: link.newEmail }, 'invite');
      await recordAudit(tx, { ...ctx, systemLabel: link.newEmail }, {
        action: 'person.email_changed',
        recordType: 'person',
        recordId: link.personId,
        before: { email: link.email },
        after: { email: link.newEmail },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateEmail();
    throw err;
  }
  return { personId: link.personId, email: link.newEmail };
}
