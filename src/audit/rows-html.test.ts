import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { normaliseMarkup } from '../web/markup-testing.ts';
import { appDetails } from '../web/fast-components.ts';
import { formatDateTime } from '../web/format.ts';
import { auditRowsHtml, type AuditRowView } from './rows-html.ts';

/** The rows as list.njk drew them with Nunjucks loops before they were drawn in TypeScript. */
const rowsTemplate = `
    {% for e in events %}
      <tr class="govuk-table__row">
        <td class="govuk-table__cell">{{ e.occurredAt | dateTime }}{% if e.ip %}<br><span class="govuk-hint govuk-!-font-size-16">from {{ e.ip }}</span>{% endif %}</td>
        <td class="govuk-table__cell">
          {%- for p in e.description.parts -%}
            {%- if p.href -%}<a class="govuk-link" href="{{ p.href }}">{{ p.text }}</a>
            {%- elif p.text is defined -%}{{ p.text }}
            {%- else -%}{{ p }}{%- endif -%}
          {%- endfor %}
          <br><span class="govuk-hint govuk-!-font-size-16"><code>{{ e.action }}</code></span>
        </td>
        <td class="govuk-table__cell">
          {% if e.changes.length %}
            {% set changeTable %}
              <table class="govuk-table govuk-!-margin-bottom-0">
                <caption class="govuk-visually-hidden">Fields before and after {{ e.action }}</caption>
                <thead class="govuk-table__head"><tr class="govuk-table__row">
                  <th scope="col" class="govuk-table__header">Field</th><th scope="col" class="govuk-table__header">Before</th><th scope="col" class="govuk-table__header">After</th>
                </tr></thead>
                <tbody class="govuk-table__body">
                {% for c in e.changes %}
                  <tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{{ c.field }}</th><td class="govuk-table__cell">{{ c.before }}</td><td class="govuk-table__cell">{{ c.after }}</td></tr>
                {% endfor %}
                </tbody>
              </table>
            {% endset %}
            {{ appDetails({ summaryHtml: (e.changes.length ~ (" field" if e.changes.length == 1 else " fields") ~ '<span class="govuk-visually-hidden"> changed by event ' ~ e.id ~ '</span>') | safe,
               html: changeTable, classes: "govuk-!-margin-bottom-0" }) }}
          {% else %}
            <span class="govuk-hint govuk-!-margin-bottom-0">No field changes</span>
          {% endif %}
        </td>
      </tr>
    {% endfor %}
`;

const env = new nunjucks.Environment(null, { autoescape: true });
env.addFilter('dateTime', formatDateTime);
env.addGlobal('appDetails', appDetails);

const events: AuditRowView[] = [
  {
    id: 41,
    occurredAt: new Date('2026-11-30T09:05:00Z'),
    ip: '192.0.2.7',
    action: 'person.updated',
    description: {
      parts: [{ text: 'Ann O\'Neill <admin>', href: '/people/a1' }, ' changed ', { text: 'Barking & Dagenham', href: null }, ' “details”'],
      text: 'ignored here',
    },
    changes: [
      { field: 'name', before: 'Bob <b>', after: 'Bob & "Rob"' },
      { field: 'jobTitle', before: '', after: 'Contract manager' },
      { field: 'roles', before: 'learner', after: 'learner, council_sro' },
    ],
  },
  {
    id: 42,
    occurredAt: new Date('2026-06-01T11:00:00Z'),
    ip: null,
    action: 'enrolment.approved',
    description: { parts: ['Someone approved ', { text: 'an enrolment', href: '/learners/e1?x=1&y=2' }], text: '' },
    changes: [{ field: 'status', before: 'nominated', after: 'approved' }],
  },
  { id: 43, occurredAt: new Date('2026-01-01T00:00:00Z'), ip: null, action: 'session.signed_in', description: { parts: ['Signed in'], text: '' }, changes: [] },
];

describe('auditRowsHtml draws the rows list.njk drew', () => {
  it('the same markup for links, unlinked names, addresses, one and several changed fields, and none', () => {
    const expected = normaliseMarkup(env.renderString(rowsTemplate, { events }));
    expect(normaliseMarkup(auditRowsHtml(events).toString())).toBe(expected);
  });

  it('escapes what a name, a field or a value could smuggle in', () => {
    const html = auditRowsHtml(events).toString();
    expect(html).not.toMatch(/<admin>|<b>|"Rob"/);
    expect(html).toContain('Bob &amp; &quot;Rob&quot;');
    expect(html).toContain('href="/learners/e1?x=1&amp;y=2"');
  });

  it('says how many fields each event changed, and when it changed none', () => {
    const html = auditRowsHtml(events).toString();
    expect(html).toContain('3 fields<span class="govuk-visually-hidden"> changed by event 41</span>');
    expect(html).toContain('1 field<span class="govuk-visually-hidden"> changed by event 42</span>');
    expect(html).toContain('No field changes');
  });

  it('draws nothing for no events', () => {
    expect(auditRowsHtml([]).toString()).toBe('');
  });
});
