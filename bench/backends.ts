/** Where a benchmark runs: a throwaway PGlite folder, or a fresh PostgreSQL database it creates and drops. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';

export type Backend = { name: 'PGlite' | 'PostgreSQL'; databaseUrl?: string; dataDir: string | null; cleanup: () => Promise<void> };

/** A fresh PostgreSQL database beside the one BENCH_DATABASE_URL names; dropped afterwards. */
export async function postgresBackend(url: string): Promise<Backend> {
  const name = `pioneer_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    name: 'PostgreSQL',
    databaseUrl: dbUrl.toString(),
    dataDir: null,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function pgliteBackend(): Backend {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-bench-'));
  return { name: 'PGlite', dataDir: path.join(dir, 'data'), cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

