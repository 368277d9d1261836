import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { sizeText } from '../imports/limits.ts';
import { detectFile, fileTypeOf } from './detect.ts';
import { newStorageKey, type FileStorage } from './storage.ts';

/** An uploaded file as the multipart parser leaves it: in memory, cut at the size limit (`truncated`). */
export type UploadedFile = { buffer: Buffer; filename: string; truncated: boolean };

/** What a row keeps of a stored file: the key Pioneer chose, the name given, the type found in the bytes. */
export type StoredFile = { storageKey: string; fileName: string; contentType: string; sizeBytes: number; sha256: string };

/** Was a file chosen at all (a browser sends an empty part with no name when none was)? */
export const fileChosen = (file: UploadedFile | null | undefined): file is UploadedFile => !!file && (file.filename !== '' || file.buffer.length > 0);

/**
 * Checks a chosen file: within the limit, and of an allowed type by its bytes with a name that agrees (detect.ts).
 * Gives what to store, or the GOV.UK message refusing it.
 */
export async function checkFile(file: UploadedFile, maxBytes: number): Promise<{ ok: true; stored: StoredFile; extension: string } | { ok: false; message: string }> {
  if (file.truncated) return { ok: false, message: `The selected file must be smaller than ${sizeText(maxBytes)}` };
  const detected = await detectFile(file.buffer, file.filename);
  if (!detected.ok) return detected;
  return {
    ok: true,
    extension: detected.type.extensions[0],
    stored: {
      storageKey: newStorageKey(),
      fileName: file.filename.trim().slice(0, 255),
      contentType: detected.type.contentType,
      sizeBytes: file.buffer.length,
      sha256: crypto.createHash('sha256').update(file.buffer).digest('hex'),
    },
  };
}

/**
 * Stores the bytes under the file's new key, then runs `work` (the transaction writing the row that names the key).
 * If the work fails the file is removed again, so no file is left without its row.
 */
export async function storeWhile<T>(storage: FileStorage, stored: StoredFile, bytes: Buffer, work: () => Promise<T>): Promise<T> {
  await storage.put(stored.storageKey, Readable.from([bytes]));
  try {
    return await work();
  } catch (err) {
    await storage.delete(stored.storageKey);
    throw err;
  }
}

/** A file as a page lists it: "PDF, 12 KB". */
export const fileDescription = (file: { contentType: string; sizeBytes: number }) => `${fileTypeOf(file.contentType)?.label ?? 'File'}, ${sizeText(file.sizeBytes)}`;
