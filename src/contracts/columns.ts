/**
 * The columns of a council's contracts file: the download writes them and the upload reads them, so a downloaded
 * file uploads again (changing nothing). KPIs are kept on the contract's page, not in the file.
 */
import type { ExportColumn } from '../web/export.ts';
import type { ContractRow } from './repository.ts';
import { poundsText } from './rules.ts';

export const contractColumns = [
  { name: 'id', description: 'Empty for a new contract; the contract’s id (from a download) to change it', example: '' },
  { name: 'name', description: 'The contract’s name', example: 'Highways maintenance' },
  { name: 'supplier', description: 'The supplier’s name', example: 'Roadworks Ltd' },
  { name: 'annual_value', description: 'Annual value in pounds, at most 2 decimal places', example: '1250000.50' },
  { name: 'total_value', description: 'Total value over the contract’s life in pounds, at most 2 decimal places', example: '6000000' },
  { name: 'start_date', date: true, description: 'The start date: 31/10/2026, 2026-10-31, 31 October 2026 or an Excel date', example: '01/04/2025' },
  { name: 'end_date', date: true, description: 'The end date, the same as or after the start date', example: '31/03/2030' },
  { name: 'tier', description: 'gold, silver or bronze', example: 'gold' },
  { name: 'contract_manager_email', description: 'The email address of the contract manager, a person of the council in Pioneer (optional)', example: 'ann.manager@example.gov.uk' },
  { name: 'plan_in_place', description: 'yes or no: whether a contract management plan is in place', example: 'yes' },
] as const;

/**
 * The download: the same columns, in the same order. Dates are written as ISO text (not date cells) so the CSV and
 * the workbook both read back exactly; money as pounds text with at most 2 decimals.
 */
export const contractExportColumns: ExportColumn<ContractRow>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'name', value: (r) => r.name },
  { header: 'supplier', value: (r) => r.supplier },
  { header: 'annual_value', value: (r) => poundsText(r.annualValuePence) },
  { header: 'total_value', value: (r) => poundsText(r.totalValuePence) },
  { header: 'start_date', value: (r) => r.startDate },
  { header: 'end_date', value: (r) => r.endDate },
  { header: 'tier', value: (r) => r.tier },
  { header: 'contract_manager_email', value: (r) => r.managerEmail ?? '' },
  { header: 'plan_in_place', value: (r) => (r.hasPlan ? 'yes' : 'no') },
];
