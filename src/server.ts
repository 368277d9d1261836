import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { prepareDatabase } from './db/prepare.ts';
import { demoAccounts, demoPassword } from './db/seed/demo.ts';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';

/** Opens the configured database (PostgreSQL, or PGlite in DATA_DIR), migrated and with its reference data. */
export async function openPreparedDatabase(config: Config): Promise<{ database: Database; seeded: boolean }> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { seeded } = await prepareDatabase(database, { demo: config.demo, clock: systemClock });
    return { database, seeded };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** Starts the service: database, app, listen; prints the URL and demo sign-ins; stops gracefully on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const started = Date.now();
  const { database, seeded } = await openPreparedDatabase(config);
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => process.exit(1), config.shutdownGraceMs);
    force.unref();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
