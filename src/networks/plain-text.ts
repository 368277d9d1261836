import { z } from 'zod';

/**
 * Text people type into the networks (resources, events, discussions) is plain text: shown escaped anyway, but
 * anything that looks like markup is refused (issue 11: "script or HTML in any text" is bad input), so nothing a
 * member reads looks like a link or a tag it is not.
 */

/** Text that looks like markup: a "<" opening a tag, a closing tag, a comment or a processing instruction. */
export const looksLikeHtml = (text: string) => /<\s*[a-z!/?]/i.test(text);

export const notPlainText = (label: string) => `${label} must be plain text, without HTML or script`;

const checked = (text: z.ZodString, label: string, max: number) =>
  text.max(max, `${label} must be ${max.toLocaleString('en-GB')} characters or fewer`).refine((t) => !looksLikeHtml(t), notPlainText(label));

/** Optional plain text, trimmed, within a length. */
export const optionalPlainText = (label: string, max: number) => checked(z.string().trim(), label, max);

/** Required plain text; `missing` is the whole "Enter …" message. */
export const plainText = (label: string, max: number, missing: string) => checked(z.string({ error: missing }).trim().min(1, missing), label, max);
