import path from 'node:path';
import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { appDateInput, appDetails, appInput, appSelect, appTable, appTag, type DateInputParams, type InputParams, type SelectParams, type TableParams } from './fast-components.ts';

const require = createRequire(import.meta.url);
const govukDist = path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist');
const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(govukDist), { autoescape: true });

/** The same markup whatever the indentation: whitespace runs become one space, and none is kept between tags. */
const normalise = (html: string) => html.replace(/\s+/g, ' ').replace(/>\s+</g, '><').replace(/>\s+/g, '>').replace(/\s+</g, '<').trim();

const govuk = (macro: string, file: string, params: object) =>
  normalise(env.renderString(`{% from "govuk/components/${file}/macro.njk" import ${macro} %}{{ ${macro}(params) }}`, { params }));

const organisations = [
  { value: '', text: 'All organisations' },
  { value: 'a1', text: 'Adur District Council' },
  { value: 'b2', text: 'Barking & Dagenham <London> "Borough" O\'Neill' },
  { value: 3, text: 'Three' },
];

describe('appSelect draws what govukSelect draws', () => {
  const cases: [string, SelectParams][] = [
    ['no value chosen', { id: 'organisationId', name: 'organisationId', label: { text: 'Organisation' }, items: organisations, classes: 'govuk-!-width-full' }],
    ['a value chosen', { name: 'organisationId', label: { text: 'Organisation', classes: 'govuk-label--s' }, items: organisations, value: 'b2' }],
    ['a number matched loosely, as Nunjucks does', { name: 'n', label: { text: 'N' }, items: organisations, value: '3' }],
    ['an item selected by itself, and an empty item skipped', { name: 's', label: { text: 'S' }, items: [null, { value: 'x', text: 'X', selected: true }, { value: 'y', text: 'Y', disabled: true }], value: 'y' }],
    ['an item without a value (its text is the value)', { name: 't', label: { text: 'T' }, items: [{ text: 'One' }, { text: 'Two' }], value: 'Two' }],
    ['with a hint and an error', { id: 'level', name: 'level', label: { text: 'Level' }, hint: { text: 'Pick one & only one' }, errorMessage: { text: 'Select a level' }, items: organisations }],
  ];
  it.each(cases)('%s', (_name, params) => {
    expect(normalise(appSelect(params).toString())).toBe(govuk('govukSelect', 'select', params));
  });

  it('escapes what a council name or a search could smuggle in', () => {
    const html = appSelect({ name: 'q', label: { text: '<script>' }, items: [{ value: '"><img src=x>', text: '<b>' }] }).toString();
    expect(html).not.toMatch(/<script>|<img|<b>/);
  });
});

describe('appTag draws what govukTag draws', () => {
  it.each([
    [{ text: 'Active', classes: 'govuk-tag--green' }],
    [{ text: 'Overdue & late <now>' }],
  ])('%o', (params) => {
    expect(normalise(appTag(params).toString())).toBe(govuk('govukTag', 'tag', params));
  });
});

describe('appDetails draws what govukDetails draws', () => {
  it.each([
    [{ summaryHtml: '3 fields<span class="govuk-visually-hidden"> changed by event 12</span>', html: '<table class="govuk-table"><tr><td>a &amp; b</td></tr></table>', classes: 'govuk-!-margin-bottom-0' }],
    [{ summaryHtml: '  1 field  ', html: '<p class="govuk-body">Before: <b>x</b></p>' }],
  ])('%o', (params) => {
    expect(normalise(appDetails(params).toString())).toBe(govuk('govukDetails', 'details', params));
  });
});

