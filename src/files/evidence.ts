/**
 * Evidence files (the `evidence_files` table): a file uploaded as evidence for an improvement or for an engagement's
 * action, beside their link evidence. Whether someone may add or download one is the owning feature's decision (its
 * policy and council scope); these are only the rows.
 */
import { and, asc, eq } from 'drizzle-orm';
import { evidenceFiles, people } from '../db/schema.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import { NotFoundError, ValidationError } from '../web/errors.ts';
import { isUuid } from '../learners/service.ts';
import type { FileStorage } from './storage.ts';
import { checkFile, fileChosen, storeWhile, type StoredFile, type UploadedFile } from './upload.ts';

/** What an evidence file belongs to: an improvement or an engagement's action. */
export type EvidenceOwner = { improvementId: string } | { actionId: string };

const ownedBy = (owner: EvidenceOwner) =>
  'improvementId' in owner ? eq(evidenceFiles.improvementId, owner.improvementId) : eq(evidenceFiles.actionId, owner.actionId);

/** The owner's evidence files, oldest first, with who added them. */
export async function evidenceFilesOf(db: DbOrTx, owner: EvidenceOwner) {
  return db
    .select({
      id: evidenceFiles.id,
      fileName: evidenceFiles.fileName,
      contentType: evidenceFiles.contentType,
      sizeBytes: evidenceFiles.sizeBytes,
      addedAt: evidenceFiles.addedAt,
      addedByName: people.name,
    })
    .from(evidenceFiles)
    .leftJoin(people, eq(people.id, evidenceFiles.addedById))
    .where(ownedBy(owner))
    .orderBy(asc(evidenceFiles.addedAt), asc(evidenceFiles.id));
}

/** One of the owner's evidence files, with its storage key; null for another's or an unknown id. */
export async function findEvidenceFile(db: DbOrTx, owner: EvidenceOwner, id: string) {
  const [row] = await db
    .select({ id: evidenceFiles.id, storageKey: evidenceFiles.storageKey, fileName: evidenceFiles.fileName, contentType: evidenceFiles.contentType, sizeBytes: evidenceFiles.sizeBytes })
    .from(evidenceFiles)
    .where(and(eq(evidenceFiles.id, id), ownedBy(owner)));
  return row ?? null;
}

/** One of the owner's evidence files (for a confirmation page, or before a change); 404 for another's or an unknown id. */
export async function evidenceFileOf(db: DbOrTx, owner: EvidenceOwner, fileId: string) {
  const file = isUuid(fileId) ? await findEvidenceFile(db, owner, fileId) : null;
  if (!file) throw new NotFoundError();
  return file;
}

export async function insertEvidenceFile(tx: DbOrTx, owner: EvidenceOwner, file: StoredFile, addedById: string | null, addedAt: Date): Promise<string> {
  const [row] = await tx
    .insert(evidenceFiles)
    .values({ ...owner, ...file, addedById, addedAt })
    .returning({ id: evidenceFiles.id });
  return row.id;
}

/** What adding or opening an evidence file needs beyond the owner: the database, where files go and the size limit. */
export type EvidenceDeps = { db: Db; storage: FileStorage; maxBytes: number };

/**
 * Adds a file as evidence once the owning feature has allowed it: the file checked (chosen, within the limit, its type
 * from its bytes agreeing with its name; a refusal is a ValidationError on `file`), stored, and its row written in one
 * transaction with the feature's audit event (`audit`, which also checks again, under lock, whatever the feature's
 * rules say about its record, by throwing); the stored bytes are removed again if that fails.
 */
export async function addEvidenceFile(
  deps: EvidenceDeps,
  owner: EvidenceOwner,
  file: UploadedFile | null,
  by: { personId: string | null; at: Date },
  audit: (tx: DbOrTx, stored: StoredFile) => Promise<void>,
): Promise<string> {
  if (!fileChosen(file)) throw new ValidationError({ file: 'Select a file' });
  const checked = await checkFile(file, deps.maxBytes);
  if (!checked.ok) throw new ValidationError({ file: checked.message });
  return storeWhile(deps.storage, checked.stored, file.buffer, () =>
    deps.db.transaction(async (tx) => {
      const id = await insertEvidenceFile(tx, owner, checked.stored, by.personId, by.at);
      await audit(tx, checked.stored);
      return id;
    }),
  );
}

/** One of the owner's evidence files and its bytes, once the feature has decided the actor may see the owner; 404 otherwise. */
export async function openEvidenceFile(deps: Pick<EvidenceDeps, 'db' | 'storage'>, owner: EvidenceOwner, fileId: string) {
  const file = await evidenceFileOf(deps.db, owner, fileId);
  const content = await deps.storage.get(file.storageKey);
  if (!content) throw new NotFoundError('The file could not be found. Tell the programme team.');
  return { file, content };
}

/**
 * Removes one of the owner's evidence files once the owning feature has allowed it (404 for an unknown id or another
 * owner's): the row deleted in one transaction with the feature's audit event (`audit`, given the file), then the stored
 * bytes removed. Should the transaction fail nothing is removed; should removing the bytes fail after the commit, only an
 * unreachable file is left behind, never a row without its file.
 */
export async function removeEvidenceFile(
  deps: Pick<EvidenceDeps, 'db' | 'storage'>,
  owner: EvidenceOwner,
  fileId: string,
  audit: (tx: DbOrTx, file: { fileName: string; contentType: string; sizeBytes: number }) => Promise<void>,
): Promise<void> {
  const file = await evidenceFileOf(deps.db, owner, fileId);
  await deps.db.transaction(async (tx) => {
    const gone = await tx.delete(evidenceFiles).where(and(eq(evidenceFiles.id, file.id), ownedBy(owner))).returning({ id: evidenceFiles.id });
    if (!gone.length) throw new NotFoundError();
    await audit(tx, file);
  });
  await deps.storage.delete(file.storageKey);
}
