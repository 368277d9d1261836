import type { ColumnSpec } from './parse.ts';

export type ImportKind = 'nominations' | 'results';
export const importKinds: readonly ImportKind[] = ['nominations', 'results'];

/**
 * The columns of each upload, in template order: exactly these names (the contract). Headers match
 * ignoring case, spaces, underscores and hyphens; an `error` column (from the downloaded error report) is ignored.
 */
export const importColumns: Record<ImportKind, readonly (ColumnSpec & { description: string; example: string })[]> = {
  nominations: [
    { name: 'council_code', description: 'The council’s GSS code, for example E06000001', example: 'E06000001' },
    { name: 'name', description: 'The officer’s full name', example: 'Siân O’Brien' },
    { name: 'email', description: 'The officer’s work email address; an officer Pioneer does not know yet is invited', example: 'sian.obrien@example.gov.uk' },
    { name: 'job_title', description: 'The officer’s job title (optional)', example: 'Contract manager' },
    { name: 'level', description: 'foundation, practitioner or expert', example: 'practitioner' },
    { name: 'period', description: 'The financial year of the funded place, like 2024-25', example: '2027-28' },
  ],
  results: [
    { name: 'email', description: 'The learner’s email address in Pioneer', example: 'sian.obrien@example.gov.uk' },
    { name: 'level', description: 'foundation, practitioner or expert: the learner’s latest enrolment on it is moved', example: 'practitioner' },
    {
      name: 'event',
      description: 'What happened: approved, declined, registered, learning_started, assessment_booked, passed, not_passed, deferred, withdrawn or resumed',
      example: 'passed',
    },
    { name: 'date', date: true, description: 'The day it happened: 31/10/2023, 2023-10-31 or an Excel date', example: '31/10/2023' },
    { name: 'certificate_number', description: 'The certificate number; required for passed, empty otherwise', example: 'CM-2023-0001' },
  ],
};

export const importTitles: Record<ImportKind, string> = {
  nominations: 'Upload nominations',
  results: 'Upload training provider results',
};
