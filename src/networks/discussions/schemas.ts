import { z } from 'zod';
import { pageQuery } from '../../api/registry.ts';
import { listPageNumber } from '../../web/list-query.ts';
import { networkKeys } from '../networks.ts';
import { plainText } from '../plain-text.ts';

export const maxTitle = 150;
export const maxBody = 5000;
export const maxReason = 500;

/**
 * Text a person types: trimmed, required, within a length, and plain (markup refused, as everywhere in the
 * networks); shown escaped with its links made safe (src/networks/discussions/text.ts).
 */
const requiredText = (label: string, max: number, enter: string) => plainText(label, max, `Enter ${enter}`);

const body = requiredText('Your message', maxBody, 'your message');

/** Starting a thread: its title and opening post. */
export const threadSchema = z.object({ title: requiredText('Title', maxTitle, 'a title'), body });
export type ThreadInput = z.infer<typeof threadSchema>;

/** A reply to a thread. */
export const replySchema = z.object({ body });

/** Editing one's post: the new text (and, for a thread's opening post, its title), over the version the form was read at. */
export const editPostSchema = z.object({
  body,
  title: requiredText('Title', maxTitle, 'a title').optional(),
  version: z.coerce.number({ error: 'The form was out of date: try again' }).int().positive(),
});

/** Hiding a post (facilitators) and reporting one (members) say why. */
export const hidePostSchema = z.object({ reason: requiredText('Reason', maxReason, 'why you are hiding the post') });
export const reportPostSchema = z.object({ reason: requiredText('Reason', maxReason, 'what is wrong with the post') });

/** Locking or unlocking a thread. */
export const lockSchema = z.object({ locked: z.enum(['true', 'false'], { error: 'Choose whether to lock or unlock the thread' }).transform((v) => v === 'true') });

/** The list's and a thread's page number. */
export const pageOnly = z.object({ page: listPageNumber });

/** The discussions list: a page, and words to find in titles and posts (too long: refused by `checkSearch`). */
export const threadListQuery = pageOnly.extend({ q: z.string().trim().optional().catch(undefined) });

/** The API's list of threads: a page, optionally of one network. */
export const discussionsApiQuery = pageQuery.extend({
  network: z.enum(networkKeys, { error: `network must be one of ${networkKeys.join(', ')}` }).optional(),
});

export const apiThreadSchema = z.object({
  id: z.uuid(),
  network: z.enum(networkKeys),
  title: z.string(),
  startedBy: z.string().describe('The name of who started it; "Former member" once they are erased'),
  replies: z.number().int(),
  locked: z.boolean().describe('A locked thread takes no replies'),
  createdAt: z.string().meta({ format: 'date-time' }),
  lastActivityAt: z.string().meta({ format: 'date-time' }).describe('The latest post (the list is newest activity first)'),
  href: z.string().describe('The thread\'s page'),
});
