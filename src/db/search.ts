/**
 * A list's search term as a LIKE pattern matching anywhere ("contains"), with the user's `%`, `_` and `\` taken
 * literally: searching for "50%" finds "50%", not everything that has "50" in it.
 */
export const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, '\\$&')}%`;
