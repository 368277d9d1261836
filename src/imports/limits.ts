import type { Config } from '../config.ts';

/** A size for messages: "5 MB", "2.5 MB", "200 KB". */
export const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

/** The upload limits from the configuration (UPLOAD_MAX_BYTES, IMPORT_MAX_ROWS), as the parser and pages use them. */
export function importLimits(config: Pick<Config, 'uploadMaxBytes' | 'importMaxRows'>) {
  return {
    maxBytes: config.uploadMaxBytes,
    maxRows: config.importMaxRows,
    size: sizeText(config.uploadMaxBytes),
  };
}

/** The most row errors listed on the page (the downloadable report carries every row and error). */
export const maxErrorsShown = 500;
