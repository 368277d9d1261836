import { z } from 'zod';
import { roles } from '../auth/policy.ts';
import { pageQuery } from '../api/registry.ts';
import { listQuery } from '../web/list-query.ts';

export const personStatuses = ['invited', 'active', 'deactivated'] as const;

export const personStatusLabels: Record<(typeof personStatuses)[number], string> = {
  invited: 'Invited',
  active: 'Active',
  deactivated: 'Deactivated',
};

/** GOV.UK tag colour per status. */
export const personStatusTagClass: Record<(typeof personStatuses)[number], string> = {
  invited: 'govuk-tag--light-blue',
  active: 'govuk-tag--green',
  deactivated: 'govuk-tag--grey',
};

/**
 * The status a person's tag and downloads show: "Erased" for an erased person's placeholder (src/privacy), whose
 * stored status is kept for the dashboard's counts but means nothing to a reader; else the stored status.
 */
export const shownPersonStatus = (p: { status: (typeof personStatuses)[number]; erased: boolean }) =>
  p.erased ? { text: 'Erased', classes: 'govuk-tag--grey' } : { text: personStatusLabels[p.status], classes: personStatusTagClass[p.status] };

const text = (label: string, max: number) =>
  z.string({ error: `Enter ${label}` }).trim().min(1, `Enter ${label}`).max(max, `${label[0].toUpperCase()}${label.slice(1)} must be ${max} characters or fewer`);

const roleList = z
  .array(z.enum(roles, { error: 'Select a role from the list' }), { error: 'Select at least one role' })
  .min(1, 'Select at least one role')
  .max(roles.length, `Select ${roles.length} roles or fewer`)
  .describe('One or more of: ' + roles.join(', '));

const fullName = text('a full name', 200).describe('Full name');

export const emailAddress = z
  .string({ error: 'Enter an email address' })
  .trim()
  .min(1, 'Enter an email address')
  .max(320, 'Email address must be 320 characters or fewer')
  .pipe(z.email('Enter an email address in the correct format, like name@example.gov.uk'));

const jobTitle = z.string({ error: 'Enter a job title, or leave it empty' }).trim().max(200, 'Job title must be 200 characters or fewer');

/** Inviting a person: the same schema for the page and the API. */
export const inviteSchema = z.object({
  name: fullName,
  email: emailAddress,
  organisationId: z.uuid('Select an organisation'),
  jobTitle: jobTitle.optional().default(''),
  roles: roleList,
});
export type InviteInput = z.infer<typeof inviteSchema>;

/** Changing a person's roles names the version the editor saw (optimistic locking). */
export const rolesSchema = z.object({
  roles: roleList,
  version: z.number({ error: 'Reload the page and try again' }).int().min(1, 'Reload the page and try again'),
});

/**
 * Correcting a person's details (page and API). A field left out stays as it is (the page sends them all); an empty
 * or null job title clears it. A new email address is not taken at once: a link to confirm it goes to that address.
 */
export const detailsSchema = z.object({
  name: fullName.optional(),
  email: emailAddress.describe('Work email address. A new address takes effect when the link emailed to it is opened').optional(),
  jobTitle: jobTitle.nullable().optional().describe('Job title; empty or null clears it'),
  allowOutsideDomains: z
    .boolean({ error: 'allowOutsideDomains must be true or false' })
    .optional()
    .describe('For the programme team: take a council person’s new address although it is not on one of the council’s email domains'),
  version: z
    .number({ error: 'Reload the page and try again' })
    .int('version must be a whole number')
    .min(1, 'version must be 1 or more')
    .describe('The version you read; a stale one is refused with 409'),
});
export type DetailsInput = z.infer<typeof detailsSchema>;

/** The people list page's query string: lenient, as a hand-edited URL should be. */
export const peopleListQuery = listQuery(['name', 'email', 'organisation', 'status'], 'name').extend({
  organisationId: z.uuid().optional().catch(undefined),
  role: z.enum(roles).optional().catch(undefined),
  status: z.enum(personStatuses).optional().catch(undefined),
});
export type PeopleListQuery = z.infer<typeof peopleListQuery>;

/** `GET /api/v1/people`: strict, so a client learns about a mistyped filter (400). */
export const peopleApiQuery = pageQuery.extend({
  q: z.string().trim().max(200, 'q must be 200 characters or fewer').optional(),
  organisationId: z.uuid('organisationId must be a UUID').optional(),
  role: z.enum(roles, { error: `role must be one of: ${roles.join(', ')}` }).optional(),
  status: z.enum(personStatuses, { error: `status must be one of: ${personStatuses.join(', ')}` }).optional(),
});

/** A person as the API shows them. */
export const personItem = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  organisationId: z.uuid(),
  organisationName: z.string(),
  jobTitle: z.string().nullable(),
  roles: z.array(z.enum(roles)),
  status: z.enum(personStatuses),
  version: z.number().int(),
});
