import v8 from 'node:v8';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { prepareDatabase } from './db/prepare.ts';
import { filesystemStorage } from './files/storage.ts';
import { demoAccounts, demoPassword } from './db/seed/demo.ts';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { describeError } from './web/safe-log.ts';

/** Opens the configured database (PostgreSQL, or PGlite in DATA_DIR), migrated and with its reference data. */
export async function openPreparedDatabase(config: Config, onConnectionError?: (err: Error) => void): Promise<{ database: Database; seeded: boolean }> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onConnectionError });
  try {
    const { seeded } = await prepareDatabase(database, { demo: config.demo, clock: systemClock, storage: filesystemStorage(config.resourcesDir) });
    return { database, seeded };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** Starts the service: database, app, listen; prints the URL and demo sign-ins; stops gracefully on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const started = Date.now();
  // V8 reads this flag whenever it sizes the heap, so setting it here acts as if given on the command line.
  if (config.heapGrowingPercent) v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // The embedded database's thread stopping (a crash of PGlite) is the end of the service: nothing can be read or
  // written until it starts again. It stops as on SIGTERM, exit 1, for a supervisor to start it again; PGlite
  // recovers its folder at the next start as after kill -9. The thread reports its stop once, whenever it happens: one
  // before the service is ready (between preparing the database and listening) is held and acted on then.
  // (PostgreSQL's lost connections are logged: the pool makes new ones.)
  const embeddedStopped = heldUntilHandled<Error>();
  const { database, seeded } = await openPreparedDatabase(config, config.databaseUrl ? undefined : embeddedStopped.report);
  const app = await buildApp({ config, db: database.db });
  await app.listen({ host: config.host, port: config.port });
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
  const lines = [
    '',
    `Pioneer is running at ${config.baseUrl} on ${where} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s${seeded ? ', demo data seeded' : ''})`,
  ];
  if (config.demo) {
    lines.push('', `Demo sign-ins (password for all: ${demoPassword}):`);
    for (const account of Object.values(demoAccounts)) lines.push(`  ${account.role.padEnd(46)} ${account.email}  ${demoPassword}`);
  }
  console.log(lines.join('\n') + '\n');

  keepRunningOnUnhandledRejection(app.log);
  const stop = stopOnSignals(config, app.log, async () => {
    await app.close();
    await database.close();
  });
  embeddedStopped.handle((err) => {
    app.log.error({ error: describeError(err) }, 'the embedded database stopped: stopping the service');
    void stop('database stopped');
  });
}

/**
 * A report that may come before anyone can act on it: `report` hands it to the handler once `handle` has set one, and
 * one reported before that is handed over when it is set (the first only: it is the one that stopped things).
 */
export function heldUntilHandled<T>() {
  let handler: ((value: T) => void) | undefined;
  let held: { value: T } | undefined;
  return {
    report: (value: T) => {
      if (handler) handler(value);
      else held ??= { value };
    },
    handle: (h: (value: T) => void) => {
      handler = h;
      if (held) h(held.value);
    },
  };
}

/** The part of the app's logger these process-level handlers use (pino's methods fit). */
type ProcessLog = { info(details: object, message: string): void; error(details: object, message: string): void };

/**
 * SIGTERM or SIGINT stops the service gracefully: stop accepting, finish requests in flight, the running upload and
 * the outbox (the app's onClose), close the database and release the data folder; then exit 0. A second signal, a
 * failure while stopping, or still stopping after SHUTDOWN_GRACE_MS exits 1 at once. A repeat within a second is the
 * same request: npm passes a terminal's Ctrl+C on to the process that has already received it. Returns the same stop
 * for a fault the service cannot go on after, which exits 1 once stopped.
 */
export function stopOnSignals(config: Pick<Config, 'shutdownGraceMs'>, log: ProcessLog, close: () => Promise<void>): (fault: string) => Promise<void> {
  let firstAt: number | null = null;
  const stop = async (reason: string, exitCode: 0 | 1) => {
    if (firstAt !== null) {
      if (Date.now() - firstAt < 1000) return;
      log.error({ reason }, 'second signal while shutting down: exiting now');
      process.exit(1);
    }
    firstAt = Date.now();
    log.info({ reason }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      log.error({ graceMs: config.shutdownGraceMs }, 'shutdown took longer than SHUTDOWN_GRACE_MS: exiting now');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    try {
      await close();
    } catch (err) {
      log.error({ error: describeError(err) }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  return (fault) => stop(fault, 1);
}

/**
 * A promise rejected with nobody to hear it is logged (type, code and stack; never the message, which may quote a
 * query's parameters) and the service carries on. Node's default would end the process, and with it every request in
 * flight and the running upload, for one failed background task: every change is a transaction that is rolled back
 * when it fails, so no data is left half-written that a restart would mend. An uncaught exception stays fatal.
 */
export function keepRunningOnUnhandledRejection(log: Pick<ProcessLog, 'error'>): void {
  process.on('unhandledRejection', (reason) => log.error({ error: describeError(reason) }, 'unhandled promise rejection (the service carries on)'));
}
