import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Gives every parameterised statement a connection sends a name made from its text, so each pooled PostgreSQL
 * connection parses it once and keeps it (as postgres.js does by default). node-postgres sends an unnamed statement
 * through Parse and Bind on every request, and PostgreSQL then parses and plans it afresh: at national scale that was
 * a third to a half of the database's time for a list page (ADR 0021; docs/performance.md, "Issue 9, eleventh
 * slice"). A named statement is parsed once per connection; after five runs PostgreSQL also keeps one generic plan
 * when its estimate is no worse than planning each time (plan_cache_mode `auto`), and plans afresh when it is.
 *
 * Statements with parameters are named: those already go through the extended protocol, while a statement without
 * them may hold several commands (migrations), which only the simple protocol accepts. A `select` (or `with`) without
 * parameters and without a `;` is one command, and is named too: a list's first page written with its limit in the
 * text (db/paging.ts) may have no parameters, and unnamed it would be parsed and planned on every request. A
 * connection keeps at most `maxPerConnection` names (statements whose text varies, such as `in ($1, …, $n)`, would
 * otherwise grow its memory without end); beyond that its statements go unnamed as before.
 *
 * A generic plan cannot know a statement's values, and for some statements the values decide the plan: a search
 * ordered by another column and cut by a limit is one index walk when most rows match and a gather-and-sort of every
 * match when few do. PostgreSQL's generic plan for the resource library's search sorted by downloads gathered and
 * sorted every match (12 ms at five times the national data, 0.4 ms planned for its values). Such a statement starts
 * with `plannedEachTime` and is sent unnamed, so it is planned for its values every time.
 */
export const maxPerConnection = 500;

/** The first words of a statement to be planned for its values every time (above). */
export const plannedEachTime = '/* planned each time */ ';

/** A statement without parameters that is named all the same (above): one `select` or `with`, no `;` in it. */
export const namedWithoutParameters = /^\s*(select|with)\b[^;]*$/i;

/** Whether a statement is sent under a name of its own (the limit per connection aside); PGlite's thread has the same rule. */
const isNamed = (text: string, parameterCount: number) =>
  !text.startsWith(plannedEachTime) && (parameterCount > 0 || namedWithoutParameters.test(text));

type QueryConfig = { text: string; name?: string; values?: unknown[]; submit?: unknown };

const namesByText = new Map<string, string>();
const maxRemembered = 5_000;

function nameOf(text: string): string {
  let name = namesByText.get(text);
  if (!name) {
    name = 'pn_' + createHash('sha1').update(text).digest('base64url');
    if (namesByText.size >= maxRemembered) namesByText.delete(namesByText.keys().next().value!);
    namesByText.set(text, name);
  }
  return name;
}

export function nameStatements(client: pg.Client | pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const named = new Set<string>();
  (client as { query: unknown }).query = (config: unknown, values?: unknown, ...rest: unknown[]) => {
    if (config && typeof config === 'object' && !('submit' in config)) {
      const { text, name } = config as QueryConfig;
      const params = Array.isArray(values) ? values : (config as QueryConfig).values;
      if (!name && typeof text === 'string' && isNamed(text, params?.length ?? 0)) {
        const candidate = nameOf(text);
        if (named.has(candidate) || named.size < maxPerConnection) {
          named.add(candidate);
          return query({ ...config, name: candidate }, values, ...rest);
        }
      }
    }
    return query(config, values, ...rest);
  };
}
