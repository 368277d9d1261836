/**
 * The GOV.UK select, tag, details, table, text input and date input, written in TypeScript for the places a page draws
 * many of them or draws them on every view: a list's filter of 300 councils, a status tag on each of its 50 rows, the
 * audit log's changed fields under each of its 50 events, the dashboard's tables of counts, every list's search box.
 * Through the GOV.UK macros each option, tag and cell is a macro call with its own attribute macro, captured blocks
 * and filters; on the people list the organisation select alone was half the page's render time, and on the
 * programme dashboard its tables' cells were a third of the page's CPU. The markup is the macros' own
 * (fast-components.test.ts renders both and compares them), for the parameters these take; anything else
 * (attributes, html labels) goes through the GOV.UK macro.
 * `appSelect`, `appTag`, `appTable`, `appInput` and `appDateInput` are the Nunjucks globals of those names
 * (web/views.ts); `appDetails` draws the audit log's rows' changed fields (audit/rows-html.ts).
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

type Label = { text: Text; classes?: string };
type ErrorMessage = { text: Text } | false | null | undefined;

/** ` name="value"` when the value is given (govukAttributes' optional attribute: none for undefined, null or false). */
const optional = (name: string, value: Text | boolean | undefined) => (value === undefined || value === null || value === false ? '' : ` ${name}="${escape(value === true ? 'true' : value)}"`);

/**
 * What goes above a field: the form group's opening tag, its label, hint and error message (govukLabel, govukHint,
 * govukErrorMessage), and the ` aria-describedby` naming the hint and the error for the field itself.
 */
function fieldHead(id: string, label: Label | undefined, hint: { text: Text } | undefined, error: ErrorMessage) {
  const described: string[] = [];
  const parts = [`<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">`];
  if (label && label.text !== undefined && label.text !== null && label.text !== '') {
    parts.push(`<label class="${withClasses('govuk-label', label.classes)}" for="${escape(id)}">${escape(label.text)}</label>`);
  }
  parts.push(...hintAndError(id, hint, error, described));
  return { parts, describedBy: described.length ? ` aria-describedby="${escape(described.join(' '))}"` : '' };
}

/** govukHint and govukErrorMessage for the field or fieldset `id`, adding their ids to `described`. */
function hintAndError(id: string, hint: { text: Text } | undefined, error: ErrorMessage, described: string[]) {
  const parts: string[] = [];
  if (hint) {
    described.push(`${id}-hint`);
    parts.push(`<div id="${escape(id)}-hint" class="govuk-hint">${escape(hint.text)}</div>`);
  }
  if (error) {
    described.push(`${id}-error`);
    parts.push(`<p id="${escape(id)}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${escape(error.text)}</p>`);
  }
  return parts;
}

export type InputParams = {
  id?: string;
  name: string;
  type?: string;
  value?: Text;
  classes?: string;
  spellcheck?: boolean;
  inputmode?: string;
  autocomplete?: string;
  label: Label;
  hint?: { text: Text };
  errorMessage?: ErrorMessage;
};

/** govukInput's `<input>` element alone. */
function inputElement(params: Omit<InputParams, 'id' | 'label' | 'hint' | 'errorMessage'>, id: string, error: ErrorMessage, describedBy: string) {
  const classes = withClasses('govuk-input', params.classes) + (error ? ' govuk-input--error' : '');
  const spellcheck = params.spellcheck === true || params.spellcheck === false ? ` spellcheck="${params.spellcheck}"` : '';
  return (
    `<input class="${classes}" id="${escape(id)}" name="${escape(params.name)}" type="${escape(params.type || 'text')}"${spellcheck}` +
    `${optional('value', params.value)}${describedBy}${optional('autocomplete', params.autocomplete)}${optional('inputmode', params.inputmode)}>`
  );
}

/**
 * govukInput's markup for a label, an optional hint and error message: a list's search box, the audit log's filters.
 * Prefixes, suffixes, attributes and HTML labels go through the GOV.UK macro.
 */
export function appInput(params: InputParams) {
  const id = params.id || params.name;
  const error = params.errorMessage || undefined;
  const { parts, describedBy } = fieldHead(id, params.label, params.hint, error);
  parts.push(inputElement(params, id, error, describedBy), '</div>');
  return safe(parts.join('\n'));
}

export type DateInputItem = { name: 'day' | 'month' | 'year'; label?: string; classes?: string; value?: Text };

export type DateInputParams = {
  id: string;
  namePrefix?: string;
  fieldset: { legend: Label };
  hint?: { text: Text };
  errorMessage?: ErrorMessage;
  /** Day, month and year, each with its label, width and error classes as govukDateInput takes them. */
  items: DateInputItem[];
};

const widths = { day: 2, month: 2, year: 4 } as const;

/**
 * govukDateInput's markup in a fieldset with a legend: the audit log's "from" and "to" filters, drawn on every view of
 * the log (the macro draws three govukInputs a date, 0.2 ms of CPU each time).
 */
export function appDateInput(params: DateInputParams) {
  const error = params.errorMessage || undefined;
  const described: string[] = [];
  const head = hintAndError(params.id, params.hint, error, described);
  // The macro's rule: an item whose classes mark an error keeps them; with none marked, an error marks every box.
  const anyMarked = params.items.some((item) => item.classes?.includes('govuk-input--error'));
  const boxes = params.items.map((item) => {
    const classes = [
      !anyMarked && error ? 'govuk-input--error' : '',
      item.classes?.includes('govuk-input--width-') ? '' : `govuk-input--width-${widths[item.name]}`,
      item.classes ?? '',
    ].filter(Boolean);
    const name = params.namePrefix ? `${params.namePrefix}-${item.name}` : item.name;
    const label = item.label || item.name[0].toUpperCase() + item.name.slice(1);
    const input = { name, value: item.value, classes: ['govuk-date-input__input', ...classes].join(' '), inputmode: 'numeric' };
    const id = `${params.id}-${item.name}`;
    const { parts } = fieldHead(id, { text: label, classes: 'govuk-date-input__label' }, undefined, undefined);
    return ['<div class="govuk-date-input__item">', ...parts, inputElement(input, id, undefined, ''), '</div>\n</div>'].join('\n');
  });
  const legend = params.fieldset.legend;
  return safe(
    [
      `<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">`,
      `<fieldset class="govuk-fieldset" role="group"${described.length ? ` aria-describedby="${escape(described.join(' '))}"` : ''}>`,
      `<legend class="${withClasses('govuk-fieldset__legend', legend.classes)}">${escape(legend.text)}</legend>`,
      ...head,
      `<div class="govuk-date-input" id="${escape(params.id)}">`,
      ...boxes,
      '</div>\n</fieldset>\n</div>',
    ].join('\n'),
  );
}

/** govukSelect's markup for a label, an optional hint and error message, and the options. */
export function appSelect(params: SelectParams) {
  const id = params.id || params.name;
  const error = params.errorMessage || undefined;
  const { parts, describedBy } = fieldHead(id, params.label, params.hint, error);
  const selectClasses = withClasses('govuk-select', params.classes) + (error ? ' govuk-select--error' : '');
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
