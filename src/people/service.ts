import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { recordAudit, type RequestContext } from '../audit/record.ts';
import { issuePasswordLink } from '../auth/service.ts';
import { councilRoles, partnerRoles, roleLabels } from '../auth/policy.ts';
import { ConflictError, ValidationError } from '../web/errors.ts';
import { parseOrThrow } from '../web/forms.ts';
import { paths } from '../web/paths.ts';
import { inviteSchema } from './schemas.ts';
import * as repo from './repository.ts';

/** Is `error` PostgreSQL's unique violation (e.g. two invitations for one e-mail racing)? */
const isUniqueViolation = (error: unknown) =>
  typeof error === 'object' && error !== null && ((error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505');

/**
 * Invites a person: creates them as `invited` and queues an e-mail with a single-use link to set a password.
 * Refuses a duplicate e-mail (in any case) and roles that do not fit the organisation.
 */
export async function invitePerson(db: Db, config: Config, ctx: RequestContext, input: unknown): Promise<{ id: string; link: string }> {
  const data = parseOrThrow(inviteSchema, input);
  const org = await repo.findOrganisation(db, data.organisationId);
  if (!org) throw new ValidationError({ organisationId: 'Select an organisation from the list' });
  const allowed = org.kind === 'council' ? councilRoles : partnerRoles;
  const wrong = data.roles.find((r) => !allowed.includes(r));
  if (wrong) throw new ValidationError({ roles: `${roleLabels[wrong]} is not a role for someone in ${org.kind === 'council' ? 'a council' : 'a partner organisation'}` });
  if (await repo.emailTaken(db, data.email)) throw new ValidationError({ email: 'Someone already has this email address' });
  try {
    return await db.transaction(async (tx) => {
      const person = await repo.insertPerson(tx, {
        name: data.name,
        email: data.email,
        organisationId: org.id,
        jobTitle: data.jobTitle || null,
        roles: [...new Set(data.roles)],
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
    if (isUniqueViolation(err)) throw new ConflictError('Someone already has this email address', 'email');
    throw err;
  }
}

/** Creates a programme admin in Local Partnerships (the CLI's `users create-admin`). */
export async function createAdmin(db: Db, config: Config, ctx: RequestContext, input: { email: string; name: string }) {
  const lp = await repo.findOrganisationByCode(db, 'LP');
  if (!lp) throw new Error('The partner organisations are missing: run `pioneer db migrate` first.');
  return invitePerson(db, config, ctx, { ...input, organisationId: lp.id, roles: ['programme_admin'] });
}
