/**
 * The subject access download: a ZIP holding a readable HTML summary (GOV.UK styles inlined, so it opens from the
 * file on its own) plus one JSON and one CSV file per kind of record. Streamed with yazl (ADR 0011).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { toCsv, type ExportColumn } from '../web/export.ts';
import { formatDateTime } from '../web/format.ts';
import { escapeHtml } from '../web/html-escape.ts';
import type { SubjectRecords } from './service.ts';

type Row = Record<string, unknown>;

/** Each kind of record: its file name (the key) and the heading the summary gives it. */
export const recordTitles: Record<keyof SubjectRecords, string> = {
  profile: 'Profile and roles',
  invitations_and_links: 'Invitations and single-use links (the links themselves are never kept)',
  sessions: 'Sign-in sessions',
  api_tokens: 'API tokens (the tokens themselves are never kept)',
  enrolments: 'Enrolments',
  journey_events: 'Every step of the learning journey',
  accreditations: 'Accreditations and renewals',
  cpd: 'CPD log, with reflections',
  emails_sent: 'Emails sent to you',
  place_requests: 'Requests for funded places you made',
  network_memberships: 'Networks you were added to by hand',
  resource_downloads: 'Network resources you downloaded',
  network_event_registrations: 'Network events you registered for, and whether you attended',
  discussion_posts: 'Your posts in network discussions',
  discussion_reports: 'Posts in network discussions you reported',
  improvements_credited: 'Improvements of your council that credit you',
  contracts_managed: 'Key contracts of your council you are named as contract manager of',
  calendar_feed: 'Your calendar feed link (the link itself is never kept)',
  engagements: 'Transformation engagements you lead or work on',
  engagement_time: 'Time you logged on engagements',
  engagement_actions: 'Actions in engagement action plans you own',
  engagement_action_notes: 'Progress notes you wrote on actions',
  engagement_sign_offs: 'Action plans and completions you signed off',
  maturity_submissions: 'Maturity assessments you submitted',
  maturity_moderations: 'Maturity scores you moderated, with your reasons',
  survey_invitations: 'Surveys you were sent, and whether you answered',
  survey_answers: 'Your answers to surveys that are not anonymous',
  audit_events: 'Audit log: what you did, and what was done to your records',
};

let govukCss: string | undefined;
/** GOV.UK Frontend's stylesheet, read once: the summary carries it so it needs nothing else to look right. */
function stylesheet(): string {
  govukCss ??= readFileSync(createRequire(import.meta.url).resolve('govuk-frontend/dist/govuk/govuk-frontend.min.css'), 'utf8');
  return govukCss;
}


/** A cell as text: dates as the pages write them, lists joined, objects as JSON. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return formatDateTime(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Dates as ISO strings, so JSON and CSV say the same and nothing depends on the reader's time zone. */
const plain = (rows: Row[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));

function csvOf(rows: Row[]): string {
  const headers = rows.length ? Object.keys(rows[0]) : [];
  const columns: ExportColumn<Row>[] = headers.map((h) => ({ header: h, value: (r) => cellText(r[h]) }));
  return toCsv(rows, columns);
}

function summaryHtml(name: string, records: SubjectRecords, generatedAt: Date): string {
  const sections = (Object.keys(recordTitles) as (keyof SubjectRecords)[]).map((key) => {
    const rows = records[key];
    const heading = `<h2 class="govuk-heading-m" id="${key}">${escapeHtml(recordTitles[key])}</h2>`;
    if (!rows.length) return `${heading}<p class="govuk-body">None.</p>`;
    const headers = Object.keys(rows[0]);
    const head = headers.map((h) => `<th scope="col" class="govuk-table__header">${escapeHtml(h)}</th>`).join('');
    const body = rows
      .map((r) => `<tr class="govuk-table__row">${headers.map((h) => `<td class="govuk-table__cell">${escapeHtml(cellText(r[h]))}</td>`).join('')}</tr>`)
      .join('\n');
    return `${heading}<p class="govuk-body-s">Also in ${key}.json and ${key}.csv.</p>
<div style="overflow-x:auto"><table class="govuk-table govuk-body-s"><thead class="govuk-table__head"><tr class="govuk-table__row">${head}</tr></thead>
<tbody class="govuk-table__body">${body}</tbody></table></div>`;
  });
  return `<!DOCTYPE html>
<html lang="en" class="govuk-template govuk-template--rebranded">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>What Pioneer holds about ${escapeHtml(name)}</title><style>${stylesheet()}</style></head>
<body class="govuk-template__body"><div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">What Pioneer holds about ${escapeHtml(name)}</h1>
<p class="govuk-body">Produced on ${escapeHtml(formatDateTime(generatedAt))}. Each kind of record is below, and in the JSON and CSV files beside this one.
Passwords, sign-in links and API tokens are never kept in a form that could be shown, so they are not here. Where someone else acted on your records, the audit log says “Someone else”.</p>
<ul class="govuk-list">${(Object.keys(recordTitles) as (keyof SubjectRecords)[]).map((k) => `<li><a class="govuk-link" href="#${k}">${escapeHtml(recordTitles[k])}</a> (${records[k].length})</li>`).join('')}</ul>
${sections.join('\n')}
</main></div></body></html>`;
}

/** The ZIP as a stream: summary.html first, then <kind>.json and <kind>.csv for each kind of record. */
export function subjectAccessZip(name: string, records: SubjectRecords, generatedAt: Date): Readable {
  const zip = new yazl.ZipFile();
  const options = { mtime: generatedAt };
  zip.addBuffer(Buffer.from(summaryHtml(name, records, generatedAt)), 'summary.html', options);
  for (const key of Object.keys(recordTitles) as (keyof SubjectRecords)[]) {
    const rows = plain(records[key]);
    zip.addBuffer(Buffer.from(`${JSON.stringify(rows, null, 2)}\n`), `${key}.json`, options);
    zip.addBuffer(Buffer.from(csvOf(rows)), `${key}.csv`, options);
  }
  zip.end();
  return zip.outputStream as Readable;
}

/** The download's file name: no personal data in it, only the date. */
export const subjectAccessFileName = (date: string) => `pioneer-subject-access-${date}.zip`;
