/**
 * The learners list's table rows, drawn in TypeScript. Fifty rows a page, each with two links, a status tag, dates
 * and the attention and cohort lines: through Nunjucks' loop, lookups and filters they were about a seventh of the
 * page's CPU. The markup is what list.njk drew with its loop (rows-html.test.ts renders both and compares them); the
 * rest of the page stays in the template.
 */
import { appTag } from '../web/fast-components.ts';
import { formatDate } from '../web/format.ts';
import { escapeHtml as escape, safe } from '../web/html-escape.ts';
import { levelLabels, statusLabels, statusTagClass, type Level, type Status } from './journey.ts';
import type { Attention } from './attention.ts';

export type LearnerRowView = {
  id: string;
  personId: string;
  personName: string;
  councilName: string;
  level: Level;
  period: string;
  status: Status;
  attention: Attention | null;
  cohortName: string | null;
  attempts: number;
  assessmentDueOn: string | null;
  overdue: boolean;
  lastEventOn: string;
};

const overdueTag = appTag({ text: 'Overdue', classes: 'govuk-tag--red' }).toString();

function statusCell(r: LearnerRowView): string {
  let html = appTag({ text: statusLabels[r.status], classes: statusTagClass[r.status] }).toString();
  if (r.attention) {
    html += `<span class="app-attention govuk-body-s"><strong>Needs attention:</strong> ${escape(r.attention.label.toLowerCase())} since ${escape(formatDate(r.attention.since))}</span>`;
  }
  if (r.cohortName || r.attempts) {
    const attempts = r.attempts ? `${r.attempts} ${r.attempts === 1 ? 'attempt' : 'attempts'}` : '';
    html += `<span class="app-cell-secondary">${escape(r.cohortName ?? '')}${r.cohortName && r.attempts ? ', ' : ''}${attempts}</span>`;
  }
  return html;
}

/** Every row of the learners table (`<tr>`s for its `<tbody>`), as safe markup for the template. */
export function learnerRowsHtml(rows: readonly LearnerRowView[]) {
  return safe(
    rows
      .map(
        (r) =>
          '<tr class="govuk-table__row">\n' +
          `<th scope="row" class="govuk-table__header"><a class="govuk-link" href="/learners/${escape(r.personId)}">${escape(r.personName)}</a>\n` +
          `<span class="app-cell-secondary">${escape(r.councilName)}</span></th>\n` +
          `<td class="govuk-table__cell" data-label="Enrolment"><a class="govuk-link" href="/enrolments/${escape(r.id)}">${escape(levelLabels[r.level])}` +
          `<span class="govuk-visually-hidden"> enrolment of ${escape(r.personName)}</span></a>, <span class="app-nowrap">${escape(r.period)}</span></td>\n` +
          `<td class="govuk-table__cell" data-label="Status">${statusCell(r)}</td>\n` +
          `<td class="govuk-table__cell" data-label="Assessment due">${escape(formatDate(r.assessmentDueOn))}${r.overdue ? ` ${overdueTag}` : ''}</td>\n` +
          `<td class="govuk-table__cell" data-label="Last step">${escape(formatDate(r.lastEventOn))}</td>\n</tr>`,
      )
      .join('\n'),
  );
}
