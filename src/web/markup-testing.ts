/**
 * For tests comparing markup drawn in TypeScript with the Nunjucks loop it replaced (audit/rows-html.test.ts,
 * enrolments/rows-html.test.ts): whitespace runs become one space, and none is kept between tags; text beside a tag
 * keeps its space, since a browser shows it.
 */
export const normaliseMarkup = (html: string) => html.replace(/\s+/g, ' ').replace(/>\s+</g, '><').trim();