describe('appTable draws what govukTable draws', () => {
  const cases: [string, TableParams][] = [
    [
      'a dashboard table: hidden caption, id, row headers, numeric columns',
      {
        caption: 'Learners by level & status, as at 3 December 2026',
        captionClasses: 'govuk-visually-hidden',
        classes: 'govuk-table--small-text-until-tablet app-figure-table',
        attributes: { id: 'by-level' },
        firstCellIsHeader: true,
        head: [{ text: 'Level' }, { text: 'Active', format: 'numeric' }, { text: 'Done <all>', format: 'numeric' }],
        rows: [
          [{ text: 'Foundation' }, { text: '1,204', format: 'numeric' }, { text: 'fewer than 5', format: 'numeric' }],
          [{ text: 'O\'Neill "Practitioner"' }, { text: 0, format: 'numeric' }, { text: 'hidden', format: 'numeric' }],
        ],
      },
    ],
    ['no caption, no head, an empty row skipped', { rows: [[{ text: 'a' }, { text: 'b' }], null, [{ text: 'c' }, { text: undefined }]] }],
    [
      'HTML cells, classes, spans and cell attributes',
      {
        caption: 'Sections',
        head: [{ html: '<span class="x">Area</span>', classes: 'app-wide', colspan: 2 }, { text: 'Score', attributes: { 'data-sort': 'score' } }],
        firstCellIsHeader: true,
        rows: [[{ html: '<a class="govuk-link" href="/a?b=1&amp;c=2">A</a>', rowspan: 2 }, { text: '3', classes: 'app-bold', attributes: { 'data-value': '3 & more' } }]],
      },
    ],
  ];
  it.each(cases)('%s', (_name, params) => {
    expect(normalise(appTable(params).toString())).toBe(govuk('govukTable', 'table', params));
  });

  it('escapes text cells, captions and attribute values', () => {
    const html = appTable({ caption: '<script>', attributes: { id: '"><img src=x>' }, rows: [[{ text: '<b>bold</b>' }]] }).toString();
    expect(html).not.toMatch(/<script>|<img|<b>/);
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
  });
});

describe('appInput draws what govukInput draws', () => {
  const cases: [string, InputParams][] = [
    ['a search box with a value', { label: { text: 'Search by name or email address', classes: 'govuk-label--s' }, id: 'q', name: 'q', type: 'search', value: 'O\'Neill & "Sons"', spellcheck: false }],
    ['no id, no value, spellcheck on, classes', { label: { text: 'Record ID' }, name: 'recordId', spellcheck: true, classes: 'govuk-input--width-20' }],
    ['an empty value kept, with a hint and an error', { label: { text: 'Person' }, hint: { text: 'Part of their email <address>' }, id: 'person', name: 'person', value: '', errorMessage: { text: 'Enter 100 characters or fewer' } }],
    ['a number value, inputmode and autocomplete, no label text', { label: { text: '' }, name: 'days', value: 3, inputmode: 'numeric', autocomplete: 'off', errorMessage: false }],
  ];
  it.each(cases)('%s', (_name, params) => {
    expect(normalise(appInput(params).toString())).toBe(govuk('govukInput', 'input', params));
  });

  it('escapes what a search could smuggle in', () => {
    const html = appInput({ name: 'q', label: { text: '<script>' }, value: '"><img src=x>' }).toString();
    expect(html).not.toMatch(/<script>|<img/);
  });
});

describe('appDateInput draws what govukDateInput draws', () => {
  const boxes = (wrong: string[] = [], values: Record<string, string> = {}): DateInputParams['items'] =>
    (['day', 'month', 'year'] as const).map((name) => ({
      name,
      label: name[0].toUpperCase() + name.slice(1),
      classes: `govuk-input--width-${name === 'year' ? 4 : 2}${wrong.includes(name) ? ' govuk-input--error' : ''}`,
      value: values[name],
    }));
  const legend = { text: 'From', classes: 'govuk-fieldset__legend--s' };
  const cases: [string, DateInputParams][] = [
    ['empty, with a hint', { id: 'from', namePrefix: 'from', fieldset: { legend }, hint: { text: 'For example, 1 11 2026' }, items: boxes() }],
    ['values, an error and one box marked', { id: 'to', namePrefix: 'to', fieldset: { legend }, hint: { text: 'Events on this day are included' }, errorMessage: { text: 'The month must be 1 to 12' }, items: boxes(['month'], { day: '31', month: '13', year: '2026' }) }],
    ['an error with no box marked marks them all', { id: 'to', namePrefix: 'to', fieldset: { legend }, errorMessage: { text: 'Enter a real date' }, items: boxes([], { day: '', month: '2' }) }],
    ['no prefix, default labels and widths', { id: 'when', fieldset: { legend: { text: 'When <exactly>' } }, items: [{ name: 'day' }, { name: 'month' }, { name: 'year', value: '2027' }] }],
  ];
  it.each(cases)('%s', (_name, params) => {
    expect(normalise(appDateInput(params).toString())).toBe(govuk('govukDateInput', 'date-input', params));
  });
});
