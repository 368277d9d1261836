import type { RowError } from './parse.ts';
import { maxErrorsShown } from './limits.ts';

/** An upload that ran inside the request and wrote nothing: the file's problems, or every row's. */
export type RefusedUpload = { rows: number; fileErrors: string[]; rowErrors: RowError[] };

/** The upload page's error summary and row table for a refused upload (the key contracts', the spend upload). */
export function refusedUploadView(outcome: RefusedUpload) {
  if (outcome.fileErrors.length) return { errors: { file: outcome.fileErrors[0] }, errorList: outcome.fileErrors.map((text) => ({ text, href: '#file' })) };
  const errorRowCount = new Set(outcome.rowErrors.map((e) => e.row)).size;
  return {
    errors: {},
    errorList: [{ text: `${errorRowCount} of ${outcome.rows} ${outcome.rows === 1 ? 'row has' : 'rows have'} errors. Nothing was uploaded: fix the rows and upload the file again`, href: '#row-errors' }],
    rowErrors: outcome.rowErrors.slice(0, maxErrorsShown),
    moreErrors: outcome.rowErrors.length > maxErrorsShown,
    errorRowCount,
  };
}
