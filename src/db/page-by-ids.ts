/**
 * One page of a list whose rows carry per-row subqueries and joins (counts, arrays, people's names): a lean query
 * chooses the page's ids, and only those rows are read in full. Read in one go, PostgreSQL works out every matching
 * row's subqueries and joins before the sort keeps one page (docs/performance.md).
 */
export async function pageByIds<T extends { id: string }>(ids: readonly string[], load: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  if (!ids.length) return [];
  const byId = new Map((await load([...ids])).map((r) => [r.id, r]));
  // A row deleted between the two reads is left out rather than shown half.
  return ids.flatMap((id) => byId.get(id) ?? []);
}
