import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { openTestDatabase, testConfig } from '../test/helpers.ts';
import { sql } from 'drizzle-orm';
import { demoAccounts } from './db/seed/demo.ts';
import { queryRows } from './db/client.ts';
import { createApiToken } from './auth/service.ts';
import { systemClock } from './clock.ts';
import { heldUntilHandled } from './server.ts';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pioneer-serve-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// Vitest sets BASE_URL=/ for Vite; the service reads BASE_URL as its public URL, so leave it out.
const { BASE_URL: _vite, ...parentEnv } = process.env;
const env = (extra: Record<string, string> = {}) => ({ ...parentEnv, NODE_ENV: 'development', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...extra });

// What `npm start` runs: the bundle scripts/build.mjs writes (ADR 0014), so a source file the bundle cannot find
// (templates, migrations, the council register) fails here.
const service = ['--enable-source-maps', 'dist/main.mjs'];
beforeAll(() => {
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/build.mjs failed:\n${built.stderr}`);
});

/** Starts the service as `npm start` does and resolves once it prints its URL. */
function start(port: number) {
  const child = spawn(process.execPath, service, { cwd: root, env: env({ PORT: String(port) }) });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Demo sign-ins')) setTimeout(() => resolve(out), 100);
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`exited early:\n${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}

describe('npm start', () => {
  it('seeds on first start, prints the URL and one demo sign-in per role, and stops cleanly on SIGTERM', async () => {
    const port = 3900 + Math.floor(Math.random() * 90);
    const first = start(port);
    const out = await first.ready;
    expect(out).toContain(`http://localhost:${port}`);
    expect(out).toContain('demo data seeded');
    for (const account of Object.values(demoAccounts)) expect(out).toContain(account.email);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    // A second process on the same folder refuses with a clear message.
    const second = spawnSync(process.execPath, service, { cwd: root, env: env({ PORT: String(port + 1) }), encoding: 'utf8' });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('is in use by another Pioneer process');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pioneer.lock'))).toBe(false);

    // Starting again reuses the data rather than seeding it twice.
    const again = start(port);
    const out2 = await again.ready;
    expect(out2).not.toContain('demo data seeded');
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, 90_000);

  it('`pioneer tokens create` prints the token alone on its last line and explains bad input', async () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['bin/pioneer.js', ...args], { cwd: root, env: env(), encoding: 'utf8' });
    const made = run('tokens', 'create', '--email', demoAccounts.admin.email.toUpperCase(), '--name', 'CI token');
    expect(made.status).toBe(0);
    const token = made.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^pio_[A-Za-z0-9_-]{40,}$/);
    const unknown = run('tokens', 'create', '--email', 'nobody@example.gov.uk', '--name', 'x');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('No active person has the email nobody@example.gov.uk');
    const missing = run('tokens', 'create', '--email', demoAccounts.admin.email);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('Give --email and --name');
  }, 60_000);
});

describe('/health', () => {
  it('answers 503 when the database does not', async () => {
    const database = await openTestDatabase();
    const app = await buildApp({ config: testConfig(), db: database.db, logger: false });
    expect((await app.inject('/health')).statusCode).toBe(200);
    await database.close();
    const res = await app.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable' });
    await app.close();
  });
});

describe('errors from the database', () => {
  it('answers a deadlock or serialisation failure with 409 and "try again" (page and API), never 500', async () => {
    const database = await openTestDatabase();
    const app = await buildApp({ config: testConfig(), db: database.db, logger: false });
    // Drizzle wraps the driver's error; PostgreSQL's deadlock is SQLSTATE 40P01, a serialisation failure 40001.
    const failure = (code: string) => Object.assign(new Error('Failed query'), { cause: Object.assign(new Error('deadlock detected'), { code }) });
    app.get('/deadlock', { config: { access: 'public' } }, async () => {
      throw failure('40P01');
    });
    app.get('/api/v1/serialisation', { config: { access: 'public' } }, async () => {
      throw failure('40001');
    });
    const page = await app.inject('/deadlock');
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('Someone else was changing the same records at the same moment. Nothing was changed: try again.');
    expect(page.body).not.toContain('deadlock detected');
    const [admin] = await queryRows<{ id: string }>(database.db, sql`select id from people where email = ${demoAccounts.admin.email}`);
    const { token } = await createApiToken(database.db, { actor: null, clock: systemClock }, admin.id, 'errors');
    const api = await app.inject({ url: '/api/v1/serialisation', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(409);
    expect(api.json()).toMatchObject({ status: 409, title: 'Conflict' });
    await app.close();
    await database.close();
  });
});

describe('a fault reported before the service can act on it', () => {
  it('is handed to the handler once it is set, the first only; later ones go straight to it', () => {
    const seen: string[] = [];
    const stopped = heldUntilHandled<string>();
    stopped.report('thread exited (1)');
    stopped.report('thread exited again');
    expect(seen).toEqual([]);
    stopped.handle((why) => seen.push(why));
    expect(seen).toEqual(['thread exited (1)']);
    stopped.report('later');
    expect(seen).toEqual(['thread exited (1)', 'later']);
  });

  it('hands nothing over when nothing was reported', () => {
    const seen: string[] = [];
    heldUntilHandled<string>().handle((why) => seen.push(why));
    expect(seen).toEqual([]);
  });
});
