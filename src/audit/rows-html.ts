/**
 * The audit log's table rows, drawn in TypeScript. Fifty events a page, each with its sentence and a table of the
 * fields it changed, made the page 155 KB; through Nunjucks' loops, captures and escaping filters the rows were most
 * of its rendering (its p99 missed issue 9's target). The markup is what list.njk drew with its loops
 * (rows-html.test.ts renders both and compares them); the rest of the page stays in the template.
 */
import { formatDateTime } from '../web/format.ts';
import { appDetails } from '../web/fast-components.ts';
import { escapeHtml as escape, safe } from '../web/html-escape.ts';
import type { Description } from './describe.ts';

export type AuditRowView = {
  id: number;
  occurredAt: Date;
  ip: string | null;
  action: string;
  description: Description;
  changes: readonly { field: string; before: string; after: string }[];
};

const sentence = (d: Description) =>
  d.parts.map((p) => (typeof p === 'string' ? escape(p) : p.href ? `<a class="govuk-link" href="${escape(p.href)}">${escape(p.text)}</a>` : escape(p.text))).join('');

function changesTable(e: AuditRowView): string {
  const rows = e.changes.map(
    (c) =>
      `<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">${escape(c.field)}</th>` +
      `<td class="govuk-table__cell">${escape(c.before)}</td><td class="govuk-table__cell">${escape(c.after)}</td></tr>`,
  );
  return (
    `<table class="govuk-table govuk-!-margin-bottom-0">\n<caption class="govuk-visually-hidden">Fields before and after ${escape(e.action)}</caption>\n` +
    '<thead class="govuk-table__head"><tr class="govuk-table__row">\n<th scope="col" class="govuk-table__header">Field</th>' +
    '<th scope="col" class="govuk-table__header">Before</th><th scope="col" class="govuk-table__header">After</th>\n</tr></thead>\n' +
    `<tbody class="govuk-table__body">\n${rows.join('\n')}\n</tbody>\n</table>`
  );
}

function changesCell(e: AuditRowView): string {
  if (!e.changes.length) return '<span class="govuk-hint govuk-!-margin-bottom-0">No field changes</span>';
  const count = `${e.changes.length} ${e.changes.length === 1 ? 'field' : 'fields'}`;
  return appDetails({
    summaryHtml: `${count}<span class="govuk-visually-hidden"> changed by event ${escape(e.id)}</span>`,
    html: changesTable(e),
    classes: 'govuk-!-margin-bottom-0',
  }).toString();
}

/** Every event's row of the audit log's table (`<tr>`s for its `<tbody>`), as safe markup for the template. */
export function auditRowsHtml(events: readonly AuditRowView[]) {
  return safe(
    events
      .map(
        (e) =>
          '<tr class="govuk-table__row">\n' +
          `<td class="govuk-table__cell">${escape(formatDateTime(e.occurredAt))}` +
          (e.ip ? `<br><span class="govuk-hint govuk-!-font-size-16">from ${escape(e.ip)}</span>` : '') +
          '</td>\n' +
          `<td class="govuk-table__cell">${sentence(e.description)}\n` +
          `<br><span class="govuk-hint govuk-!-font-size-16"><code>${escape(e.action)}</code></span>\n</td>\n` +
          `<td class="govuk-table__cell">\n${changesCell(e)}\n</td>\n</tr>`,
      )
      .join('\n'),
  );
}
