import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client.ts';
import { prepareDatabase } from '../src/db/prepare.ts';
import { fixedClock } from '../src/clock.ts';
import { testNow } from './now.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
    postgresTemplate: string;
  }
}

/**
 * The PostgreSQL database each test file clones (CREATE DATABASE … TEMPLATE), migrated and seeded once per run.
 * Named after the run's process, so two runs on one server (CI beside a developer's run) never drop each other's.
 */
const postgresTemplateName = `pioneer_test_template_${process.pid}`;

/**
 * Builds once per run what every test database starts from: a migrated, seeded PGlite snapshot
 * (each test file loads it in ~0.3 s) and, when TEST_DATABASE_URL is set, a PostgreSQL template database.
 */
export default async function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-test-'));
  const database = await openDatabase({ dataDir: null });
  await prepareDatabase(database, { demo: true, clock: fixedClock(testNow) });
  const client = (database.db as unknown as { $client: { dumpDataDir(c: 'none'): Promise<Blob> } }).$client;
  const snapshot = path.join(dir, 'pglite.tar');
  fs.writeFileSync(snapshot, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
  await database.close();
  project.provide('pgliteSnapshot', snapshot);

  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`drop database if exists ${postgresTemplateName} with (force)`);
    await admin.query(`create database ${postgresTemplateName}`);
    await admin.end();
    const templateUrl = new URL(url);
    templateUrl.pathname = `/${postgresTemplateName}`;
    const pgDatabase = await openDatabase({ databaseUrl: templateUrl.toString(), dataDir: null });
    await prepareDatabase(pgDatabase, { demo: true, clock: fixedClock(testNow) });
    await pgDatabase.close();
    project.provide('postgresTemplate', postgresTemplateName);
  } else {
    project.provide('postgresTemplate', '');
  }

  return async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (url) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`drop database if exists ${postgresTemplateName} with (force)`);
      await admin.end();
    }
  };
}
