/**
 * Upload limits for the spreadsheet imports (pages and API). Named exports so the one place that sets them is
 * obvious; they may move into settings later (product.md: no rule buried in code).
 */

/** The upload limit: the largest CSV or XLSX file accepted, in bytes (5 MB; a 20,000-row results file is ~1.5 MB). */
export const maxUploadBytes = 5 * 1024 * 1024;

/** The most data rows (not counting the header) one upload may carry; larger files are refused before any row is checked. */
export const maxImportRows = 25_000;

/** The most row errors listed on the page (the downloadable report carries every row and error). */
export const maxErrorsShown = 500;
