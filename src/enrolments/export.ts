import type { ExportColumn } from '../web/export.ts';
import { levelLabels, statusLabels } from './journey.ts';
import type { EnrolmentExportItem } from './queries.ts';

/** The funded place of an enrolment in plain words. */
export function placeText(r: Pick<EnrolmentExportItem, 'placeState' | 'status'>): string {
  if (r.placeState === 'released') return 'Given back';
  if (r.placeState === 'taken') return r.status === 'withdrawn' ? 'Spent (withdrawn after the cut-off)' : 'Taken';
  return 'None';
}

/** The columns of a learners download: the list's columns and the details an SRO reports on. */
export const enrolmentExportColumns: ExportColumn<EnrolmentExportItem>[] = [
  { header: 'Name', value: (r) => r.personName },
  { header: 'Email address', value: (r) => r.personEmail },
  { header: 'Job title', value: (r) => r.jobTitle },
  { header: 'Council', value: (r) => r.councilName },
  { header: 'Level', value: (r) => levelLabels[r.level] },
  { header: 'Period', value: (r) => r.period },
  { header: 'Status', value: (r) => statusLabels[r.status] },
  { header: 'Cohort', value: (r) => r.cohortName },
  { header: 'Assessment attempts', value: (r) => r.attempts },
  { header: 'Role', value: (r) => r.roleDescription },
  { header: 'Contracts managed', value: (r) => r.contracts },
  { header: 'Nominated on', date: 'date', value: (r) => r.nominatedOn },
  { header: 'Approved on', date: 'date', value: (r) => r.approvedOn },
  { header: 'Registered on', date: 'date', value: (r) => r.registeredOn },
  { header: 'Assessment due', date: 'date', value: (r) => r.assessmentDueOn },
  { header: 'Overdue', value: (r) => (r.overdue ? 'Yes' : 'No') },
  { header: 'Needs attention', value: (r) => r.attention?.label ?? '' },
  { header: 'Needs attention since', date: 'date', value: (r) => r.attention?.since ?? null },
  { header: 'Funded place', value: placeText },
  { header: 'Last step on', date: 'date', value: (r) => r.lastEventOn },
];
