import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { normaliseMarkup } from '../web/markup-testing.ts';
import { appTag } from '../web/fast-components.ts';
import { formatDate } from '../web/format.ts';
import { levelLabels, statusLabels, statusTagClass } from './journey.ts';
import { learnerRowsHtml, type LearnerRowView } from './rows-html.ts';

/** The rows as list.njk drew them with a Nunjucks loop before they were drawn in TypeScript. */
const rowsTemplate = `
  {% for r in rows %}
    <tr class="govuk-table__row">
      <th scope="row" class="govuk-table__header"><a class="govuk-link" href="/learners/{{ r.personId }}">{{ r.personName }}</a>
        <span class="app-cell-secondary">{{ r.councilName }}</span></th>
      <td class="govuk-table__cell" data-label="Enrolment"><a class="govuk-link" href="/enrolments/{{ r.id }}">{{ levelLabels[r.level] }}<span class="govuk-visually-hidden"> enrolment of {{ r.personName }}</span></a>, <span class="app-nowrap">{{ r.period }}</span></td>
      <td class="govuk-table__cell" data-label="Status">{{ appTag({ text: statusLabels[r.status], classes: statusTagClass[r.status] }) }}
        {%- if r.attention %}<span class="app-attention govuk-body-s"><strong>Needs attention:</strong> {{ r.attention.label | lower }} since {{ r.attention.since | date }}</span>{% endif %}
        {%- if r.cohortName or r.attempts %}<span class="app-cell-secondary">{{ r.cohortName }}{% if r.cohortName and r.attempts %}, {% endif %}{% if r.attempts %}{{ r.attempts }} {{ "attempt" if r.attempts == 1 else "attempts" }}{% endif %}</span>{% endif %}</td>
      <td class="govuk-table__cell" data-label="Assessment due">{{ r.assessmentDueOn | date }}{% if r.overdue %} {{ appTag({ text: "Overdue", classes: "govuk-tag--red" }) }}{% endif %}</td>
      <td class="govuk-table__cell" data-label="Last step">{{ r.lastEventOn | date }}</td>
    </tr>
  {% endfor %}
`;

const env = new nunjucks.Environment(null, { autoescape: true });
env.addFilter('date', formatDate);
env.addGlobal('appTag', appTag);

const base: LearnerRowView = {
  id: 'e1',
  personId: 'p1',
  personName: 'Ann O\'Neill <b>',
  councilName: 'Barking & Dagenham',
  level: 'practitioner',
  period: '2026/27',
  status: 'in_learning',
  attention: null,
  cohortName: null,
  attempts: 0,
  assessmentDueOn: null,
  overdue: false,
  lastEventOn: '2026-11-30',
};

const rows: LearnerRowView[] = [
  base,
  { ...base, id: 'e2', cohortName: 'Cohort "A" 2026', attempts: 1, assessmentDueOn: '2027-01-15', status: 'registered' },
  { ...base, id: 'e3', attempts: 2, status: 'not_passed', overdue: true, assessmentDueOn: '2026-10-01', attention: { reason: 'assessment', label: 'Assessment OVERDUE', since: '2026-10-01' } },
  { ...base, id: 'e4', level: 'expert', cohortName: 'Spring', status: 'accredited', attention: { reason: 'learning', label: 'Stalled <in learning>', since: '2026-06-30' } },
];

describe('learnerRowsHtml draws the rows list.njk drew', () => {
  it('the same markup for plain rows, cohorts and attempts, overdue and needing attention, escaped names', () => {
    const template = env.renderString(rowsTemplate, { rows, levelLabels, statusLabels, statusTagClass });
    expect(normaliseMarkup(learnerRowsHtml(rows).toString())).toBe(normaliseMarkup(template));
  });

  it('escapes what a learner or a council name could smuggle in', () => {
    const html = learnerRowsHtml([{ ...base, personName: '<script>x</script>', councilName: '"><img src=x>' }]).toString();
    expect(html).not.toMatch(/<script>|<img/);
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
  });
});
