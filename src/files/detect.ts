import { fileTypeFromBuffer } from 'file-type';

/**
 * The kinds of file Pioneer accepts (network resources, evidence for improvements and actions), by the content type
 * detected from the bytes (file-type, ADR 0012), with the file name extensions each may carry. CSV has no signature:
 * it is read as text (see `detectFile`). Shared by every upload of documents (ADR 0017).
 */
export const allowedFileTypes = [
  { contentType: 'application/pdf', extensions: ['pdf'], label: 'PDF' },
  { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extensions: ['docx'], label: 'Word document (.docx)' },
  { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extensions: ['xlsx'], label: 'Excel spreadsheet (.xlsx)' },
  { contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', extensions: ['pptx'], label: 'PowerPoint presentation (.pptx)' },
  { contentType: 'application/vnd.oasis.opendocument.text', extensions: ['odt'], label: 'OpenDocument text (.odt)' },
  { contentType: 'text/csv', extensions: ['csv'], label: 'CSV' },
  { contentType: 'image/png', extensions: ['png'], label: 'PNG image' },
  { contentType: 'image/jpeg', extensions: ['jpg', 'jpeg'], label: 'JPEG image' },
] as const;

export type AllowedFileType = (typeof allowedFileTypes)[number];

/** "PDF, Word (.docx), … or JPEG": the list for hints and errors. */
export const allowedTypesText = 'PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), OpenDocument text (.odt), CSV, PNG or JPEG';

const extensionOf = (fileName: string) => /\.([a-z0-9]{1,10})$/i.exec(fileName.trim())?.[1]?.toLowerCase() ?? '';

/** Text a CSV may be: valid UTF-8 (a byte order mark allowed) with no NUL byte. */
function isPlainText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** What the bytes were found to be, in words, for a refusal ("a ZIP archive", "a Windows program"). */
function describeDetected(ext: string | undefined): string {
  if (!ext) return 'not a file type Pioneer recognises';
  const words: Record<string, string> = { zip: 'a ZIP archive', exe: 'a Windows program', elf: 'a program', html: 'a web page', xml: 'an XML file', gif: 'a GIF image' };
  return `${words[ext] ?? `a .${ext} file`}`;
}

export type Detected = { ok: true; type: AllowedFileType } | { ok: false; message: string };

/**
 * Decides what a file is from its bytes, then checks the name agrees: a file is accepted only when the detected type
 * is allowed and its name ends with one of that type's extensions. A file without a signature is a CSV only when its
 * name says .csv and its bytes are UTF-8 text without NULs. The messages follow the GOV.UK file upload pattern.
 */
export async function detectFile(bytes: Buffer, fileName: string): Promise<Detected> {
  if (bytes.length === 0) return { ok: false, message: 'The selected file is empty' };
  const extension = extensionOf(fileName);
  const named = allowedFileTypes.find((t) => (t.extensions as readonly string[]).includes(extension));
  if (!named) return { ok: false, message: `The selected file must be a ${allowedTypesText}` };
  const found = await fileTypeFromBuffer(bytes);
  if (!found) {
    if (named.contentType === 'text/csv' && isPlainText(bytes)) return { ok: true, type: named };
    return { ok: false, message: `The selected file is called .${extension} but its contents are ${describeDetected(undefined)}` };
  }
  if (found.mime !== named.contentType) {
    return { ok: false, message: `The selected file is called .${extension} but its contents are ${describeDetected(found.ext)}` };
  }
  return { ok: true, type: named };
}

/**
 * A name safe to offer in Content-Disposition: the stored name's letters, digits and a few marks (anything else
 * becomes "_"), ending in the detected type's extension; the full name, UTF-8 encoded, as `filename*`. A name with
 * nothing left becomes `fallback`.
 */
export function attachmentDisposition(fileName: string, extension: string, fallback = 'file'): string {
  const base = fileName.replace(/\.[^.]*$/, '').normalize('NFC');
  const ascii = base.replace(/[^A-Za-z0-9 ._()-]/g, '_').replace(/^[.\s]+/, '').slice(0, 120) || fallback;
  const full = `${base.slice(0, 200) || fallback}.${extension}`;
  const encoded = encodeURIComponent(full).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encoded}`;
}

/** The allowed type with this content type (as stored), if any. */
export const fileTypeOf = (contentType: string) => allowedFileTypes.find((t) => t.contentType === contentType);
