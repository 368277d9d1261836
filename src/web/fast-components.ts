/**
 * The GOV.UK select, tag, details and table, written in TypeScript for the places a page draws many of them: a list's
 * filter of 300 councils, a status tag on each of its 50 rows, the audit log's changed fields under each of its 50
 * events, the dashboard's tables of counts. Through the GOV.UK macros each option, tag and cell is a macro call with
 * its own attribute macro, captured blocks and filters; on the people list the organisation select alone was half the
 * page's render time, and on the programme dashboard its tables' cells were a third of the page's CPU. The markup is the macros' own (fast-components.test.ts renders both and compares them), for
 * the parameters these take; anything else (attributes, html labels) goes through the GOV.UK macro.
 * `appSelect`, `appTag` and `appTable` are the Nunjucks globals of those names (web/views.ts); `appDetails` draws the
 * audit log's rows' changed fields (audit/rows-html.ts).
 */
import { escapeHtml as escape, safe } from './html-escape.ts';

type Text = string | number | null | undefined;

const withClasses = (base: string, classes?: string) => (classes ? `${base} ${escape(classes)}` : base);

export type SelectItem = { value?: Text; text: Text; selected?: boolean; disabled?: boolean } | null | undefined;

export type SelectParams = {
  id?: string;
  name: string;
  items: SelectItem[];
  value?: Text;
  classes?: string;
  label: { text: Text; classes?: string };
  hint?: { text: Text };
  errorMessage?: { text: Text } | false | null;
};

/** govukSelect's markup for a label, an optional hint and error message, and the options. */
export function appSelect(params: SelectParams) {
  const id = params.id || params.name;
  const described: string[] = [];
  const parts: string[] = [];
  const error = params.errorMessage || undefined;
  parts.push(`<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">`);
  if (params.label.text !== undefined && params.label.text !== '') {
    parts.push(`<label class="${withClasses('govuk-label', params.label.classes)}" for="${escape(id)}">${escape(params.label.text)}</label>`);
  }
  if (params.hint) {
    described.push(`${id}-hint`);
    parts.push(`<div id="${escape(id)}-hint" class="govuk-hint">${escape(params.hint.text)}</div>`);
  }
  if (error) {
    described.push(`${id}-error`);
    parts.push(`<p id="${escape(id)}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${escape(error.text)}</p>`);
  }
  const selectClasses = withClasses('govuk-select', params.classes) + (error ? ' govuk-select--error' : '');
  const describedBy = described.length ? ` aria-describedby="${escape(described.join(' '))}"` : '';
  parts.push(`<select class="${selectClasses}" id="${escape(id)}" name="${escape(params.name)}"${describedBy}>`);
  const hasValue = params.value !== undefined && params.value !== null && params.value !== '';
  for (const item of params.items) {
    if (!item) continue;
    const effective = item.value === undefined ? item.text : item.value;
    // The macro's rule: an item's own `selected` wins; otherwise the item whose value equals the select's value.
    // Nunjucks compares with ==, so "5" selects the option of value 5.
    const selected = item.selected ?? (hasValue ? effective == params.value && item.selected !== false : false);
    const value = item.value === undefined ? '' : ` value="${escape(item.value)}"`;
    parts.push(`<option${value}${selected ? ' selected' : ''}${item.disabled ? ' disabled' : ''}>${escape(item.text)}</option>`);
  }
  parts.push('</select></div>');
  return safe(parts.join('\n'));
}

/** govukTag's markup: `<strong class="govuk-tag …">text</strong>`. */
export function appTag(params: { text: Text; classes?: string }) {
  return safe(`<strong class="${withClasses('govuk-tag', params.classes)}">${escape(params.text)}</strong>`);
}

/**
 * govukDetails' markup for a summary and a body given as HTML (already safe: the caller escaped what it holds). On the
 * audit log, fifty govukDetails calls (each with its attributes macro) were a third of the page's rendering.
 */
export function appDetails(params: { summaryHtml: string; html: string; classes?: string }) {
  return safe(
    `<details class="${withClasses('govuk-details', params.classes)}">\n<summary class="govuk-details__summary">\n` +
      `<span class="govuk-details__summary-text">\n${String(params.summaryHtml).trim()}\n</span>\n</summary>\n` +
      `<div class="govuk-details__text">\n${params.html}\n</div>\n</details>`,
  );
}

/** Attributes as govukAttributes writes a plain map of them: ` name="value"`, escaped, an empty value for none. */
const attributes = (map?: Record<string, Text>) =>
  map ? Object.entries(map).map(([name, value]) => ` ${escape(name)}="${escape(value ?? '')}"`).join('') : '';

export type TableCell = { text?: Text; html?: string; format?: string; classes?: string; colspan?: number; rowspan?: number; attributes?: Record<string, Text> };

export type TableParams = {
  caption?: Text;
  captionClasses?: string;
  classes?: string;
  attributes?: Record<string, Text>;
  firstCellIsHeader?: boolean;
  head?: TableCell[];
  rows: (TableCell[] | null | undefined)[];
};

const cellAttributes = (cell: TableCell) =>
  (cell.colspan ? ` colspan="${escape(cell.colspan)}"` : '') + (cell.rowspan ? ` rowspan="${escape(cell.rowspan)}"` : '') + attributes(cell.attributes);

/** A cell's content: its HTML as given (the caller made it safe) or its text, escaped. */
const cellContent = (cell: TableCell) => (cell.html ? String(cell.html) : escape(cell.text ?? ''));

/** govukTable's markup, for a caption, a head and rows of text or HTML cells. */
export function appTable(params: TableParams) {
  const parts: string[] = [`<table class="${withClasses('govuk-table', params.classes)}"${attributes(params.attributes)}>`];
  if (params.caption) parts.push(`<caption class="${withClasses('govuk-table__caption', params.captionClasses)}">${escape(params.caption)}</caption>`);
  if (params.head) {
    parts.push('<thead class="govuk-table__head"><tr class="govuk-table__row">');
    for (const item of params.head) {
      const format = item.format ? ` govuk-table__header--${escape(item.format)}` : '';
      parts.push(`<th scope="col" class="${withClasses(`govuk-table__header${format}`, item.classes)}"${cellAttributes(item)}>${cellContent(item)}</th>`);
    }
    parts.push('</tr></thead>');
  }
  parts.push('<tbody class="govuk-table__body">');
  for (const row of params.rows) {
    if (!row) continue;
    parts.push('<tr class="govuk-table__row">');
    row.forEach((cell, i) => {
      if (i === 0 && params.firstCellIsHeader) {
        parts.push(`<th scope="row" class="${withClasses('govuk-table__header', cell.classes)}"${cellAttributes(cell)}>${cellContent(cell)}</th>`);
      } else {
        const format = cell.format ? ` govuk-table__cell--${escape(cell.format)}` : '';
        parts.push(`<td class="${withClasses(`govuk-table__cell${format}`, cell.classes)}"${cellAttributes(cell)}>${cellContent(cell)}</td>`);
      }
    });
    parts.push('</tr>');
  }
  parts.push('</tbody></table>');
  return safe(parts.join('\n'));
}
