import { z } from 'zod';
import { roles } from '../auth/policy.ts';

const text = (label: string, max: number) =>
  z.string({ error: `Enter ${label}` }).trim().min(1, `Enter ${label}`).max(max, `${label[0].toUpperCase()}${label.slice(1)} must be ${max} characters or fewer`);

/** Inviting a person: the same schema for the page and the API. */
export const inviteSchema = z.object({
  name: text('a full name', 200).describe('Full name'),
  email: z
    .string({ error: 'Enter an email address' })
    .trim()
    .min(1, 'Enter an email address')
    .max(320, 'Email address must be 320 characters or fewer')
    .pipe(z.email('Enter an email address in the correct format, like name@example.gov.uk')),
  organisationId: z.uuid('Select an organisation'),
  jobTitle: z.string().trim().max(200, 'Job title must be 200 characters or fewer').optional().default(''),
  roles: z
    .array(z.enum(roles, { error: 'Select a role from the list' }), { error: 'Select at least one role' })
    .min(1, 'Select at least one role'),
});
export type InviteInput = z.infer<typeof inviteSchema>;
