/** How many rows an export reads from the database at a time. */
export const exportBatchSize = 2000;

/**
 * Reads rows in the order of `ids`, `size` ids at a time, for an export of a long list. The ids (chosen, filtered
 * and sorted in one narrow statement) fix which rows the export holds and in what order, whatever the sort, so every
 * row comes once even when someone edits the list meanwhile; `read` applies the list's conditions again, so a row
 * that no longer matches (or left the reader's scope) is left out. No transaction stays open while the download
 * goes (PGlite has one connection; PostgreSQL's pool ten): each batch is one statement.
 */
export async function* readInBatches<T extends { id: string }>(ids: readonly string[], size: number, read: (ids: string[]) => Promise<T[]>): AsyncGenerator<T> {
  for (let i = 0; i < ids.length; i += size) {
    const batch = ids.slice(i, i + size);
    const found = new Map((await read(batch)).map((r) => [r.id, r]));
    for (const id of batch) {
      const row = found.get(id);
      if (row) yield row;
    }
  }
}
