import { z } from 'zod';
import { emailAddress } from '../people/schemas.ts';
import { listPageNumber } from '../web/list-query.ts';
import { memberRoles } from './networks.ts';

/** Adding a person to a network by hand: who (by email address) and as what. */
export const addMemberSchema = z.object({
  email: emailAddress,
  role: z.enum(memberRoles, { error: 'Select whether they join as a member or a facilitator' }),
});
export type AddMemberInput = z.infer<typeof addMemberSchema>;

/** The home page's page of organisations. */
export const homeQuery = z.object({ page: listPageNumber });
