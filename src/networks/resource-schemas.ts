import { z } from 'zod';
import { pageQuery } from '../api/registry.ts';
import { listPageNumber, searchMaxLength } from '../web/list-query.ts';
import { networkKeys } from './networks.ts';
import { looksLikeHtml, notPlainText, plainText } from './plain-text.ts';

/** The kinds of resource the library holds (issue 11), with their labels. */
export const resourceTypes = ['case_study', 'toolkit', 'template', 'other'] as const;
export type ResourceType = (typeof resourceTypes)[number];
export const resourceTypeLabels: Record<ResourceType, string> = { case_study: 'Case study', toolkit: 'Toolkit', template: 'Template', other: 'Other' };

export const resourceSorts = ['newest', 'downloads'] as const;
export type ResourceSort = (typeof resourceSorts)[number];
export const resourceSortLabels: Record<ResourceSort, string> = { newest: 'Newest first', downloads: 'Most downloaded first' };

export const maxTags = 10;
const maxTagLength = 40;

/** A tag as stored and searched: trimmed, lower case, inner spaces single. */
export const normaliseTag = (tag: string) => tag.trim().toLowerCase().replace(/\s+/g, ' ');

/** Tags as typed: separated by commas, each normalised, repeats dropped. */
const tagsSchema = z
  .string()
  .max(1000, 'Tags must be 1000 characters or fewer')
  .transform((text) => [...new Set(text.split(',').map(normaliseTag).filter(Boolean))])
  .refine((tags) => tags.length <= maxTags, `Enter ${maxTags} tags or fewer`)
  .refine((tags) => tags.every((t) => t.length <= maxTagLength), `Each tag must be ${maxTagLength} characters or fewer`)
  .refine((tags) => tags.every((t) => !looksLikeHtml(t)), notPlainText('Tags'));

/** An https address: a link resource never points at http:, javascript:, data: or a file. */
export const httpsLink = z
  .string()
  .trim()
  .max(2000, 'The link must be 2000 characters or fewer')
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'Enter a link that starts with https://, like https://www.example.gov.uk/case-study');

/** The resource's version as read (the forms' hidden field); a stale one is refused with 409. */
const resourceVersion = z.number().int().positive().optional();

/**
 * A resource's details, on the add and edit pages (the file, when there is one, comes beside them). `link` is for a
 * link resource; whether it is needed is the service's to say (a file or a link, not both).
 */
export const resourceDetailsSchema = z.object({
  title: plainText('Title', 200, 'Enter a title'),
  summary: plainText('Summary', 2000, 'Enter a summary'),
  type: z.enum(resourceTypes, { error: 'Select the type of resource' }),
  tags: tagsSchema,
  councilId: z.uuid({ error: 'Select a council from the list' }).nullable(),
  networks: z
    .array(z.enum(networkKeys, { error: 'Select the networks that can see this resource' }))
    .min(1, 'Select the networks that can see this resource')
    .max(networkKeys.length)
    .transform((keys) => [...new Set(keys)].sort()),
  link: httpsLink.optional(),
  version: resourceVersion,
});
/** A new file for a resource: only the version the editor read travels with it. */
export const resourceFileSchema = z.object({ version: resourceVersion });
export type ResourceDetails = z.infer<typeof resourceDetailsSchema>;

/** The library page's query: search, type, tag, sort and page, read leniently (a bad value is the default). */
export const resourceListQuery = z.object({
  q: z.string().trim().optional().catch(undefined),
  type: z.enum(resourceTypes).optional().catch(undefined),
  tag: z.string().transform(normaliseTag).optional().catch(undefined),
  sort: z.enum(resourceSorts).catch('newest').default('newest'),
  page: listPageNumber,
});

/** `GET /api/v1/network-resources`: the same search and filters, strictly (a bad value is a 400). */
export const resourceApiQuery = pageQuery.extend({
  q: z.string().trim().max(searchMaxLength, `q must be ${searchMaxLength} characters or fewer`).optional().describe('Words to find in titles, summaries and tags (web search syntax: "quoted phrases", or, -not)'),
  type: z.enum(resourceTypes).optional().describe('Only resources of this type'),
  tag: z.string().max(maxTagLength).transform(normaliseTag).optional().describe('Only resources with this tag (any case)'),
  network: z.enum(networkKeys).optional().describe('Only resources shown to this network'),
  sort: z.enum(resourceSorts).default('newest').describe('newest: latest added first; downloads: most downloaded first'),
});

/** A resource as the API gives it. */
export const resourceItem = z.object({
  id: z.uuid(),
  title: z.string(),
  summary: z.string(),
  type: z.enum(resourceTypes),
  tags: z.array(z.string()),
  council: z.object({ id: z.uuid(), name: z.string() }).nullable().describe('The council the resource is about, if any'),
  networks: z.array(z.enum(networkKeys)).describe('The networks whose members may see and download it'),
  kind: z.enum(['file', 'link']),
  file: z.object({ name: z.string(), contentType: z.string(), size: z.number().int() }).nullable().describe('The stored file (for kind "file")'),
  link: z.string().nullable().describe('The https address (for kind "link")'),
  downloads: z.number().int().describe('Downloads of the file, or clicks on the link'),
  createdAt: z.string().describe('When it was added (ISO 8601)'),
  downloadUrl: z.string().describe('Where to download the file or follow the link (counted), under /api/v1'),
});
