/**
 * What the log may say about errors and requests. Logs are kept longer and read more widely than the database, so
 * they carry no personal data and no secrets: drizzle's "Failed query: <sql> params: <values>" and PostgreSQL's
 * `detail` ("Key (email)=(…)"), `where` and messages (`invalid input syntax for type uuid: "…"`) can all hold the
 * names, email addresses and job titles people typed, so a database error is logged by its SQLSTATE and the
 * constraint, table or column it names, never its text.
 */

type Described = {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  stack: string;
  cause?: Described;
};

/** An email address anywhere in a message (the mailer's errors name the recipient). */
const emailAddress = /[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+/g;
const sqlState = /^[0-9A-Z]{5}$/;
const textOf = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** A PostgreSQL error (pg or PGlite): a five-character SQLSTATE beside a severity. */
const isDatabaseError = (err: Error) => {
  const e = err as { code?: unknown; severity?: unknown };
  return typeof e.code === 'string' && sqlState.test(e.code) && typeof e.severity === 'string';
};

/** drizzle's wrapper around a database error, whose message is the SQL and its parameters. */
const isQueryError = (err: Error) => ('params' in err && 'query' in err) || err.message.startsWith('Failed query:');

/**
 * An error as the log may show it: its type, code, a message without personal data and the stack's frames (the
 * first line of a stack repeats the message, so it is rebuilt from the safe one). Causes are described the same way.
 */
export function describeError(err: unknown): Described {
  if (!(err instanceof Error)) return { type: typeof err, message: 'a value that is not an Error was thrown', stack: '' };
  const fields = err as unknown as Record<string, unknown>;
  const database = isDatabaseError(err);
  const code = textOf(fields.code);
  let message: string;
  if (database) message = `database error ${code}`;
  else if (isQueryError(err)) message = 'database query failed (SQL and parameters not logged)';
  else message = err.message.replace(emailAddress, '[email address]');
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return {
    type: err.name,
    message,
    ...(code ? { code } : {}),
    // Schema names, not values: they say which rule a write broke.
    ...(database && textOf(fields.constraint) ? { constraint: textOf(fields.constraint) } : {}),
    ...(database && textOf(fields.table) ? { table: textOf(fields.table) } : {}),
    ...(database && textOf(fields.column) ? { column: textOf(fields.column) } : {}),
    stack: [`${err.name}: ${message}`, ...frames].join('\n'),
    ...(err.cause instanceof Error ? { cause: describeError(err.cause) } : {}),
  };
}

/** Only the path: query strings carry searches (people's names, emails) and some paths carry single-use links. */
export function loggedUrl(url: string): string {
  return url
    .split('?')[0]
    .replace(/^\/set-password\/[^/]+/, '/set-password/[link]')
    .replace(/^\/calendar-feeds\/[^/]+/, '/calendar-feeds/[link]');
}

type RawRequest = { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } };

/** The logger's serializers (Fastify's `logger.serializers`): errors and requests as `describeError` and `loggedUrl` allow. */
export const logSerializers = {
  err: describeError,
  req: (req: RawRequest) => ({ method: req.method, url: loggedUrl(req.url ?? ''), remoteAddress: req.ip ?? req.socket?.remoteAddress }),
};
